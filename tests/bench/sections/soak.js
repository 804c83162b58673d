// Benchmark section "soak" (issue #11): `lunaroute serve` (the real command, private data dir) under steady
// traffic for --minutes (default 30): --rate requests/s (default 50), alternating ~1 KB JSON requests and
// Claude Code turns (66–126 KB, SSE replies), plus --streams (default 20) long SSE streams that the fake upstream
// trickles out (an event every 500 ms, 5 minutes each, then the next one). Every 10 s it samples the process's
// RSS from /proc and the memory lines that LUNAROUTE_DEBUG_MEMORY makes the main thread and the recorder worker
// print (heapUsed, external, arrayBuffers, sql.js WASM heap), so growth can be attributed. It reports start,
// 5 min and end values and the slope over the last half (MB/min): a plateau is a slope near 0.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startChild } from '../lib/children.js';
import {
  dirBytes,
  httpGet,
  indexBytes,
  procIo,
  procStatus,
  startServe,
  writeBenchConfig,
} from '../lib/cli-child.js';
import { smallBody } from '../lib/history-data.js';
import { claudeCodeSession } from '../lib/claude-session.js';
import { anthropicHeaders } from '../lib/http-load.js';
import { round } from '../lib/stats.js';
import { formatTable } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';

export const name = 'soak';
export const description =
  'Steady traffic for N minutes (1 KB / ~80 KB requests, 20 long streams): where RSS goes, and whether it plateaus';

const MB = 2 ** 20;
const SAMPLE_MS = 10_000;
const MEMORY_PREFIX = 'lunaroute-memory ';
const TARGETS = { rssMb: 250, plateauMbPerMin: 0.5 };
const MAX_OUTSTANDING = 400;
const STREAM_EVENTS = 600;
const STREAM_GAP_MS = 500;

function request(agent, port, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Least-squares slope of y (MB) over t (ms), in MB per minute; null with fewer than 3 points. */
export function slopePerMinute(points) {
  if (points.length < 3) return null;
  const n = points.length;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

/** The memory components tracked, as functions of one sample (bytes, or null when not known). */
const COMPONENTS = {
  'process RSS (/proc VmRSS)': (s) => s.rss,
  'main thread: V8 heap used': (s) => s.main?.heapUsed,
  'main thread: external (Buffers…)': (s) => s.main?.external,
  '  main: of which arrayBuffers': (s) => s.main?.arrayBuffers,
  'worker: V8 heap used': (s) => s.worker?.heapUsed,
  'worker: external (incl. WASM)': (s) => s.worker?.external,
  '  worker: of which arrayBuffers': (s) => s.worker?.arrayBuffers,
  '  worker: of which WASM memory (sql.js…)': (s) =>
    s.worker?.wasm ? s.worker.wasm.reduce((a, b) => a + b, 0) : null,
  'RSS − (both V8 heaps total + both external)': (s) =>
    s.main && s.worker
      ? s.rss - s.main.heapTotal - s.worker.heapTotal - s.main.external - s.worker.external
      : null,
  'index on disk': (s) => s.indexBytes,
  'session files on disk': (s) => s.sessionsBytes,
};

export async function run(ctx) {
  const minutes = Number(ctx.flags.minutes ?? 30);
  const rate = Number(ctx.flags.rate ?? 50);
  const streams = Number(ctx.flags.streams ?? 20);
  const durationMs = minutes * 60_000;
  // --serve-env=MALLOC_ARENA_MAX=2,… : extra environment for the serve process (allocator experiments).
  const serveEnv = Object.fromEntries(
    String(ctx.flags['serve-env'] ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const root = fs.mkdtempSync(path.join(ctx.flags['data-root'] ?? os.tmpdir(), 'lunaroute-bench-soak-'));
  const dataDir = path.join(root, 'data');
  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  writeBenchConfig(dataDir, upstream.url);
  const latest = { main: null, worker: null };
  // --serve-log=FILE: every stderr line of serve, prefixed with the time since start (with --memory-ms=1000, a
  // finer memory trace to line up with the index's own log lines: partition roll-overs, rewrites).
  const serveLog = ctx.flags['serve-log'] ? fs.createWriteStream(String(ctx.flags['serve-log'])) : null;
  const logT0 = Date.now();
  const serve = await startServe(ctx.repoRoot, dataDir, {
    env: {
      ...serveEnv,
      LUNAROUTE_DEBUG_MEMORY: String(Number(ctx.flags['memory-ms'] ?? SAMPLE_MS)),
    },
    onStderr: (line) => {
      serveLog?.write(`${((Date.now() - logT0) / 1000).toFixed(1)} ${line}\n`);
      if (!line.startsWith(MEMORY_PREFIX)) return;
      try {
        const m = JSON.parse(line.slice(MEMORY_PREFIX.length));
        latest[m.thread] = m;
      } catch {
        // a torn line: the next one comes in 10 s
      }
    },
  });
  // The baseline is taken once both threads have logged with the index loaded (sql.js's WASM heap exists).
  const waitT0 = Date.now();
  while (!(latest.main && latest.worker?.wasm?.length) && Date.now() - waitT0 < 3 * SAMPLE_MS)
    await new Promise((r) => setTimeout(r, 200));
  ctx.log(
    `serve pid ${serve.pid} up in ${round(serve.startup.healthzMs, 0)} ms; ${minutes} min at ${rate} req/s + ${streams} long streams`,
  );

  const sessions = [1, 2, 3].map((seed) => claudeCodeSession(50, { seed }));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const streamAgent = new http.Agent({ keepAlive: true, maxSockets: streams + 2 });
  const counts = {
    sent: 0,
    done: 0,
    errors: 0,
    skipped: 0,
    outstanding: 0,
    streamsDone: 0,
    streamErrors: 0,
    bytesSent: 0,
  };
  let lastError = null;
  let running = true;
  const t0 = Date.now();

  // Open loop: request i goes out at t0 + i/rate, whatever the previous ones do (bounded outstanding).
  let i = 0;
  let smallSession = randomUUID();
  let claudeSession = randomUUID();
  let claudeTurn = 0;
  let claudeCycle = 0;
  const sendNext = () => {
    if (counts.outstanding >= MAX_OUTSTANDING) {
      counts.skipped += 1;
      return;
    }
    let headers;
    let body;
    if (i % 2 === 0) {
      if (i % 100 === 0) smallSession = randomUUID();
      body = smallBody(i);
      headers = { ...anthropicHeaders(body.length), 'x-claude-code-session-id': smallSession };
    } else {
      const s = sessions[claudeCycle % sessions.length];
      body = s.bodies[claudeTurn];
      headers = {
        ...anthropicHeaders(body.length),
        'x-claude-code-session-id': claudeSession,
        'x-bench-claude': `sse,${s.seed}`,
      };
      claudeTurn += 1;
      if (claudeTurn === s.bodies.length) {
        claudeTurn = 0;
        claudeCycle += 1;
        claudeSession = randomUUID();
      }
    }
    i += 1;
    counts.sent += 1;
    counts.outstanding += 1;
    counts.bytesSent += body.length;
    request(agent, serve.port, headers, body).then(
      () => {
        counts.done += 1;
        counts.outstanding -= 1;
      },
      (err) => {
        counts.errors += 1;
        counts.outstanding -= 1;
        lastError = err.message;
      },
    );
  };
  const loadTimer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) * rate) / 1000);
    while (running && i + counts.skipped < due) sendNext();
  }, 10);

  // Long streams: each slot streams, then starts the next, until the end.
  const streamLoops = Array.from({ length: streams }, async (_, slot) => {
    // Staggered so they do not all end together.
    await new Promise((r) => setTimeout(r, (slot * STREAM_EVENTS * STREAM_GAP_MS) / streams / 4));
    while (running) {
      const body = smallBody(100_000 + slot, true);
      try {
        await request(
          streamAgent,
          serve.port,
          {
            ...anthropicHeaders(body.length),
            accept: 'text/event-stream',
            'x-claude-code-session-id': randomUUID(),
            'x-bench-sse': `${STREAM_EVENTS},${STREAM_GAP_MS}`,
          },
          body,
        );
        counts.streamsDone += 1;
      } catch (err) {
        counts.streamErrors += 1;
        lastError = err.message;
        if (running) await new Promise((r) => setTimeout(r, 1000));
      }
    }
  });

  const samples = [];
  let disk = { indexBytes: null, sessionsBytes: null };
  // The recorder's own account on the proxy's /metrics: exchanges it dropped (it fell behind) and its queue.
  let recorder = { dropped: null, queueBytes: null, linesDropped: null };
  const metric = (text, name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const scrape = () =>
    httpGet(serve.port, '/metrics', 5000).then(
      (r) => {
        recorder = {
          dropped: metric(r.body, 'lunaroute_recorder_dropped_exchanges_total'),
          queueBytes: metric(r.body, 'lunaroute_recorder_queue_bytes'),
          linesDropped: metric(r.body, 'lunaroute_recorder_lines_dropped_total'),
        };
      },
      () => undefined,
    );
  const sample = (final = false) => {
    const st = procStatus(serve.pid);
    if (!st) return;
    const t = Date.now() - t0;
    if (samples.length % 6 === 0 || final)
      disk = {
        indexBytes: indexBytes(dataDir).bytes,
        sessionsBytes: dirBytes(path.join(dataDir, 'sessions')).bytes,
      };
    void scrape();
    samples.push({
      t,
      recorder,
      rss: st.rss,
      hwm: st.hwm,
      threads: st.threads,
      writeBytes: procIo(serve.pid)?.writeBytes ?? null,
      main: latest.main,
      worker: latest.worker,
      ...disk,
      ...counts,
    });
    if (samples.length % 6 === 1)
      ctx.log(
        `${(t / 60_000).toFixed(1)} min: RSS ${(st.rss / MB).toFixed(0)} MB, worker WASM ${
          latest.worker?.wasm ? (latest.worker.wasm.reduce((a, b) => a + b, 0) / MB).toFixed(0) : '?'
        } MB, main heap ${latest.main ? (latest.main.heapUsed / MB).toFixed(0) : '?'} MB; ${counts.done} done, ${counts.errors} errors, ${counts.skipped} skipped, ${counts.outstanding} outstanding; recorder dropped ${recorder.dropped}, queue ${((recorder.queueBytes ?? 0) / MB).toFixed(0)} MB`,
      );
  };
  sample();
  const sampleTimer = setInterval(() => sample(), SAMPLE_MS);
  await new Promise((r) => setTimeout(r, durationMs));
  await scrape();
  sample(true);
  running = false;
  clearInterval(loadTimer);
  clearInterval(sampleTimer);
  // Requests already sent finish first (at most 30 s); only the long streams are cut by the shutdown.
  const drainT0 = Date.now();
  while (counts.outstanding > 0 && Date.now() - drainT0 < 30_000)
    await new Promise((r) => setTimeout(r, 100));
  ctx.log('load stopped; stopping serve (the long streams in flight are cut by the shutdown)');
  const stopT = Date.now();
  await serve.stop(60_000);
  serveLog?.end();
  const stopMs = Date.now() - stopT;
  await Promise.allSettled(streamLoops);
  agent.destroy();
  streamAgent.destroy();
  await upstream.stop();
  upstream.kill();
  const finalIndexBytes = indexBytes(dataDir).bytes;
  const finalSessionsBytes = dirBytes(path.join(dataDir, 'sessions')).bytes;
  if (!ctx.flags.keep) fs.rmSync(root, { recursive: true, force: true });
  else ctx.log(`kept ${root}`);

  // Analysis.
  const at = (ms) =>
    samples.reduce((best, s) => (Math.abs(s.t - ms) < Math.abs(best.t - ms) ? s : best), samples[0]);
  const first = samples[0];
  const five = at(5 * 60_000);
  const last = samples[samples.length - 1];
  const secondHalf = samples.filter((s) => s.t >= last.t / 2);
  const components = {};
  const rows = [];
  for (const [label, f] of Object.entries(COMPONENTS)) {
    const mb = (s) => {
      const v = f(s);
      return v === null || v === undefined ? null : v / MB;
    };
    const pts = secondHalf.map((s) => ({ t: s.t, y: mb(s) })).filter((p) => p.y !== null);
    const slope = slopePerMinute(pts);
    const key = label.trim();
    components[key] = {
      startMb: round(mb(first), 1),
      fiveMinMb: round(mb(five), 1),
      endMb: round(mb(last), 1),
      slopeLastHalfMbPerMin: round(slope, 2),
    };
    const c = components[key];
    rows.push([label, c.startMb, c.fiveMinMb, c.endMb, c.slopeLastHalfMbPerMin]);
  }
  const elapsedMin = last.t / 60_000;
  const la = loadavg();
  const table = formatTable(
    `Soak: ${minutes} min, ${rate} req/s (1 KB / Claude Code turns) + ${streams} long streams — ${counts.done} requests done (${(counts.done / (last.t / 1000)).toFixed(1)}/s), ${counts.errors} errors, ${counts.skipped} not sent (over ${MAX_OUTSTANDING} outstanding), ${counts.streamsDone} long streams completed; the recorder dropped ${last.recorder?.dropped ?? '?'} exchanges (fell behind)${Object.keys(serveEnv).length ? `; serve env ${JSON.stringify(serveEnv)}` : ''}; load ${la['1m']} / ${la['5m']} / ${la['15m']}`,
    [
      'memory (MB)',
      'start',
      `${(five.t / 60_000).toFixed(1)} min`,
      `end (${elapsedMin.toFixed(1)} min)`,
      'slope, last half (MB/min)',
    ],
    rows,
  );
  // RSS swings with the collector and each partition's fill: its level over the last half, besides the last sample.
  const halfRss = secondHalf.map((s) => s.rss / MB).sort((x, y) => x - y);
  const q = (p) => round(halfRss[Math.min(halfRss.length - 1, Math.floor(p * halfRss.length))], 1);
  const lastHalfRss = { median: q(0.5), p95: q(0.95), max: round(halfRss[halfRss.length - 1], 1) };
  const rssSlope = components['process RSS (/proc VmRSS)'].slopeLastHalfMbPerMin;
  const endRss = components['process RSS (/proc VmRSS)'].endMb;
  const checks = [
    {
      name: 'Soak: RSS at the end (MB)',
      value: endRss,
      target: `<= ${TARGETS.rssMb}`,
      pass: endRss <= TARGETS.rssMb,
    },
    {
      name: `Soak: RSS over the last half, median (MB; p95 ${lastHalfRss.p95}, max ${lastHalfRss.max})`,
      value: lastHalfRss.median,
      target: `<= ${TARGETS.rssMb}`,
      pass: lastHalfRss.median <= TARGETS.rssMb,
    },
    {
      name: 'Soak: RSS slope over the last half (MB/min; plateau)',
      value: rssSlope,
      target: `<= ${TARGETS.plateauMbPerMin}`,
      pass: rssSlope !== null && rssSlope <= TARGETS.plateauMbPerMin,
    },
  ];
  return {
    tables: [table],
    results: {
      settings: { minutes, rate, streams, streamEvents: STREAM_EVENTS, streamGapMs: STREAM_GAP_MS, serveEnv },
      counts: { ...counts, lastError },
      peakRssMb: round(last.hwm / MB, 0),
      lastHalfRss,
      stopMs,
      finalIndexBytes,
      finalSessionsBytes,
      components,
      samples,
    },
    checks,
  };
}
