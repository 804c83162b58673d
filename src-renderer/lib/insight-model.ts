// What the session view draws from the insight fields (src-shared/insight.ts): the stacked context-growth chart
// (one column per request, a colour per context part), the "largest parts" line, and the waterfall's lanes (the
// main thread, each subagent placed under the request whose tool call spawned it). Pure: unit-tested.
import type { RequestRow, SessionView } from '../../src-shared/contract.js';
import { partLabel, type ContextPart, type Lane } from '../../src-shared/insight.js';

/** At most this many series; the rest are summed into "Other". */
const MAX_SERIES = 7;
const PALETTE = ['#3b4fd8', '#f0b44c', '#16a3a3', '#c0283a', '#7d4fd8', '#5a9a2f', '#d86b3b'];
const OTHER_COLOR = '#9aa1b8';

export interface Series {
  key: string;
  label: string;
  color: string;
}

export interface ContextColumn {
  request_id: string;
  index: number;
  total: number;
  /** Tokens per series key, in series order. */
  segments: { key: string; tokens: number }[];
  cache_break: RequestRow['cache_break'] | null;
  compaction: RequestRow['compaction'] | null;
  agent: string | null;
}

export interface ContextChart {
  series: Series[];
  columns: ContextColumn[];
  max: number;
}

const keyOf = (p: ContextPart): string => `${p.kind}:${p.name ?? ''}`;

export function contextChart(requests: readonly RequestRow[]): ContextChart {
  const withCtx = requests.filter((r) => r.context && r.context.parts.length > 0);
  // Rank parts by their peak size across the session.
  const peak = new Map<string, { part: ContextPart; tokens: number }>();
  for (const r of withCtx)
    for (const p of r.context!.parts) {
      const k = keyOf(p);
      if ((peak.get(k)?.tokens ?? -1) < p.tokens) peak.set(k, { part: p, tokens: p.tokens });
    }
  const ranked = [...peak.entries()].sort((a, b) => b[1].tokens - a[1].tokens);
  const shown = ranked.slice(0, ranked.length > MAX_SERIES ? MAX_SERIES - 1 : MAX_SERIES);
  const series: Series[] = shown.map(([key, { part }], i) => ({
    key,
    label: partLabel(part),
    color: PALETTE[i % PALETTE.length]!,
  }));
  const hasOther = ranked.length > shown.length;
  if (hasOther) series.push({ key: 'other', label: 'Other', color: OTHER_COLOR });
  const known = new Set(shown.map(([k]) => k));
  let max = 0;
  const columns = withCtx.map((r): ContextColumn => {
    const by = new Map<string, number>();
    for (const p of r.context!.parts) {
      const k = known.has(keyOf(p)) ? keyOf(p) : 'other';
      by.set(k, (by.get(k) ?? 0) + p.tokens);
    }
    const total = r.context!.parts.reduce((a, p) => a + p.tokens, 0);
    max = Math.max(max, total);
    return {
      request_id: r.id,
      index: requests.indexOf(r),
      total,
      segments: series.map((s) => ({ key: s.key, tokens: by.get(s.key) ?? 0 })),
      cache_break: r.cache_break ?? null,
      compaction: r.compaction ?? null,
      agent: r.agent?.id ?? null,
    };
  });
  return { series, columns, max };
}

/** "Read results 41 %", … for the largest (latest of equals) request's context, its biggest parts first. */
export function largestParts(requests: readonly RequestRow[], n = 4): { label: string; pct: number }[] {
  let best: RequestRow | null = null;
  let bestTotal = 0;
  for (const r of requests) {
    const total = r.context?.parts.reduce((a, p) => a + p.tokens, 0) ?? 0;
    // Ties go to the later request: the session as it stands.
    if (total > 0 && total >= bestTotal) [best, bestTotal] = [r, total];
  }
  if (!best?.context || bestTotal === 0) return [];
  return best.context.parts
    .slice(0, n)
    .map((p) => ({ label: partLabel(p), pct: Math.round((p.tokens / bestTotal) * 100) }));
}

export type LaneRow =
  { type: 'lane'; lane: Lane; depth: number } | { type: 'request'; id: string; depth: number };

/**
 * Waterfall rows: the main lane's requests in order, and after the request that spawned a subagent, that
 * subagent's lane header and requests (indented). Lanes whose spawning request is unknown come last.
 */
export function laneRows(
  insight: SessionView['insight'] | undefined,
  requests: readonly RequestRow[],
): LaneRow[] {
  const lanes = insight?.lanes ?? [];
  if (lanes.length <= 1) return requests.map((r) => ({ type: 'request', id: r.id, depth: 0 }));
  const pos = new Map(requests.map((r, i) => [r.id, i]));
  const laneOf = new Map<string, Lane>();
  for (const l of lanes) for (const id of l.request_ids) laneOf.set(id, l);
  // A subagent lane hangs under the last request of its parent's lane that started before the subagent did
  // (the spawning request, or a later one of the same lane), so the rows stay in time order.
  const under = new Map<string, Lane[]>();
  const orphans: Lane[] = [];
  for (const l of lanes) {
    if (l.id === 'main') continue;
    const parentLane = l.parent_request_id ? laneOf.get(l.parent_request_id) : undefined;
    if (!parentLane || !l.parent_request_id) {
      orphans.push(l);
      continue;
    }
    const start = pos.get(l.request_ids[0] ?? '') ?? Infinity;
    let anchor = l.parent_request_id;
    for (const id of parentLane.request_ids) {
      const p = pos.get(id) ?? Infinity;
      if (p >= (pos.get(l.parent_request_id) ?? 0) && p < start) anchor = id;
    }
    under.set(anchor, [...(under.get(anchor) ?? []), l]);
  }
  const out: LaneRow[] = [];
  const emit = (l: Lane, depth: number): void => {
    out.push({ type: 'lane', lane: l, depth });
    for (const id of l.request_ids) {
      out.push({ type: 'request', id, depth });
      for (const sub of under.get(id) ?? []) emit(sub, depth + 1);
    }
  };
  const main = lanes.find((l) => l.id === 'main');
  if (main) emit(main, 0);
  for (const l of orphans) emit(l, 1);
  return out;
}
