// The `lunaroute` command line: dispatches to the command modules in cli/, prints help and version, and turns
// every failure into one line on stderr with a meaningful exit code (2 usage/config, 1 runtime). Stack traces
// only with LUNAROUTE_DEBUG=1. bin/lunaroute.js (npm start, too) calls `main`; it never imports electron.
import { homedir } from 'node:os';
import { isLunaRouteError } from '../src-shared/errors.js';
import { scrubSecrets } from './log.js';
import { VERSION } from './version.js';
import { parseCommandArgs, usageError, type CliContext, type Command } from './cli/command.js';
import { caCommand } from './cli/ca.js';
import { envCommand } from './cli/env.js';
import { exportCommand } from './cli/export.js';
import { commandHelp, mainHelp } from './cli/help.js';
import { findPackageRoot } from './cli/package-info.js';
import { serveCommand } from './cli/serve.js';
import { sessionsCommand } from './cli/sessions.js';
import { statsCommand } from './cli/stats.js';
import { reindexCommand } from './cli/reindex.js';
import { replayCommand } from './cli/replay.js';

/** Every command, in help order. Add a module, add it here. */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  envCommand,
  sessionsCommand,
  statsCommand,
  reindexCommand,
  exportCommand,
  caCommand,
  replayCommand,
];

export interface MainOptions {
  /** Overrides for tests and for scripts/start.js; defaults are the real process. */
  context?: Partial<CliContext>;
}

/**
 * Run the CLI. Resolves to the exit code; for a command that keeps running (serve) it resolves to undefined
 * once started and the command exits the process itself. Sets process.exitCode accordingly.
 */
export async function main(argv: string[], options: MainOptions = {}): Promise<number | undefined> {
  const ctx = defaultContext(options.context);
  let code: number | undefined;
  try {
    code = await dispatch(argv, ctx);
  } catch (err) {
    code = reportError(err, ctx);
  }
  if (code !== undefined) process.exitCode = code;
  return code;
}

async function dispatch(argv: string[], ctx: CliContext): Promise<number | undefined> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    ctx.stderr(mainHelp(COMMANDS, ctx.version));
    return 2;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : findCommand(topic);
    if (topic !== undefined && !command) throw usageError(`unknown command '${topic}'`);
    ctx.stdout(command ? commandHelp(command) : mainHelp(COMMANDS, ctx.version));
    return 0;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    ctx.stdout(`${ctx.version}\n`);
    return 0;
  }
  if (first.startsWith('-')) throw usageError(`unknown option '${first}' (options go after the command)`);
  const command = findCommand(first);
  if (!command) throw usageError(`unknown command '${first}'`);

  const { values, positionals, help } = parseCommandArgs(command, rest);
  if (help) {
    ctx.stdout(commandHelp(command));
    return 0;
  }
  const result = await command.run({ values, positionals }, ctx);
  return result === 'running' ? undefined : result;
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function reportError(err: unknown, ctx: CliContext): number {
  const line = (text: string): void => ctx.stderr(scrubSecrets(`lunaroute: ${text}`) + '\n');
  if (isLunaRouteError(err, 'CLI_USAGE')) {
    const command = err.details.command;
    if (command) {
      line(`${command}: ${err.message} — see lunaroute ${command} --help`);
    } else {
      line(`${err.message} — see lunaroute --help`);
      if (!ctx.env.LUNAROUTE_DEBUG) ctx.stderr('\n' + mainHelp(COMMANDS, ctx.version));
    }
    return 2;
  }
  if (isLunaRouteError(err, 'CLI_FAILED')) {
    line(err.message);
    return err.details.exitCode;
  }
  // Configuration problems: the message names the file and key (or variable, or flag), exit 2.
  if (isLunaRouteError(err) && err.code.startsWith('CONFIG_')) {
    line(err.message);
    return 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  if (ctx.env.LUNAROUTE_DEBUG) {
    line(`unexpected error: ${message}`);
    ctx.stderr(scrubSecrets(err instanceof Error && err.stack ? err.stack : String(err)) + '\n');
  } else {
    line(`unexpected error: ${message} (run with LUNAROUTE_DEBUG=1 for the stack trace)`);
  }
  return 1;
}

function defaultContext(overrides: Partial<CliContext> = {}): CliContext {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    homeDir: homedir(),
    cwd: process.cwd(),
    version: VERSION,
    ...overrides,
    packageRoot: overrides.packageRoot ?? findPackageRoot(),
  };
}
