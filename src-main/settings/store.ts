// The core's settings store: conf on <dataDir>/settings.json (0600, atomic writes), validated by the shared
// schema. The file is read on every access, so a change written by the desktop shell's electron-store (same
// file, same schema) is seen here and the other way round. A file that fails the schema or is not JSON does not
// stop the proxy: it is moved aside to settings.json.invalid-<time> and the config file's values apply.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import Conf, { type Schema } from 'conf';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import { SETTINGS_FILE, SETTINGS_NAME, SETTINGS_SCHEMA, type PersistedSettings } from './schema.js';

export interface SettingsStore {
  readonly path: string;
  /** The persisted keys (absent = never changed by the user). */
  get(): PersistedSettings;
  /** Write the given keys (atomically; throws when the file cannot be written). */
  set(patch: PersistedSettings): void;
}

function openConf(dataDir: string): Conf<PersistedSettings> {
  return new Conf<PersistedSettings>({
    cwd: dataDir,
    configName: SETTINGS_NAME,
    // One JSON schema per key, declared once for the core and the shell.
    schema: SETTINGS_SCHEMA as Schema<PersistedSettings>,
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
  });
}

export function openSettingsStore(
  dataDir: string,
  logger?: Logger,
  now: () => number = Date.now,
): SettingsStore {
  const file = join(dataDir, SETTINGS_FILE);
  let conf: Conf<PersistedSettings>;
  try {
    conf = openConf(dataDir);
  } catch (err) {
    const aside = `${file}.invalid-${now()}`;
    try {
      renameSync(file, aside);
    } catch {
      throw err; // not a bad file (an unwritable data dir…): let the caller report it
    }
    logger?.warn(
      `${file} was invalid (${(err as Error).message.split('\n')[0]}); moved it to ${aside} — the config file's values apply`,
    );
    conf = openConf(dataDir);
  }
  return {
    path: conf.path,
    get: () => ({ ...conf.store }),
    set(patch) {
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      conf.set(defined as PersistedSettings);
    },
  };
}

/** The config with the persisted recording and redaction choices applied on top (a new object). */
export function applyPersistedSettings(config: Config, s: PersistedSettings): Config {
  // Precedence: defaults < config file < saved choices < LUNAROUTE_* environment < flags.
  const explicit = new Set(config.explicitKeys ?? []);
  const recording = explicit.has('recording.enabled') ? undefined : s.recording;
  const mode = explicit.has('redaction.mode') ? undefined : s.redaction_mode;
  return {
    ...config,
    recording: { ...config.recording, enabled: recording ?? config.recording.enabled },
    redaction: { ...config.redaction, mode: mode ?? config.redaction.mode },
  };
}
