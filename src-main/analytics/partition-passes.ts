// The parts of analytics and stats the rollups cannot answer: tool latency quantiles, the slowest tool calls and
// the time split of the most recent sessions. A closed partition is answered from its aggregates in the summary
// (index/part-aggregates.ts) when the window holds all of it, skipped when it holds none of it, and opened and
// queried only when the window's start cuts through it (one or two partitions). The open partition is queried
// from its rows, so a history in one partition gets exactly what one database gives; over several, latency
// quantiles are merged from sketches (latency-sketch.ts: exact up to 64 latencies per tool and partition, else
// within 1 %), and the slowest calls and the time split stay exact.
import { aggregateStmts, slowestSql, splitSql } from '../index/part-aggregates.js';
import type { PartitionedIndex, PartitionInfo } from '../index/partitions.js';
import { sumTimeSplit, type AnalyticsResult, type SlowToolCall } from './analytics.js';
import { LatencySketch } from './latency-sketch.js';
import { rangeWhere, round, type ToolStats } from './stats.js';

/** A closed partition's aggregates row: how many tool calls it holds and when they were called. */
interface Agg {
  calls: number;
  min_called: number | null;
  max_called: number | null;
}

/** How a partition serves a window: from the summary, from its rows, or not at all. */
type Use = 'summary' | 'rows' | 'skip';

/**
 * The closed partitions' aggregates, computed first for any that lack them (a summary of an older LunaRoute, or
 * a partition closed by one): that opens such a partition once, then never again for analytics.
 */
export async function aggregatesOf(pi: PartitionedIndex): Promise<Map<number, Agg>> {
  const load = (): Map<number, Agg> =>
    new Map(
      pi.summary
        .querySync<Agg & { part: number }>('SELECT part, calls, min_called, max_called FROM part_aggs')
        .map((r) => [r.part, r]),
    );
  let aggs = load();
  const missing = pi
    .partitions()
    .filter((p) => p.state === 'closed' && p.id !== pi.openId && !aggs.has(p.id));
  if (missing.length === 0) return aggs;
  for (const p of missing) pi.summary.runSync(aggregateStmts(p.id, await pi.store(p.id)));
  aggs = load();
  return aggs;
}

/**
 * Which way partition `p` serves tool calls with since <= called_at <= until (and, for `requestsSince`, requests
 * at or after since): a closed one wholly inside from the summary, wholly outside skipped, else from its rows.
 */
function useOf(
  pi: PartitionedIndex,
  aggs: Map<number, Agg>,
  p: PartitionInfo,
  w: { since?: number; until?: number },
  requestsSince = false,
): Use {
  const agg = p.id === pi.openId ? undefined : aggs.get(p.id);
  if (!agg) return p.last_at === null && p.id !== pi.openId ? 'skip' : 'rows';
  if (requestsSince) {
    if (p.last_at === null || (w.since !== undefined && p.last_at < w.since)) return 'skip';
    const inside =
      w.since === undefined ||
      ((p.first_at ?? 0) >= w.since && (agg.min_called === null || agg.min_called >= w.since));
    return inside ? 'summary' : 'rows';
  }
  if (agg.calls === 0 || agg.min_called === null || agg.max_called === null) return 'skip';
  if (
    (w.since !== undefined && agg.max_called < w.since) ||
    (w.until !== undefined && agg.min_called > w.until)
  )
    return 'skip';
  const inside =
    (w.since === undefined || agg.min_called >= w.since) &&
    (w.until === undefined || agg.max_called <= w.until);
  return inside ? 'summary' : 'rows';
}

/** Calls, error rate and latency quantiles per tool name, over every partition in the window. */
export async function toolStatsAcross(
  pi: PartitionedIndex,
  a: { since?: number; until?: number } = {},
): Promise<ToolStats[]> {
  const aggs = await aggregatesOf(pi);
  const { w, params } = rangeWhere('called_at', a);
  const counts = new Map<string, { calls: number; errors: number; answered: number; lat: LatencySketch }>();
  const entry = (name: string): { calls: number; errors: number; answered: number; lat: LatencySketch } => {
    let c = counts.get(name);
    if (!c) counts.set(name, (c = { calls: 0, errors: 0, answered: 0, lat: new LatencySketch() }));
    return c;
  };
  // Latencies read from rows stay exact until a sketch from the summary has to be merged with them.
  const rowLat = new Map<string, number[]>();
  const fromSummary: number[] = [];
  for (const p of pi.partitions()) {
    const use = useOf(pi, aggs, p, a);
    if (use === 'summary') fromSummary.push(p.id);
    if (use !== 'rows') continue;
    const store = await pi.store(p.id);
    for (const r of store.querySync<{ name: string; e: number | null; a: string | null; l: number | null }>(
      `SELECT name, is_error AS e, result_request_id AS a, latency_ms AS l FROM tool_calls ${w}`,
      params,
    )) {
      const c = entry(r.name);
      c.calls++;
      if (r.e === 1) c.errors++;
      if (r.a !== null) c.answered++;
      if (r.l !== null) {
        let l = rowLat.get(r.name);
        if (!l) rowLat.set(r.name, (l = []));
        l.push(r.l);
      }
    }
  }
  if (fromSummary.length > 0)
    for (const r of pi.summary.querySync<{
      name: string;
      calls: number;
      errors: number;
      answered: number;
      latency: string;
    }>(
      `SELECT name, calls, errors, answered, latency FROM part_tools
       WHERE part IN (SELECT value FROM json_each(?)) ORDER BY part`,
      [JSON.stringify(fromSummary)],
    )) {
      const c = entry(r.name);
      c.calls += r.calls;
      c.errors += r.errors;
      c.answered += r.answered;
      c.lat.merge(LatencySketch.decode(r.latency));
    }
  for (const [name, l] of rowLat) entry(name).lat.merge(LatencySketch.ofValues(l));
  return [...counts.entries()]
    .sort((x, y) => y[1].calls - x[1].calls || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .map(([name, c]) => ({
      name,
      calls: c.calls,
      errors: c.errors,
      error_rate: c.answered === 0 ? null : round(c.errors / c.answered),
      latency_p50_ms: c.lat.quantile(0.5),
      latency_p95_ms: c.lat.quantile(0.95),
    }));
}

type SlowRow = Omit<SlowToolCall, 'is_error'> & { is_error: number | null };

/** The ten slowest tool calls in the window. */
export async function slowestAcross(pi: PartitionedIndex, since: number | null): Promise<SlowToolCall[]> {
  const aggs = await aggregatesOf(pi);
  const all: SlowRow[] = [];
  const fromSummary: number[] = [];
  for (const p of pi.partitions()) {
    const use = useOf(pi, aggs, p, since === null ? {} : { since });
    if (use === 'summary') fromSummary.push(p.id);
    if (use !== 'rows') continue;
    const store = await pi.store(p.id);
    all.push(...store.querySync<SlowRow>(slowestSql(since !== null), since === null ? [] : [since]));
  }
  if (fromSummary.length > 0)
    all.push(
      ...pi.summary.querySync<SlowRow>(
        `SELECT name, session_id, request_id, called_at, latency_ms, is_error FROM part_slowest
         WHERE part IN (SELECT value FROM json_each(?)) ORDER BY latency_ms DESC, called_at DESC`,
        [JSON.stringify(fromSummary)],
      ),
    );
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
  const aggs = await aggregatesOf(pi);
  const rows: { span: number; model: number; tool: number; latest: number }[] = [];
  for (const p of pi.partitions()) {
    const use = useOf(pi, aggs, p, since === null ? {} : { since }, true);
    if (use === 'skip') continue;
    rows.sort((x, y) => y.latest - x.latest);
    if (rows.length >= limit && (p.last_at ?? 0) < rows[limit - 1]!.latest) break;
    if (use === 'summary')
      rows.push(
        ...pi.summary.querySync<{ span: number; model: number; tool: number; latest: number }>(
          `SELECT span, model, tool, latest FROM part_splits WHERE part = ? ORDER BY latest DESC LIMIT ${limit}`,
          [p.id],
        ),
      );
    else {
      const store = await pi.store(p.id);
      rows.push(
        ...store.querySync<{ span: number; model: number; tool: number; latest: number }>(
          `${splitSql(since !== null)} ORDER BY MAX(r.at) DESC LIMIT ${limit}`,
          since === null ? [] : [since, since],
        ),
      );
    }
  }
  rows.sort((x, y) => y.latest - x.latest);
  return sumTimeSplit(rows.slice(0, limit));
}
