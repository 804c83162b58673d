// The core's settings store: <dataDir>/settings.json (0600, atomic writes), validated with ajv against the shared
// schema. The file is read on every access, so a change written by the desktop shell's electron-store (same
// file, same schema) is seen here and the other way round. A file that fails the schema or is not JSON does not
// stop the proxy: it is moved aside to settings.json.invalid-<time> and the config file's values apply.
import fs from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { settingRule } from '../../src-shared/settings.js';
import { describeValue } from '../config/parsers.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { PRIVATE_FILE_MODE, tmpSiblingName } from '../storage/fsutil.js';
import { SETTING_AT, SETTINGS_FILE, SETTINGS_SCHEMA, type PersistedSettings } from './schema.js';

export interface SettingsStore {
  readonly path: string;
  /** The persisted keys (absent = never changed by the user). */
  get(): PersistedSettings;
  /** Write the given keys (atomically; throws when the file cannot be written). */
  set(patch: PersistedSettings): void;
}

// Compiled on first use, without checking the schema against JSON schema's meta-schema (~50 ms at every start);
// a test compiles it the way electron-store does, with that check and in strict mode.
let validator: ValidateFunction | undefined;

/** One ajv error in words that name the key and, for a setting, its range and unit. */
function describeError(e: ErrorObject): string {
  const name = e.instancePath.slice(1).replaceAll('/', '.');
  const params = e.params as { additionalProperty?: string; missingProperty?: string };
  if (e.keyword === 'additionalProperties') return `${name}.${params.additionalProperty} is not allowed`;
  if (e.keyword === 'required') return `${name}.${params.missingProperty} is required`;
  const d = SETTING_AT.get(name);
  if (!d) return `${name} ${e.message ?? 'is invalid'}, got ${describeValue(e.data)}`;
  const rule = `must be ${settingRule(d)}${d.kind === 'usd' ? ', or null for none' : ''}`;
  const outOfRange = e.keyword === 'minimum' || e.keyword === 'maximum';
  return `${name} ${outOfRange ? 'is out of range: ' : ''}${rule}, got ${describeValue(e.data)}`;
}

/**
 * Check a parsed settings file against SETTINGS_SCHEMA. Returns the problem, or null. Keys the schema does not
 * know are kept as they are (the shell may add its own).
 */
export function checkSettings(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'the file is not a JSON object';
  validator ??= new Ajv({ verbose: true, validateSchema: false }).compile({
    type: 'object',
    properties: SETTINGS_SCHEMA,
  });
  return validator(doc) ? null : describeError(validator.errors![0]!);
}

/** Write JSON atomically and synchronously (tmp + fsync + rename), mode 0600. */
function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = tmpSiblingName(file);
  const fd = fs.openSync(tmp, 'wx', PRIVATE_FILE_MODE);
  try {
    fs.writeSync(fd, JSON.stringify(value, null, '\t') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

// Not conf (electron-store's engine) here: it pulls in a module (when-exit) that, on import, hooks every signal and
// re-sends it to the process after its own callbacks — which turned `serve`'s graceful SIGTERM into an immediate
// second-signal exit.
export function openSettingsStore(
  dataDir: string,
  logger?: Logger,
  now: () => number = Date.now,
): SettingsStore {
  const file = join(dataDir, SETTINGS_FILE);
  const read = (): Record<string, unknown> => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    let problem: string | null;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
      problem = checkSettings(doc);
    } catch (err) {
      problem = `not JSON (${(err as Error).message})`;
    }
    if (problem === null) return doc as Record<string, unknown>;
    const aside = `${file}.invalid-${now()}`;
    fs.renameSync(file, aside);
    logger?.warn(`${file} was invalid (${problem}); moved it to ${aside} — the config file's values apply`);
    return {};
  };
  read(); // check (and set aside) a bad file at start
  return {
    path: file,
    get: () => ({ ...(read() as PersistedSettings) }),
    set(patch) {
      const next: Record<string, unknown> = { ...read() };
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) next[k] = v;
      const problem = checkSettings(next);
      if (problem) throw new Error(`invalid settings: ${problem}`);
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      writeJsonAtomic(file, next);
    },
  };
}

export function applyPersistedSettings(config: Config, s: PersistedSettings): Config {
  // Precedence: defaults < config file < saved choices < LUNAROUTE_* environment < flags.
  const explicit = new Set(config.explicitKeys ?? []);
  const recording = explicit.has('recording.enabled') ? undefined : s.recording;
  const mode = explicit.has('redaction.mode') ? undefined : s.redaction_mode;
  const saved = <T>(key: string, v: T | undefined): v is T => v !== undefined && !explicit.has(key);
  const r = s.retention ?? {};
  const retention = { ...config.retention };
  if (saved('retention.max_age_days', r.max_age_days)) retention.maxAgeDays = r.max_age_days;
  if (saved('retention.max_size_mb', r.max_size_mb)) retention.maxSizeMb = r.max_size_mb;
  if (saved('retention.compress_after_days', r.compress_after_days))
    retention.compressAfterDays = r.compress_after_days;
  const budgets = { ...config.budgets };
  if (saved('budgets.daily_usd', s.budget_daily_usd)) budgets.dailyUsd = s.budget_daily_usd;
  if (saved('budgets.weekly_usd', s.budget_weekly_usd)) budgets.weeklyUsd = s.budget_weekly_usd;
  if (saved('budgets.limit_percent', s.budget_limit_percent)) budgets.limitPercent = s.budget_limit_percent;
  return {
    ...config,
    recording: { ...config.recording, enabled: recording ?? config.recording.enabled },
    redaction: { ...config.redaction, mode: mode ?? config.redaction.mode },
    retention,
    budgets,
  };
}
