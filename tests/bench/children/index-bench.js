// Index query benchmark (its own process, so sql.js's WASM heap is freed when it exits): builds an index of
// `sessions` sessions and `requests` request rows (with FTS text) in <dir>/lunaroute.db — a few hundred sessions
// through statementsFor + IndexStore.runSync like the recorder does, the rest by bulk SQL in one transaction —
// then times the recorder's read queries (listSessions, getSession, an FTS search), export/save and re-open.
// Usage (forked by sections/recording.js): index-bench.js <dir> <sessions> <requests> <reps>; replies over IPC.
import path from 'node:path';
import fs from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

const [dir, sessionsArg, requestsArg, repsArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: index-bench.js <dir> <sessions> <requests> <reps>');
const N_SESSIONS = Number(sessionsArg ?? 100_000);
const N_REQUESTS = Number(requestsArg ?? 300_000);
const REPS = Number(repsArg ?? 30);
const dist = fileURLToPath(new URL('../../../dist/src-main/index/', import.meta.url));
const load = (f) => import(pathToFileURL(path.join(dist, f)).href);
const { openIndex } = await load('db.js');
const { statementsFor } = await load('indexer.js');
const { listSessions, getSession } = await load('queries.js');
const { computeStats } = await import(pathToFileURL(path.join(dist, '../analytics/stats.js')).href);
const { computeAnalytics } = await import(pathToFileURL(path.join(dist, '../analytics/analytics.js')).href);

const file = path.join(dir, 'lunaroute.db');
const now = Date.UTC(2026, 10, 27, 12, 0, 0);
const DAY = 86_400_000;
const WORDS = (
  'refactor proxy session token stream parser config recorder index query list search redaction mask ' +
  'worker thread export import build test lint format commit branch merge deploy error timeout retry ' +
  'cache hash block chain header body upstream client model usage latency memory disk file path json ' +
  'sqlite wasm schema migration tray window renderer svelte vite'
).split(' ');

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const result = { sessions: N_SESSIONS, requests: N_REQUESTS, reps: REPS };

let t0 = process.hrtime.bigint();
const { db } = await openIndex(file, { saveIntervalMs: 3_600_000 });
result.openEmptyMs = ms(t0);

// 1. A few hundred real-shaped sessions through the recorder's own statements (3 requests each).
const REAL = Math.min(300, N_SESSIONS);
const realRequests = Math.min(REAL * 3, N_REQUESTS);
const stmts = [];
for (let k = 0; k < REAL; k++) {
  const sid = `real-${String(k).padStart(6, '0')}-5f0c6a2e-8d1b-4c3a`;
  const at0 = now - (k + 1) * 60_000;
  const f = `2026-11-27/${sid}.jsonl`;
  stmts.push(
    ...statementsFor(
      {
        type: 'session',
        v: 1,
        session_id: sid,
        at: at0,
        client: 'claude_code',
        client_version: '2.0.14',
        user_agent: 'claude-cli/2.0.14 (external, cli)',
        id_source: 'x-claude-code-session-id',
      },
      f,
    ),
  );
  for (let j = 0; j < 3 && k * 3 + j < realRequests; j++) {
    const id = `${sid}-req-${j}`;
    const at = at0 + j * 5_000;
    stmts.push(
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
          body_bytes: 80_000 + j * 2_000,
          body_truncated: false,
          body_encoding: null,
          model: 'claude-sonnet-4-5-20250929',
          stream: true,
          prompt: `please ${WORDS[(k + j) % WORDS.length]} the ${WORDS[(k * 7 + j) % WORDS.length]} module for ticket ${k}`,
          message_count: 1 + j * 2,
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
              { type: 'text', text: `Done: ${WORDS[(k * 3 + j) % WORDS.length]} updated.` },
              { type: 'tool_call', kind: 'function', id: `toolu_${k}_${j}`, name: 'Read', arguments: '{}' },
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
    );
  }
}
t0 = process.hrtime.bigint();
db.runSync(stmts);
result.realInsert = { sessions: REAL, requests: realRequests, statements: stmts.length, ms: ms(t0) };

// 2. The rest by bulk SQL, one transaction. Sessions spread over 90 days; clients 60 % Claude Code, 25 % Codex,
// 10 % OpenCode, 5 % SDK; requests spread evenly over sessions; every request has FTS text.
const bulkSessions = N_SESSIONS - REAL;
const bulkRequests = N_REQUESTS - realRequests;
const words = WORDS.map((w, i) => `(${i}, '${w}')`).join(',');
const W = WORDS.length;
const word = (expr) => `(SELECT w FROM bench_words WHERE k = (${expr}) % ${W})`;
t0 = process.hrtime.bigint();
db.db.exec('BEGIN');
db.db.exec(
  `CREATE TEMP TABLE bench_words (k INTEGER PRIMARY KEY, w TEXT); INSERT INTO bench_words VALUES ${words};`,
);
db.db.exec(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${bulkSessions - 1})
  INSERT INTO sessions (id, file, client, client_version, user_agent, id_source, started_at, last_at,
    request_count, failed_count, interrupted_count, input_tokens, output_tokens, cache_read_tokens,
    cache_write_tokens, reasoning_tokens, tool_call_count, models, gaps)
  SELECT printf('bulk-%08d-%08x', i, (i * 2654435761) % 4294967296),
    printf('2026-11-%02d/bulk-%08d.jsonl', 1 + i % 27, i),
    CASE WHEN i % 20 < 12 THEN 'claude_code' WHEN i % 20 < 17 THEN 'codex' WHEN i % 20 < 19 THEN 'opencode' ELSE 'sdk' END,
    '2.0.14', 'claude-cli/2.0.14 (external, cli)', 'x-claude-code-session-id',
    ${now} - 90 * ${DAY} + i * ${Math.floor((90 * DAY) / Math.max(1, bulkSessions))},
    ${now} - 90 * ${DAY} + i * ${Math.floor((90 * DAY) / Math.max(1, bulkSessions))} + (i % 3600) * 1000,
    ${Math.round(bulkRequests / Math.max(1, bulkSessions))}, i % 7 = 0, 0, 4000 + i % 997, 900 + i % 311,
    200000 + i % 9973, 9000, NULL, 2 + i % 5,
    CASE WHEN i % 20 < 12 THEN 'claude-sonnet-4-5-20250929' WHEN i % 20 < 17 THEN 'gpt-5-codex' ELSE 'claude-haiku-4-5,gpt-5-mini' END,
    0
  FROM n;`);
result.bulkSessionsMs = ms(t0);
let t1 = process.hrtime.bigint();
const perSession = bulkRequests / Math.max(1, bulkSessions);
db.db.exec(`
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${bulkRequests - 1})
  INSERT INTO requests (id, session_id, at, dialect, endpoint, transport, client, method, url, model_requested,
    model, stream, status, outcome, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
    ttfb_ms, first_content_ms, duration_ms, provider_ms, overhead_ms, request_bytes, response_bytes, chunks,
    stop_reason, tool_call_count, prompt_preview, response_preview, ended_at)
  SELECT printf('bulk-req-%09d', i), printf('bulk-%08d-%08x', s, (s * 2654435761) % 4294967296),
    ${now} - 90 * ${DAY} + s * ${Math.floor((90 * DAY) / Math.max(1, bulkSessions))} + (i % 3) * 5000,
    'anthropic', 'messages', 'http', 'claude_code', 'POST', '/v1/messages', 'claude-sonnet-4-5-20250929',
    'claude-sonnet-4-5-20250929', 1, 200, 'completed', 4, 150, 20000, 900, 800.5, 900.5, 2000.5, 1990.5, 0.3,
    80000 + i % 50000, 2000, 20, 'tool_use', 1,
    ${word('i')} || ' the ' || ${word('i * 7 + 3')} || ' in ' || ${word('i * 13 + 5')} || ' and ' || ${word('i * 31 + 11')},
    'Done: ' || ${word('i * 17 + 1')} || ' updated.', 0
  FROM (SELECT i, CAST(i / ${perSession} AS INTEGER) AS s FROM n);`);
result.bulkRequestsMs = ms(t1);
t1 = process.hrtime.bigint();
db.db.exec(`
  INSERT INTO request_text (request_id, session_id, prompt, response)
  SELECT id, session_id,
    'please ' || prompt_preview || ' then ' || ${word('rowid * 3 + 2')} || ' ' || ${word('rowid * 11 + 7')} || ' ' || ${word('rowid * 19 + 9')},
    response_preview
  FROM requests WHERE id LIKE 'bulk-%';`);
result.bulkFtsMs = ms(t1);
db.db.exec('DROP TABLE bench_words');
db.db.exec('COMMIT');
result.bulkTotalMs = ms(t0);

// Timing helpers: one warm-up, then REPS repetitions.
function time(fn) {
  fn();
  const samples = [];
  let out;
  for (let i = 0; i < REPS; i++) {
    const t = process.hrtime.bigint();
    out = fn();
    samples.push(ms(t));
  }
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.ceil(samples.length / 2) - 1],
    max: samples.at(-1),
    rows: Array.isArray(out) ? out.length : (out?.sessions?.length ?? out?.requests?.length ?? null),
  };
}
const ctx = { index: db, sessionsDir: path.join(dir, 'sessions') };
const q = {};
q.listFirstPage = time(() => listSessions(ctx, { limit: 50 }));
q.listClientCodex = time(() => listSessions(ctx, { client: 'codex', limit: 50 }));
q.listPage100 = time(() => listSessions(ctx, { limit: 50, offset: 5_000 }));
q.listModelGpt = time(() => listSessions(ctx, { model: 'gpt-5', limit: 50 }));
q.listSince7d = time(() => listSessions(ctx, { since: now - 7 * DAY, limit: 50 }));
const prefix = `bulk-${String(Math.floor(bulkSessions / 2)).padStart(8, '0')}-`;
const bulkId = db.querySync('SELECT id FROM sessions WHERE id >= ? ORDER BY id LIMIT 1', [prefix])[0]?.id;
q.sessionDetail = time(() => getSession(ctx, { id: bulkId }));
q.sessionDetailRealRows = time(() => getSession(ctx, { id: 'real-000123-5f0c6a2e-8d1b-4c3a' }));
// The CLI accepts a unique id prefix: that path is a LIKE scan.
q.sessionDetailByPrefix = time(() => getSession(ctx, { id: prefix }));
const search = (term) => () =>
  db.querySync(
    `SELECT r.id, r.session_id, r.at, snippet(request_text) AS snippet
       FROM request_text JOIN requests r ON r.id = request_text.request_id
      WHERE request_text MATCH ? ORDER BY r.at DESC LIMIT 50`,
    [term],
  );
q.ftsRare = time(search('ticket'));
q.ftsCommon = time(search('refactor'));
q.ftsCount = time(() =>
  db.querySync(`SELECT COUNT(*) AS n FROM request_text WHERE request_text MATCH ?`, ['refactor']),
);
// Stats and analytics over all history (moved here from a timed test: timings belong to the benchmark).
for (const by of ['day', 'model', 'client', 'tool', 'class']) {
  q[`stats_${by}`] = time(() => computeStats(db, { by }));
}
q.analyticsAll = time(() => computeAnalytics(db, {}));
result.queries = q;
result.matchesCommon = db.querySync(
  `SELECT COUNT(*) AS n FROM request_text WHERE request_text MATCH 'refactor'`,
)[0].n;
result.matchesRare = db.querySync(
  `SELECT COUNT(*) AS n FROM request_text WHERE request_text MATCH 'ticket'`,
)[0].n;

// Cost of recording one response as the session grows: responseStmts ends with sessionTotals, whose
// subqueries re-read every request row of the session (COUNT/SUM over requests WHERE session_id = ?).
const responseCost = {};
for (const n of [10, 100, 1000, 5000]) {
  const sid = `grow-${n}`;
  db.db.exec(`INSERT INTO sessions (id, file, client, id_source, started_at, last_at)
    VALUES ('${sid}', '2026-11-27/${sid}.jsonl', 'claude_code', 'generated', ${now}, ${now})`);
  db.db.exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${n - 1})
    INSERT INTO requests (id, session_id, at, dialect, endpoint, transport, client, method, url, stream,
      request_bytes, input_tokens, output_tokens, model, outcome)
    SELECT printf('${sid}-%06d', i), '${sid}', ${now} + i, 'anthropic', 'messages', 'http', 'claude_code', 'POST',
      '/v1/messages', 1, 80000, 4, 100, 'claude-sonnet-4-5-20250929', 'completed' FROM n`);
  const line = (i) => ({
    type: 'response',
    v: 1,
    id: `${sid}-${String(i).padStart(6, '0')}`,
    session_id: sid,
    at: now + n + i,
    status: 200,
    headers: null,
    outcome: 'completed',
    reason: null,
    error: null,
    response: { content: [{ type: 'text', text: 'ok' }] },
    body_text: null,
    model: 'claude-sonnet-4-5-20250929',
    usage: { input: 4, output: 100, cacheRead: 20_000, cacheWrite: 900, reasoning: null },
    stop_reason: 'end_turn',
    timings: { ttfb_ms: 1, first_content_ms: 1, duration_ms: 2, provider_ms: 2, overhead_ms: 0.3 },
    response_bytes: 2_000,
    chunks: 20,
    truncated: false,
  });
  let i = 0;
  responseCost[n] = time(() => db.runSync(statementsFor(line(i++ % n), `2026-11-27/${sid}.jsonl`)));
}
result.responseCost = responseCost;

t0 = process.hrtime.bigint();
const exported = db.db.export();
result.exportMs = ms(t0);
result.dbBytes = exported.length;
t0 = process.hrtime.bigint();
await db.save();
result.saveMs = ms(t0);
result.fileBytes = fs.statSync(file).size;
await db.close();
t0 = process.hrtime.bigint();
const reopened = await openIndex(file, { saveIntervalMs: 3_600_000 });
result.reopenMs = ms(t0);
result.reopenRebuildReason = reopened.rebuildReason;
await reopened.db.close();
result.maxRssMB = Math.round((process.resourceUsage().maxRSS * 1024) / 2 ** 20);
process.send?.({ type: 'result', result });
if (!process.send) console.log(JSON.stringify(result, null, 2));
