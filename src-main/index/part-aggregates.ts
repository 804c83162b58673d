// Per-partition aggregates of the tool calls and sessions of each CLOSED partition, kept in the summary (summary.ts)
// so analytics over all history (analytics/partition-passes.ts) need not open closed partitions: per tool name its
// calls, errors, answered calls and a latency sketch (analytics/latency-sketch.ts, ±1 %); the partition's ten
// slowest tool calls (exact rows); and the time split of each of its sessions. Like every summary row they are
// derived: recomputed from the partition whenever it closes, changes (a claim, retention) or is rebuilt, and
// deleted with it. The open partition has none (it is in memory and answered from its rows). Size: bounded per
// partition (a sketch per tool of ≤ ~800 buckets, 10 slow calls, ≤ 1,000 sessions), never per request.
import { LatencySketch } from '../analytics/latency-sketch.js';
import type { IndexStore } from './db.js';
import type { Stmt } from './types.js';

/** The summary tables of this module (created in a summary of an older LunaRoute by ensureAggregateTables). */
export const AGGREGATE_SQL = `
CREATE TABLE IF NOT EXISTS part_aggs (  -- a closed partition whose aggregates are computed
  part INTEGER PRIMARY KEY,
  calls INTEGER NOT NULL,         -- tool calls it holds
  min_called INTEGER,             -- MIN/MAX(tool_calls.called_at): whether a window holds all, some or none
  max_called INTEGER
);
CREATE TABLE IF NOT EXISTS part_tools (
  part INTEGER NOT NULL, name TEXT NOT NULL, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
  answered INTEGER NOT NULL,      -- calls with a result (the error rate's base)
  latency TEXT NOT NULL,          -- LatencySketch.encode() of its latencies
  PRIMARY KEY (part, name)
);
CREATE TABLE IF NOT EXISTS part_slowest (  -- the partition's ten slowest tool calls
  part INTEGER NOT NULL, name TEXT NOT NULL, session_id TEXT NOT NULL, request_id TEXT NOT NULL,
  called_at INTEGER NOT NULL, latency_ms REAL NOT NULL, is_error INTEGER
);
CREATE INDEX IF NOT EXISTS part_slowest_part ON part_slowest(part);
CREATE TABLE IF NOT EXISTS part_splits (  -- the time split of its 1,000 latest sessions with a finished request
  part INTEGER NOT NULL, session_id TEXT NOT NULL, span REAL NOT NULL, model REAL NOT NULL, tool REAL NOT NULL,
  latest INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS part_splits_part ON part_splits(part, latest DESC);
`;

/** Sessions kept per partition for the time split: analytics asks for at most this many (rollup-analytics.ts). */
export const SPLIT_SESSIONS_MAX = 1_000;

export const AGGREGATE_TABLES = ['part_aggs', 'part_tools', 'part_slowest', 'part_splits'] as const;

/** Statements deleting every summary row of one partition (or of all, `part` undefined). */
export function forgetSummaryRows(part?: number): Stmt[] {
  return ['file_parts', 'file_spans', 'session_list', 'rollups', ...AGGREGATE_TABLES].map((t) =>
    part === undefined
      ? { sql: `DELETE FROM ${t}`, params: [] }
      : { sql: `DELETE FROM ${t} WHERE part = ?`, params: [part] },
  );
}

/** Statements creating the tables in a summary written before they existed (none when they are there). */
export function ensureAggregateTables(summary: IndexStore): Stmt[] {
  const have = new Set(
    summary
      .querySync<{ name: string }>(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index')`)
      .map((r) => r.name),
  );
  if (AGGREGATE_TABLES.every((t) => have.has(t)) && have.has('part_splits_part')) return [];
  return AGGREGATE_SQL.split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((sql) => ({ sql, params: [] }));
}

/** Statements deleting every aggregate of partition `part` (it opened again, or is gone). */
export function clearAggregateStmts(part: number): Stmt[] {
  return AGGREGATE_TABLES.map((t) => ({ sql: `DELETE FROM ${t} WHERE part = ?`, params: [part] }));
}

/** The time split columns of one session, over the requests and tool calls of `store` (since: a window). */
export function splitSql(since: boolean): string {
  return `SELECT r.session_id AS session_id, MAX(COALESCE(r.ended_at, r.at)) - MIN(r.at) AS span,
            COALESCE(SUM(r.duration_ms), 0) AS model,
            COALESCE((SELECT SUM(t.latency_ms) FROM tool_calls t WHERE t.session_id = r.session_id
                      ${since ? 'AND t.called_at >= ?' : ''}), 0) AS tool, MAX(r.at) AS latest
          FROM requests r WHERE r.outcome IS NOT NULL ${since ? 'AND r.at >= ?' : ''}
          GROUP BY r.session_id`;
}

/** The ten slowest tool calls of `store` (since: called at or after a bound). */
export function slowestSql(since: boolean): string {
  return `SELECT name, session_id, request_id, called_at, latency_ms, is_error FROM tool_calls
          WHERE ${since ? 'called_at >= ? AND' : ''} latency_ms IS NOT NULL
          ORDER BY latency_ms DESC, called_at DESC LIMIT 10`;
}

/** Statements replacing the aggregates of closed partition `part` with ones computed from its rows. */
export function aggregateStmts(part: number, store: IndexStore): Stmt[] {
  const out = clearAggregateStmts(part);
  const range = store.querySync<{ n: number; lo: number | null; hi: number | null }>(
    'SELECT COUNT(*) AS n, MIN(called_at) AS lo, MAX(called_at) AS hi FROM tool_calls',
  )[0]!;
  out.push({
    sql: 'INSERT INTO part_aggs (part, calls, min_called, max_called) VALUES (?, ?, ?, ?)',
    params: [part, range.n, range.lo, range.hi],
  });
  const tools = new Map<string, { calls: number; errors: number; answered: number; lat: LatencySketch }>();
  for (const r of store.querySync<{ name: string; e: number | null; a: number; l: number | null }>(
    'SELECT name, is_error AS e, result_request_id IS NOT NULL AS a, latency_ms AS l FROM tool_calls',
  )) {
    let t = tools.get(r.name);
    if (!t) tools.set(r.name, (t = { calls: 0, errors: 0, answered: 0, lat: new LatencySketch() }));
    t.calls++;
    if (r.e === 1) t.errors++;
    if (r.a === 1) t.answered++;
    if (r.l !== null) t.lat.add(r.l);
  }
  for (const [name, t] of tools)
    out.push({
      sql: 'INSERT INTO part_tools (part, name, calls, errors, answered, latency) VALUES (?, ?, ?, ?, ?, ?)',
      params: [part, name, t.calls, t.errors, t.answered, t.lat.encode()],
    });
  for (const r of store.querySync<{
    name: string;
    session_id: string;
    request_id: string;
    called_at: number;
    latency_ms: number;
    is_error: number | null;
  }>(slowestSql(false)))
    out.push({
      sql: `INSERT INTO part_slowest (part, name, session_id, request_id, called_at, latency_ms, is_error)
            VALUES (?, ?, ?, ?, ?, ?, ?)`,
      params: [part, r.name, r.session_id, r.request_id, r.called_at, r.latency_ms, r.is_error],
    });
  for (const r of store.querySync<{
    session_id: string;
    span: number;
    model: number;
    tool: number;
    latest: number;
  }>(`${splitSql(false)} ORDER BY MAX(r.at) DESC LIMIT ${SPLIT_SESSIONS_MAX}`))
    out.push({
      sql: 'INSERT INTO part_splits (part, session_id, span, model, tool, latest) VALUES (?, ?, ?, ?, ?, ?)',
      params: [part, r.session_id, r.span, r.model, r.tool, r.latest],
    });
  return out;
}
