// The shape of a `lunaroute` command and the helpers every command shares: strict argument parsing with
// one-line usage errors, and the context (streams, env, paths) passed in so commands stay testable.
// A new command (sessions, reindex, export, stats) is one module exporting a Command, listed in cli.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config/types.js';
import { LunaRouteError } from '../../src-shared/errors.js';

export interface CliContext {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  cwd: string;
  /** The installed package: holds bin/lunaroute.js and package.json. */
  packageRoot: string;
  version: string;
  /** Set by `npm start` without Electron: a line serve prints (to stderr) once the config is known. */
  serveNotice?: (config: Config) => string;
}

export interface CommandOption {
  /** Long name without `--`. */
  name: string;
  short?: string;
  type: 'string' | 'boolean';
  /** Placeholder shown in help: `--port <n>`. */
  valueName?: string;
  description: string;
  env?: string;
  defaultText?: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** What `run` resolves to: an exit code, or 'running' when the command keeps the process alive (serve). */
export type CommandResult = number | 'running';

export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraph under Usage in `lunaroute <cmd> --help`. */
  description: string;
  options: readonly CommandOption[];
  /** Positional arguments, for help and for parsing (none = positionals are rejected). */
  positionals?: readonly { name: string; description: string }[];
  /** Extra lines at the end of the help text. */
  notes?: readonly string[];
  run(args: { values: OptionValues; positionals: string[] }, ctx: CliContext): Promise<CommandResult>;
}

/** Wrong usage (CLI_USAGE): printed as one line plus "see lunaroute <cmd> --help", exit 2. */
export function usageError(message: string, command?: string): LunaRouteError<'CLI_USAGE'> {
  return new LunaRouteError('CLI_USAGE', message, { details: command === undefined ? {} : { command } });
}

/** An expected failure with a message meant for the user (CLI_FAILED): one line, no stack, the given exit code. */
export function cliError(message: string, exitCode = 1): LunaRouteError<'CLI_FAILED'> {
  return new LunaRouteError('CLI_FAILED', message, { details: { exitCode } });
}

export const HELP_OPTION: CommandOption = {
  name: 'help',
  short: 'h',
  type: 'boolean',
  description: 'Show this help',
};

export function parseCommandArgs(
  command: Command,
  argv: string[],
): { values: OptionValues; positionals: string[]; help: boolean } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const o of [...command.options, HELP_OPTION]) {
    options[o.name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  }
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: (command.positionals?.length ?? 0) > 0,
    });
    const { help, ...rest } = values as OptionValues;
    return { values: rest, positionals, help: help === true };
  } catch (err) {
    throw usageError(describeParseError(err), command.name);
  }
}

/** node:util's messages are long and suggest `--`; turn them into one short line. */
function describeParseError(err: unknown): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']+)'/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${quoted ?? '?'}'`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${quoted ?? '?'}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return message.split('.')[0]!.replace(/^Option /, 'option ');
    default:
      return message.split('\n')[0]!;
  }
}
