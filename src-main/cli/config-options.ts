// CLI flags that override configuration keys, derived from the config schema so the flag, its environment
// variable and its default are declared once. Shared by `serve` and `env` (which must accept the same flags
// to start the same server in the background).
import { CONFIG_FILE_OPTION, CONFIG_KEYS } from '../config/schema.js';
import type { CommandOption, OptionValues } from './command.js';

function defaultText(value: unknown): string | undefined {
  if (value === '' || value === undefined) return undefined;
  return String(value);
}

export const CONFIG_OPTIONS: readonly CommandOption[] = (() => {
  const options: CommandOption[] = [];
  for (const spec of Object.values(CONFIG_KEYS)) {
    if (spec.flag === undefined) continue;
    const option: CommandOption = {
      name: spec.flag,
      type: 'string',
      description: spec.description,
      ...(spec.valueName !== undefined && { valueName: spec.valueName }),
      ...(spec.env !== undefined && { env: spec.env }),
    };
    const def = defaultText(spec.default);
    if (def !== undefined) option.defaultText = def;
    options.push(option);
    // The config file belongs right after the data dir it defaults into.
    if (spec === CONFIG_KEYS.data_dir) {
      const { flag, env, valueName, description, defaultText } = CONFIG_FILE_OPTION;
      options.push({ name: flag, type: 'string', env, valueName, description, defaultText });
    }
  }
  return options;
})();

/** The config-flag values a command received, keyed by flag name, as loadConfig takes them. */
export function configFlags(values: OptionValues): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const o of CONFIG_OPTIONS) {
    const v = values[o.name];
    if (typeof v === 'string') flags[o.name] = v;
  }
  return flags;
}

/** The same flags as arguments, to start another process with them (`--name=value` survives leading dashes). */
export function configFlagArgs(values: OptionValues): string[] {
  return Object.entries(configFlags(values)).map(([name, v]) => `--${name}=${v}`);
}
