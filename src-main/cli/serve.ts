// `lunaroute serve`: load the config, start the core, print one ready line on stdout (logs go to stderr), apply
// edits of config.yaml while running, and shut down in order on SIGINT/SIGTERM. A second signal exits at once.
// A taken port is a one-line error.
import { startCore, type CoreHandle } from '../app/core.js';
import { applyConfigEdit } from '../app/reload.js';
import { isLunaRouteError } from '../../src-shared/errors.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { watchConfigFile, type ConfigWatch } from '../config/watch.js';
import { createLogger, type Logger } from '../log.js';
import { cliError, type CliContext, type Command, type CommandResult, type OptionValues } from './command.js';
import { CONFIG_OPTIONS, configFlags } from './config-options.js';

/** The one line `serve` prints on stdout once the proxy accepts connections; `env` and tests parse it. */
export function readyLine(proxyUrl: string, config: Config): string {
  return (
    `LunaRoute listening on ${proxyUrl} — Anthropic → ${config.upstreams.anthropic.url}, ` +
    `OpenAI → ${config.upstreams.openai.url}`
  );
}

export function portInUseMessage(host: string, port: number): string {
  return `${host}:${port} is already in use by another program (is LunaRoute already running? try --port)`;
}

/** Resolve the config and print its warnings; shared by commands that take the config flags. */
export function loadConfigForCli(values: OptionValues, ctx: CliContext): Config {
  const { config, warnings } = loadConfig({
    flags: configFlags(values),
    env: ctx.env,
    homeDir: ctx.homeDir,
    cwd: ctx.cwd,
  });
  for (const w of warnings) ctx.stderr(`lunaroute: warning: ${w}\n`);
  return config;
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the proxy in the foreground (Ctrl-C stops it)',
  description:
    'Start the LunaRoute proxy and keep it running. Prints one line on stdout when it is ready; logs go\n' +
    'to stderr. SIGINT/SIGTERM stop it gracefully (a second signal quits at once).',
  options: CONFIG_OPTIONS,
  notes: [
    'Precedence: built-in defaults < config file < LUNAROUTE_* environment < flags.',
    'Keys without a flag (API keys, timeouts, codex.*) are set in the config file or the environment.',
  ],
  async run({ values }, ctx): Promise<CommandResult> {
    const config = loadConfigForCli(values, ctx);
    if (ctx.serveNotice) ctx.stderr(ctx.serveNotice(config) + '\n');
    const logger = createLogger(config.logLevel, (line) => ctx.stderr(line + '\n'));

    let handle: CoreHandle;
    try {
      handle = await startCore(config, logger);
    } catch (err) {
      if (isLunaRouteError(err, 'PROXY_PORT_IN_USE')) {
        throw cliError(portInUseMessage(err.details.host, err.details.port), 1);
      }
      throw err;
    }
    ctx.stdout(readyLine(handle.proxyUrl, config) + (handle.ui ? ` — UI ${handle.ui.url}` : '') + '\n');
    const watcher = watchConfig(handle, config, values, ctx, logger);
    installSignalHandlers(handle, config, ctx, () => watcher.close());
    return 'running';
  },
};

/** Edits of config.yaml apply to the running server, as in the desktop app; a broken edit keeps the old config. */
function watchConfig(
  handle: CoreHandle,
  start: Config,
  values: OptionValues,
  ctx: CliContext,
  logger: Logger,
): ConfigWatch {
  let current = start;
  const quiet: CliContext = { ...ctx, stderr: (text) => logger.warn(text.trim()) };
  return watchConfigFile({
    file: start.configFile,
    load: () => loadConfigForCli(values, quiet),
    onChange: (next) => {
      const r = applyConfigEdit(handle, current, next);
      current = r.config;
      logger.info(
        `${start.configFile} changed: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing to apply live'}`,
      );
      if (r.restart.length) logger.warn(`restart lunaroute to apply: ${r.restart.join(', ')}`);
    },
    onInvalid: (message) =>
      logger.error(`${start.configFile} not applied (the running config stays): ${message}`),
  });
}

function installSignalHandlers(
  handle: CoreHandle,
  config: Config,
  ctx: CliContext,
  beforeStop: () => Promise<void>,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      ctx.stderr(`lunaroute: ${signal} again — exiting now\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    stopping = true;
    ctx.stderr(`lunaroute: ${signal} received — stopping (send it again to exit at once)\n`);
    // Safety net: stop() has its own grace period; if it still hangs, do not hang the terminal forever.
    const deadline = setTimeout(() => {
      ctx.stderr('lunaroute: shutdown did not finish in time — exiting\n');
      process.exit(1);
    }, config.timeouts.shutdownGraceMs + 5000);
    deadline.unref();
    void beforeStop().catch(() => undefined);
    handle.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        ctx.stderr(`lunaroute: error while stopping: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
