// LunaRoute under test (its own process): the compiled core from dist/src-main started with startCore() and a
// test-like Config (loopback, port 0, silent logger) whose Anthropic and OpenAI upstreams point at the benchmark
// upstream given as argv[2]. A second positional argument optionally names another compiled tree (a candidate
// patch) to load instead of the repo's dist/. Options: --recording=on|off (default off: the proxy section
// measures the proxy alone), --redaction=<mode> (default mask), --data-dir=<dir> (kept at stop; default: a temp
// dir removed at stop). Run with --cpu-prof (set by the parent) to profile the hot path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { serveIpc } from '../lib/child-ipc.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const opts = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--') && a.includes('='))
    .map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
);
const upstream = positional[0];
if (!upstream)
  throw new Error(
    'usage: lunaroute.js <upstream url> [<dist dir>] [--recording=on|off] [--redaction=<mode>] [--data-dir=<dir>]',
  );
const dist = positional[1] ?? fileURLToPath(new URL('../../../dist', import.meta.url));
const { startCore } = await import(pathToFileURL(path.join(dist, 'src-main/app/core.js')).href);
const { silentLogger } = await import(pathToFileURL(path.join(dist, 'src-main/log.js')).href);
const ownDataDir = !opts['data-dir'];
const dataDir = opts['data-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-bench-'));
/** Mirrors tests/support/config.ts makeTestConfig(). */
const config = {
  host: '127.0.0.1',
  port: 0,
  uiPort: 0,
  dataDir,
  configFile: path.join(dataDir, 'config.yaml'),
  upstreams: {
    anthropic: { url: upstream, apiKey: '' },
    openai: { url: `${upstream}/v1`, apiKey: '' },
    chatgpt: { url: `${upstream}/backend-api/codex` },
  },
  proxy: { allowedHosts: [] },
  forward: { intercept: ['api.anthropic.com', 'api.openai.com', 'chatgpt.com'], tunnel: 'loopback' },
  timeouts: { connectMs: 5_000, idleMs: 600_000, shutdownGraceMs: 500 },
  codex: { authFile: path.join(dataDir, 'no-codex', 'auth.json'), useAuthFile: true },
  logLevel: 'silent',
  recording: { enabled: opts.recording === 'on', maxBodyBytes: 32 * 1024 * 1024 },
  redaction: { mode: opts.redaction ?? 'mask' },
  retention: { maxAgeDays: 30, maxSizeMb: 1024, compressAfterDays: 7, intervalMinutes: 60 },
};

const core = await startCore(config, silentLogger);
serveIpc({
  port: core.port,
  info: { uiPort: core.ui?.port ?? null, uiToken: core.ui?.token ?? null },
  stop: async () => {
    await core.stop();
    if (ownDataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  },
});
