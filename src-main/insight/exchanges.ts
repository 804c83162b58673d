// Turns the exchanges of one session file (export/session-data.ts: request lines with bodies rebuilt from their
// blocks, and their responses) into the insight analysis's input, and attaches its result to index rows. Pure.
import type { ContentBlock } from '../../src-shared/exchange.js';
import type { RequestInsight } from '../../src-shared/insight.js';
import type { SessionExchange } from '../export/session-data.js';
import type { InsightRequest } from './types.js';

export function fromExchanges(exchanges: readonly SessionExchange[]): InsightRequest[] {
  return exchanges.map(({ request: q, body, response: p }): InsightRequest => {
    const usage = p?.usage;
    return {
      id: q.id,
      at: q.at,
      endedAt: p?.at ?? null,
      durationMs: p?.timings.duration_ms ?? null,
      method: q.method,
      dialect: q.dialect,
      endpoint: q.endpoint,
      model: p?.model ?? p?.response?.model ?? q.model,
      prompt: q.prompt,
      toolCount: q.tool_count,
      body,
      usage: {
        input: usage?.input ?? null,
        output: usage?.output ?? null,
        cacheRead: usage?.cacheRead ?? null,
        cacheWrite: usage?.cacheWrite ?? null,
        raw: usage?.raw ?? null,
      },
      responseId: p?.response?.id ?? null,
      outputChars: outputChars(p?.response?.content ?? []),
      calls: (p?.response?.content ?? []).flatMap((b) =>
        b.type === 'tool_call' ? [{ id: b.id, name: b.name, arguments: b.arguments }] : [],
      ),
    };
  });
}

function outputChars(content: readonly ContentBlock[]): InsightRequest['outputChars'] {
  const out = { messages: 0, thinking: 0 };
  for (const b of content) {
    if (b.type === 'text') out.messages += b.text.length;
    else if (b.type === 'tool_call') out.messages += b.name.length + b.arguments.length;
    else if (b.type === 'thinking') out.thinking += b.thinking.length;
    else if (b.type === 'refusal') out.messages += b.refusal.length;
  }
  return out;
}

const NONE: RequestInsight = { context: null, cache_break: null, agent: null, compaction: null };

/** Each row with its four insight fields (null when the request is not in the file). */
export function withInsight<R extends { id: string }>(
  rows: readonly R[],
  byRequest: ReadonlyMap<string, RequestInsight>,
): (R & RequestInsight)[] {
  return rows.map((r) => ({ ...r, ...(byRequest.get(r.id) ?? NONE) }));
}
