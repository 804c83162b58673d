// The always-loaded summary of a partitioned index (partitions.ts): which partition holds each session file, one
// row per session (what the session list shows, with the computed columns of queries.ts), and hourly rollups of
// the request rows by model, client, class and project (what analytics and stats sum). It is derived: every row
// is recomputed from the partition that holds the facts, right after each batch changes them, so a crash or a
// lost summary never loses anything the partitions (or, behind them, the JSONL) hold.
// Rollups are hourly, not daily: hour buckets of the Analytics view and any whole-hour time-zone offset both
// fall on hour boundaries; at 100k requests over 20 days that is ~3k rows (~50k for a year), against 100k rows.
import type { Prices, Rates } from '../analytics/prices.js';
import type { IndexStore } from './db.js';
import { AGGREGATE_SQL, aggregateStmts, clearAggregateStmts } from './part-aggregates.js';
import { LAST_REQUEST_JOIN, SESSION_COLUMNS } from './queries.js';
import { SPANS_SQL } from './part-spans.js';
import type { SqlValue, Stmt } from './types.js';

export const HOUR_MS = 3_600_000;

export const SUMMARY_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partitions (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL,            -- open | closed
  requests INTEGER NOT NULL DEFAULT 0,
  first_at INTEGER,               -- MIN/MAX(requests.at) of the partition (NULL when it holds none)
  last_at INTEGER,
  base INTEGER NOT NULL DEFAULT 0, -- requests it was opened with (sessions carried over from the previous one)
  month TEXT                      -- YYYY-MM of its first own request: a request of another month rolls it over
);
CREATE TABLE IF NOT EXISTS file_parts (
  path TEXT PRIMARY KEY,          -- the session file (as files.path): YYYY-MM-DD/<id>.jsonl
  part INTEGER NOT NULL,
  size INTEGER NOT NULL,          -- bytes indexed (follows compression by retention)
  lines INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS file_parts_part ON file_parts(part);
${SPANS_SQL}
CREATE TABLE IF NOT EXISTS session_list (
  id TEXT PRIMARY KEY,
  part INTEGER NOT NULL,
  file TEXT NOT NULL,
  client TEXT NOT NULL,
  client_version TEXT,
  user_agent TEXT,
  id_source TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  failed_count INTEGER NOT NULL,
  interrupted_count INTEGER NOT NULL,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  tool_call_count INTEGER NOT NULL,
  models TEXT,
  gaps INTEGER NOT NULL,
  lost_requests INTEGER NOT NULL,
  last_gap_at INTEGER,
  cost_usd REAL,
  unpriced_count INTEGER NOT NULL,
  request_count INTEGER NOT NULL,
  in_flight INTEGER NOT NULL,
  ended_at INTEGER,
  last_status INTEGER,
  last_outcome TEXT,
  last_model TEXT,
  last_preview TEXT,
  last_request_at INTEGER,        -- MAX(requests.at): analytics counts sessions with a request in the window
  title TEXT,                     -- sessions.title / project / branch (analytics/session-facts.ts)
  project TEXT,
  branch TEXT
);
CREATE INDEX IF NOT EXISTS session_list_last ON session_list(last_at DESC, id);
CREATE INDEX IF NOT EXISTS session_list_part ON session_list(part);
CREATE TABLE IF NOT EXISTS rollups (
  part INTEGER NOT NULL,
  hour INTEGER NOT NULL,          -- floor(at / 3600000) (at may have a fraction)
  model TEXT NOT NULL,            -- COALESCE(model, model_requested, '(unknown)')
  model_raw TEXT,                 -- requests.model (the stats query's model list)
  client TEXT NOT NULL,
  class TEXT NOT NULL,
  project TEXT,
  branch TEXT,
  requests INTEGER NOT NULL, failed INTEGER NOT NULL, interrupted INTEGER NOT NULL, in_flight INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
  priced_requests INTEGER NOT NULL, unpriced_requests INTEGER NOT NULL, unpriced_finished INTEGER NOT NULL,
  priced_tokens INTEGER NOT NULL, known_tokens INTEGER NOT NULL,
  cost_rows INTEGER NOT NULL,     -- rows with a cost (SUM(cost_usd) is NULL when there are none)
  cache_saved_usd REAL NOT NULL,  -- at the price table the partition was indexed with
  unpriced_cache_read INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rollups_hour ON rollups(hour);
-- Plan and rate limits as last seen (analytics/limits.ts): copied from the partitions, newest reading per window.
CREATE TABLE IF NOT EXISTS limits (
  provider TEXT NOT NULL, win TEXT NOT NULL, utilization REAL, reset_at INTEGER, seen_at INTEGER NOT NULL,
  lim REAL, remaining REAL, status TEXT, binding INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, win)
);
CREATE INDEX IF NOT EXISTS rollups_part ON rollups(part, hour);
${AGGREGATE_SQL}`;

/** One rollup cell: the sums of the request rows of one hour and one (model, client, class, project). */
export interface Cell {
  hour: number;
  model: string;
  model_raw: string | null;
  client: string;
  class: string;
  project: string | null;
  branch: string | null;
  requests: number;
  failed: number;
  interrupted: number;
  in_flight: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  priced_requests: number;
  unpriced_requests: number;
  unpriced_finished: number;
  priced_tokens: number;
  known_tokens: number;
  cost_rows: number;
  cache_saved_usd: number;
  unpriced_cache_read: number;
}

export const CELL_COLUMNS = [
  'hour',
  'model',
  'model_raw',
  'client',
  'class',
  'project',
  'branch',
  'requests',
  'failed',
  'interrupted',
  'in_flight',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost_usd',
  'priced_requests',
  'unpriced_requests',
  'unpriced_finished',
  'priced_tokens',
  'known_tokens',
  'cost_rows',
  'cache_saved_usd',
  'unpriced_cache_read',
] as const;

const TOKENS =
  'COALESCE(r.input_tokens, 0) + COALESCE(r.output_tokens, 0) + COALESCE(r.cache_read_tokens, 0) + COALESCE(r.cache_write_tokens, 0)';
const KEY = `CAST(r.at / ${HOUR_MS} AS INTEGER) AS hour, COALESCE(r.model, r.model_requested, '(unknown)') AS model, r.model AS model_raw,
  r.client AS client, r.class AS class`;

/** Whether the partition's sessions table has a column (capture's sessions.project arrives in a later schema). */
export function hasColumn(store: IndexStore, table: string, column: string): boolean {
  return store.querySync<{ name: string }>(`PRAGMA table_info(${table})`).some((c) => c.name === column);
}

function projectExpr(store: IndexStore): string {
  return hasColumn(store, 'sessions', 'project')
    ? 's.project AS project, s.branch AS branch'
    : 'NULL AS project, NULL AS branch';
}

const keyOf = (
  c: Pick<Cell, 'hour' | 'model' | 'model_raw' | 'client' | 'class' | 'project' | 'branch'>,
): string => JSON.stringify([c.hour, c.model, c.model_raw, c.client, c.class, c.project, c.branch]);

/** The rates a request was billed at (the long-context tier applies to the whole request above its threshold). */
export function ratesFor(prices: Prices, model: string | null, prompt: number): Rates | null {
  const p = prices.lookup(model);
  if (!p) return null;
  return p.longContext && prompt > p.longContext.above ? p.longContext : p;
}

/** Rollup cells of the request rows of `store` with from <= at < to. */
export function cellsOf(store: IndexStore, from: number, to: number, prices: Prices): Cell[] {
  const project = projectExpr(store);
  const range = [from, to];
  const cells = store.querySync<Cell>(
    `SELECT ${KEY}, ${project},
       COUNT(*) AS requests, COUNT(CASE WHEN r.outcome = 'failed' THEN 1 END) AS failed,
       COUNT(CASE WHEN r.outcome = 'interrupted' THEN 1 END) AS interrupted,
       COUNT(CASE WHEN r.outcome IS NULL THEN 1 END) AS in_flight,
       COALESCE(SUM(r.input_tokens), 0) AS input_tokens, COALESCE(SUM(r.output_tokens), 0) AS output_tokens,
       COALESCE(SUM(r.cache_read_tokens), 0) AS cache_read_tokens,
       COALESCE(SUM(r.cache_write_tokens), 0) AS cache_write_tokens,
       COALESCE(SUM(r.reasoning_tokens), 0) AS reasoning_tokens, COALESCE(SUM(r.cost_usd), 0) AS cost_usd,
       COUNT(CASE WHEN r.priced = 1 THEN 1 END) AS priced_requests,
       COUNT(CASE WHEN r.cost_status IN ('unpriced', 'partial') THEN 1 END) AS unpriced_requests,
       COUNT(CASE WHEN r.outcome IS NOT NULL AND (r.priced IS NULL OR r.priced = 0)
                   AND r.cost_status NOT IN ('free', 'no_usage') THEN 1 END) AS unpriced_finished,
       COALESCE(SUM(CASE WHEN r.priced = 1 THEN ${TOKENS} END), 0) AS priced_tokens,
       COALESCE(SUM(CASE WHEN r.cost_status IN ('priced', 'partial', 'unpriced', 'free') THEN ${TOKENS} END), 0)
         AS known_tokens,
       COUNT(r.cost_usd) AS cost_rows, 0 AS cache_saved_usd, 0 AS unpriced_cache_read
     FROM requests r LEFT JOIN sessions s ON s.id = r.session_id
     WHERE r.at >= ? AND r.at < ? GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    range,
  );
  const byKey = new Map(cells.map((c) => [keyOf(c), c]));
  // Cache savings need the rates of each row (the long-context tier depends on the row's prompt size).
  for (const r of store.querySync<Cell & { i: number; cr: number; cw: number; st: string }>(
    `SELECT ${KEY}, ${project}, COALESCE(r.input_tokens, 0) AS i, r.cache_read_tokens AS cr,
            COALESCE(r.cache_write_tokens, 0) AS cw, r.cost_status AS st
     FROM requests r LEFT JOIN sessions s ON s.id = r.session_id
     WHERE r.at >= ? AND r.at < ? AND r.cache_read_tokens > 0
       AND r.cost_status IN ('priced', 'partial', 'unpriced')`,
    range,
  )) {
    const c = byKey.get(keyOf(r));
    if (!c) continue;
    const rates = r.st === 'unpriced' ? null : ratesFor(prices, r.model, r.i + r.cr + r.cw);
    if (!rates) c.unpriced_cache_read += r.cr;
    else c.cache_saved_usd += (r.cr * (rates.input - (rates.cacheRead ?? rates.input))) / 1_000_000;
  }
  return cells;
}

/** Statements that replace the rollups of partition `part` for the given hours with `cells`. */
export function rollupStmts(part: number, hours: readonly number[], cells: readonly Cell[]): Stmt[] {
  const out: Stmt[] = hours.map((h) => ({
    sql: 'DELETE FROM rollups WHERE part = ? AND hour = ?',
    params: [part, h],
  }));
  const cols = ['part', ...CELL_COLUMNS];
  const sql = `INSERT INTO rollups (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
  for (const c of cells) out.push({ sql, params: [part, ...CELL_COLUMNS.map((k) => c[k] as SqlValue)] });
  return out;
}

/** The summary's session columns, in the order the session list returns them (queries.ts SESSION_COLUMNS). */
export const LIST_COLUMNS = [
  'id',
  'file',
  'client',
  'client_version',
  'user_agent',
  'id_source',
  'started_at',
  'last_at',
  'failed_count',
  'interrupted_count',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'tool_call_count',
  'models',
  'gaps',
  'lost_requests',
  'last_gap_at',
  'cost_usd',
  'unpriced_count',
  'request_count',
  'in_flight',
  'ended_at',
  'last_status',
  'last_outcome',
  'last_model',
  'last_preview',
  'title',
  'project',
  'branch',
] as const;

/** Statements that make the summary's rows of these sessions match partition `part` (absent ones leave it). */
export function sessionStmts(part: number, store: IndexStore, ids: readonly string[]): Stmt[] {
  const out: Stmt[] = [];
  const cols = [...LIST_COLUMNS, 'last_request_at', 'part'];
  // A session continued in a newer partition (part-spans.ts) keeps the newest one's row: an older partition's
  // refresh leaves it.
  const insert = `INSERT INTO session_list (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
    ON CONFLICT(id) DO UPDATE SET ${cols.map((c) => `${c} = excluded.${c}`).join(', ')}
    WHERE excluded.part >= session_list.part`;
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const rows = store.querySync<Record<string, SqlValue>>(
      `SELECT ${SESSION_COLUMNS}, (SELECT MAX(r.at) FROM requests r WHERE r.session_id = s.id) AS last_request_at
       FROM sessions s ${LAST_REQUEST_JOIN} WHERE s.id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    const found = new Set(rows.map((r) => r['id'] as string));
    for (const r of rows)
      out.push({ sql: insert, params: [...cols.slice(0, -1).map((k) => r[k] ?? null), part] });
    for (const id of chunk)
      if (!found.has(id))
        out.push({ sql: 'DELETE FROM session_list WHERE id = ? AND part = ?', params: [id, part] });
  }
  return out;
}

/** Statements that make the summary's file rows of these paths match partition `part`. */
export function fileStmts(part: number, store: IndexStore, paths: readonly string[]): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < paths.length; i += 200) {
    const chunk = paths.slice(i, i + 200);
    const rows = store.querySync<{ path: string; size: number; lines: number }>(
      `SELECT path, size, lines FROM files WHERE path IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    const found = new Set(rows.map((r) => r.path));
    for (const r of rows)
      out.push({
        sql: `INSERT INTO file_parts (path, part, size, lines) VALUES (?1, ?2, ?3, ?4)
              ON CONFLICT(path) DO UPDATE SET part = ?2, size = ?3, lines = ?4 WHERE ?2 >= file_parts.part`,
        params: [r.path, part, r.size, r.lines],
      });
    for (const p of chunk)
      if (!found.has(p))
        out.push({ sql: 'DELETE FROM file_parts WHERE path = ? AND part = ?', params: [p, part] });
  }
  return out;
}

/** The partition row: how many requests it holds and their time span. */
export function partitionStmt(part: number, state: 'open' | 'closed', store: IndexStore): Stmt {
  const r = store.querySync<{ n: number; lo: number | null; hi: number | null }>(
    'SELECT COUNT(*) AS n, MIN(at) AS lo, MAX(at) AS hi FROM requests',
  )[0]!;
  return {
    sql: `INSERT INTO partitions (id, state, requests, first_at, last_at) VALUES (?1, ?2, ?3, ?4, ?5)
          ON CONFLICT(id) DO UPDATE SET state = ?2, requests = ?3, first_at = ?4, last_at = ?5`,
    params: [part, state, r.n, r.lo, r.hi],
  };
}

/** Every summary row of partition `part`, recomputed from the partition (start-up, rebuilds, moves). */
/** The partition's limit readings into the summary, where a newer reading of a window wins (a few rows). */
function limitStmts(store: IndexStore): Stmt[] {
  const rows = store.querySync<Record<string, SqlValue>>(
    'SELECT provider, win, utilization, reset_at, seen_at, lim, remaining, status, binding FROM limits',
  );
  return rows.map((r) => ({
    sql: `INSERT INTO limits (provider, win, utilization, reset_at, seen_at, lim, remaining, status, binding)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(provider, win) DO UPDATE SET utilization = excluded.utilization,
            reset_at = excluded.reset_at, seen_at = excluded.seen_at, lim = excluded.lim,
            remaining = excluded.remaining, status = excluded.status, binding = excluded.binding
          WHERE excluded.seen_at > limits.seen_at`,
    params: [
      r['provider']!,
      r['win']!,
      r['utilization']!,
      r['reset_at']!,
      r['seen_at']!,
      r['lim']!,
      r['remaining']!,
      r['status']!,
      r['binding']!,
    ],
  }));
}

export function wholePartitionStmts(
  part: number,
  state: 'open' | 'closed',
  store: IndexStore,
  prices: Prices,
): Stmt[] {
  const ids = store.querySync<{ id: string }>('SELECT id FROM sessions').map((r) => r.id);
  const paths = store.querySync<{ path: string }>('SELECT path FROM files').map((r) => r.path);
  return [
    { sql: 'DELETE FROM session_list WHERE part = ?', params: [part] },
    { sql: 'DELETE FROM file_parts WHERE part = ?', params: [part] },
    { sql: 'DELETE FROM rollups WHERE part = ?', params: [part] },
    ...sessionStmts(part, store, ids),
    ...fileStmts(part, store, paths),
    ...rollupStmts(part, [], cellsOf(store, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, prices)),
    partitionStmt(part, state, store),
    ...limitStmts(store),
    ...(state === 'closed' ? aggregateStmts(part, store) : clearAggregateStmts(part)),
  ];
}

/**
 * Temporary triggers on a partition that note which sessions, hours and files a batch touched (TEMP: never
 * saved with the partition). Installed before every batch (IF NOT EXISTS), so a reopened database gets them.
 */
export const DIRTY_SQL = `
CREATE TEMP TABLE IF NOT EXISTS dirty_sessions (id TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS dirty_hours (h INTEGER PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS dirty_files (path TEXT PRIMARY KEY);
CREATE TEMP TRIGGER IF NOT EXISTS dirty_rq_i AFTER INSERT ON main.requests BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (NEW.session_id);
  INSERT OR IGNORE INTO dirty_hours VALUES (CAST(NEW.at / ${HOUR_MS} AS INTEGER)); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_rq_u AFTER UPDATE ON main.requests BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (NEW.session_id);
  INSERT OR IGNORE INTO dirty_hours VALUES (CAST(NEW.at / ${HOUR_MS} AS INTEGER)); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_rq_d AFTER DELETE ON main.requests BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (OLD.session_id);
  INSERT OR IGNORE INTO dirty_hours VALUES (CAST(OLD.at / ${HOUR_MS} AS INTEGER)); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_ss_i AFTER INSERT ON main.sessions BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (NEW.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_ss_u AFTER UPDATE ON main.sessions BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (NEW.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_ss_d AFTER DELETE ON main.sessions BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (OLD.id); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_tc_i AFTER INSERT ON main.tool_calls BEGIN
  INSERT OR IGNORE INTO dirty_sessions VALUES (NEW.session_id); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_fi_i AFTER INSERT ON main.files BEGIN
  INSERT OR IGNORE INTO dirty_files VALUES (NEW.path); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_fi_u AFTER UPDATE ON main.files BEGIN
  INSERT OR IGNORE INTO dirty_files VALUES (NEW.path); END;
CREATE TEMP TRIGGER IF NOT EXISTS dirty_fi_d AFTER DELETE ON main.files BEGIN
  INSERT OR IGNORE INTO dirty_files VALUES (OLD.path); END;
`;

/** What batches on a partition touched: sessions, hours and files. */
export interface Dirty {
  sessions: string[];
  hours: number[];
  files: string[];
}

/** What the last batches on a partition touched (and forget it). */
export function takeDirty(store: IndexStore): Dirty {
  // Prepared once (querySync), not parsed again for every batch as db.exec would: ~50 µs less per batch.
  return store.scratch(() => {
    const out = {
      sessions: store.querySync<{ id: string }>('SELECT id FROM temp.dirty_sessions').map((r) => r.id),
      hours: store.querySync<{ h: number }>('SELECT h FROM temp.dirty_hours').map((r) => r.h),
      files: store.querySync<{ path: string }>('SELECT path FROM temp.dirty_files').map((r) => r.path),
    };
    for (const table of ['dirty_sessions', 'dirty_hours', 'dirty_files'])
      store.querySync(`DELETE FROM temp.${table}`);
    return out;
  });
}

/** Stores whose dirty-mark tables and triggers (DIRTY_SQL) are known to be there. */
const marked = new WeakSet<IndexStore>();

/**
 * DIRTY_SQL on `store` unless it ran there already: parsing its thirteen statements before every batch cost
 * ~0.1 ms each time. Whatever drops them (a bulk build's dropped triggers) calls `dirtyMarksDropped`.
 */
export function ensureDirtyMarks(store: IndexStore): void {
  if (marked.has(store)) return;
  store.db.exec(DIRTY_SQL);
  marked.add(store);
}

/** The dirty-mark triggers of `store` were dropped: the next ensureDirtyMarks creates them again. */
export function dirtyMarksDropped(store: IndexStore): void {
  marked.delete(store);
}

/** Summary statements for what a batch touched on partition `part` (or `d`: marks taken earlier). */
export function dirtyStmts(
  part: number,
  state: 'open' | 'closed',
  store: IndexStore,
  prices: Prices,
  d: Dirty = takeDirty(store),
): Stmt[] {
  const out: Stmt[] = [...sessionStmts(part, store, d.sessions), ...fileStmts(part, store, d.files)];
  for (const h of d.hours)
    out.push(...rollupStmts(part, [h], cellsOf(store, h * HOUR_MS, (h + 1) * HOUR_MS, prices)));
  if (d.hours.length > 0) out.push(partitionStmt(part, state, store), ...limitStmts(store));
  // A closed partition changes rarely (a claim, retention): its aggregates are recomputed whole.
  if (state === 'closed') out.push(...aggregateStmts(part, store));
  return out;
}
