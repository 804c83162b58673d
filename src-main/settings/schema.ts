// The persisted settings: what the tray and the UI change and what must survive a restart. One JSON file,
// <dataDir>/settings.json, one JSON schema, shared by the core (store.ts, checked with ajv) and the desktop shell
// (electron-store on the same file), so `lunaroute serve` and the tray app agree. A key is present only once the
// user changed it; until then the config file's value applies. The keys that config.yaml also has are derived
// from their one definition (src-shared/settings.ts); window bounds and start at login are the desktop's own.
import { SETTINGS, SETTING_KEYS, type RedactionMode, type SettingDef } from '../../src-shared/settings.js';

/** electron-store `name`: the file is `${SETTINGS_NAME}.json` in the data dir. */
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
  /** Plan/rate-limit notification threshold, percent (0 = never). */
  budget_limit_percent?: number;
  /** Desktop only: the window's last position and size. */
  window_bounds?: WindowBounds;
  /** Desktop only: launch the tray app at login. */
  start_at_login?: boolean;
}

type JsonSchema = Record<string, unknown>;

/**
 * JSON schema of one setting. Never a `default`: electron-store would write it into the file, and a key in the
 * file overrides config.yaml.
 */
function jsonSchemaOf(d: SettingDef): JsonSchema {
  switch (d.kind) {
    case 'int':
      return { type: 'integer', minimum: d.min, maximum: d.max };
    case 'usd':
      return { type: ['number', 'null'], minimum: d.min, maximum: d.max };
    case 'bool':
      return { type: 'boolean' };
    case 'choice':
      return { type: 'string', enum: [...d.values] };
  }
}

/** The setting stored at a dotted path of settings.json (`retention.max_age_days`, `budget_daily_usd`). */
export const SETTING_AT = new Map<string, SettingDef>(
  SETTING_KEYS.map((k) => [SETTINGS[k].file, SETTINGS[k]]),
);

function settingsProperties(): Record<string, JsonSchema> {
  const props: Record<string, JsonSchema> = {};
  for (const [path, d] of SETTING_AT) {
    const [head, sub] = path.split('.') as [string, string | undefined];
    if (sub === undefined) props[head] = jsonSchemaOf(d);
    else {
      const group = (props[head] ??= { type: 'object', properties: {}, additionalProperties: false });
      (group['properties'] as Record<string, JsonSchema>)[sub] = jsonSchemaOf(d);
    }
  }
  return props;
}

/** JSON schema of each key (electron-store's `schema` option: properties of the root object). */
export const SETTINGS_SCHEMA: Record<string, JsonSchema> = {
  ...settingsProperties(),
  window_bounds: {
    type: 'object',
    properties: {
      x: { type: 'integer' },
      y: { type: 'integer' },
      width: { type: 'integer', minimum: 200, maximum: 100_000 },
      height: { type: 'integer', minimum: 150, maximum: 100_000 },
    },
    required: ['width', 'height'],
    additionalProperties: false,
  },
  start_at_login: { type: 'boolean' },
};
