// Analytics, stats and the totals query of a partitioned index, from the summary's hourly rollups (summary.ts)
// instead of a scan of every request row: the same results as analytics.ts / stats.ts / queries.ts indexStats
// over one database. Whole hours come from the rollups; a window edge inside an hour is summed from the rows of
// the partitions holding that hour, and a time zone that is not a whole number of hours from UTC falls back to
// cells computed from the rows. Tool quantiles, the slowest calls and the time split are partition passes.
import { cellsOf, HOUR_MS, type Cell } from '../index/summary.js';
import type { PartitionedIndex } from '../index/partitions.js';
import type { IndexStats } from '../index/queries.js';
import {
  branchLabel,
  relabel,
  emptyPoint,
  shares,
  type AnalyticsArgs,
  type AnalyticsBucket,
  type AnalyticsResult,
  type SeriesPoint,
  type SplitSeries,
} from './analytics.js';
import { slowestAcross, timeSplitAcross, toolStatsAcross } from './partition-passes.js';
import { readLimits } from './limits.js';
import { bundledPrices, type Prices } from './prices.js';
import { round, type StatsArgs, type StatsGroup, type StatsResult, type TokenCost } from './stats.js';

const DAY = 86_400_000;
const MAX_BUCKETS = 2_000;
const SPLIT_TOP = 5;
const INF = Number.MAX_SAFE_INTEGER;

/** A cell with the start of the bucket (`slot`) it falls in. */
type Slotted = Cell & { slot: number };

/**
 * Cells of the requests with lo <= at < hi, each with its bucket start for buckets of `bucketMs` at `offsetMs`.
 * Rollups serve every whole hour when the offset is a whole number of hours; the rest comes from the rows.
 */
async function cellsIn(
  pi: PartitionedIndex,
  lo: number,
  hi: number,
  bucketMs: number,
  offsetMs: number,
  prices: Prices,
): Promise<Slotted[]> {
  const slotOf = (at: number): number => Math.floor((at + offsetMs) / bucketMs) * bucketMs - offsetMs;
  const out: Slotted[] = [];
  const fromRows = async (a: number, b: number, unit: number, off: number): Promise<void> => {
    if (a >= b) return;
    for (const p of pi.partitions()) {
      if (p.last_at === null || p.last_at < a || (p.first_at ?? 0) >= b) continue;
      const store = await pi.store(p.id);
      // cellsOf groups by hour; with a finer split (other offsets) the rows are grouped per bucket here.
      if (unit === HOUR_MS && off === 0) {
        for (const c of cellsOf(store, a, b, prices)) out.push({ ...c, slot: slotOf(c.hour * HOUR_MS) });
      } else {
        for (let t = slotOf(a); t < b; t += bucketMs) {
          const from = Math.max(a, t);
          const to = Math.min(b, t + bucketMs);
          if (to > from && (p.last_at ?? 0) >= from && (p.first_at ?? 0) < to)
            for (const c of cellsOf(store, from, to, prices)) out.push({ ...c, slot: t });
        }
      }
    }
  };
  if (offsetMs % HOUR_MS !== 0) {
    const first = Math.max(
      lo,
      pi.partitions().reduce((m, p) => Math.min(m, p.first_at ?? INF), INF),
    );
    const last = Math.min(
      hi,
      pi.partitions().reduce((m, p) => Math.max(m, (p.last_at ?? -1) + 1), 0),
    );
    await fromRows(first, last, bucketMs, offsetMs);
    return out;
  }
  const h0 = Math.ceil(lo / HOUR_MS);
  const h1 = Math.floor(Math.min(hi, INF) / HOUR_MS);
  if (h0 < h1 || lo <= -INF) {
    for (const c of pi.summary.querySync<Cell>('SELECT * FROM rollups WHERE hour >= ? AND hour < ?', [
      lo <= -INF ? -INF : h0,
      hi >= INF ? INF : h1,
    ]))
      out.push({ ...c, slot: slotOf(c.hour * HOUR_MS) });
    if (lo > -INF) await fromRows(lo, Math.min(hi, h0 * HOUR_MS), HOUR_MS, 0);
    if (hi < INF) await fromRows(Math.max(lo, h1 * HOUR_MS), hi, HOUR_MS, 0);
  } else await fromRows(lo, hi, HOUR_MS, 0);
  return out;
}

/** A sum of floats as exact as SQLite's SUM (Kahan-Babuska-Neumaier), so costs round the same way. */
export function fsum(values: Iterable<number>): number {
  let s = 0;
  let c = 0;
  for (const v of values) {
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

function sum(cells: readonly Cell[]): TokenCost & { errors: number; interruptions: number } {
  const t = {
    requests: 0,
    failed: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
    priced_requests: 0,
    unpriced_requests: 0,
    errors: 0,
    interruptions: 0,
  };
  for (const c of cells) {
    t.requests += c.requests;
    t.failed += c.failed;
    t.input_tokens += c.input_tokens;
    t.output_tokens += c.output_tokens;
    t.cache_read_tokens += c.cache_read_tokens;
    t.cache_write_tokens += c.cache_write_tokens;
    t.reasoning_tokens += c.reasoning_tokens;
    t.priced_requests += c.priced_requests;
    t.unpriced_requests += c.unpriced_requests;
    t.interruptions += c.interrupted;
  }
  t.errors = t.failed;
  t.cost_usd = fsum(cells.map((c) => c.cost_usd));
  return t;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function groupBy(cells: readonly Slotted[], key: (c: Slotted) => string): StatsGroup[] {
  const m = new Map<string, Slotted[]>();
  for (const c of cells) {
    const k = key(c);
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(c);
  }
  return [...m.entries()]
    .map(([k, l]) => {
      const { errors: _e, interruptions: _i, ...s } = sum(l);
      return { key: k, ...s };
    })
    .sort((a, b) => b.cost_usd - a.cost_usd || b.requests - a.requests || cmp(a.key, b.key))
    .map((g) => ({ ...g, cost_usd: round(g.cost_usd) }));
}

/**
 * By the session's project (key: its directory, `(none)` when unnamed) or by project and branch (key: the branch),
 * each group carrying `project` (and `branch`) as stats.ts projectGroups does over request rows.
 */
function projectGroupsOf(cells: readonly Slotted[], by: 'project' | 'branch'): StatsGroup[] {
  const id = (c: Slotted): string => JSON.stringify(by === 'project' ? [c.project] : [c.project, c.branch]);
  const first = new Map<string, Slotted>();
  for (const c of cells) if (!first.has(id(c))) first.set(id(c), c);
  return groupBy(cells, id).map(({ key, ...g }) => {
    const c = first.get(key)!;
    return by === 'project'
      ? { key: c.project ?? '(none)', project: c.project, ...g }
      : { key: c.branch ?? '(none)', project: c.project, branch: c.branch, ...g };
  });
}

const tokens = (c: Cell): number =>
  c.input_tokens + c.output_tokens + c.cache_read_tokens + c.cache_write_tokens;

function sessionsIn(pi: PartitionedIndex, since?: number, until?: number): number {
  const where = ['request_count > 0'];
  const params: number[] = [];
  if (since !== undefined) {
    where.push('last_request_at >= ?');
    params.push(since);
  }
  if (until !== undefined) {
    // Sessions whose requests overlap the window (one with a gap spanning all of it is counted too).
    where.push('started_at <= ?');
    params.push(until);
  }
  return pi.summary.querySync<{ n: number }>(
    `SELECT COUNT(*) AS n FROM session_list WHERE ${where.join(' AND ')}`,
    params,
  )[0]!.n;
}

export async function analyticsFromRollups(
  pi: PartitionedIndex,
  a: AnalyticsArgs = {},
  prices: Prices = bundledPrices(),
): Promise<AnalyticsResult> {
  const since = typeof a.since === 'number' && Number.isFinite(a.since) ? Math.trunc(a.since) : null;
  const bucket: AnalyticsBucket = a.bucket === 'hour' ? 'hour' : 'day';
  const bucketMs = bucket === 'hour' ? HOUR_MS : DAY;
  const offsetMs = (a.tzOffsetMinutes ?? -new Date().getTimezoneOffset()) * 60_000;
  const cells = await cellsIn(pi, since ?? -INF, INF, bucketMs, offsetMs, prices);
  const totals = sum(cells);
  totals.cost_usd = round(totals.cost_usd);

  const bySlot = new Map<number, Slotted[]>();
  for (const c of cells) {
    let l = bySlot.get(c.slot);
    if (!l) bySlot.set(c.slot, (l = []));
    l.push(c);
  }
  const slots = [...bySlot.keys()].sort((x, y) => x - y);
  const point = (t: number): SeriesPoint => {
    const { failed: _f, ...s } = sum(bySlot.get(t)!);
    return { t, ...s, cost_usd: round(s.cost_usd) };
  };
  const series: SeriesPoint[] = [];
  if (slots.length > 0) {
    const first =
      since === null ? slots[0]! : Math.floor((since + offsetMs) / bucketMs) * bucketMs - offsetMs;
    const last = slots[slots.length - 1]!;
    if ((last - first) / bucketMs < MAX_BUCKETS) {
      for (let t = Math.min(first, slots[0]!); t <= last; t += bucketMs)
        series.push(bySlot.has(t) ? point(t) : emptyPoint(t));
    } else for (const t of slots) series.push(point(t));
  }

  const split = (key: (c: Cell) => string): SplitSeries => {
    const tok = new Map<string, number>();
    for (const c of cells) tok.set(key(c), (tok.get(key(c)) ?? 0) + tokens(c));
    const ranked = [...tok.entries()].sort((x, y) => y[1] - x[1] || cmp(x[0], y[0])).map((e) => e[0]);
    const top = ranked.slice(0, SPLIT_TOP);
    const keys = ranked.length > SPLIT_TOP ? [...top, 'other'] : top;
    const column = (k: string): number => (top.includes(k) ? top.indexOf(k) : keys.length - 1);
    // Per bucket and key first (as the row query groups), then into columns.
    const per = new Map<string, { t: number; k: string; tok: number; cost: number[] }>();
    for (const c of cells) {
      const id = `${c.slot}\u0000${key(c)}`;
      const e = per.get(id) ?? { t: c.slot, k: key(c), tok: 0, cost: [] as number[] };
      e.tok += tokens(c);
      e.cost.push(c.cost_usd);
      per.set(id, e);
    }
    const byBucket = new Map<number, { tokens: number[]; cost_usd: number[] }>();
    for (const p of series) byBucket.set(p.t, { tokens: keys.map(() => 0), cost_usd: keys.map(() => 0) });
    for (const e of per.values()) {
      const b = byBucket.get(e.t);
      if (!b) continue;
      const i = column(e.k);
      b.tokens[i]! += e.tok;
      b.cost_usd[i] = round(b.cost_usd[i]! + fsum(e.cost));
    }
    return { keys, points: series.map((p) => ({ t: p.t, ...byBucket.get(p.t)! })) };
  };

  const saved = fsum(cells.map((c) => c.cache_saved_usd));
  const unpricedReads = cells.reduce((s, c) => s + c.unpriced_cache_read, 0);
  const pricedTok = cells.reduce((s, c) => s + c.priced_tokens, 0);
  const knownTok = cells.reduce((s, c) => s + c.known_tokens, 0);
  const hitBase = totals.input_tokens + totals.cache_read_tokens;
  const knownRequests = totals.priced_requests + totals.unpriced_requests;
  const unpricedModels = [...new Set(cells.filter((c) => c.unpriced_requests > 0).map((c) => c.model))]
    .sort(cmp)
    .slice(0, 100);
  const limit = Math.min(Math.max(Math.trunc(a.sessions ?? 50), 1), 1000);
  return {
    since,
    bucket,
    bucket_ms: bucketMs,
    sessions: sessionsIn(pi, since ?? undefined),
    totals,
    series,
    split_by_model: split((c) => c.model),
    split_by_client: split((c) => c.client),
    split_by_project: split((c) => c.project ?? '(none)'),
    split_by_branch: relabel(
      split((c) => `${c.project ?? ''}\n${c.branch ?? ''}`),
      branchLabel,
    ),
    by_project: shares(projectGroupsOf(cells, 'project'), totals),
    by_branch: shares(projectGroupsOf(cells, 'branch'), totals),
    by_model: shares(
      groupBy(cells, (c) => c.model),
      totals,
    ),
    by_client: shares(
      groupBy(cells, (c) => c.client),
      totals,
    ),
    classes: shares(
      groupBy(cells, (c) => c.class),
      totals,
    ),
    cache: {
      input_tokens: totals.input_tokens,
      cache_read_tokens: totals.cache_read_tokens,
      cache_write_tokens: totals.cache_write_tokens,
      hit_ratio: hitBase === 0 ? null : round(totals.cache_read_tokens / hitBase),
      saved_usd: round(saved),
      unpriced_cache_read_tokens: unpricedReads,
    },
    priced: {
      requests_share: knownRequests === 0 ? null : round(totals.priced_requests / knownRequests),
      tokens_share: knownTok === 0 ? null : round(pricedTok / knownTok),
      unpriced_models: unpricedModels,
    },
    tools: await toolStatsAcross(pi, since === null ? {} : { since }),
    slowest_tools: await slowestAcross(pi, since),
    time_split: await timeSplitAcross(pi, since, limit),
  };
}

/** `lunaroute stats` over a partitioned index (stats.ts computeStats, from the rollups). */
export async function statsFromRollups(
  pi: PartitionedIndex,
  a: StatsArgs = {},
  prices: Prices = bundledPrices(),
): Promise<StatsResult> {
  const offsetMs = (a.tzOffsetMinutes ?? -new Date().getTimezoneOffset()) * 60_000;
  const byDay = a.by === 'day';
  const cells = await cellsIn(
    pi,
    a.since ?? -INF,
    a.until === undefined ? INF : a.until + 1,
    byDay ? DAY : HOUR_MS,
    byDay ? offsetMs : 0,
    prices,
  );
  const { errors: _e, interruptions: _i, ...totals } = sum(cells);
  totals.cost_usd = round(totals.cost_usd);
  const known = totals.priced_requests + totals.unpriced_requests;
  const classes = groupBy(cells, (c) => c.class);
  let groups: StatsGroup[] = [];
  if (byDay)
    groups = groupBy(cells, (c) => new Date(c.slot + offsetMs).toISOString().slice(0, 10)).sort((x, y) =>
      cmp(x.key, y.key),
    );
  else if (a.by === 'model') groups = groupBy(cells, (c) => c.model);
  else if (a.by === 'client') groups = groupBy(cells, (c) => c.client);
  else if (a.by === 'class') groups = classes;
  else if (a.by === 'project' || a.by === 'branch') groups = projectGroupsOf(cells, a.by);
  return {
    since: a.since ?? null,
    until: a.until ?? null,
    sessions: sessionsIn(pi, a.since, a.until),
    totals: { ...totals, priced_share: known === 0 ? null : round(totals.priced_requests / known) },
    unpriced_models: [...new Set(cells.filter((c) => c.unpriced_requests > 0).map((c) => c.model))]
      .sort(cmp)
      .slice(0, 100),
    classes,
    by: a.by ?? null,
    groups,
    tools: a.by === 'tool' ? await toolStatsAcross(pi, a) : [],
    limits: readLimits(pi.summary),
  };
}

/** The totals query (queries.ts indexStats) over a partitioned index. */
export async function indexStatsFromRollups(
  pi: PartitionedIndex,
  a: { since?: number } = {},
  prices: Prices = bundledPrices(),
): Promise<IndexStats> {
  const since = typeof a.since === 'number' && Number.isFinite(a.since) ? Math.trunc(a.since) : null;
  const cells = await cellsIn(pi, since ?? -INF, INF, HOUR_MS, 0, prices);
  const t = sum(cells);
  const q = <T>(sql: string): T[] => pi.summary.querySync<T>(sql);
  return {
    sessions: q<{ n: number }>('SELECT COUNT(*) AS n FROM session_list')[0]?.n ?? 0,
    requests: t.requests,
    in_flight: cells.reduce((s, c) => s + c.in_flight, 0),
    failed: t.failed,
    input_tokens: t.input_tokens,
    output_tokens: t.output_tokens,
    cost_usd: cells.some((c) => c.cost_rows > 0) ? t.cost_usd : null,
    unpriced: cells.reduce((s, c) => s + c.unpriced_finished, 0),
    clients: q<{ c: string }>('SELECT DISTINCT client AS c FROM session_list ORDER BY c').map((x) => x.c),
    models: q<{ m: string }>(
      'SELECT DISTINCT model_raw AS m FROM rollups WHERE model_raw IS NOT NULL ORDER BY m LIMIT 200',
    ).map((x) => x.m),
    limits: readLimits(pi.summary),
  };
}
