// The comparison of a recorded request with its replay, built from the two recorded lines (the JSONL is the
// record, so what is compared is what was stored, redacted): response text as a line diff, tool calls (name and
// arguments), stop reason, outcome, tokens, cost, time to first token and duration. Pure.
import type {
  ReplayComparison,
  ReplayDiff,
  ReplaySide,
  ReplayTokens,
  ReplayToolCall,
} from '../../src-shared/replay.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import { requestCost } from '../analytics/cost.js';
import type { Prices } from '../analytics/prices.js';
import { responseText } from '../index/indexer.js';
import { diffLines } from './text-diff.js';

/** One recorded request with its response line (null while none is recorded). */
export interface RecordedExchange {
  request: RequestLine;
  response: ResponseLine | null;
}

export function sideOf(x: RecordedExchange, prices?: Prices): ReplaySide {
  const { request: q, response: r } = x;
  const content = r?.response?.content ?? [];
  const u = r?.usage ?? null;
  const model = r?.model ?? r?.response?.model ?? q.model;
  const cost = u ? requestCost({ model, usage: u, endpoint: q.endpoint }, prices) : null;
  const t = r?.timings ?? null;
  return {
    request_id: q.id,
    session_id: q.session_id,
    at: q.at,
    replay_of: q.replay_of ?? null,
    model_requested: q.model,
    model,
    endpoint: q.endpoint,
    stream: q.stream,
    status: r?.status ?? r?.error?.status ?? null,
    outcome: r?.outcome ?? null,
    reason: r?.reason ?? null,
    error: r && r.outcome !== 'completed' ? (r.error?.message ?? r.body_text ?? null) : null,
    text: responseText(content),
    tool_calls: content.flatMap((b) =>
      b.type === 'tool_call' ? [{ name: b.name, arguments: b.arguments }] : [],
    ),
    stop_reason: r?.stop_reason ?? null,
    tokens: {
      input: u?.input ?? null,
      output: u?.output ?? null,
      cache_read: u?.cacheRead ?? null,
      cache_write: u?.cacheWrite ?? null,
      reasoning: u?.reasoning ?? null,
    },
    cost_usd: cost?.usd ?? null,
    cost_status: cost?.status ?? null,
    ttft_ms: t ? (t.first_content_ms ?? t.ttfb_ms) : null,
    duration_ms: t?.duration_ms ?? null,
  };
}

function delta(a: number | null, b: number | null, round = false): number | null {
  if (a === null || b === null) return null;
  const d = b - a;
  return round ? Math.round(d * 1e8) / 1e8 : d;
}

const callKey = (c: ReplayToolCall): string => `${c.name}\u0000${c.arguments}`;

/** Calls of `a` not matched (name and arguments) by a call of `b`, each match used once. */
function unmatched(a: ReplayToolCall[], b: ReplayToolCall[]): ReplayToolCall[] {
  const left = new Map<string, number>();
  for (const c of b) left.set(callKey(c), (left.get(callKey(c)) ?? 0) + 1);
  return a.filter((c) => {
    const n = left.get(callKey(c)) ?? 0;
    if (n === 0) return true;
    left.set(callKey(c), n - 1);
    return false;
  });
}

export function diffSides(o: ReplaySide, r: ReplaySide): ReplayDiff {
  const text = diffLines(o.text, r.text);
  const removed = unmatched(o.tool_calls, r.tool_calls);
  const added = unmatched(r.tool_calls, o.tool_calls);
  const tokens = {} as ReplayTokens;
  for (const k of Object.keys(o.tokens) as (keyof ReplayTokens)[])
    tokens[k] = delta(o.tokens[k], r.tokens[k]);
  return {
    text: { same: o.text === r.text, lines: text.lines, truncated: text.truncated },
    tool_calls: {
      same: removed.length === 0 && added.length === 0 && o.tool_calls.length === r.tool_calls.length,
      removed,
      added,
    },
    stop_reason: { same: o.stop_reason === r.stop_reason },
    outcome: { same: o.outcome === r.outcome && o.status === r.status },
    model: { same: o.model === r.model },
    tokens,
    cost_usd: delta(o.cost_usd, r.cost_usd, true),
    ttft_ms: delta(o.ttft_ms, r.ttft_ms),
    duration_ms: delta(o.duration_ms, r.duration_ms),
  };
}

export function buildComparison(
  original: RecordedExchange,
  replay: RecordedExchange,
  prices?: Prices,
): ReplayComparison {
  const o = sideOf(original, prices);
  const r = sideOf(replay, prices);
  return { original: o, replay: r, diff: diffSides(o, r) };
}
