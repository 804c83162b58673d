// LunaRoute under test (its own process): the compiled core from dist/src-main started with startCore() and a
// test-like Config (loopback, port 0, temp data dir, silent logger) whose Anthropic and OpenAI upstreams point at
// the benchmark upstream given as argv[2]. argv[3] optionally names another compiled tree (a candidate patch) to
// load instead of the repo's dist/. Run with --cpu-prof (set by the parent) to profile the hot path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { serveIpc } from '../lib/child-ipc.js';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: lunaroute.js <upstream url> [<dist dir>]');
const dist = process.argv[3] ?? fileURLToPath(new URL('../../../dist', import.meta.url));
const { startCore } = await import(pathToFileURL(path.join(dist, 'src-main/app/core.js')).href);
const { silentLogger } = await import(pathToFileURL(path.join(dist, 'src-main/log.js')).href);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-bench-'));
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
  timeouts: { connectMs: 5_000, idleMs: 600_000, shutdownGraceMs: 500 },
  codex: { authFile: path.join(dataDir, 'no-codex', 'auth.json'), useAuthFile: true },
  logLevel: 'silent',
};

const core = await startCore(config, silentLogger);
serveIpc({
  port: core.port,
  stop: async () => {
    await core.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  },
});
