// The persisted settings: what the tray and the UI change and what must survive a restart. One JSON file,
// <dataDir>/settings.json, one schema, shared by the core (conf, plain Node) and the desktop shell
// (electron-store on the same file), so `lunaroute serve` and the tray app agree. A key is present only once
// the user changed it; until then the config file's value applies.
import type { RedactionMode } from '../redaction/types.js';
import { REDACTION_MODES } from '../redaction/types.js';

/** conf/electron-store `configName`: the file is `${SETTINGS_NAME}.json` in the data dir. */
export const SETTINGS_NAME = 'settings';
export const SETTINGS_FILE = `${SETTINGS_NAME}.json`;

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export interface PersistedSettings {
  /** Record traffic (overrides recording.enabled from the config file). */
  recording?: boolean;
  /** Redaction mode (overrides redaction.mode from the config file). */
  redaction_mode?: RedactionMode;
  /** Retention limits changed in the Settings view (override retention.* from the config file). */
  retention?: { max_age_days?: number; max_size_mb?: number; compress_after_days?: number };
  /** Cost budgets changed in the Settings view, USD; null = no budget (override budgets.* from the config file). */
  budget_daily_usd?: number | null;
  budget_weekly_usd?: number | null;
  /** Desktop only: the window's last position and size. */
  window_bounds?: WindowBounds;
  /** Desktop only: launch the tray app at login. */
  start_at_login?: boolean;
}

const int = { type: 'integer' } as const;

/** JSON schema of each key (conf's `schema` option: properties of the root object). */
export const SETTINGS_SCHEMA = {
  recording: { type: 'boolean' },
  redaction_mode: { type: 'string', enum: [...REDACTION_MODES] },
  retention: {
    type: 'object',
    properties: {
      max_age_days: { type: 'integer', minimum: 1, maximum: 36_500 },
      max_size_mb: { type: 'integer', minimum: 1, maximum: 10_000_000 },
      compress_after_days: { type: 'integer', minimum: 0, maximum: 36_500 },
    },
    additionalProperties: false,
  },
  budget_daily_usd: { type: ['number', 'null'], minimum: 0, maximum: 1_000_000_000 },
  budget_weekly_usd: { type: ['number', 'null'], minimum: 0, maximum: 1_000_000_000 },
  window_bounds: {
    type: 'object',
    properties: {
      x: int,
      y: int,
      width: { type: 'integer', minimum: 200, maximum: 100_000 },
      height: { type: 'integer', minimum: 150, maximum: 100_000 },
    },
    required: ['width', 'height'],
    additionalProperties: false,
  },
  start_at_login: { type: 'boolean' },
} as const;
