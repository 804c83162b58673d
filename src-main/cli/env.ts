// `lunaroute env`: make sure a LunaRoute answers on the configured port (reuse a running one, or start
// `lunaroute serve` detached with output appended to <dataDir>/lunaroute.log), then print the shell exports
// for `eval "$(lunaroute env)"`: base URLs (`--mode base`, the default) or `HTTPS_PROXY` and the CA to trust
// (`--mode forward`, which creates the CA if needed). Only the exports and `#` comments go to stdout; progress
// goes to stderr. Comments come last and contain no glob characters, so an unquoted `eval $(lunaroute env)`
// works too.
import { spawn } from 'node:child_process';
import { closeSync, fchmodSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { caCovers, ensureCa } from '../ca/store.js';
import type { Config } from '../config/types.js';
import { baseUrlExports, forwardExports } from '../../src-shared/shell-exports.js';
import { cliError, usageError, type CliContext, type Command, type CommandResult } from './command.js';
import { CONFIG_OPTIONS, configFlagArgs } from './config-options.js';
import { dialHost, httpOrigin, probeHealth, type HealthProbe } from './health.js';
import { loadConfigForCli } from './serve.js';

const START_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;
export const LOG_FILE_NAME = 'lunaroute.log';

export const ENV_MODES = ['base', 'forward'] as const;
export type EnvMode = (typeof ENV_MODES)[number];

export const envCommand: Command = {
  name: 'env',
  summary:
    'Print shell exports for Claude Code, Codex and OpenCode (starts LunaRoute in the background if needed)',
  description:
    'Use as: eval "$(lunaroute env)". If LunaRoute already answers on the port it is reused; if the port is\n' +
    'free, `lunaroute serve` is started in the background with the same options (output appended to\n' +
    `<data dir>/${LOG_FILE_NAME}).\n` +
    '--mode base (default): ANTHROPIC_BASE_URL / OPENAI_BASE_URL point the clients at LunaRoute.\n' +
    '--mode forward: HTTPS_PROXY plus the LunaRoute CA to trust (created if needed); clients keep their\n' +
    'official base URLs and only the model hosts (forward.intercept) are decrypted and recorded.',
  options: [
    ...CONFIG_OPTIONS,
    {
      name: 'mode',
      type: 'string',
      valueName: 'mode',
      description: `Which exports: ${ENV_MODES.join(' or ')}`,
      defaultText: 'base',
    },
  ],
  async run({ values }, ctx): Promise<CommandResult> {
    const mode = values.mode ?? 'base';
    if (!ENV_MODES.includes(mode as EnvMode))
      throw usageError(`--mode must be ${ENV_MODES.join(' or ')}, not '${String(mode)}'`, 'env');
    const config = loadConfigForCli(values, ctx);
    if (config.port === 0) {
      throw usageError('needs a fixed port (port 0 picks a different free port on every start)', 'env');
    }
    const host = dialHost(config.host);
    const origin = httpOrigin(host, config.port);
    const probe = await probeHealth(host, config.port);
    if (probe.kind === 'lunaroute') {
      ctx.stderr(
        `lunaroute: using LunaRoute ${probe.version}${pidText(probe)} already running on ${origin}\n`,
      );
    } else if (probe.kind === 'other') {
      throw cliError(
        `${config.host}:${config.port} is busy with another program (not LunaRoute: ${probe.detail}); choose another port with --port`,
      );
    } else {
      await startInBackground(config, configFlagArgs(values), host, origin, ctx);
    }
    if (mode === 'forward') {
      const { ca, created } = await ensureCa(config.dataDir, config.forward.intercept);
      if (created) ctx.stderr(`lunaroute: created the forward-proxy CA ${ca.paths.cert}\n`);
      const missing = config.forward.intercept.filter((h) => !caCovers(ca, h));
      if (missing.length > 0)
        ctx.stderr(
          `lunaroute: warning: the CA may not issue for ${missing.join(', ')} (forward.intercept changed) — run \`lunaroute ca rotate\`\n`,
        );
      ctx.stdout(forwardExports(origin, ca.paths.cert, config.forward.intercept));
    } else {
      ctx.stdout(baseUrlExports(origin));
    }
    return 0;
  },
};

function pidText(probe: HealthProbe): string {
  return probe.kind === 'lunaroute' && probe.pid !== undefined ? ` (pid ${probe.pid})` : '';
}

async function startInBackground(
  config: Config,
  flagArgs: string[],
  host: string,
  origin: string,
  ctx: CliContext,
): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const logFile = join(config.dataDir, LOG_FILE_NAME);
  const fd = openSync(logFile, 'a', 0o600);
  let logStart: number;
  let child;
  try {
    fchmodSync(fd, 0o600); // an existing log keeps its mode otherwise; it may hold request details
    writeSync(
      fd,
      `--- ${new Date().toISOString()} lunaroute env: starting lunaroute serve ${flagArgs.join(' ')}\n`,
    );
    logStart = fstatSync(fd).size;
    const bin = join(ctx.packageRoot, 'bin', 'lunaroute.js');
    child = spawn(process.execPath, [bin, 'serve', ...flagArgs], {
      detached: true,
      stdio: ['ignore', fd, fd],
      cwd: ctx.cwd,
      env: { ...ctx.env },
    });
  } finally {
    closeSync(fd);
  }
  ctx.stderr(`lunaroute: starting LunaRoute in the background on ${origin} (log: ${logFile})\n`);

  let exitCode: number | null | undefined;
  child.on('exit', (code, signal) => (exitCode = code ?? (signal ? 128 : null)));
  child.on('error', (err) => {
    exitCode = -1;
    ctx.stderr(`lunaroute: cannot start ${process.execPath}: ${err.message}\n`);
  });
  child.unref();

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const probe = await probeHealth(host, config.port, 1000);
    // Another `env` may have won a start race: any LunaRoute on the port will do.
    if (probe.kind === 'lunaroute') {
      ctx.stderr(`lunaroute: LunaRoute ${probe.version}${pidText(probe)} is ready on ${origin}\n`);
      return;
    }
    if (exitCode !== undefined) {
      const last = lastLine(logFile, logStart);
      throw cliError(
        `the background server exited (code ${exitCode})${last ? `: ${last}` : ''} — see ${logFile}`,
      );
    }
    if (Date.now() > deadline) {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
      throw cliError(
        `LunaRoute did not answer on ${origin} within ${START_TIMEOUT_MS / 1000} s — see ${logFile}`,
      );
    }
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

/** The last non-empty line the child wrote to the log (it explains why it exited). */
function lastLine(file: string, from: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const start = Math.max(from, size - 4096);
      const buf = Buffer.alloc(size - start);
      readSync(fd, buf, 0, buf.length, start);
      const lines = buf
        .toString('utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return lines.at(-1) ?? '';
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}
