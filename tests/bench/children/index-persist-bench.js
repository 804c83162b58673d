// How one sql.js index file reaches the disk, measured (issue #11): for index files of a few sizes, filled with
// realistic rows, it records requests through statementsFor at a simulated 20 req/s (one save per 3 s = 60
// requests) and compares (a) export + whole-file atomic write, (b) export + page diff (only changed pages to a
// journal), (c) rarer saves, (d) a statement journal (what IndexStore does now): bytes written per save and per
// request, synchronous ms per save (the event-loop stall), CPU ms, RSS / external memory, replay speed; and the
// effect of a few PRAGMAs on file size and transaction cost.
// Usage: npm run build:main && node --expose-gc tests/bench/children/index-persist-bench.js <dir> [sizesMB=5,20,80]
//   [parts=options,store,replay,pragmas]
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL, fileURLToPath } from 'node:url';

const [dir, sizesArg, partsArg] = process.argv.slice(2);
const PARTS = String(partsArg ?? 'options,store,replay,pragmas').split(',');
if (!dir) throw new Error('usage: index-persist-bench.js <dir> [sizesMB]');
const SIZES = String(sizesArg ?? '5,20,80')
  .split(',')
  .map(Number);
const dist = fileURLToPath(new URL('../../../dist/src-main/index/', import.meta.url));
const load = (f) => import(pathToFileURL(path.join(dist, f)).href);
const { openIndex } = await load('db.js');
const { statementsFor } = await load('indexer.js');
const { writeFileAtomic } = await import(pathToFileURL(path.join(dist, '../storage/fsutil.js')).href);

const REQ_PER_SAVE = 60; // 20 req/s, one save per 3 s
const SAVES = 8;
const now = Date.UTC(2026, 10, 27, 12, 0, 0);
const WORDS = (
  'refactor proxy session token stream parser config recorder index query list search redaction mask ' +
  'worker thread export import build test lint format commit branch merge deploy error timeout retry'
).split(' ');
const mb = (n) => Math.round((n / 1048576) * 10) / 10;
const r1 = (n) => Math.round(n * 10) / 10;
const hr = () => process.hrtime.bigint();
const since = (t) => Number(hr() - t) / 1e6;
const gc = () => globalThis.gc?.();

/** The statements one recorded request produces (request + response line), with a ~1 KB prompt. */
function requestStmts(k) {
  const sid = `live-${Math.floor(k / 20)}-5f0c6a2e-8d1b-4c3a`;
  const f = `2026-11-27/${sid}.jsonl`;
  const id = `${sid}-req-${k}`;
  const at = now + k * 50;
  const prompt = Array.from({ length: 140 }, (_, i) => WORDS[(k * 7 + i * 13) % WORDS.length]).join(' ');
  const out = [];
  if (k % 20 === 0) {
    out.push(
      ...statementsFor(
        {
          type: 'session',
          v: 1,
          session_id: sid,
          at,
          client: 'claude_code',
          client_version: '2.0.14',
          user_agent: 'claude-cli/2.0.14 (external, cli)',
          id_source: 'x-claude-code-session-id',
        },
        f,
      ),
    );
  }
  out.push(
    ...statementsFor(
      {
        type: 'request',
        v: 1,
        id,
        session_id: sid,
        at,
        dialect: 'anthropic',
        endpoint: 'messages',
        transport: 'http',
        method: 'POST',
        url: '/v1/messages',
        upstream_url: 'http://127.0.0.1:9/v1/messages',
        client: 'claude_code',
        headers_ref: null,
        credential_source: 'client',
        body: null,
        body_text: null,
        body_bytes: 80_000,
        body_truncated: false,
        body_encoding: null,
        model: 'claude-sonnet-4-5-20250929',
        stream: true,
        prompt,
        message_count: 3,
        tool_count: 16,
        system_chars: 20_000,
        tool_results: [],
      },
      f,
    ),
    ...statementsFor(
      {
        type: 'response',
        v: 1,
        id,
        session_id: sid,
        at: at + 2_000,
        status: 200,
        headers: null,
        outcome: 'completed',
        reason: null,
        error: null,
        response: {
          content: [
            { type: 'text', text: `Done: ${WORDS[k % WORDS.length]} updated in ${prompt.slice(0, 200)}` },
            { type: 'tool_call', kind: 'function', id: `toolu_${k}`, name: 'Read', arguments: '{}' },
          ],
        },
        body_text: null,
        model: 'claude-sonnet-4-5-20250929',
        usage: { input: 4, output: 120, cacheRead: 20_000, cacheWrite: 900, reasoning: null },
        stop_reason: 'tool_use',
        timings: {
          ttfb_ms: 800,
          first_content_ms: 900,
          duration_ms: 2000,
          provider_ms: 1990,
          overhead_ms: 0.3,
        },
        response_bytes: 2_000,
        chunks: 20,
        truncated: false,
      },
      f,
    ),
    {
      sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
      params: [f, 4000 * (k % 20), 2 * (k % 20)],
    },
  );
  return out;
}

/** Bulk rows (one transaction of SQL) until the exported file is about `targetMb`. */
function fill(raw, targetMb) {
  const perReq = 1.45 * 1024; // measured: bytes of file per bulk request row (+ its FTS text)
  const n = Math.round((targetMb * 1048576) / perReq);
  raw.exec('BEGIN');
  raw.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.ceil(n / 3) - 1})
    INSERT INTO sessions (id, file, client, id_source, started_at, last_at, request_count, models)
    SELECT printf('bulk-%08d', i), printf('2026-11-%02d/bulk-%08d.jsonl', 1 + i % 27, i), 'claude_code',
      'x-claude-code-session-id', ${now} - i * 60000, ${now} - i * 60000 + 9000, 3, 'claude-sonnet-4-5' FROM n`);
  raw.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1})
    INSERT INTO requests (id, session_id, at, dialect, endpoint, transport, client, method, url, model, stream,
      status, outcome, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, ttfb_ms, duration_ms,
      request_bytes, response_bytes, chunks, stop_reason, tool_call_count, prompt_preview, response_preview)
    SELECT printf('bulk-req-%09d', i), printf('bulk-%08d', i / 3), ${now} - i * 20000, 'anthropic', 'messages',
      'http', 'claude_code', 'POST', '/v1/messages', 'claude-sonnet-4-5', 1, 200, 'completed', 4, 150, 20000, 900,
      800.5, 2000.5, 80000 + i % 5000, 2000, 20, 'tool_use', 1,
      printf('please %s the module %d and check the %s path', hex(randomblob(40)), i, hex(randomblob(8))),
      printf('Done: %s', hex(randomblob(30))) FROM n`);
  raw.exec(`INSERT INTO request_text (request_id, session_id, prompt, response)
    SELECT id, session_id, prompt_preview || ' ' || hex(randomblob(200)), response_preview FROM requests`);
  raw.exec('COMMIT');
}

function runBatch(raw, stmts) {
  raw.exec('BEGIN');
  for (const s of stmts) raw.run(s.sql, s.params);
  raw.exec('COMMIT');
}

function pageHashes(bytes, pageSize) {
  const n = Math.ceil(bytes.length / pageSize);
  const out = new Array(n);
  for (let p = 0; p < n; p++)
    out[p] = crypto
      .createHash('sha1')
      .update(bytes.subarray(p * pageSize, (p + 1) * pageSize))
      .digest('latin1');
  return out;
}

/** Largest single event-loop stall while `fn` (async) runs. */
async function withLoopDelay(fn) {
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  // The histogram measures from its first tick: a stall before it would go unseen.
  await new Promise((r) => setTimeout(r, 20));
  const t = hr();
  const out = await fn();
  const wall = since(t);
  h.disable();
  return { out, wall, loopMaxMs: h.max / 1e6 };
}

const rows = [];
let reqNo = 0;
for (const target of PARTS.includes('options') ? SIZES : []) {
  gc();
  const file = path.join(dir, `persist-${target}.db`);
  fs.rmSync(file, { force: true });
  const { db } = await openIndex(null);
  const raw = db.db;
  fill(raw, target);
  const pageSize = raw.exec('PRAGMA page_size')[0].values[0][0];
  const init = (() => {
    const bytes = raw.export();
    fs.writeFileSync(file, bytes, { mode: 0o600 });
    return { size: bytes.length, hashes: pageHashes(bytes, pageSize) };
  })();
  const size = init.size;
  let hashes = init.hashes;
  gc();
  const mem0 = process.memoryUsage();

  const a = { syncMs: [], cpuMs: [], wallMs: [], bytes: [], loopMax: [] };
  const b = { syncMs: [], cpuMs: [], pages: [], bytes: [] };
  const d = { syncMs: [], bytes: [], cpuMs: [] };
  let peakRss = mem0.rss;
  let peakExt = mem0.external + mem0.arrayBuffers;
  for (let s = 0; s < SAVES; s++) {
    const batches = [];
    const tRun = hr();
    for (let i = 0; i < REQ_PER_SAVE; i++) {
      const st = requestStmts(reqNo++);
      runBatch(raw, st);
      batches.push(st);
    }
    const runMs = since(tRun);
    // (d) statement journal: interned SQL + JSON params, the shape page-journal.ts writes.
    let t = hr();
    const c0 = process.cpuUsage();
    const sqls = new Map();
    const enc = batches.map((bt) =>
      bt.map((x) => {
        let q = sqls.get(x.sql);
        if (q === undefined) sqls.set(x.sql, (q = sqls.size));
        return [q, ...x.params];
      }),
    );
    const payload = Buffer.from(JSON.stringify({ q: [...sqls.keys()], b: enc }));
    d.syncMs.push(since(t));
    d.cpuMs.push(process.cpuUsage(c0).user / 1000);
    d.bytes.push(payload.length + 20);
    // (a) export + whole-file atomic write; the loop stall is the export (the write is async).
    const c1 = process.cpuUsage();
    t = hr();
    const ex = raw.export();
    const exportMs = since(t);
    a.syncMs.push(exportMs);
    const w = await withLoopDelay(() => writeFileAtomic(file, ex));
    a.wallMs.push(exportMs + w.wall);
    a.loopMax.push(w.loopMaxMs);
    a.cpuMs.push((process.cpuUsage(c1).user + process.cpuUsage(c1).system) / 1000);
    a.bytes.push(ex.length);
    // (b) page diff of the same export: hash every page, count the changed ones.
    const c2 = process.cpuUsage();
    t = hr();
    const nh = pageHashes(ex, pageSize);
    let changed = 0;
    for (let p = 0; p < nh.length; p++) if (nh[p] !== hashes[p]) changed++;
    hashes = nh;
    b.syncMs.push(exportMs + since(t));
    b.cpuMs.push(process.cpuUsage(c2).user / 1000);
    b.pages.push(changed);
    b.bytes.push(changed * (pageSize + 24) + 32);
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakExt = Math.max(peakExt, m.external + m.arrayBuffers);
    if (s === 0) a.runMsPerReq = runMs / REQ_PER_SAVE;
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  rows.push({
    targetMb: target,
    fileMb: mb(size),
    pageSize,
    runMsPerRequest: r1(a.runMsPerReq * 100) / 100,
    a_bytesPerSave: mb(med(a.bytes)) + ' MB',
    a_bytesPerReq: Math.round(med(a.bytes) / REQ_PER_SAVE / 1024) + ' KB',
    a_exportMs: r1(med(a.syncMs)),
    a_saveWallMs: r1(med(a.wallMs)),
    a_cpuMs: r1(med(a.cpuMs)),
    b_pagesPerSave: med(b.pages),
    b_bytesPerReq: Math.round(med(b.bytes) / REQ_PER_SAVE / 1024) + ' KB',
    b_syncMs: r1(med(b.syncMs)),
    c60s_a_bytesPerReq: Math.round(med(a.bytes) / (REQ_PER_SAVE * 20) / 1024) + ' KB',
    d_bytesPerReq: Math.round(med(d.bytes) / REQ_PER_SAVE) + ' B',
    d_syncMs: r1(med(d.syncMs)),
    d_cpuMs: r1(med(d.cpuMs)),
    rssMb: `${mb(mem0.rss)} -> peak ${mb(peakRss)}`,
    extMb: `${mb(mem0.external + mem0.arrayBuffers)} -> peak ${mb(peakExt)}`,
  });
  db.db.close();
  fs.rmSync(file, { force: true });
}
if (rows.length > 0) console.log(JSON.stringify(rows, null, 1));

// (d) as implemented: IndexStore on a real file, journal saves of 60 requests, then a close (checkpoint).
for (const target of PARTS.includes('store') ? SIZES : []) {
  gc();
  const file = path.join(dir, `store-${target}.db`);
  for (const f of [file, `${file}.journal`]) fs.rmSync(f, { force: true });
  const { db } = await openIndex(file, { saveIntervalMs: 3_600_000 });
  fill(db.db, target);
  let t = hr();
  await db.save();
  const firstCheckpointMs = since(t);
  gc();
  const mem0 = process.memoryUsage();
  let peakRss = mem0.rss;
  const saves = [];
  for (let s = 0; s < SAVES * 2; s++) {
    for (let i = 0; i < REQ_PER_SAVE; i++) db.runSync(requestStmts(reqNo++));
    const c = process.cpuUsage();
    const w = await withLoopDelay(() => db.save());
    const cpu = process.cpuUsage(c);
    saves.push({
      bytes: db.lastSaveBytes,
      loopMax: w.loopMaxMs,
      wall: w.wall,
      cpu: (cpu.user + cpu.system) / 1000,
    });
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const closeW = await withLoopDelay(() => db.close());
  console.log(
    JSON.stringify({
      option: 'd (IndexStore)',
      fileMb: mb(fs.statSync(file).size),
      checkpoints: db.checkpoints,
      firstCheckpointMs: r1(firstCheckpointMs),
      bytesPerSave: med(saves.map((x) => x.bytes)),
      bytesPerRequest: Math.round(med(saves.map((x) => x.bytes)) / REQ_PER_SAVE),
      loopMaxMsMedian: r1(med(saves.map((x) => x.loopMax))),
      loopMaxMsMax: r1(Math.max(...saves.map((x) => x.loopMax))),
      saveWallMs: r1(med(saves.map((x) => x.wall))),
      saveCpuMs: r1(med(saves.map((x) => x.cpu))),
      rssMb: `${mb(mem0.rss)} -> peak ${mb(peakRss)} over ${saves.length} saves`,
      closeCheckpoint: { ms: r1(closeW.wall), loopMaxMs: r1(closeW.loopMaxMs) },
    }),
  );
  for (const f of [file, `${file}.journal`]) fs.rmSync(f, { force: true });
}

// Replay speed of a statement journal: re-running N recorded requests' batches from JSON.
if (PARTS.includes('replay')) {
  const { db } = await openIndex(null);
  const N = 3000;
  const batches = [];
  for (let i = 0; i < N; i++) batches.push(requestStmts(1_000_000 + i));
  const json = JSON.stringify(batches);
  const t = hr();
  for (const bt of JSON.parse(json)) runBatch(db.db, bt);
  console.log(
    `replay: ${N} requests (${mb(json.length)} MB of uninterned JSON) in ${r1(since(t))} ms = ${r1((since(t) / N) * 1000)} us/request`,
  );
  db.db.close();
}

// PRAGMAs: file size and per-request transaction cost for a 5 MB-ish fill.
for (const [label, pragmas] of PARTS.includes('pragmas')
  ? [
      ['default (page_size 4096, journal DELETE)', []],
      ['page_size 1024', ['PRAGMA page_size = 1024']],
      ['page_size 8192', ['PRAGMA page_size = 8192']],
      ['page_size 65536', ['PRAGMA page_size = 65536']],
      ['auto_vacuum FULL', ['PRAGMA auto_vacuum = FULL']],
      ['journal_mode MEMORY', ['PRAGMA journal_mode = MEMORY']],
      ['journal_mode OFF', ['PRAGMA journal_mode = OFF']],
      ['cache_size -16000', ['PRAGMA cache_size = -16000']],
    ]
  : []) {
  gc();
  const { default: initSqlJs } = await import('sql.js');
  const SQL = await initSqlJs();
  const raw = new SQL.Database();
  for (const p of pragmas) raw.exec(p);
  const { SCHEMA_SQL } = await load('schema.js');
  raw.exec(SCHEMA_SQL);
  fill(raw, 5);
  let t = hr();
  for (let i = 0; i < 300; i++) runBatch(raw, requestStmts(2_000_000 + i));
  const perReq = since(t) / 300;
  t = hr();
  const ex = raw.export();
  const exportMs = since(t);
  console.log(
    `${label}: file ${mb(ex.length)} MB, ${r1(perReq * 1000)} us/request transaction, export ${r1(exportMs)} ms`,
  );
  raw.close();
}
