// Normalises each provider's usage object into the shared `Usage` (see src-shared/exchange.ts for the field
// semantics). The rules here are the ones peers get wrong: Anthropic usage comes in two halves that must be
// merged (not summed), OpenAI prompt/input counts already include cached tokens, and "not sent" is null, not 0.
import type { JsonValue, Usage } from '../../../src-shared/exchange.js';
import { asNumber, asObject, type JsonObject } from './json.js';

export function emptyUsage(): Usage {
  return { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null };
}

/**
 * A later value wins unless it is missing/null, or it is 0 while we already hold a non-zero count: some gateways
 * send zeros in `message_start` and the real numbers in `message_delta`, others the reverse for input tokens.
 */
function laterWins(current: number | null, next: unknown): number | null {
  const n = asNumber(next);
  if (n === null) return current;
  if (n === 0 && current !== null && current !== 0) return current;
  return n;
}

/**
 * Folds one Anthropic usage object (from `message_start.message.usage`, `message_delta.usage` or a JSON body)
 * into `u`. Counts in `message_delta` are cumulative, so merging never adds.
 */
export function mergeAnthropicUsage(u: Usage, raw: unknown): void {
  const o = asObject(raw);
  if (o === null) return;
  u.input = laterWins(u.input, o.input_tokens);
  u.cacheRead = laterWins(u.cacheRead, o.cache_read_input_tokens);
  u.cacheWrite = laterWins(u.cacheWrite, o.cache_creation_input_tokens);
  u.output = laterWins(u.output, o.output_tokens);
  u.reasoning = laterWins(u.reasoning, asObject(o.output_tokens_details)?.thinking_tokens);
  // Same rule for the kept raw object, key by key (a fresh object: earlier snapshots keep theirs).
  const prev = asObject(u.raw);
  if (prev === null) {
    u.raw = o;
    return;
  }
  const merged: JsonObject = { ...prev };
  for (const key of Object.keys(o)) {
    const v = o[key] as JsonValue;
    if (v === null || v === undefined) continue;
    const p = merged[key];
    if (v === 0 && typeof p === 'number' && p !== 0) continue;
    merged[key] = v;
  }
  u.raw = merged;
}

/** OpenAI Chat Completions `usage` (also embeddings): prompt_tokens includes cached_tokens. Replaces `u`. */
export function setChatUsage(u: Usage, raw: unknown): boolean {
  const o = asObject(raw);
  if (o === null) return false;
  const prompt = asNumber(o.prompt_tokens);
  const cached = asNumber(asObject(o.prompt_tokens_details)?.cached_tokens);
  u.input = prompt === null ? null : Math.max(0, prompt - (cached ?? 0));
  u.cacheRead = cached;
  // Not an OpenAI field; some OpenAI-compatible gateways in front of Anthropic report it.
  u.cacheWrite = asNumber(asObject(o.prompt_tokens_details)?.cache_write_tokens);
  u.output = asNumber(o.completion_tokens);
  u.reasoning = asNumber(asObject(o.completion_tokens_details)?.reasoning_tokens);
  u.raw = o;
  return true;
}

/** OpenAI Responses `usage`: input_tokens includes input_tokens_details.cached_tokens. Replaces `u`. */
export function setResponsesUsage(u: Usage, raw: unknown): boolean {
  const o = asObject(raw);
  if (o === null) return false;
  const input = asNumber(o.input_tokens);
  const cached = asNumber(asObject(o.input_tokens_details)?.cached_tokens);
  u.input = input === null ? null : Math.max(0, input - (cached ?? 0));
  u.cacheRead = cached;
  u.cacheWrite = null;
  u.output = asNumber(o.output_tokens);
  u.reasoning = asNumber(asObject(o.output_tokens_details)?.reasoning_tokens);
  u.raw = o;
  return true;
}

/**
 * The normalised usage of a provider's usage object `raw` (as kept in `Usage.raw`), by the rules of the parser
 * of `dialect` and `endpoint`. Version 2 lines store only `raw` when this gives the recorded counts back exactly.
 */
export function usageFromRaw(dialect: string, endpoint: string, raw: JsonValue | null): Usage {
  const u = emptyUsage();
  if (raw === null) return u;
  if (dialect === 'anthropic' && (endpoint === 'messages' || endpoint === 'count_tokens'))
    mergeAnthropicUsage(u, raw);
  else if (endpoint === 'responses') setResponsesUsage(u, raw);
  else setChatUsage(u, raw);
  if (u.raw === null) u.raw = raw;
  return u;
}
