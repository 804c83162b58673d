// The real `lunaroute` command as a benchmark child: `node bin/lunaroute.js serve|reindex` with a private data
// dir and config file, talked to only through stable interfaces — the proxy port (/healthz, /v1/messages), the
// UI port's contract calls (`POST /api/call/<name>` with the page's token) and /proc/<pid> (VmRSS, VmHWM,
// write_bytes). Nothing here knows how the index is stored: its size is the data dir minus the session files.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';

const HOST = '127.0.0.1';

/** A free loopback port (bound then released; a race with another process is possible but rare). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The benchmark's config.yaml in `dataDir`: upstreams at the fake upstream, retention that never deletes or
 * compresses (the history must stay what was generated), no Codex auth file, warnings only.
 */
export function writeBenchConfig(dataDir, upstreamUrl, extra = '') {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const yaml = [
    `log_level: warn`,
    `upstreams:`,
    `  anthropic:`,
    `    url: ${upstreamUrl}`,
    `  openai:`,
    `    url: ${upstreamUrl}/v1`,
    `  chatgpt:`,
    `    url: ${upstreamUrl}/backend-api/codex`,
    `codex:`,
    `  use_auth_file: false`,
    `retention:`,
    `  max_age_days: 36500`,
    `  max_size_mb: 10000000`,
    `  compress_after_days: 0`,
    extra,
  ].join('\n');
  fs.writeFileSync(path.join(dataDir, 'config.yaml'), yaml + '\n', { mode: 0o600 });
}

// --- /proc ------------------------------------------------------------------------------------------------

/** VmRSS and VmHWM (peak RSS) of a process in bytes, or null once it is gone. */
export function procStatus(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM'), threads: Number(/^Threads:\s+(\d+)/m.exec(text)?.[1]) };
  } catch {
    return null;
  }
}

/** /proc/<pid>/io: bytes the process caused to be written to storage (write_bytes) and passed to write() (wchar). */
export function procIo(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const get = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
    return { writeBytes: get('write_bytes'), wchar: get('wchar'), readBytes: get('read_bytes') };
  } catch {
    return null;
  }
}

/** Total bytes of the regular files under `dir` (recursively), optionally skipping a top-level entry. */
export function dirBytes(dir, skip = new Set()) {
  let total = 0;
  let files = 0;
  if (!fs.existsSync(dir)) return { bytes: 0, files: 0 };
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const sub = dirBytes(p);
      total += sub.bytes;
      files += sub.files;
    } else if (e.isFile()) {
      total += fs.statSync(p).size;
      files += 1;
    }
  }
  return { bytes: total, files };
}

/**
 * What the index occupies on disk, whatever its layout: everything in the data dir except the session files
 * (sessions/), the config, settings and logs.
 */
export function indexBytes(dataDir) {
  return dirBytes(dataDir, new Set(['sessions', 'config.yaml', 'settings.json', 'ca', 'logs']));
}

// --- processes --------------------------------------------------------------------------------------------

function cliArgs(repoRoot, command, dataDir, extra) {
  return [path.join(repoRoot, 'bin/lunaroute.js'), command, `--data-dir=${dataDir}`, ...extra];
}

/**
 * Run `lunaroute reindex` to completion, sampling its peak RSS (VmHWM, read just before exit from /proc via
 * polling; the kernel's value is exact up to the last poll) every 100 ms.
 */
export async function runReindex(repoRoot, dataDir, { port, env = {} } = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, cliArgs(repoRoot, 'reindex', dataDir, [`--port=${port}`]), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let peak = 0;
  const sample = () => {
    const s = procStatus(child.pid);
    if (s && s.hwm > peak) peak = s.hwm;
  };
  const timer = setInterval(sample, 100);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`lunaroute reindex exited with ${code}: ${stderr.trim() || stdout.trim()}`);
  return { seconds, peakRss: peak, stdout: stdout.trim() };
}

/** Run a Node script to completion with the peak RSS sampled as runReindex does: { seconds, peakRss, stdout }. */
export async function runNodeScript(script, args) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  let peak = 0;
  const timer = setInterval(() => {
    const s = procStatus(child.pid);
    if (s && s.hwm > peak) peak = s.hwm;
  }, 100);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${path.basename(script)} exited with ${code}: ${stderr.trim()}`);
  return { seconds: (performance.now() - t0) / 1000, peakRss: peak, stdout: stdout.trim() };
}

/** GET a loopback URL; resolves { status, body } or rejects on a socket error. */
export function httpGet(port, pathName, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: pathName, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Start `lunaroute serve` on chosen free ports and measure its start-up: spawn → first 200 from /healthz
 * (polled every 5 ms), spawn → its ready line on stdout. `env` is added to the environment (e.g.
 * LUNAROUTE_DEBUG_MEMORY); stderr lines go to `onStderr`.
 */
export async function startServe(
  repoRoot,
  dataDir,
  { env = {}, onStderr = () => {}, startTimeoutMs = 120_000 } = {},
) {
  const port = await freePort();
  const uiPort = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    cliArgs(repoRoot, 'serve', dataDir, [`--port=${port}`, `--ui-port=${uiPort}`]),
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let exited = false;
  const exit = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  let stdout = '';
  let readyLineMs = null;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (readyLineMs === null && stdout.includes('\n')) readyLineMs = performance.now() - t0;
  });
  let errBuf = '';
  const stderrTail = [];
  child.stderr.on('data', (d) => {
    errBuf += d;
    let nl;
    while ((nl = errBuf.indexOf('\n')) >= 0) {
      const line = errBuf.slice(0, nl);
      errBuf = errBuf.slice(nl + 1);
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      onStderr(line);
    }
  });
  let healthzMs = null;
  while (healthzMs === null) {
    if (exited) throw new Error(`lunaroute serve exited at start-up: ${stderrTail.join('\n')}`);
    if (performance.now() - t0 > startTimeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`lunaroute serve did not answer /healthz within ${startTimeoutMs} ms`);
    }
    try {
      const r = await httpGet(port, '/healthz', 500);
      if (r.status === 200) healthzMs = performance.now() - t0;
    } catch {
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  const ui = await uiClient(uiPort, () => exited);
  // "Index ready": the first contract query answered (queries wait until the recorder has reconciled the index).
  await ui.call('stats.get', {});
  const indexReadyMs = performance.now() - t0;
  return {
    pid: child.pid,
    port,
    uiPort,
    ui,
    startup: { healthzMs, readyLineMs, indexReadyMs },
    stderrTail,
    /** SIGTERM (graceful stop: the recorder flushes), SIGKILL after `graceMs`. */
    async stop(graceMs = 30_000) {
      if (exited) return exit;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const r = await exit;
      clearTimeout(timer);
      return r;
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** A client of the UI port's contract: the token comes from the page, as the window gets it. */
export async function uiClient(uiPort, gone = () => false) {
  let page = null;
  const t0 = performance.now();
  while (!page) {
    try {
      page = await httpGet(uiPort, '/');
    } catch (err) {
      if (gone() || performance.now() - t0 > 30_000) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const token = /name="lunaroute-token"\s+content="([^"]+)"/.exec(page.body)?.[1];
  if (!token)
    throw new Error(
      `no lunaroute-token in the UI page (HTTP ${page.status}); is the renderer built (npm run build)?`,
    );
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  /** One contract call; resolves its value, rejects with the contract's error message. */
  const call = (name, args) =>
    new Promise((resolve, reject) => {
      const body = Buffer.from(JSON.stringify(args ?? {}));
      const req = http.request(
        {
          host: HOST,
          port: uiPort,
          method: 'POST',
          path: `/api/call/${name}`,
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-lunaroute-token': token,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            let msg;
            try {
              msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            } catch {
              return reject(new Error(`${name}: HTTP ${res.statusCode}, not JSON`));
            }
            if (msg.ok) resolve(msg.value);
            else reject(new Error(`${name}: ${msg.error?.code}: ${msg.error?.message}`));
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  /** Wall time of one call in ms (the value is dropped). */
  const timed = async (name, args) => {
    const t = performance.now();
    const value = await call(name, args);
    return { ms: performance.now() - t, value };
  };
  return { call, timed, close: () => agent.destroy() };
}
