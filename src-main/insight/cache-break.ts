// Cache breaks: a request that read less from the prompt cache than its thread's previous request left cached
// (that request's cache read + cache write; its cache read alone where the provider reports no writes, as
// OpenAI). The cause comes from comparing the two stored requests in the order the provider's prefix cache is
// built (tools → system → messages): model changed, tools changed (named), system prompt changed, the history
// replaced by a compaction, an earlier message edited, or — nothing changed — the gap since the previous request
// passed the cache's TTL (5 minutes; 1 hour when a breakpoint says `ttl: "1h"`). Pure.
import type { CacheBreak } from '../../src-shared/insight.js';
import type { Prices } from '../analytics/prices.js';
import { asArray, asObject, asString, type JsonObject } from '../recorder/parse/json.js';
import { bodyObject, itemsOf } from './threads.js';
import type { InsightRequest } from './types.js';

/** The smallest cacheable prefix (Anthropic); a shortfall under this is noise, not a break. */
const MIN_SHORTFALL = 1_024;
const TTL_5M = 5 * 60_000;
const TTL_1H = 60 * 60_000;

/** Responses item types whose `id` is a per-request label, not content. */
const LABEL_ID_TYPES = new Set([
  'message',
  'additional_tools',
  'reasoning',
  'function_call',
  'function_call_output',
  'custom_tool_call',
  'custom_tool_call_output',
  'local_shell_call',
]);

/**
 * What the provider's cache sees of a value, as a string to compare: without `cache_control` (the breakpoints
 * move every turn), without Claude Code's per-request billing header block, without Codex's item ids, and with
 * content of one text block written as that text (Claude Code sends its newest message as blocks and the same
 * message as a string the next turn; the API makes both the same text block).
 */
export class Keyer {
  private readonly memo = new WeakMap<object, string>();
  key(v: unknown): string {
    if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
    const hit = this.memo.get(v);
    if (hit !== undefined) return hit;
    const k = JSON.stringify(v, normalize);
    this.memo.set(v, k);
    return k;
  }
}

function normalize(name: string, x: unknown): unknown {
  if (name === 'cache_control') return undefined;
  const o = asObject(x);
  if (o === null) return x;
  const text = asString(o['text']);
  if (o['type'] === 'text' && text?.startsWith('x-anthropic-billing-header:')) return null;
  const content = asArray(o['content']);
  const only = content?.length === 1 ? asObject(content[0]) : null;
  const onlyText = asString(only?.['text']);
  let out: JsonObject = o;
  if (
    only &&
    only['type'] === 'text' &&
    onlyText !== null &&
    Object.keys(only).every((k) => k === 'type' || k === 'text' || k === 'cache_control')
  )
    out = { ...out, content: onlyText };
  if (typeof o['id'] === 'string' && LABEL_ID_TYPES.has(String(o['type']))) {
    const { id: _id, ...rest } = out;
    out = rest;
  }
  return out;
}

function hasHourTtl(v: unknown, depth = 0): boolean {
  if (depth > 6 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => hasHourTtl(x, depth + 1));
  const o = v as JsonObject;
  const cc = asObject(o['cache_control']);
  if (cc?.['ttl'] === '1h') return true;
  return Object.values(o).some((x) => hasHourTtl(x, depth + 1));
}

/** Whether a body asks for the 1-hour cache (a breakpoint on the system prompt, tools or last messages). */
function oneHourCache(o: JsonObject | null): boolean {
  if (o === null) return false;
  if (hasHourTtl(o['system']) || hasHourTtl(o['tools'])) return true;
  return itemsOf(o)
    .slice(-3)
    .some((m) => hasHourTtl(m));
}

function toolName(t: unknown): string {
  const o = asObject(t);
  return (
    asString(o?.['name']) ?? asString(asObject(o?.['function'])?.['name']) ?? asString(o?.['type']) ?? '?'
  );
}

function list(names: string[]): string {
  return names.length <= 4
    ? names.join(', ')
    : `${names.slice(0, 4).join(', ')} and ${names.length - 4} more`;
}

/** "added X; removed Y; changed Z", or null when the tool lists are the same. */
export function toolsDiff(prev: unknown, next: unknown, keyer: Keyer): string | null {
  const a = new Map((asArray(prev) ?? []).map((t) => [toolName(t), keyer.key(t)]));
  const b = new Map((asArray(next) ?? []).map((t) => [toolName(t), keyer.key(t)]));
  const added = [...b.keys()].filter((n) => !a.has(n));
  const removed = [...a.keys()].filter((n) => !b.has(n));
  const changed = [...b.keys()].filter((n) => a.has(n) && a.get(n) !== b.get(n));
  const out: string[] = [];
  if (added.length) out.push(`added ${list(added)}`);
  if (removed.length) out.push(`removed ${list(removed)}`);
  if (changed.length) out.push(`changed ${list(changed)}`);
  if (out.length) return out.join('; ');
  const order = [...a.keys()].join('\u0000') !== [...b.keys()].join('\u0000');
  return order ? 'the same tools in another order' : null;
}

function systemOf(o: JsonObject | null): unknown {
  if (o === null) return undefined;
  if (o['system'] !== undefined) return o['system'];
  if (o['instructions'] !== undefined) return o['instructions'];
  // Chat: the system messages at the head of the conversation.
  return itemsOf(o).filter((m) => {
    const r = asObject(m)?.['role'];
    return r === 'system' || r === 'developer';
  });
}

/** The text of a system value (string, text blocks or system messages) for a readable diff. */
function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  const parts = (asArray(v) ?? []).map((p) => {
    const o = asObject(p);
    return asString(o?.['text']) ?? asString(o?.['content']) ?? JSON.stringify(p);
  });
  return parts.length ? parts.join('\n') : (JSON.stringify(v) ?? '');
}

function minutes(ms: number): string {
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.round(ms / 60_000)} min`;
}

/** The cause and a one-line detail for a break between `prev` and `next` (same thread, in order). */
export function breakCause(
  prev: InsightRequest,
  next: InsightRequest,
  compaction: boolean,
  keyer: Keyer,
): Pick<CacheBreak, 'cause' | 'detail'> {
  const a = bodyObject(prev);
  const b = bodyObject(next);
  if (prev.model && next.model && prev.model !== next.model)
    return { cause: 'model_changed', detail: `${prev.model} → ${next.model}` };
  // A compaction replaces the history (and with it what the client derives from it): that is the cause.
  if (compaction) return { cause: 'compaction', detail: 'history replaced by a compaction summary' };
  const tools = toolsDiff(a?.['tools'], b?.['tools'], keyer);
  if (tools !== null) return { cause: 'tools_changed', detail: tools };
  // A Codex turn on `previous_response_id` sends only new items: there is no earlier prompt in it to compare.
  const incremental = typeof b?.['previous_response_id'] === 'string';
  const sa = systemOf(a);
  const sb = systemOf(b);
  if (!incremental && keyer.key(sa) !== keyer.key(sb)) {
    const ta = textOf(sa);
    const tb = textOf(sb);
    let i = 0;
    while (i < ta.length && i < tb.length && ta[i] === tb[i]) i++;
    const near = tb
      .slice(Math.max(0, i - 20), i + 40)
      .replace(/\s+/g, ' ')
      .trim();
    return {
      cause: 'system_changed',
      detail: `system prompt changed at character ${i}${near ? ` ("…${near}…")` : ''}, ${ta.length} → ${tb.length} characters`,
    };
  }
  const ma = incremental ? [] : itemsOf(a);
  const mb = incremental ? [] : itemsOf(b);
  for (let i = 0; i < Math.min(ma.length, mb.length); i++) {
    if (ma[i] === mb[i] || keyer.key(ma[i]) === keyer.key(mb[i])) continue;
    const role = asString(asObject(mb[i])?.['role']) ?? asString(asObject(mb[i])?.['type']) ?? 'item';
    return { cause: 'message_edited', detail: `message ${i + 1} of ${ma.length} (${role}) changed` };
  }
  if (mb.length < ma.length)
    return { cause: 'message_edited', detail: `history cut from ${ma.length} to ${mb.length} messages` };
  const ttl = oneHourCache(a) || oneHourCache(b) ? TTL_1H : TTL_5M;
  const gap = next.at - (prev.endedAt ?? prev.at);
  if (gap >= ttl)
    return {
      cause: 'ttl_expired',
      detail: `${minutes(gap)} since the previous request (cache TTL ${ttl === TTL_1H ? '1 h' : '5 min'})`,
    };
  return { cause: 'unknown', detail: 'nothing in the request changed; the provider dropped the cache' };
}

/** Tokens `prev` left cached for `next`: what it read plus what it wrote. */
function cachedAfter(prev: InsightRequest): number {
  return (prev.usage.cacheRead ?? 0) + (prev.usage.cacheWrite ?? 0);
}

/** The break at `next`, or null when it read what `prev` left cached (or either has no usage). */
export function cacheBreak(
  prev: InsightRequest,
  next: InsightRequest,
  compaction: boolean,
  keyer: Keyer,
  prices: Prices,
): CacheBreak | null {
  const u = next.usage;
  if (u.input === null && u.cacheRead === null && u.cacheWrite === null) return null;
  const expected = cachedAfter(prev);
  const read = u.cacheRead ?? 0;
  const shortfall = expected - read;
  if (shortfall < Math.max(MIN_SHORTFALL, expected * 0.05)) return null;
  const paid = (u.input ?? 0) + (u.cacheWrite ?? 0);
  const rewritten = Math.max(0, Math.min(shortfall, paid));
  if (rewritten === 0) return null;
  const { cause, detail } = breakCause(prev, next, compaction, keyer);
  return { cause, detail, tokens_rewritten: rewritten, extra_cost_usd: extraCost(next, rewritten, prices) };
}

/**
 * What `tokens` cost written to the cache (or sent uncached) instead of read from it; null when unpriced. The
 * written part is priced at the cache-write rate (the 1-hour rate for the 1-hour cache), the rest at the input rate.
 */
function extraCost(r: InsightRequest, tokens: number, prices: Prices): number | null {
  const price = prices.lookup(r.model);
  if (!price) return null;
  const read = price.cacheRead ?? price.input;
  const written = Math.min(tokens, r.usage.cacheWrite ?? 0);
  const hour = written > 0 && oneHourCache(bodyObject(r));
  const write = (hour ? price.cacheWrite1h : null) ?? price.cacheWrite ?? price.input;
  const usd = written * (write - read) + (tokens - written) * (price.input - read);
  return Math.round(usd * 100) / 1e8;
}
