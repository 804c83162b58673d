// The insight of one session: per request its context composition, cache break, agent and compaction; per
// session the lanes (main thread, each subagent under the call that spawned it) with tokens, cost and time, and
// main-vs-subagent totals. Pure: requests in (bodies rebuilt), plain JSON out; prices only for the cost figures.
import type { Lane, LaneTotals, RequestInsight, SessionInsight } from '../../src-shared/insight.js';
import type { RequestClass } from '../analytics/classify.js';
import { requestCost } from '../analytics/cost.js';
import type { Prices } from '../analytics/prices.js';
import { cacheBreak, Keyer } from './cache-break.js';
import { addEstimate, billedInput, ContextMeter, scaleEstimate, type Estimate } from './context.js';
import { assignThreads, bodyObject, firstUserText, requestClass, startsFromSummary } from './threads.js';
import type { InsightRequest } from './types.js';

export interface SessionAnalysis {
  byRequest: Map<string, RequestInsight>;
  session: SessionInsight;
}

function emptyTotals(): LaneTotals {
  return {
    requests: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: null,
    duration_ms: 0,
  };
}

function addTo(t: LaneTotals, r: InsightRequest, prices: Prices): void {
  t.requests++;
  t.input_tokens += r.usage.input ?? 0;
  t.output_tokens += r.usage.output ?? 0;
  t.cache_read_tokens += r.usage.cacheRead ?? 0;
  t.cache_write_tokens += r.usage.cacheWrite ?? 0;
  t.duration_ms += r.durationMs ?? 0;
  const c = requestCost({ model: r.model, usage: r.usage, endpoint: r.endpoint }, prices);
  if (c.usd !== null) t.cost_usd = Math.round(((t.cost_usd ?? 0) + c.usd) * 1e8) / 1e8;
}

export function analyzeSession(input: readonly InsightRequest[], prices: Prices): SessionAnalysis {
  const requests = [...input].sort((a, b) => a.at - b.at);
  const classes: RequestClass[] = requests.map(requestClass);
  const threads = assignThreads(requests, classes);
  const meter = new ContextMeter();
  // Tool names by call id across the session, and which request each response id answered.
  const callNames = new Map(requests.flatMap((r) => r.calls.map((c) => [c.id, c.name] as [string, string])));
  const byResponse = new Map(requests.flatMap((r) => (r.responseId ? [[r.responseId, r] as const] : [])));
  const estimates = new Map<string, Estimate>();
  const keyer = new Keyer();
  const byRequest = new Map<string, RequestInsight>();
  /** Per thread: the previous request with usage, and the last one that was not a summary call. */
  const last = new Map<string, { prev: InsightRequest | null; beforeSummary: InsightRequest | null }>();
  let breaks = 0;
  let breakCost: number | null = null;
  let compactions = 0;

  requests.forEach((r, i) => {
    const t = threads[i]!;
    const body = bodyObject(r);
    const ins: RequestInsight = {
      context: contextOf(r, meter, callNames, byResponse, estimates),
      cache_break: null,
      agent: t.agent,
      compaction: null,
    };
    byRequest.set(r.id, ins);
    if (t.key === 'side') return;
    const state = last.get(t.key) ?? { prev: null, beforeSummary: null };
    const prev = state.prev;
    if (prev && startsFromSummary(body) && firstUserText(bodyObject(prev)) !== firstUserText(body)) {
      const before = state.beforeSummary ?? prev;
      ins.compaction = { tokens_before: billedInput(before.usage), tokens_after: billedInput(r.usage) };
      compactions++;
    }
    if (prev) {
      ins.cache_break = cacheBreak(prev, r, ins.compaction !== null, keyer, prices);
      if (ins.cache_break) {
        breaks++;
        if (ins.cache_break.extra_cost_usd !== null)
          breakCost = Math.round(((breakCost ?? 0) + ins.cache_break.extra_cost_usd) * 1e8) / 1e8;
      }
    }
    const hasUsage = (billedInput(r.usage) ?? 0) > 0;
    last.set(t.key, {
      prev: hasUsage ? r : prev,
      beforeSummary: hasUsage && classes[i] !== 'compaction' ? r : state.beforeSummary,
    });
  });

  return { byRequest, session: sessionTotals(requests, threads, prices, breaks, breakCost, compactions) };
}

/**
 * A request's context. A Codex turn naming `previous_response_id` sends only its new items: its context is the
 * previous turn's, plus that turn's output, plus the new items. A turn the provider billed nothing for (Codex's
 * `generate: false` warm-up) keeps its unscaled estimate.
 */
function contextOf(
  r: InsightRequest,
  meter: ContextMeter,
  callNames: ReadonlyMap<string, string>,
  byResponse: ReadonlyMap<string, InsightRequest>,
  estimates: Map<string, Estimate>,
): RequestInsight['context'] {
  let est = meter.estimate(r.dialect, r.endpoint, r.body, callNames);
  if (est === null) return null;
  const prevId = bodyObject(r)?.['previous_response_id'];
  const prev = typeof prevId === 'string' ? byResponse.get(prevId) : undefined;
  const before = prev ? estimates.get(prev.id) : undefined;
  if (prev && before) {
    const output: Estimate = new Map([
      ['messages\u0000', { kind: 'messages', est: prev.outputChars.messages / 4 }],
      ['thinking\u0000', { kind: 'thinking', est: prev.outputChars.thinking / 4 }],
    ]);
    est = addEstimate(addEstimate(addEstimate(new Map(), before), output), est);
  }
  estimates.set(r.id, est);
  const billed = billedInput(r.usage);
  return scaleEstimate(est, billed === 0 ? null : billed);
}

function sessionTotals(
  requests: readonly InsightRequest[],
  threads: readonly { key: string; agent: RequestInsight['agent'] }[],
  prices: Prices,
  breaks: number,
  breakCost: number | null,
  compactions: number,
): SessionInsight {
  const lanes = new Map<string, Lane>();
  const main = emptyTotals();
  const subagents = emptyTotals();
  requests.forEach((r, i) => {
    const t = threads[i]!;
    const id = t.agent?.id ?? 'main';
    let lane = lanes.get(id);
    if (!lane) {
      const parent = t.agent?.parent_tool_use_id ?? null;
      lane = {
        id,
        label: t.agent?.label ?? 'Main thread',
        parent_tool_use_id: parent,
        parent_request_id:
          parent === null ? null : (requests.find((q) => q.calls.some((c) => c.id === parent))?.id ?? null),
        request_ids: [],
        first_at: r.at,
        last_at: r.endedAt ?? r.at,
        totals: emptyTotals(),
      };
      lanes.set(id, lane);
    }
    lane.request_ids.push(r.id);
    lane.last_at = Math.max(lane.last_at, r.endedAt ?? r.at);
    addTo(lane.totals, r, prices);
    addTo(t.agent ? subagents : main, r, prices);
  });
  const ordered = [...lanes.values()].sort((a, b) => (a.id === 'main' ? -1 : b.id === 'main' ? 1 : 0));
  return {
    lanes: ordered,
    main,
    subagents,
    cache_breaks: { count: breaks, extra_cost_usd: breakCost },
    compactions,
  };
}
