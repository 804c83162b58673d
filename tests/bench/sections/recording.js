// Benchmark section "recording" (issues 3, 4 and 12), parts selectable with --parts=cpu,disk,cost,index,engine
// (default: the first four):
//  cpu:   CPU per request of the whole process (/proc) and added p50/p99, bare http-proxy vs recording off vs
//         recording + mask, 1 KB chat and ≈80 KB Claude Code SSE turns (lib/recording-cpu.js; --cpu-count=N);
//  disk:  JSONL bytes per request of a 50-turn Claude-Code-like session sent through LunaRoute (recording on,
//         redaction mask), with a breakdown by line type and the bytes the client sent;
//  cost:  LunaRoute with recording off / on (redaction off) / on (redaction mask) vs direct: added latency
//         (1 KB, 80 KB, Claude-Code session replay), throughput at c=16, CPU per request (all threads), RSS;
//  index: listSessions / getSession / FTS search over an index of 100 k sessions, db size, export and re-open;
//  engine: the recorder worker's CPU per request alone, this build and --cpu-dist builds alternately
//         (lib/recording-engine.js).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { startChild, cpuDeltaUs } from '../lib/children.js';
import {
  anthropicHeaders,
  messagesBody,
  keepAliveAgent,
  timedPost,
  throughput,
  requestsSentTo,
} from '../lib/http-load.js';
import { claudeCodeSession } from '../lib/claude-session.js';
import { summarize, median, round } from '../lib/stats.js';
import { formatTable, ms, verdict } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';
import { cpuPart } from '../lib/recording-cpu.js';
import { enginePart } from '../lib/recording-engine.js';

export const name = 'recording';
export const description =
  'Disk bytes per request (50-turn Claude Code session), recording/redaction cost on the proxy, index queries at 100 k sessions';

const TARGETS = {
  bytesPerRequest: 3 * 1024,
  // Issue #12's disk bar and goal (3.2 / 2.5 KB per request) were set on a session whose distinct content was
  // ~2.1 KB per request (4.7 KB written, 2.6 KB of it request and response lines): as ratios to that floor,
  // 1.52× and 1.19×. This benchmark's session carries more distinct content, so the ratio is what is judged.
  floorRatio: { bar: 3.2 / 2.1, goal: 2.5 / 2.1 },
  redactionLatencyRatio: 1.1,
  listMs: 50,
};
const TURNS = 50;
const CONFIGS = {
  off: { label: 'recording off', args: ['--recording=off'] },
  raw: { label: 'recording on, redaction off', args: ['--recording=on', '--redaction=off'] },
  mask: { label: 'recording on, redaction mask', args: ['--recording=on', '--redaction=mask'] },
};
const PATHS = ['direct', 'off', 'raw', 'mask'];
const LABEL = {
  direct: 'direct',
  ...Object.fromEntries(Object.entries(CONFIGS).map(([k, v]) => [k, v.label])),
};

function settings(flags) {
  const quick = Boolean(flags.quick);
  const num = (key, dflt) => (flags[key] !== undefined ? Number(flags[key]) : dflt);
  return {
    quick,
    parts: String(flags.parts ?? 'cpu,disk,cost,index').split(','),
    rounds: num('rounds', quick ? 2 : 3),
    warmupFirst: num('warmup', quick ? 100 : 200),
    warmupLater: quick ? 30 : 60,
    count1k: num('count', quick ? 300 : 1000),
    count80k: num('count80k', quick ? 150 : 400),
    sessionsPerRound: quick ? 1 : 2,
    slices: num('slices', quick ? 2 : 4),
    concurrency: 16,
    tpDurationMs: num('duration', quick ? 800 : 1600),
    tpWarmupMs: quick ? 200 : 400,
    indexSessions: num('index-sessions', 100_000),
    indexRequests: num('index-requests', 300_000),
    indexReps: quick ? 10 : 30,
  };
}

const claudeHeaders = (len, sessionId, seed) => ({
  ...anthropicHeaders(len),
  accept: 'application/json',
  'x-claude-code-session-id': sessionId,
  'x-bench-claude': `sse,${seed}`,
});

/** All *.jsonl files under `dir`. */
function jsonlFiles(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith('.jsonl')) out.push(path.join(e.parentPath ?? e.path, e.name));
  return out;
}

export async function run(ctx) {
  const s = settings(ctx.flags);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-bench-rec-'));
  const tables = [];
  const checks = [];
  const results = { settings: s, targets: TARGETS };
  try {
    if (s.parts.includes('cpu')) await cpuPart(ctx, s, tmp, results, tables, checks);
    if (s.parts.includes('disk')) await diskPart(ctx, tmp, results, tables, checks);
    if (s.parts.includes('cost')) await costPart(ctx, s, tmp, results, tables, checks);
    if (s.parts.includes('index')) await indexPart(ctx, s, tmp, results, tables, checks);
    if (s.parts.includes('engine')) await enginePart(ctx, results, tables);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { tables, results, checks };
}

// ---------------------------------------------------------------------------------------------------------------
// disk: bytes per request of one 50-turn session

async function diskPart(ctx, tmp, results, tables, checks) {
  const dataDir = path.join(tmp, 'disk');
  fs.mkdirSync(dataDir);
  const session = claudeCodeSession(TURNS, { seed: 1 });
  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  let lr = null;
  try {
    lr = await startChild(
      path.join(ctx.benchDir, 'children/lunaroute.js'),
      [upstream.url, ...CONFIGS.mask.args, `--data-dir=${dataDir}`],
      { name: 'lunaroute-disk' },
    );
    ctx.log(`disk: sending a ${TURNS}-turn Claude Code session through LunaRoute (recording on, mask)`);
    const agent = keepAliveAgent(1);
    const latencies = [];
    for (const body of session.bodies)
      latencies.push(
        await timedPost(
          agent,
          lr.port,
          '/v1/messages',
          claudeHeaders(body.length, session.sessionId, session.seed),
          body,
        ),
      );
    agent.destroy();
    await lr.stop(); // flushes the recorder (JSONL and index)
  } finally {
    lr?.kill();
    await upstream.stop();
    upstream.kill();
  }

  const files = jsonlFiles(path.join(dataDir, 'sessions'));
  if (ctx.flags['keep-jsonl']) {
    // --keep-jsonl=<dir>: keep the session file for a look at its lines.
    fs.mkdirSync(String(ctx.flags['keep-jsonl']), { recursive: true });
    for (const f of files) fs.copyFileSync(f, path.join(String(ctx.flags['keep-jsonl']), path.basename(f)));
  }
  const text = files.map((f) => fs.readFileSync(f, 'utf8')).join('');
  const jsonlBytes = Buffer.byteLength(text);
  const gzBytes = zlib.gzipSync(text).length;
  const clientBytes = session.bodies.reduce((a, b) => a + b.length, 0);
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ l, o: JSON.parse(l) }));
  const byKind = new Map();
  const add = (k, bytes) => {
    const e = byKind.get(k) ?? { lines: 0, bytes: 0 };
    e.lines += 1;
    e.bytes += bytes;
    byKind.set(k, e);
  };
  // Request and response lines broken down by field (bytes of `"key":value,`).
  const fieldBytes = { request: new Map(), response: new Map() };
  for (const { l, o } of lines) {
    add(o.type === 'block' ? `block:${o.kind}` : o.type, Buffer.byteLength(l) + 1);
    if (o.type === 'request' || o.type === 'response') {
      for (const [k, v] of Object.entries(o)) {
        const m = fieldBytes[o.type];
        m.set(k, (m.get(k) ?? 0) + Buffer.byteLength(JSON.stringify(v)) + k.length + 4);
      }
    }
  }
  // What a lossless record cannot avoid: each distinct message (cache_control ignored), system and tools once.
  const seen = new Set();
  let novel = 0;
  const strip = (m) =>
    JSON.stringify(
      Array.isArray(m.content)
        ? {
            ...m,
            content: m.content.map((b) =>
              Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'cache_control')),
            ),
          }
        : m,
    );
  for (const body of session.bodies) {
    const b = JSON.parse(body.toString('utf8'));
    for (const part of [JSON.stringify(b.system), JSON.stringify(b.tools), ...b.messages.map(strip)]) {
      if (!seen.has(part)) {
        seen.add(part);
        novel += Buffer.byteLength(part);
      }
    }
  }
  // Lossless check: the last request's body, read back through the reader (lean lines filled in) and rebuilt
  // from the file's blocks, equals what the client sent.
  const { rebuildBody } = await import(
    pathToFileURL(path.join(ctx.repoRoot, 'dist/src-main/recorder/parse/blocks.js')).href
  );
  const { readSessionFile } = await import(
    pathToFileURL(path.join(ctx.repoRoot, 'dist/src-main/index/reindex.js')).href
  );
  const blocks = new Map(lines.filter((x) => x.o.type === 'block').map((x) => [x.o.hash, x.o.value]));
  // Lines in the full shape (what every reader sees; lean v2 lines are filled in from blocks and defaults).
  const full = files.length === 1 ? (await readSessionFile(files[0])).lines : [];
  const requests = full.filter((l) => l.type === 'request');
  const responses = full.filter((l) => l.type === 'response');
  let rebuiltEqual = null;
  const last = requests.at(-1);
  if (last) {
    try {
      const rebuilt = rebuildBody(last.dialect, last.endpoint, last.body, blocks);
      rebuiltEqual = isDeepStrictEqual(rebuilt, JSON.parse(session.bodies.at(-1).toString('utf8')));
    } catch (err) {
      rebuiltEqual = `rebuild failed: ${err.message}`;
    }
  }
  const perReq = jsonlBytes / TURNS;
  results.disk = {
    turns: TURNS,
    files: files.length,
    requestLines: requests.length,
    completedResponses: responses.filter((r) => r.outcome === 'completed').length,
    jsonlBytes,
    bytesPerRequest: round(perReq, 0),
    gzipBytes: gzBytes,
    gzipBytesPerRequest: round(gzBytes / TURNS, 0),
    clientBodyBytes: clientBytes,
    clientToDiskRatio: round(clientBytes / jsonlBytes, 1),
    novelContentBytes: novel,
    novelBytesPerRequest: round(novel / TURNS, 0),
    lastBodyRebuiltEqual: rebuiltEqual,
    byKind: Object.fromEntries(byKind),
    requestFields: Object.fromEntries(fieldBytes.request),
    responseFields: Object.fromEntries(fieldBytes.response),
    loadavg: loadavg(),
  };
  const kb = (b) => (b / 1024).toFixed(2);
  tables.push(
    formatTable(
      `Disk per request: ${TURNS}-turn Claude Code session (system ~20 KB, tools ~40 KB, bodies ${kb(session.bodies[0].length)} → ${kb(session.bodies.at(-1).length)} KB), recording on, redaction mask; load ${Object.values(loadavg()).join(' / ')}`,
      ['measure', 'total KB', 'KB / request', 'target'],
      [
        [
          'session JSONL (before compression)',
          kb(jsonlBytes),
          kb(perReq),
          `≤ ${kb(TARGETS.bytesPerRequest)} ${verdict(perReq <= TARGETS.bytesPerRequest)}`,
        ],
        ['  same, gzip -6 (for reference)', kb(gzBytes), kb(gzBytes / TURNS), null],
        [
          'client request bodies sent',
          kb(clientBytes),
          kb(clientBytes / TURNS),
          `ratio ${results.disk.clientToDiskRatio}×`,
        ],
        ['distinct content sent (lossless floor)', kb(novel), kb(novel / TURNS), null],
        [
          `lines: ${requests.length} requests, ${results.disk.completedResponses} completed responses; last body rebuilt identical: ${rebuiltEqual}`,
          null,
          null,
          null,
        ],
      ],
    ),
  );
  tables.push(
    formatTable(
      'JSONL bytes by line type (block:<kind> = content-addressed blocks)',
      ['line type', 'lines', 'KB', 'KB / request', 'share'],
      [...byKind.entries()]
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .map(([k, v]) => [
          k,
          v.lines,
          kb(v.bytes),
          kb(v.bytes / TURNS),
          `${((100 * v.bytes) / jsonlBytes).toFixed(1)}%`,
        ]),
    ),
  );
  // A plain streamed turn (a text answer, no tool call): its request and response lines as stored, without the
  // blocks they refer to (content written once for the whole session).
  const lineBytes = new Map(lines.map((x) => [`${x.o.type}:${x.o.id}`, Buffer.byteLength(x.l) + 1]));
  const plain = responses
    .filter((r) => r.stop_reason === 'end_turn')
    .map((r) => ({
      request: lineBytes.get(`request:${r.id}`) ?? 0,
      response: lineBytes.get(`response:${r.id}`) ?? 0,
    }));
  const plainMedian = (k) => median(plain.map((p) => p[k]));
  results.disk.plainTurn = {
    turns: plain.length,
    requestLineBytes: plainMedian('request'),
    responseLineBytes: plainMedian('response'),
    metadataBytes: median(plain.map((p) => p.request + p.response)),
  };
  tables.push(
    formatTable(
      `A plain streamed turn (text answer): request + response line bytes as stored, median of ${plain.length}`,
      ['request line', 'response line', 'together', 'target'],
      [
        [
          results.disk.plainTurn.requestLineBytes,
          results.disk.plainTurn.responseLineBytes,
          results.disk.plainTurn.metadataBytes,
          `≤ 600 ${verdict(results.disk.plainTurn.metadataBytes <= 600)}`,
        ],
      ],
    ),
  );
  const fieldRows = (type) =>
    [...fieldBytes[type].entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8)
      .map(([k, v]) => [`${type}.${k}`, kb(v), Math.round(v / TURNS)]);
  tables.push(
    formatTable(
      'Largest fields of request and response lines',
      ['field', 'KB', 'bytes / request'],
      [...fieldRows('request'), ...fieldRows('response')],
    ),
  );
  checks.push({
    name: 'JSONL bytes per request, 50-turn Claude Code session (KB)',
    value: round(perReq / 1024, 2),
    target: `<= ${TARGETS.bytesPerRequest / 1024}`,
    pass: perReq <= TARGETS.bytesPerRequest,
  });
  const ratio = perReq / (novel / TURNS);
  checks.push({
    name: `JSONL per request over the session's distinct content per request (${kb(novel / TURNS)} KB; #12: bar ${round(TARGETS.floorRatio.bar, 2)}×, goal ${round(TARGETS.floorRatio.goal, 2)}×)`,
    value: round(ratio, 3),
    target: `<= ${round(TARGETS.floorRatio.bar, 2)} (goal <= ${round(TARGETS.floorRatio.goal, 2)}) ${verdict(ratio <= TARGETS.floorRatio.goal)}`,
    pass: ratio <= TARGETS.floorRatio.bar,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// cost: recording off / on / on + mask on the proxy benchmark's load shapes

async function costPart(ctx, s, tmp, results, tables, checks) {
  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  const children = { upstream };
  const dataDirs = {};
  try {
    for (const p of PATHS.slice(1)) {
      dataDirs[p] = path.join(tmp, `cost-${p}`);
      fs.mkdirSync(dataDirs[p]);
      children[p] = await startChild(
        path.join(ctx.benchDir, 'children/lunaroute.js'),
        [upstream.url, ...CONFIGS[p].args, `--data-dir=${dataDirs[p]}`],
        {
          name: `lunaroute-${p}`,
          execArgv: ctx.flags['cpu-prof']
            ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ctx.resultsDir, 'profiles', `recording-${p}`)}`]
            : [],
        },
      );
    }
    const port = { direct: upstream.port };
    const child = { direct: null };
    for (const p of PATHS.slice(1)) {
      port[p] = children[p].port;
      child[p] = children[p];
    }
    const gcAll = async () => {
      ctx.gc();
      await Promise.all(Object.values(children).map((c) => c.snapshot(true)));
    };
    await gcAll();
    const memStart = {};
    for (const p of PATHS.slice(1)) memStart[p] = await children[p].snapshot(true);

    // Fixed-body shapes carry a session header (as Claude Code does), so each path records one session rather
    // than one new session file per request.
    const fixed = (key, body) => ({
      key,
      request: () => ({
        body,
        headers: { ...anthropicHeaders(body.length), 'x-claude-code-session-id': `bench-${key}` },
      }),
    });
    const shapes = [
      { ...fixed('1KB', messagesBody(1024)), count: s.count1k },
      { ...fixed('80KB', messagesBody(80 * 1024)), count: s.count80k },
    ];
    // Session replay: fresh content every round and slice (seeded), so the recorder must redact and hash it.
    const sessionFor = (round, slice) =>
      claudeCodeSession(TURNS, {
        seed: 100 + round * 10 + slice,
        sessionId: `bench-replay-${round}-${slice}`,
      });
    const agents = Object.fromEntries(
      PATHS.map((p) => [p, { seq: keepAliveAgent(1), tp: keepAliveAgent(s.concurrency) }]),
    );
    const raw = { latency: {}, throughput: Object.fromEntries(PATHS.map((p) => [p, []])) };
    for (const k of ['1KB', '80KB', 'session'])
      raw.latency[k] = Object.fromEntries(PATHS.map((p) => [p, []]));
    const post = (p, { headers, body }) => timedPost(agents[p].seq, port[p], '/v1/messages', headers, body);

    const timedSlice = async (p, fn) => {
      await gcAll();
      const before = await child[p]?.snapshot();
      const samples = await fn();
      const after = await child[p]?.snapshot();
      return { samples, cpuUs: before ? cpuDeltaUs(before, after) : 0 };
    };
    const record = (key, acc) => {
      for (const [p, { samples, cpuUs }] of Object.entries(acc))
        raw.latency[key][p].push({
          ...summarize(samples),
          cpuUsPerReq: child[p] ? cpuUs / samples.length : null,
        });
    };

    for (let r = 0; r < s.rounds; r++) {
      const order = PATHS.map((_, i) => PATHS[(i + r) % PATHS.length]);
      ctx.log(`cost: round ${r + 1}/${s.rounds}: order ${order.join(' → ')}`);
      for (const shape of shapes) {
        const warm = r === 0 ? s.warmupFirst : s.warmupLater;
        for (const p of order) for (let i = 0; i < warm; i++) await post(p, shape.request());
        const acc = Object.fromEntries(order.map((p) => [p, { samples: [], cpuUs: 0 }]));
        const perSlice = Math.ceil(shape.count / s.slices);
        for (let k = 0; k < s.slices; k++) {
          for (const p of order) {
            const res = await timedSlice(p, async () => {
              const out = [];
              for (let i = 0; i < perSlice; i++) out.push(await post(p, shape.request()));
              return out;
            });
            acc[p].samples.push(...res.samples);
            acc[p].cpuUs += res.cpuUs;
          }
        }
        record(shape.key, acc);
      }
      // Claude Code session replay: each slice is one whole 50-turn session per path.
      if (r === 0) {
        const warmSession = claudeCodeSession(10, { seed: 99, sessionId: 'bench-replay-warmup' });
        for (const p of order)
          for (const body of warmSession.bodies)
            await post(p, {
              body,
              headers: claudeHeaders(body.length, warmSession.sessionId, warmSession.seed),
            });
      }
      const acc = Object.fromEntries(order.map((p) => [p, { samples: [], cpuUs: 0 }]));
      for (let k = 0; k < s.sessionsPerRound; k++) {
        const sess = sessionFor(r, k);
        for (const p of order) {
          const res = await timedSlice(p, async () => {
            const out = [];
            for (const body of sess.bodies)
              out.push(
                await post(p, { body, headers: claudeHeaders(body.length, sess.sessionId, sess.seed) }),
              );
            return out;
          });
          acc[p].samples.push(...res.samples);
          acc[p].cpuUs += res.cpuUs;
        }
      }
      record('session', acc);

      // Throughput at c=16, 1 KB bodies.
      const tpReq = shapes[0].request();
      const tpCommon = (p) => ({
        port: port[p],
        path: '/v1/messages',
        headers: tpReq.headers,
        body: tpReq.body,
        concurrency: s.concurrency,
        agent: agents[p].tp,
      });
      for (const p of order) await throughput({ ...tpCommon(p), durationMs: s.tpWarmupMs });
      const tpAcc = Object.fromEntries(
        order.map((p) => [p, { requests: 0, seconds: 0, cpuUs: 0, errors: 0 }]),
      );
      for (let k = 0; k < s.slices; k++) {
        for (const p of order) {
          await gcAll();
          const before = await child[p]?.snapshot();
          const res = await throughput({ ...tpCommon(p), durationMs: s.tpDurationMs / s.slices });
          const after = await child[p]?.snapshot();
          const a = tpAcc[p];
          a.requests += res.requests;
          a.seconds += res.seconds;
          a.errors += res.errors;
          if (before) a.cpuUs += cpuDeltaUs(before, after);
        }
      }
      for (const p of order) {
        const a = tpAcc[p];
        raw.throughput[p].push({
          rps: a.requests / a.seconds,
          requests: a.requests,
          errors: a.errors,
          cpuUsPerReq: child[p] ? a.cpuUs / a.requests : null,
        });
      }
    }
    for (const a of Object.values(agents)) for (const ag of Object.values(a)) ag.destroy();

    // Let the recorders drain (JSONL sizes stable for 600 ms, at most 15 s), then count what they recorded.
    const drainStart = Date.now();
    let sizes = '';
    for (let stable = 0; stable < 3 && Date.now() - drainStart < 15_000;) {
      await new Promise((res) => setTimeout(res, 200));
      const now = ['raw', 'mask']
        .map((p) =>
          jsonlFiles(path.join(dataDirs[p], 'sessions'))
            .map((f) => fs.statSync(f).size)
            .join(','),
        )
        .join(';');
      stable = now === sizes ? stable + 1 : 0;
      sizes = now;
    }
    const drainMs = Date.now() - drainStart;
    const memEnd = {};
    for (const p of PATHS.slice(1)) memEnd[p] = await children[p].snapshot(true);
    await Promise.all(Object.values(children).map((c) => c.stop()));
    const recorded = {};
    for (const p of ['raw', 'mask']) {
      let reqLines = 0;
      let bytes = 0;
      for (const f of jsonlFiles(path.join(dataDirs[p], 'sessions'))) {
        const buf = fs.readFileSync(f);
        bytes += buf.length;
        const needle = Buffer.from('{"type":"request"');
        for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) reqLines++;
      }
      recorded[p] = {
        requestsSent: requestsSentTo(port[p]),
        requestLines: reqLines,
        jsonlMB: round(bytes / 2 ** 20, 1),
      };
    }
    analyseCost(s, raw, memStart, memEnd, recorded, drainMs, results, tables, checks);
  } finally {
    for (const c of Object.values(children)) c.kill();
  }
}

function analyseCost(s, raw, memStart, memEnd, recorded, drainMs, results, tables, checks) {
  const mb = (b) => round(b / 2 ** 20, 1);
  const out = { latency: {}, throughput: {}, cpu: {}, memory: {}, recorded, drainMs, loadavg: loadavg() };
  const rows = [];
  const shapeLabel = { '1KB': '1 KB', '80KB': '80 KB', session: 'CC session' };
  for (const [key, byPath] of Object.entries(raw.latency)) {
    const o = {};
    for (const p of PATHS) {
      o[p] = { p50: median(byPath[p].map((x) => x.p50)), p99: median(byPath[p].map((x) => x.p99)) };
      if (p !== 'direct') {
        o[p].addedP50 = median(byPath[p].map((x, i) => x.p50 - byPath.direct[i].p50));
        o[p].addedP99 = median(byPath[p].map((x, i) => x.p99 - byPath.direct[i].p99));
        o[p].cpuUsPerReq = median(byPath[p].map((x) => x.cpuUsPerReq));
      }
    }
    // Issue 4: mask vs redaction off, paired per round (same round, adjacent in time).
    const ratio = (stat) =>
      median(
        byPath.mask.map(
          (x, i) => (x[stat] - byPath.direct[i][stat]) / (byPath.raw[i][stat] - byPath.direct[i][stat]),
        ),
      );
    o.maskVsRaw = { p50: ratio('p50'), p99: ratio('p99') };
    out.latency[key] = roundDeep(o);
    for (const p of PATHS) {
      const v = o[p];
      const judge = (stat) =>
        p === 'mask'
          ? `${(o.maskVsRaw[stat] * 100).toFixed(0)}% ${verdict(o.maskVsRaw[stat] <= TARGETS.redactionLatencyRatio)}`
          : null;
      rows.push([
        `${shapeLabel[key]} ${LABEL[p]}`,
        ms(v.p50),
        ms(v.p99),
        ms(v.addedP50),
        judge('p50'),
        ms(v.addedP99),
        judge('p99'),
        v.cpuUsPerReq === undefined ? null : v.cpuUsPerReq.toFixed(0),
      ]);
    }
    checks.push({
      name: `Added p50 with redaction mask / redaction off, ${shapeLabel[key]}`,
      value: round(o.maskVsRaw.p50, 3),
      target: `<= ${TARGETS.redactionLatencyRatio}`,
      pass: o.maskVsRaw.p50 <= TARGETS.redactionLatencyRatio,
    });
  }
  checks.push({
    name: 'Added p99 with redaction mask / redaction off, CC session',
    value: round(out.latency.session.maskVsRaw.p99, 3),
    target: `<= ${TARGETS.redactionLatencyRatio}`,
    pass: out.latency.session.maskVsRaw.p99 <= TARGETS.redactionLatencyRatio,
  });
  tables.push(
    formatTable(
      `Recording cost, sequential keep-alive POST (${s.count1k} × 1 KB, ${s.count80k} × 80 KB, ${s.sessionsPerRound} × ${TURNS}-turn Claude Code session replay per path per round; ms, median of ${s.rounds} rounds; mask vs off = added latency ratio, target ≤ ${Math.round(TARGETS.redactionLatencyRatio * 100)}%); load ${Object.values(loadavg()).join(' / ')}`,
      ['shape / path', 'p50', 'p99', 'added p50', 'mask vs off', 'added p99', 'mask vs off', 'CPU µs/req'],
      rows,
    ),
  );
  const tpRows = [];
  for (const p of PATHS) {
    const r = raw.throughput[p];
    out.throughput[p] = {
      rps: round(median(r.map((x) => x.rps)), 0),
      errors: r.reduce((a, x) => a + x.errors, 0),
    };
    if (p !== 'direct') {
      out.cpu[p] = { usPerReqConcurrent: round(median(r.map((x) => x.cpuUsPerReq)), 1) };
      out.memory[p] = {
        rssStartMB: mb(memStart[p].rss),
        rssEndAfterGcMB: mb(memEnd[p].rss),
        maxRssMB: mb(memEnd[p].maxRss),
        heapUsedEndMB: mb(memEnd[p].heapUsed),
      };
    }
    tpRows.push([
      LABEL[p],
      out.throughput[p].rps,
      p === 'direct' ? null : `${((100 * out.throughput[p].rps) / out.throughput.off.rps).toFixed(1)}%`,
      out.cpu[p]?.usPerReqConcurrent ?? null,
      out.memory[p] ? `${out.memory[p].rssStartMB} → ${out.memory[p].rssEndAfterGcMB}` : null,
      out.memory[p]?.maxRssMB ?? null,
      recorded[p]
        ? `${recorded[p].requestLines} of ${recorded[p].requestsSent} requests, ${recorded[p].jsonlMB} MB`
        : null,
    ]);
  }
  tables.push(
    formatTable(
      `Throughput at concurrency ${s.concurrency}, 1 KB bodies, ${s.tpDurationMs} ms per path per round; LunaRoute process CPU (all threads, recorder worker included) and RSS; recorders drained ${drainMs} ms after the load`,
      [
        'path',
        'req/s',
        'vs off',
        'CPU µs/req c=16',
        'RSS MB start → end',
        'max RSS MB',
        'recorded (whole run)',
      ],
      tpRows,
    ),
  );
  results.cost = out;
}

// ---------------------------------------------------------------------------------------------------------------
// index: queries over 100 k sessions

async function indexPart(ctx, s, tmp, results, tables, checks) {
  const dir = path.join(tmp, 'index');
  fs.mkdirSync(dir);
  ctx.log(`index: building ${s.indexSessions} sessions / ${s.indexRequests} requests and timing queries`);
  const child = fork(
    path.join(ctx.benchDir, 'children/index-bench.js'),
    [dir, String(s.indexSessions), String(s.indexRequests), String(s.indexReps)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const r = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('index-bench did not finish within 120 s'));
    }, 120_000);
    child.on('message', (m) => {
      if (m?.type === 'result') {
        clearTimeout(timer);
        resolve(m.result);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`index-bench exited with code ${code}`));
    });
  });
  results.index = { ...roundDeep(r), loadavg: loadavg() };
  const label = {
    listFirstPage: 'listSessions first page (50)',
    listClientCodex: 'listSessions client = codex',
    listSince7d: 'listSessions since 7 days',
    listPage100: 'listSessions page 101 (offset 5000)',
    listModelGpt: "listSessions model 'gpt-5' (LIKE)",
    sessionDetail: 'getSession by id (3 requests)',
    sessionDetailRealRows: 'getSession by id (recorder-written rows)',
    sessionDetailByPrefix: 'getSession by id prefix (CLI)',
    ftsRare: `FTS 'ticket' (${r.matchesRare} hits) + join, newest 50`,
    ftsCommon: `FTS 'refactor' (${r.matchesCommon} hits) + join, newest 50`,
    ftsCount: "FTS COUNT(*) 'refactor'",
  };
  const rows = Object.entries(r.queries).map(([k, v]) => {
    const isList = k === 'listFirstPage' || k === 'listClientCodex';
    return [
      label[k] ?? k,
      ms(v.p50, 2),
      ms(v.max, 2),
      v.rows,
      isList ? `≤ ${TARGETS.listMs} ${verdict(v.max <= TARGETS.listMs)}` : null,
    ];
  });
  tables.push(
    formatTable(
      `Index queries: ${r.sessions} sessions, ${r.requests} requests (FTS text on each), sql.js in its own process; ${r.reps} repetitions after 1 warm-up; load ${Object.values(loadavg()).join(' / ')}`,
      ['query', 'p50 ms', 'max ms', 'rows', 'target (max)'],
      rows,
    ),
  );
  tables.push(
    formatTable(
      'Index size and persistence',
      ['measure', 'value'],
      [
        [
          'db file size',
          `${(r.fileBytes / 2 ** 20).toFixed(1)} MB (${Math.round(r.fileBytes / r.requests)} B per request row)`,
        ],
        ['db.export()', `${r.exportMs.toFixed(0)} ms`],
        ['save (export + atomic write + fsync)', `${r.saveMs.toFixed(0)} ms`],
        ['re-open (read + load into WASM)', `${r.reopenMs.toFixed(0)} ms`],
        [
          'build: recorder statements',
          `${r.realInsert.statements} statements (${r.realInsert.sessions} sessions, ${r.realInsert.requests} requests) in ${r.realInsert.ms.toFixed(0)} ms`,
        ],
        [
          'build: bulk SQL (one transaction)',
          `${r.bulkTotalMs.toFixed(0)} ms (sessions ${r.bulkSessionsMs.toFixed(0)}, requests ${r.bulkRequestsMs.toFixed(0)}, FTS ${r.bulkFtsMs.toFixed(0)})`,
        ],
        ['max RSS of the index process', `${r.maxRssMB} MB`],
      ],
    ),
  );
  for (const k of ['listFirstPage', 'listClientCodex'])
    checks.push({
      name: `${label[k]} at ${r.sessions} sessions, max of ${r.reps} (ms)`,
      value: round(r.queries[k].max, 2),
      target: `<= ${TARGETS.listMs}`,
      pass: r.queries[k].max <= TARGETS.listMs,
    });
}

function roundDeep(o) {
  if (typeof o === 'number') return round(o, 4);
  if (Array.isArray(o)) return o.map(roundDeep);
  if (o && typeof o === 'object')
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, roundDeep(v)]));
  return o;
}
