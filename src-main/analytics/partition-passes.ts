// The parts of analytics and stats the rollups cannot answer, as passes over the partitions that overlap the
// window (partitions.ts): tool latency quantiles (p50/p95 need every latency), the slowest tool calls, and the
// time split of the most recent sessions (newest partitions first, stopping once enough sessions are found).
import type { PartitionedIndex, PartitionInfo } from '../index/partitions.js';
import { sumTimeSplit, type AnalyticsResult, type SlowToolCall } from './analytics.js';
import { quantile, rangeWhere, round, type ToolStats } from './stats.js';

/** A tool result comes back after its request: partitions are kept if their requests end this close to `since`. */
const CALL_SLACK_MS = 86_400_000;

function overlapping(pi: PartitionedIndex, since?: number, until?: number): PartitionInfo[] {
  return pi
    .partitions()
    .filter(
      (p) =>
        p.last_at !== null &&
        (since === undefined || p.last_at >= since - CALL_SLACK_MS) &&
        (until === undefined || (p.first_at ?? 0) <= until),
    );
}

/** Calls, error rate and latency quantiles per tool name, over every partition in the window. */
export async function toolStatsAcross(
  pi: PartitionedIndex,
  a: { since?: number; until?: number } = {},
): Promise<ToolStats[]> {
  const { w, params } = rangeWhere('called_at', a);
  const counts = new Map<string, { calls: number; errors: number; answered: number; lat: number[] }>();
  for (const p of overlapping(pi, a.since, a.until)) {
    const store = await pi.store(p.id);
    for (const r of store.querySync<{ name: string; e: number | null; a: string | null; l: number | null }>(
      `SELECT name, is_error AS e, result_request_id AS a, latency_ms AS l FROM tool_calls ${w}`,
      params,
    )) {
      let c = counts.get(r.name);
      if (!c) counts.set(r.name, (c = { calls: 0, errors: 0, answered: 0, lat: [] }));
      c.calls++;
      if (r.e === 1) c.errors++;
      if (r.a !== null) c.answered++;
      if (r.l !== null) c.lat.push(r.l);
    }
  }
  return [...counts.entries()]
    .sort((x, y) => y[1].calls - x[1].calls || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([name, c]) => {
      const l = c.lat.sort((x, y) => x - y);
      return {
        name,
        calls: c.calls,
        errors: c.errors,
        error_rate: c.answered === 0 ? null : round(c.errors / c.answered),
        latency_p50_ms: quantile(l, 0.5),
        latency_p95_ms: quantile(l, 0.95),
      };
    });
}

/** The ten slowest tool calls in the window. */
export async function slowestAcross(pi: PartitionedIndex, since: number | null): Promise<SlowToolCall[]> {
  const all: (Omit<SlowToolCall, 'is_error'> & { is_error: number | null })[] = [];
  for (const p of overlapping(pi, since ?? undefined)) {
    const store = await pi.store(p.id);
    all.push(
      ...store.querySync<Omit<SlowToolCall, 'is_error'> & { is_error: number | null }>(
        `SELECT name, session_id, request_id, called_at, latency_ms, is_error FROM tool_calls
         ${since === null ? 'WHERE' : 'WHERE called_at >= ? AND'} latency_ms IS NOT NULL
         ORDER BY latency_ms DESC, called_at DESC LIMIT 10`,
        since === null ? [] : [since],
      ),
    );
  }
  return all
    .sort((x, y) => y.latency_ms - x.latency_ms || y.called_at - x.called_at)
    .slice(0, 10)
    .map((r) => ({ ...r, is_error: r.is_error === null ? null : r.is_error === 1 }));
}

/** The time split (analytics.ts timeSplit) of the `limit` most recent sessions, newest partitions first. */
export async function timeSplitAcross(
  pi: PartitionedIndex,
  since: number | null,
  limit: number,
): Promise<AnalyticsResult['time_split']> {
  const rows: { span: number; model: number; tool: number; latest: number }[] = [];
  for (const p of overlapping(pi, since ?? undefined)) {
    rows.sort((x, y) => y.latest - x.latest);
    if (rows.length >= limit && (p.last_at ?? 0) < rows[limit - 1]!.latest) break;
    const store = await pi.store(p.id);
    rows.push(
      ...store.querySync<{ span: number; model: number; tool: number; latest: number }>(
        `SELECT MAX(COALESCE(r.ended_at, r.at)) - MIN(r.at) AS span, COALESCE(SUM(r.duration_ms), 0) AS model,
                COALESCE((SELECT SUM(t.latency_ms) FROM tool_calls t WHERE t.session_id = r.session_id
                          ${since === null ? '' : 'AND t.called_at >= ?'}), 0) AS tool, MAX(r.at) AS latest
         FROM requests r WHERE r.outcome IS NOT NULL ${since === null ? '' : 'AND r.at >= ?'}
         GROUP BY r.session_id ORDER BY MAX(r.at) DESC LIMIT ${limit}`,
        since === null ? [] : [since, since],
      ),
    );
  }
  rows.sort((x, y) => y.latest - x.latest);
  return sumTimeSplit(rows.slice(0, limit));
}
