// Aggregates over the index for `lunaroute stats` (and, through QUERIES, the dashboard): totals, a breakdown by
// day, model, client, request class or tool, and the share of tokens and cost each request class takes. Every
// figure is a SUM/COUNT over request rows (a session total is never re-derived). Cost is the sum of the priced
// rows; `priced_share` says how much of the traffic that sum covers, and `unpriced_models` names what is missing.
import type { IndexStore } from '../index/db.js';
import type { SqlValue } from '../index/indexer.js';
import type { Limits } from '../../src-shared/limits.js';
import { readLimits } from './limits.js';

export type StatsBy = 'day' | 'model' | 'client' | 'tool' | 'class' | 'project' | 'branch';
export const STATS_BY: readonly StatsBy[] = ['day', 'model', 'client', 'tool', 'class', 'project', 'branch'];

export interface StatsArgs {
  /** Only requests that arrived at or after this epoch ms. */
  since?: number;
  until?: number;
  by?: StatsBy;
  /** Minutes east of UTC for day boundaries (default: this process's time zone). */
  tzOffsetMinutes?: number;
}

export interface TokenCost {
  requests: number;
  failed: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** Sum of the cost of priced requests (USD); partial costs count as their known part. */
  cost_usd: number;
  /** Requests with usage whose cost is complete (priced or free). */
  priced_requests: number;
  /** Requests with usage but no price for their model, or a partial cost. */
  unpriced_requests: number;
}

export interface StatsGroup extends TokenCost {
  key: string;
  /** By project or branch: the session's working directory (full path; null when its client named none). */
  project?: string | null;
  /** By branch: the session's git branch (null when its client named none). */
  branch?: string | null;
}

export interface ToolStats {
  name: string;
  calls: number;
  /** Calls whose result came back marked as an error. */
  errors: number;
  /** errors / calls with a result; null when none came back. */
  error_rate: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

export interface StatsResult {
  since: number | null;
  until: number | null;
  sessions: number;
  totals: TokenCost & {
    /** priced_requests / (priced + unpriced); null when no request reported usage. */
    priced_share: number | null;
  };
  /** Models with usage but no price (shown as "unpriced", never $0). */
  unpriced_models: string[];
  /** Share of tokens and cost per request class (main, subagent, title, count_tokens, compaction, probe). */
  classes: StatsGroup[];
  by: StatsBy | null;
  groups: StatsGroup[];
  tools: ToolStats[];
  /** Plan and rate limits as last seen in response headers, whatever `since` says (src-shared/limits.ts). */
  limits: Limits;
}

export const SUMS = `COUNT(*) AS requests, COUNT(CASE WHEN outcome = 'failed' THEN 1 END) AS failed,
  COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
  COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens, COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,
  COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens, COALESCE(SUM(cost_usd), 0) AS cost_usd,
  COUNT(CASE WHEN priced = 1 THEN 1 END) AS priced_requests,
  COUNT(CASE WHEN cost_status IN ('unpriced', 'partial') THEN 1 END) AS unpriced_requests`;

export function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function clean<T extends TokenCost>(r: T): T {
  return { ...r, cost_usd: round(r.cost_usd) };
}

/** The value at quantile q of sorted numbers (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `WHERE <column> >= since AND <column> <= until` for the bounds that are set ('' when none). */
export function rangeWhere(
  column: 'at' | 'called_at',
  a: { since?: number; until?: number },
): { w: string; params: SqlValue[] } {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (a.since !== undefined) {
    where.push(`${column} >= ?`);
    params.push(a.since);
  }
  if (a.until !== undefined) {
    where.push(`${column} <= ?`);
    params.push(a.until);
  }
  return { w: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

export function computeStats(index: IndexStore, a: StatsArgs = {}): StatsResult {
  const { w, params } = rangeWhere('at', a);
  const q = <T>(sql: string, p: SqlValue[] = params): T[] => index.querySync<T>(sql, p);
  const totals = clean(q<TokenCost>(`SELECT ${SUMS} FROM requests ${w}`)[0]!);
  const sessions = q<{ n: number }>(`SELECT COUNT(DISTINCT session_id) AS n FROM requests ${w}`)[0]?.n ?? 0;
  const known = totals.priced_requests + totals.unpriced_requests;
  const unpricedModels = q<{ m: string }>(
    `SELECT DISTINCT COALESCE(model, model_requested, '(unknown)') AS m FROM requests
     ${w ? `${w} AND` : 'WHERE'} cost_status IN ('unpriced', 'partial') ORDER BY m LIMIT 100`,
  ).map((r) => r.m);
  const group = (expr: string): StatsGroup[] =>
    q<StatsGroup>(
      `SELECT ${expr} AS key, ${SUMS} FROM requests ${w} GROUP BY key ORDER BY cost_usd DESC, requests DESC, key`,
    ).map(clean);
  const classes = group('class');
  const offsetMs = (a.tzOffsetMinutes ?? -new Date().getTimezoneOffset()) * 60_000;
  let groups: StatsGroup[] = [];
  let tools: ToolStats[] = [];
  if (a.by === 'day') {
    groups = q<StatsGroup>(
      `SELECT date((at + ?) / 1000, 'unixepoch') AS key, ${SUMS} FROM requests ${w} GROUP BY key ORDER BY key`,
      [offsetMs, ...params],
    ).map(clean);
  } else if (a.by === 'model') groups = group(`COALESCE(model, model_requested, '(unknown)')`);
  else if (a.by === 'client') groups = group('client');
  else if (a.by === 'class') groups = classes;
  else if (a.by === 'project' || a.by === 'branch') groups = projectGroups(q, w, a.by);
  if (a.by === 'tool') tools = toolStats(index, a);
  return {
    since: a.since ?? null,
    until: a.until ?? null,
    sessions,
    totals: { ...totals, priced_share: known === 0 ? null : round(totals.priced_requests / known) },
    unpriced_models: unpricedModels,
    classes,
    by: a.by ?? null,
    groups,
    tools,
    limits: readLimits(index),
  };
}

/**
 * By the session's project (its working directory) or by project and branch. Requests of sessions whose
 * client named no directory or branch fall in a `(none)` group (project/branch null).
 */
export function projectGroups(
  q: <T>(sql: string, p?: SqlValue[]) => T[],
  w: string,
  by: 'project' | 'branch',
): StatsGroup[] {
  const cols = by === 'project' ? 's.project AS project' : 's.project AS project, s.branch AS branch';
  const key = by === 'project' ? `COALESCE(s.project, '(none)')` : `COALESCE(s.branch, '(none)')`;
  return q<StatsGroup>(
    `SELECT ${key} AS key, ${cols}, ${SUMS}
     FROM (SELECT * FROM requests ${w}) requests
     LEFT JOIN (SELECT id AS sid, project, branch FROM sessions) s ON s.sid = requests.session_id
     GROUP BY ${by === 'project' ? 's.project' : 's.project, s.branch'}
     ORDER BY cost_usd DESC, requests DESC, key`,
  ).map(clean);
}

/** Calls, error rate and result latency per tool name (calls made in the window). */
export function toolStats(index: IndexStore, a: StatsArgs = {}): ToolStats[] {
  const { w, params } = rangeWhere('called_at', a);
  const counts = index.querySync<{ name: string; calls: number; errors: number; answered: number }>(
    `SELECT name, COUNT(*) AS calls, COUNT(CASE WHEN is_error = 1 THEN 1 END) AS errors,
            COUNT(result_request_id) AS answered
     FROM tool_calls ${w} GROUP BY name ORDER BY calls DESC, name`,
    params,
  );
  const latencies = new Map<string, number[]>();
  for (const r of index.querySync<{ name: string; l: number }>(
    `SELECT name, latency_ms AS l FROM tool_calls ${w ? `${w} AND` : 'WHERE'} latency_ms IS NOT NULL ORDER BY name, l`,
    params,
  )) {
    let list = latencies.get(r.name);
    if (!list) latencies.set(r.name, (list = []));
    list.push(r.l);
  }
  return counts.map((c) => {
    const l = latencies.get(c.name) ?? [];
    return {
      name: c.name,
      calls: c.calls,
      errors: c.errors,
      error_rate: c.answered === 0 ? null : round(c.errors / c.answered),
      latency_p50_ms: quantile(l, 0.5),
      latency_p95_ms: quantile(l, 0.95),
    };
  });
}
