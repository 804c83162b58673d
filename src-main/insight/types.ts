// The input of the insight analysis: one recorded request with its body rebuilt from its blocks, its usage and
// the tool calls its response made. Built from JSONL lines by `fromExchanges` (exchanges.ts); everything here is
// plain data, so the analysis stays pure and testable on hand-made cases.
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { JsonValue } from '../../src-shared/exchange.js';

export interface InsightUsage {
  input: number | null;
  output: number | null;
  cacheRead: number | null;
  cacheWrite: number | null;
  /** The provider's usage object (for the 1-hour cache write split), when known. */
  raw?: JsonValue | null;
}

export interface InsightRequest {
  id: string;
  /** Arrival, epoch ms. */
  at: number;
  /** End of the exchange (the response line's time); null when unknown. */
  endedAt: number | null;
  durationMs: number | null;
  method: string;
  dialect: Dialect;
  endpoint: Endpoint;
  /** The model the response named, else the one requested. */
  model: string | null;
  /** The last user text (the request line's `prompt`). */
  prompt: string | null;
  toolCount: number;
  /** The full request body (re-sent context resolved), or null. */
  body: JsonValue | null;
  usage: InsightUsage;
  /** The provider's response id (`resp_…`), which a later Codex turn names as `previous_response_id`. */
  responseId: string | null;
  /** Characters of the response's output: text and tool calls, and thinking/reasoning. */
  outputChars: { messages: number; thinking: number };
  /** Tool calls the response asked for. */
  calls: { id: string; name: string; arguments: string }[];
}
