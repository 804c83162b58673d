// What the session view computes from its rows: the per-request waterfall (time to first token, generation,
// and the gaps between requests — tool time when the previous response asked for tools, idle otherwise), token
// totals by kind, and tool statistics with latency. Pure: unit-tested.
import type { RequestRow, ToolCallRow } from '../../src-shared/contract.js';

export interface WaterfallBar {
  request_id: string;
  index: number;
  model: string | null;
  /** Percent of the session span. */
  left: number;
  /** Waiting for the first token (percent of the span). */
  wait: number;
  /** Generating (first token to end, percent of the span). */
  gen: number;
  ttft_ms: number | null;
  generation_ms: number | null;
  duration_ms: number | null;
  /** The gap before this request: tool time (the previous response asked for tools) or idle. */
  gap: { kind: 'tool' | 'idle'; ms: number } | null;
  outcome: string | null;
}

export interface Waterfall {
  bars: WaterfallBar[];
  span_ms: number;
  totals: { ttft_ms: number; generation_ms: number; tool_ms: number; idle_ms: number };
}

export function waterfall(requests: readonly RequestRow[], now: number): Waterfall {
  const rs = [...requests].sort((a, b) => a.at - b.at);
  if (rs.length === 0)
    return { bars: [], span_ms: 0, totals: { ttft_ms: 0, generation_ms: 0, tool_ms: 0, idle_ms: 0 } };
  const t0 = rs[0]!.at;
  const endOf = (r: RequestRow): number =>
    r.duration_ms !== null ? r.at + r.duration_ms : r.outcome === null ? now : r.at;
  const t1 = Math.max(...rs.map(endOf), t0 + 1);
  const span = t1 - t0;
  const pct = (ms: number): number => (Math.max(0, ms) / span) * 100;
  const totals = { ttft_ms: 0, generation_ms: 0, tool_ms: 0, idle_ms: 0 };
  let prevEnd: number | null = null;
  let prevAskedTools = false;
  const bars = rs.map((r, index): WaterfallBar => {
    const dur = r.duration_ms ?? (r.outcome === null ? now - r.at : null);
    const ttft = r.first_content_ms ?? r.ttfb_ms;
    const wait = ttft !== null && dur !== null ? Math.min(ttft, dur) : (dur ?? 0);
    const gen = dur !== null ? Math.max(0, dur - wait) : 0;
    totals.ttft_ms += ttft ?? 0;
    totals.generation_ms += gen;
    let gap: WaterfallBar['gap'] = null;
    if (prevEnd !== null && r.at > prevEnd) {
      gap = { kind: prevAskedTools ? 'tool' : 'idle', ms: r.at - prevEnd };
      if (gap.kind === 'tool') totals.tool_ms += gap.ms;
      else totals.idle_ms += gap.ms;
    }
    prevEnd = Math.max(prevEnd ?? 0, endOf(r));
    prevAskedTools = r.finish_reason === 'tool_calls' || r.tool_call_count > 0;
    return {
      request_id: r.id,
      index,
      model: r.model ?? r.model_requested,
      left: pct(r.at - t0),
      wait: pct(wait),
      gen: pct(gen),
      ttft_ms: ttft,
      generation_ms: dur !== null ? gen : null,
      duration_ms: dur,
      gap,
      outcome: r.outcome,
    };
  });
  return { bars, span_ms: span, totals };
}

export interface TokenTotals {
  input: number | null;
  output: number | null;
  cache_read: number | null;
  cache_write: number | null;
  reasoning: number | null;
}

export function tokenTotals(requests: readonly RequestRow[]): TokenTotals {
  const sum = (f: (r: RequestRow) => number | null): number | null =>
    requests.reduce<number | null>((acc, r) => (f(r) === null ? acc : (acc ?? 0) + f(r)!), null);
  return {
    input: sum((r) => r.input_tokens),
    output: sum((r) => r.output_tokens),
    cache_read: sum((r) => r.cache_read_tokens),
    cache_write: sum((r) => r.cache_write_tokens),
    reasoning: sum((r) => r.reasoning_tokens),
  };
}

export interface ToolStat {
  name: string;
  calls: number;
  errors: number;
  /** Calls whose result was seen. */
  answered: number;
  avg_latency_ms: number | null;
  max_latency_ms: number | null;
}

export function toolStats(calls: readonly ToolCallRow[]): ToolStat[] {
  const by = new Map<string, { calls: number; errors: number; answered: number; lat: number[] }>();
  for (const c of calls) {
    const s = by.get(c.name) ?? { calls: 0, errors: 0, answered: 0, lat: [] };
    s.calls++;
    if (c.is_error === 1) s.errors++;
    if (c.result_request_id !== null) s.answered++;
    if (c.latency_ms !== null) s.lat.push(c.latency_ms);
    by.set(c.name, s);
  }
  return [...by]
    .map(([name, s]) => ({
      name,
      calls: s.calls,
      errors: s.errors,
      answered: s.answered,
      avg_latency_ms: s.lat.length ? s.lat.reduce((a, b) => a + b, 0) / s.lat.length : null,
      max_latency_ms: s.lat.length ? Math.max(...s.lat) : null,
    }))
    .sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
}
