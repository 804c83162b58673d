// The one definition of each setting that can change while LunaRoute runs (Settings view, tray, settings.json,
// config.yaml): its range, default, unit and description. Everything else is derived from SETTINGS, so the
// places cannot drift: config.yaml parsing and help (src-main/config/schema.ts), the settings.json schema and its
// messages (src-main/settings), the retention sweeper's check, the `settings.get`/`settings.set` schemas below and
// the Settings view's input limits. Pure TypeScript: no Node, no DOM, no electron.
import * as s from './schema.js';

export const REDACTION_MODES = ['mask', 'remove', 'tokenize', 'partial', 'off'] as const;
export type RedactionMode = (typeof REDACTION_MODES)[number];

interface Common {
  /** One line for help text (config --help); the unit is appended where there is one. */
  description: string;
  /** Where the setting sits in the `settings.get` result and the `settings.set` arguments (dotted). */
  call: string;
  /** Where it sits in <dataDir>/settings.json (dotted); a key there is a promise to users' files. */
  file: string;
}
export interface IntSetting extends Common {
  kind: 'int';
  min: number;
  max: number;
  default: number;
  unit: string;
  /** What 0 means, when 0 is allowed and special. */
  zero?: string;
}
/** An amount of money; null = none. */
export interface UsdSetting extends Common {
  kind: 'usd';
  min: number;
  max: number;
  default: null;
  unit: 'USD';
}
export interface BoolSetting extends Common {
  kind: 'bool';
  default: boolean;
}
export interface ChoiceSetting extends Common {
  kind: 'choice';
  values: readonly string[];
  default: string;
}
export type SettingDef = IntSetting | UsdSetting | BoolSetting | ChoiceSetting;

/** Keyed by the config.yaml key (also what `explicitKeys` and messages name). */
export const SETTINGS = {
  'recording.enabled': {
    kind: 'bool',
    default: true,
    description: 'Record traffic (sessions, requests, responses) to the data dir',
    call: 'recording',
    file: 'recording',
  },
  'redaction.mode': {
    kind: 'choice',
    values: REDACTION_MODES,
    default: 'mask',
    description: 'Redaction of recordings',
    call: 'redaction_mode',
    file: 'redaction_mode',
  },
  'retention.max_age_days': {
    kind: 'int',
    min: 1,
    max: 36_500,
    default: 30,
    unit: 'days',
    description: 'Delete session files older than this',
    call: 'retention.max_age_days',
    file: 'retention.max_age_days',
  },
  'retention.max_size_mb': {
    kind: 'int',
    min: 1,
    max: 10_000_000,
    default: 1024,
    unit: 'MB',
    description: 'Delete the oldest session files while the total exceeds this',
    call: 'retention.max_size_mb',
    file: 'retention.max_size_mb',
  },
  'retention.compress_after_days': {
    kind: 'int',
    min: 0,
    max: 36_500,
    default: 7,
    unit: 'days',
    zero: 'never',
    description: 'Compress session files older than this to .jsonl.zst',
    call: 'retention.compress_after_days',
    file: 'retention.compress_after_days',
  },
  'budgets.daily_usd': {
    kind: 'usd',
    min: 0,
    max: 1_000_000_000,
    default: null,
    unit: 'USD',
    description: 'Daily cost threshold (priced requests); crossing it raises a banner and a notification',
    call: 'budgets.daily_usd',
    file: 'budget_daily_usd',
  },
  'budgets.weekly_usd': {
    kind: 'usd',
    min: 0,
    max: 1_000_000_000,
    default: null,
    unit: 'USD',
    description: 'Weekly cost threshold (from Monday 00:00 local)',
    call: 'budgets.weekly_usd',
    file: 'budget_weekly_usd',
  },
  'budgets.limit_percent': {
    kind: 'int',
    min: 0,
    max: 100,
    default: 80,
    unit: '%',
    zero: 'never',
    description:
      "Notify when a plan or rate-limit window (e.g. Claude's 5-hour window) is used to this share, once per window",
    call: 'budgets.limit_percent',
    file: 'budget_limit_percent',
  },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export function integerRule(min: number, max: number, unit = ''): string {
  return `an integer from ${min} to ${max}` + (unit ? ` (${unit})` : '');
}

/** What a valid value is, for messages: "an integer from 1 to 36500 (days)". Null (none) is the caller's to add. */
export function settingRule(d: SettingDef): string {
  switch (d.kind) {
    case 'int':
      return integerRule(d.min, d.max, d.unit);
    case 'usd':
      return `a number from ${d.min} to ${d.max} (${d.unit})`;
    case 'bool':
      return 'true or false';
    case 'choice':
      return `one of ${d.values.join(', ')}`;
  }
}

/** Whether a numeric setting accepts `v` (a number, not a string that looks like one). */
export function inRange(d: IntSetting | UsdSetting, v: unknown): v is number {
  return (
    typeof v === 'number' &&
    (d.kind === 'int' ? Number.isInteger(v) : Number.isFinite(v)) &&
    v >= d.min &&
    v <= d.max
  );
}

// --- the settings calls' schemas (contract.ts) -----------------------------------------------------------

const int = (d: IntSetting) => s.int({ min: d.min, max: d.max, unit: d.unit });
const usd = (d: UsdSetting) => s.nullable(s.number({ min: d.min, max: d.max, unit: d.unit }));

function partial<S extends Record<string, s.Schema<unknown>>>(
  shape: S,
): { [K in keyof S]: s.OptionalSchema<s.Infer<S[K]>> } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, s.optional(v)])) as {
    [K in keyof S]: s.OptionalSchema<s.Infer<S[K]>>;
  };
}

const retention = {
  max_age_days: int(SETTINGS['retention.max_age_days']),
  max_size_mb: int(SETTINGS['retention.max_size_mb']),
  compress_after_days: int(SETTINGS['retention.compress_after_days']),
};
/** Cost thresholds in USD (priced requests); null = none. */
const budgets = {
  daily_usd: usd(SETTINGS['budgets.daily_usd']),
  weekly_usd: usd(SETTINGS['budgets.weekly_usd']),
  limit_percent: int(SETTINGS['budgets.limit_percent']),
};

export const SettingsSchema = s.object({
  recording: s.boolean(),
  redaction_mode: s.oneOf(REDACTION_MODES),
  retention: s.object(retention),
  budgets: s.object(budgets),
  /** Read-only here (a restart applies a change). */
  data_dir: s.string(),
  proxy_url: s.string(),
  ui_url: s.nullable(s.string()),
});

/** `settings.set`: any subset of what can change live; an unknown key is refused. */
export const SettingsPatchSchema = s.object(
  {
    recording: s.optional(s.boolean()),
    redaction_mode: s.optional(s.oneOf(REDACTION_MODES)),
    retention: s.optional(s.object(partial(retention), { strict: true })),
    budgets: s.optional(s.object(partial(budgets), { strict: true })),
  },
  { strict: true },
);
