// The recorder worker's work alone, in one process (no proxy, no sockets, no other threads competing): the
// exchange messages the proxy's thread would send for N sequential requests are fed to a RecorderEngine set up as
// src-main/recorder/worker.ts sets it up (JSONL writer, partitioned index, mask redaction), about one request per
// millisecond, and the process's CPU time (all threads) per request is reported. On a shared machine this is far
// steadier than the end-to-end cpu part, so it resolves single changes; run builds alternately and take medians.
// Usage: engine-bench.js <dist dir> <1KB|cc80k> <requests> [<warm-up requests>]; prints one JSON line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { anthropicHeaders, messagesBody } from '../lib/http-load.js';
import { anthropicSse, claudeCodeSession, turnOf } from '../lib/claude-session.js';
import { JSON_REPLY, JSON_REPLY_HEADERS, SSE_HEADERS } from '../lib/replies.js';

const [distArg, shape = '1KB', countArg = '2000', warmArg = '500'] = process.argv.slice(2);
if (!distArg) throw new Error('usage: engine-bench.js <dist dir> <1KB|cc80k> <requests> [<warm-up>]');
const dist = path.resolve(distArg);
const load = (f) => import(pathToFileURL(path.join(dist, f)).href);
const { RecorderEngine } = await load('src-main/recorder/engine.js');
const { PartitionedIndex } = await load('src-main/index/partitions.js');
const { SUMMARY_REFRESH_MS } = await load('src-main/index/summary-refresh.js');
const { JsonlWriter } = await load('src-main/storage/jsonl-writer.js');
const { buildRedactor } = await load('src-main/recorder/redactor.js');
const { buildPrices } = await load('src-main/analytics/prices.js');

const COUNT = Number(countArg);
const WARM = Number(warmArg);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-engine-bench-'));
const sessionsDir = path.join(dataDir, 'sessions');
fs.mkdirSync(sessionsDir, { recursive: true });
const prices = buildPrices({});
const db = await PartitionedIndex.open({
  dataDir,
  saveIntervalMs: 3_000,
  onError: () => {},
  prices,
  log: () => {},
  summaryRefreshMs: SUMMARY_REFRESH_MS,
});
const sink = new JsonlWriter({ flushIntervalMs: 100, onError: () => {} });
const engine = new RecorderEngine({
  sessionsDir,
  sink,
  index: db,
  redactor: buildRedactor(dataDir, { mode: 'mask' }),
  maxBodyBytes: 32 * 1024 * 1024,
  onLine: () => {},
  log: () => {},
  prices,
});

// What the bench upstream answers (children/upstream.js, lib/replies.js): the JSON message, or the turn's SSE reply.
const chat = Buffer.from(messagesBody(1024));
const sessions = new Map();
/** The i-th request: its headers, body, response head and response chunks (as recording-cpu.js shapes them). */
function exchange(i) {
  if (shape === '1KB') {
    return {
      headers: { ...anthropicHeaders(chat.length), 'x-claude-code-session-id': 'bench-cpu-1k' },
      body: [chat],
      status: 200,
      resHeaders: JSON_REPLY_HEADERS,
      response: [JSON_REPLY],
    };
  }
  const seed = 1000 + Math.floor(i / 7);
  let s = sessions.get(seed);
  if (!s) {
    s = claudeCodeSession(10, { seed, sessionId: `bench-cpu-${seed}` });
    sessions.set(seed, s);
    if (sessions.size > 64) sessions.delete(sessions.keys().next().value);
  }
  const body = Buffer.from(s.bodies[3 + (i % 7)]);
  const events = anthropicSse(turnOf(JSON.parse(body.toString('utf8'))), seed).map((e) => Buffer.from(e));
  // The proxy reads a socket in up-to-64 KB chunks; an SSE reply arrives in a few.
  const sse = Buffer.concat(events);
  const response = [];
  for (let at = 0; at < sse.length; at += 16 * 1024) response.push(sse.subarray(at, at + 16 * 1024));
  const parts = [];
  for (let at = 0; at < body.length; at += 64 * 1024) parts.push(body.subarray(at, at + 64 * 1024));
  return {
    headers: { ...anthropicHeaders(body.length), 'x-claude-code-session-id': s.sessionId },
    body: parts,
    status: 200,
    resHeaders: { ...SSE_HEADERS, 'request-id': `req_01Bench${String(i).padStart(16, '0')}` },
    response,
  };
}

/** The messages of one exchange, in the two posts the proxy's thread makes (request; response). */
/** Parts as views of one buffer, as the proxy's thread hands chunks over (packed, transferred). */
function packed(parts) {
  const all = Buffer.concat(parts);
  const views = [];
  for (let at = 0, k = 0; k < parts.length; at += parts[k].length, k++)
    views.push(all.subarray(at, at + parts[k].length));
  return views;
}

function messages(i, x) {
  const id = `bench-${i}`;
  const reqViews = x.body;
  const resViews = x.response;
  return [
    [
      {
        t: 'open',
        id,
        dialect: 'anthropic',
        endpoint: 'messages',
        transport: 'http',
        method: 'POST',
        url: '/v1/messages',
        upstreamUrl: 'http://127.0.0.1:9/v1/messages',
        headers: { ...x.headers, host: '127.0.0.1:8081', connection: 'keep-alive' },
        credentialSource: 'client',
        startedAt: Date.now(),
      },
      ...reqViews.map((c) => ({ t: 'rq', id, c })),
      { t: 'rqEnd', id, ms: 0.2 },
    ],
    [
      { t: 'head', id, status: x.status, headers: x.resHeaders, ms: 0.6 },
      ...resViews.map((c, k) => ({ t: 'rs', id, c, ms: 0.7 + k * 0.01 })),
      { t: 'end', id, end: { kind: 'completed' }, ms: 0.9, dispatchMs: 0.25, overheadMs: 0.1 },
    ],
  ];
}

const total = WARM + COUNT;
// Built before the clock starts: making a Claude Code turn (parsing its 80 KB body for the reply) is the load
// generator's work, not the recorder's. Messages are built per request from these bytes (cheap).
const exchanges = Array.from({ length: total }, (_, i) => {
  const x = exchange(i);
  return { ...x, body: packed(x.body), response: packed(x.response) };
});
sessions.clear();
let c0 = null;
for (let i = 0; i < total; i++) {
  if (i === WARM) {
    await new Promise((r) => setTimeout(r, 1_500));
    c0 = process.cpuUsage();
  }
  for (const batch of messages(i, exchanges[i])) for (const m of batch) engine.handle(m);
  exchanges[i] = null;
  // About one request per millisecond, like the sequential end-to-end run (the writer and index batch by time).
  if (i % 10 === 9) await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, 1_500));
await engine.settle();
await sink.flush();
await engine.flushIndex();
const d = process.cpuUsage(c0);
const bytes = fs
  .readdirSync(sessionsDir, { recursive: true })
  .map((f) => path.join(sessionsDir, f))
  .filter((f) => f.endsWith('.jsonl'))
  .reduce((n, f) => n + fs.statSync(f).size, 0);
await engine.close();
await sink.close(1_500);
await db.close();
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    shape,
    requests: COUNT,
    cpuUsPerReq: (d.user + d.system) / COUNT,
    userUsPerReq: d.user / COUNT,
    jsonlBytes: bytes,
  }),
);
