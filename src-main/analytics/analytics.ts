// The window's Analytics view in one query: series over time (tokens by kind, priced cost, requests, errors,
// interruptions) by hour or day, totals by model and client, the cache (hit ratio, money saved by cache reads),
// the priced share, tools (calls, error rate, latency p50/p95, the slowest calls), how sessions spend their time
// (model, tools, the rest) and each request class's share. Pure over the index, like `computeStats` (whose sums
// and tool statistics it reuses); plain JSON out. Cost is the sum of priced rows only; what is not priced is
// counted and named, never shown as $0.
import type { IndexStore } from '../index/db.js';
import type { SqlValue } from '../index/indexer.js';
import { bundledPrices, type Prices, type Rates } from './prices.js';
import {
  clean,
  projectGroups,
  round,
  SUMS,
  toolStats,
  type StatsGroup,
  type ToolStats,
  type TokenCost,
} from './stats.js';

export type AnalyticsBucket = 'hour' | 'day';

export interface AnalyticsArgs {
  /** Only requests (and tool calls) at or after this epoch ms. */
  since?: number;
  bucket?: AnalyticsBucket;
  /** Minutes east of UTC for day boundaries (default: this process's time zone). */
  tzOffsetMinutes?: number;
  /** How many of the most recent sessions the time split covers (default 50). */
  sessions?: number;
}

export interface SeriesPoint {
  /** Bucket start, epoch ms. */
  t: number;
  requests: number;
  errors: number;
  interruptions: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** Sum of the priced requests' cost (USD). */
  cost_usd: number;
  priced_requests: number;
  /** Requests with usage but no (complete) price in this bucket. */
  unpriced_requests: number;
}

export interface ShareGroup extends StatsGroup {
  /** Share of all tokens (input + output + cache read + cache write); null when there are none. */
  token_share: number | null;
  /** Share of the priced cost; null when nothing is priced. */
  cost_share: number | null;
}

export interface SlowToolCall {
  name: string;
  session_id: string;
  request_id: string;
  called_at: number;
  latency_ms: number;
  is_error: boolean | null;
}

/** Tokens and priced cost per bucket, split by the top keys of one dimension (the rest is "other"). */
export interface SplitSeries {
  /** The keys, largest first (at most SPLIT_TOP, then "other" when there are more). */
  keys: string[];
  /** One point per bucket of `series`; `tokens[i]` and `cost_usd[i]` belong to `keys[i]`. */
  points: { t: number; tokens: number[]; cost_usd: number[] }[];
}

const SPLIT_TOP = 5;

export interface AnalyticsResult {
  since: number | null;
  bucket: AnalyticsBucket;
  bucket_ms: number;
  sessions: number;
  totals: TokenCost & { errors: number; interruptions: number };
  series: SeriesPoint[];
  /** Tokens and cost over time split by model, and by client. */
  split_by_model: SplitSeries;
  split_by_client: SplitSeries;
  /** Split by the session's project (working directory; `(none)` when unnamed). */
  split_by_project: SplitSeries;
  /** Split by project and branch; keys read `<project name>@<branch>`. */
  split_by_branch: SplitSeries;
  /** By project (key = the directory); by project and branch (key = the branch), each with project/branch. */
  by_project: ShareGroup[];
  by_branch: ShareGroup[];
  by_model: ShareGroup[];
  by_client: ShareGroup[];
  classes: ShareGroup[];
  cache: {
    input_tokens: number;
    cache_read_tokens: number;
    cache_write_tokens: number;
    /** cache_read / (input + cache_read); null when neither was reported. */
    hit_ratio: number | null;
    /** What the priced cache reads would have cost at the input rate, minus what they cost (USD). */
    saved_usd: number;
    /** Cache reads of unpriced models (their saving is unknown, not 0). */
    unpriced_cache_read_tokens: number;
  };
  priced: {
    /** priced / (priced + unpriced) requests with usage; null when none reported usage. */
    requests_share: number | null;
    /** Tokens of priced requests / tokens of requests with usage; null when none. */
    tokens_share: number | null;
    unpriced_models: string[];
  };
  tools: ToolStats[];
  slowest_tools: SlowToolCall[];
  time_split: {
    /** Sessions covered (the most recent ones with finished requests). */
    sessions: number;
    span_ms: number;
    /** Waiting for and receiving responses (request durations: ttfb + generation). */
    model_ms: number;
    /** Tools running (from a response asking for a tool to the request carrying its result). */
    tool_ms: number;
    /** The rest of the sessions' span: the human, or nothing. */
    idle_ms: number;
  };
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const MAX_BUCKETS = 2_000;
const TOKENS =
  'COALESCE(input_tokens, 0) + COALESCE(output_tokens, 0) + COALESCE(cache_read_tokens, 0) + COALESCE(cache_write_tokens, 0)';

const tokensOf = (g: TokenCost): number =>
  g.input_tokens + g.output_tokens + g.cache_read_tokens + g.cache_write_tokens;

export function shares(groups: StatsGroup[], total: TokenCost): ShareGroup[] {
  const all = tokensOf(total);
  return groups.map((g) => ({
    ...g,
    token_share: all === 0 ? null : round(tokensOf(g) / all),
    cost_share: total.cost_usd === 0 ? null : round(g.cost_usd / total.cost_usd),
  }));
}

/** The rates a request was billed at (the long-context tier applies to the whole request above its threshold). */
function ratesFor(prices: Prices, model: string | null, prompt: number): Rates | null {
  const p = prices.lookup(model);
  if (!p) return null;
  return p.longContext && prompt > p.longContext.above ? p.longContext : p;
}

export function computeAnalytics(
  index: IndexStore,
  a: AnalyticsArgs = {},
  prices: Prices = bundledPrices(),
): AnalyticsResult {
  const since = typeof a.since === 'number' && Number.isFinite(a.since) ? Math.trunc(a.since) : null;
  const bucket: AnalyticsBucket = a.bucket === 'hour' ? 'hour' : 'day';
  const bucketMs = bucket === 'hour' ? HOUR : DAY;
  const offsetMs = (a.tzOffsetMinutes ?? -new Date().getTimezoneOffset()) * 60_000;
  const params: SqlValue[] = since === null ? [] : [since];
  const w = since === null ? '' : 'WHERE at >= ?';
  const and = since === null ? 'WHERE' : `${w} AND`;
  const q = <T>(sql: string, p: SqlValue[] = params): T[] => index.querySync<T>(sql, p);

  const EXTRA = `COUNT(CASE WHEN outcome = 'failed' THEN 1 END) AS errors,
    COUNT(CASE WHEN outcome = 'interrupted' THEN 1 END) AS interruptions`;
  const totals = clean(
    q<TokenCost & { errors: number; interruptions: number }>(
      `SELECT ${SUMS}, ${EXTRA} FROM requests ${w}`,
    )[0]!,
  );
  const sessions = q<{ n: number }>(`SELECT COUNT(DISTINCT session_id) AS n FROM requests ${w}`)[0]?.n ?? 0;

  // Series: bucket start = floor((at + offset) / size) * size - offset (local midnight or hour). `at` is cast to an
  // integer first: WebSocket turns arrive with fractional milliseconds, and a REAL division would give every such
  // request its own "bucket" that matches no column (their tokens vanished from the charts).
  const rows = q<SeriesPoint & { failed: number }>(
    `SELECT ((CAST(at AS INTEGER) + ?) / ${bucketMs}) * ${bucketMs} - ? AS t, ${SUMS}, ${EXTRA}
     FROM requests ${w} GROUP BY t ORDER BY t`,
    [offsetMs, offsetMs, ...params],
  );
  const byT = new Map(rows.map(({ failed: _f, ...r }) => [r.t, { ...r, cost_usd: round(r.cost_usd) }]));
  const series: SeriesPoint[] = [];
  if (rows.length > 0) {
    const first =
      since === null ? rows[0]!.t : Math.floor((since + offsetMs) / bucketMs) * bucketMs - offsetMs;
    const last = rows[rows.length - 1]!.t;
    if ((last - first) / bucketMs < MAX_BUCKETS) {
      for (let t = Math.min(first, rows[0]!.t); t <= last; t += bucketMs)
        series.push(byT.get(t) ?? emptyPoint(t));
    } else series.push(...byT.values());
  }

  // The same buckets, split by a dimension: the top keys by tokens, everything else as "other".
  const split = (expr: string): SplitSeries => {
    const ranked = q<{ key: string; tok: number }>(
      `SELECT ${expr} AS key, COALESCE(SUM(COALESCE(input_tokens,0) + COALESCE(output_tokens,0) + COALESCE(cache_read_tokens,0) + COALESCE(cache_write_tokens,0)), 0) AS tok
       FROM requests ${w} GROUP BY key ORDER BY tok DESC, key`,
    ).map((r) => r.key);
    const top = ranked.slice(0, SPLIT_TOP);
    const keys = ranked.length > SPLIT_TOP ? [...top, 'other'] : top;
    // A top key keeps its column; the rest share the last one ("other", present only when there are more).
    const column = (key: string): number => (top.includes(key) ? top.indexOf(key) : keys.length - 1);
    const cells = q<{ t: number; key: string; tok: number; cost: number }>(
      `SELECT ((CAST(at AS INTEGER) + ?) / ${bucketMs}) * ${bucketMs} - ? AS t, ${expr} AS key,
              COALESCE(SUM(COALESCE(input_tokens,0) + COALESCE(output_tokens,0) + COALESCE(cache_read_tokens,0) + COALESCE(cache_write_tokens,0)), 0) AS tok,
              COALESCE(SUM(cost_usd), 0) AS cost
       FROM requests ${w} GROUP BY t, key`,
      [offsetMs, offsetMs, ...params],
    );
    const byBucket = new Map<number, { tokens: number[]; cost_usd: number[] }>();
    for (const p of series) byBucket.set(p.t, { tokens: keys.map(() => 0), cost_usd: keys.map(() => 0) });
    for (const c of cells) {
      const b = byBucket.get(c.t);
      if (!b) continue;
      const i = column(c.key);
      b.tokens[i]! += c.tok;
      b.cost_usd[i] = round(b.cost_usd[i]! + c.cost);
    }
    return { keys, points: series.map((p) => ({ t: p.t, ...byBucket.get(p.t)! })) };
  };

  const group = (expr: string): StatsGroup[] =>
    q<StatsGroup>(
      `SELECT ${expr} AS key, ${SUMS} FROM requests ${w} GROUP BY key ORDER BY cost_usd DESC, requests DESC, key`,
    ).map(clean);

  // Cache: hit ratio over every request that reported usage; savings from the priced ones, row by row.
  let saved = 0;
  let unpricedReads = 0;
  for (const r of q<{ m: string | null; i: number; cr: number; cw: number; st: string }>(
    `SELECT COALESCE(model, model_requested) AS m, COALESCE(input_tokens, 0) AS i, cache_read_tokens AS cr,
            COALESCE(cache_write_tokens, 0) AS cw, cost_status AS st
     FROM requests ${and} cache_read_tokens > 0 AND cost_status IN ('priced', 'partial', 'unpriced')`,
  )) {
    const rates = r.st === 'unpriced' ? null : ratesFor(prices, r.m, r.i + r.cr + r.cw);
    if (!rates) {
      unpricedReads += r.cr;
      continue;
    }
    saved += (r.cr * (rates.input - (rates.cacheRead ?? rates.input))) / 1_000_000;
  }
  const hitBase = totals.input_tokens + totals.cache_read_tokens;

  const tok = q<{ priced: number; known: number }>(
    `SELECT COALESCE(SUM(CASE WHEN priced = 1 THEN ${TOKENS} END), 0) AS priced,
            COALESCE(SUM(CASE WHEN cost_status IN ('priced', 'partial', 'unpriced', 'free') THEN ${TOKENS} END), 0) AS known
     FROM requests ${w}`,
  )[0]!;
  const knownRequests = totals.priced_requests + totals.unpriced_requests;
  const unpricedModels = q<{ m: string }>(
    `SELECT DISTINCT COALESCE(model, model_requested, '(unknown)') AS m FROM requests
     ${and} cost_status IN ('unpriced', 'partial') ORDER BY m LIMIT 100`,
  ).map((r) => r.m);

  const slowest = q<{
    name: string;
    session_id: string;
    request_id: string;
    called_at: number;
    latency_ms: number;
    is_error: number | null;
  }>(
    `SELECT name, session_id, request_id, called_at, latency_ms, is_error FROM tool_calls
     ${since === null ? 'WHERE' : 'WHERE called_at >= ? AND'} latency_ms IS NOT NULL
     ORDER BY latency_ms DESC, called_at DESC LIMIT 10`,
  ).map((r) => ({ ...r, is_error: r.is_error === null ? null : r.is_error === 1 }));

  return {
    since,
    bucket,
    bucket_ms: bucketMs,
    sessions,
    totals,
    series,
    split_by_model: split(`COALESCE(model, model_requested, '(unknown)')`),
    split_by_client: split('client'),
    split_by_project: split(`COALESCE(${SESSION_PROJECT}, '(none)')`),
    split_by_branch: relabel(
      split(`COALESCE(${SESSION_PROJECT}, '') || char(10) || COALESCE(${SESSION_BRANCH}, '')`),
      branchLabel,
    ),
    by_project: shares(projectGroups(q, w, 'project'), totals),
    by_branch: shares(projectGroups(q, w, 'branch'), totals),
    by_model: shares(group(`COALESCE(model, model_requested, '(unknown)')`), totals),
    by_client: shares(group('client'), totals),
    classes: shares(group('class'), totals),
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
      tokens_share: tok.known === 0 ? null : round(tok.priced / tok.known),
      unpriced_models: unpricedModels,
    },
    tools: toolStats(index, since === null ? {} : { since }),
    slowest_tools: slowest,
    time_split: timeSplit(index, since, Math.min(Math.max(Math.trunc(a.sessions ?? 50), 1), 1000)),
  };
}

// The project and branch of a request's session (sessions.project / sessions.branch, as the client named them).
const SESSION_PROJECT = `(SELECT s.project FROM sessions s WHERE s.id = requests.session_id)`;
const SESSION_BRANCH = `(SELECT s.branch FROM sessions s WHERE s.id = requests.session_id)`;

/** `<dir>\n<branch>` → `<last segment of dir>@<branch>` (`(none)` for no directory, no `@…` for no branch). */
export function branchLabel(key: string): string {
  const [dir = '', branch = ''] = key.split('\n');
  const name =
    dir
      .split(/[\\/]+/)
      .filter(Boolean)
      .at(-1) ?? '';
  return `${name || '(none)'}${branch ? `@${branch}` : ''}`;
}

export function relabel(split: SplitSeries, label: (key: string) => string): SplitSeries {
  return {
    ...split,
    keys: split.keys.map((k, i) => (k === 'other' && i === split.keys.length - 1 ? k : label(k))),
  };
}

export function emptyPoint(t: number): SeriesPoint {
  return {
    t,
    requests: 0,
    errors: 0,
    interruptions: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
    priced_requests: 0,
    unpriced_requests: 0,
  };
}

/**
 * Per session: span = first request's arrival to the last response's end; model = the sum of request durations;
 * tools = the sum of tool latencies; idle = the rest. Overlapping requests (subagents in parallel) can sum to more
 * than the span, so model time is capped at the span and tool time at what is left.
 */
function timeSplit(index: IndexStore, since: number | null, limit: number): AnalyticsResult['time_split'] {
  const rows = index.querySync<{ span: number; model: number; tool: number }>(
    `SELECT MAX(COALESCE(r.ended_at, r.at)) - MIN(r.at) AS span, COALESCE(SUM(r.duration_ms), 0) AS model,
            COALESCE((SELECT SUM(t.latency_ms) FROM tool_calls t WHERE t.session_id = r.session_id
                      ${since === null ? '' : 'AND t.called_at >= ?'}), 0) AS tool
     FROM requests r WHERE r.outcome IS NOT NULL ${since === null ? '' : 'AND r.at >= ?'}
     GROUP BY r.session_id ORDER BY MAX(r.at) DESC LIMIT ${limit}`,
    since === null ? [] : [since, since],
  );
  return sumTimeSplit(rows);
}

/** Sessions' spans, model and tool times summed, each capped so the parts never exceed the span. */
export function sumTimeSplit(
  rows: readonly { span: number; model: number; tool: number }[],
): AnalyticsResult['time_split'] {
  let span = 0;
  let model = 0;
  let tool = 0;
  for (const r of rows) {
    const s = Math.max(0, r.span);
    const m = Math.min(r.model, s);
    const t = Math.min(r.tool, s - m);
    span += s;
    model += m;
    tool += t;
  }
  return {
    sessions: rows.length,
    span_ms: Math.round(span),
    model_ms: Math.round(model),
    tool_ms: Math.round(tool),
    idle_ms: Math.round(span - model - tool),
  };
}
