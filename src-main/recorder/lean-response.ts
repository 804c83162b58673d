// Version 2 ("lean") response lines: how a full response line is stored and read back (src-shared/records.ts
// documents the format). Response headers go to a shared `headers` block with the per-response values on the
// line; an Anthropic response's content is the assistant message block its next request's history reuses;
// usage is stored once (raw); what repeats from response to response goes to a `response` base block. Both
// directions are here so they cannot drift: the writer checks that every lean line reads back to its full line.
import type { ContentBlock, JsonValue, ReassembledResponse, Usage } from '../../src-shared/exchange.js';
import {
  RECORD_VERSION,
  type ContentFix,
  type ResponseLine,
  type StoredResponse,
  type StoredResponseLine,
} from '../../src-shared/records.js';
import { round1, type PreviousBases, type RequestFactsForResponse, type SessionFacts } from './lean-lines.js';
import { fromAnthropicMessage } from './parse/assistant-message.js';
import { usageFromRaw } from './parse/usage.js';
import { sameJson } from './same-json.js';

type Headers = Record<string, string | string[]>;

/** Response headers whose values change from response to response by nature (kept on the line, not the block). */
const VOLATILE =
  /^(date|age|expires|etag|last-modified|retry-after|set-cookie|content-length|server-timing|cf-ray|request-id|x-request-id|.*-request-?id|x-envoy-upstream-service-time|openai-processing-ms|x-cloud-trace-context|(anthropic-ratelimit|x-ratelimit|x-codex)-.*)$/i;

/**
 * Split response headers into the set stored as a block (volatile values left null, so one block serves many
 * responses) and the values kept on the line: those of volatile names and those that differ from `last`.
 */
export function splitHeaders(h: Headers, last: Headers | null): { base: Headers; vars: Headers } {
  const base: Record<string, string | string[] | null> = {};
  const vars: Headers = {};
  for (const [k, v] of Object.entries(h)) {
    const prev = last?.[k];
    if (VOLATILE.test(k) || (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(v))) {
      base[k] = null;
      vars[k] = v;
    } else base[k] = v;
  }
  return { base: base as Headers, vars };
}

/**
 * Headers back from their block and the line's values (see splitHeaders); a `date` the line does not hold is
 * `date` (the HTTP date of the moment the response headers arrived, which it then equalled).
 */
export function joinHeaders(
  base: JsonValue | undefined,
  vars: Headers | undefined,
  date: string | null = null,
): JsonValue | null {
  if (!base || typeof base !== 'object' || Array.isArray(base)) return null;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(base))
    out[k] = v === null ? (vars?.[k] ?? (k === 'date' ? date : null)) : v;
  return out;
}

/** The last HTTP date made (by its second). */
const lastDate = { second: NaN, text: '' };

/** The HTTP date of the moment a response's headers arrived (its start plus its time to first byte). */
export function headersDate(at: number, t: ResponseLine['timings']): string | null {
  if (t.ttfb_ms === null || t.duration_ms === null) return null;
  // The text changes once a second; writing and checking a line asks for it twice.
  const second = Math.floor(Math.floor(at - t.duration_ms + t.ttfb_ms) / 1000);
  if (second !== lastDate.second) {
    lastDate.second = second;
    lastDate.text = new Date(second * 1000).toUTCString();
  }
  return lastDate.text;
}

/** A response line's `at` as its request's arrival plus its duration. */
export function responseAt(request: RequestFactsForResponse, duration: number | null): number | null {
  return duration === null ? null : round1(request.at + duration);
}

/** Where a response's headers and content were stored (computed by the writer). */
export interface ResponseRefs {
  headersRef: string | null;
  headersVar: Headers;
  contentRef: string | null;
  contentFix: ContentFix[];
}

function leanResponseBody(
  r: ReassembledResponse,
  line: ResponseLine,
  request: RequestFactsForResponse | null,
  refs: ResponseRefs,
): StoredResponse {
  const out: StoredResponse = { counts: {} };
  if (r.dialect !== request?.dialect) out.dialect = r.dialect;
  if (r.endpoint !== request?.endpoint) out.endpoint = r.endpoint;
  if (!r.streamed) out.streamed = false;
  if (!r.complete) out.complete = false;
  out.id = r.id;
  if (request === null || r.model !== request.model) out.model = r.model;
  if (r.role !== 'assistant') out.role = r.role;
  if (refs.contentRef !== null) {
    out.content_ref = refs.contentRef;
    if (refs.contentFix.length > 0) out.content_fix = refs.contentFix;
  } else out.content = r.content;
  if (r.stopReason !== line.stop_reason) out.stopReason = r.stopReason;
  if (r.stopDetail !== null) out.stopDetail = r.stopDetail;
  out.finishReason = r.finishReason;
  if (r.error !== null) out.error = r.error;
  if (r.hasRefusal) out.hasRefusal = true;
  const c = r.counts;
  out.counts = { events: c.events };
  if (c.chunks !== line.chunks) out.counts.chunks = c.chunks;
  if (c.bytes !== line.response_bytes) out.counts.bytes = c.bytes;
  if (c.parseErrors !== 0) out.counts.parseErrors = c.parseErrors;
  if (c.keepalives !== 0) out.counts.keepalives = c.keepalives;
  if (r.firstContentAtMs !== line.timings.first_content_ms) out.firstContentAtMs = r.firstContentAtMs;
  return out;
}

export function leanResponse(
  full: ResponseLine,
  session: SessionFacts,
  request: RequestFactsForResponse | null,
  refs: ResponseRefs,
): StoredResponseLine {
  const out = { type: 'response', v: RECORD_VERSION, id: full.id } as StoredResponseLine &
    Record<string, unknown>;
  if (request === null || full.at !== responseAt(request, full.timings.duration_ms)) out.at = full.at;
  if (full.status !== 200) out.status = full.status;
  if (full.outcome !== 'completed') out.outcome = full.outcome;
  out.usage = null;
  out.stop_reason = full.stop_reason;
  const t = full.timings;
  out.timings = [t.ttfb_ms, t.first_content_ms, t.duration_ms, t.provider_ms, t.overhead_ms];
  out.response_bytes = full.response_bytes;
  if (full.response === null || full.response.counts.events !== full.chunks) out.chunks = full.chunks;
  if (full.session_id !== session.session_id) out.session_id = full.session_id;
  if (refs.headersRef !== null) {
    out.headers_ref = refs.headersRef;
    const vars = { ...refs.headersVar };
    // A `date` that says when the headers arrived is already said by `at` and the timings.
    if (vars['date'] !== undefined && vars['date'] === headersDate(full.at, full.timings))
      delete vars['date'];
    if (Object.keys(vars).length > 0) out.headers_var = vars;
  }
  if (full.reason !== null) out.reason = full.reason;
  if (full.error !== null) out.error = full.error;
  if (full.response !== null) out.response = leanResponseBody(full.response, full, request, refs);
  if (full.body_text !== null) out.body_text = full.body_text;
  if (full.model !== (full.response?.model ?? null)) out.model = full.model;
  const { raw, ...counts } = full.usage;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    // The key names are the same every turn: they go to the base block, the line keeps the values.
    // Text values (the service tier) repeat too: they go with the keys.
    out.usage_keys = Object.keys(raw);
    const fixed = Object.entries(raw).filter(([, v]) => typeof v === 'string');
    if (fixed.length > 0) out.usage_fixed = Object.fromEntries(fixed) as Record<string, string>;
    out.usage = Object.values(raw).filter((v) => typeof v !== 'string');
  } else out.usage = raw;
  const dialect = full.response?.dialect ?? request?.dialect ?? '';
  const endpoint = full.response?.endpoint ?? request?.endpoint ?? '';
  if (!sameJson(usageFromRaw(dialect, endpoint, raw), full.usage)) out.usage_n = counts;
  if (full.truncated) out.truncated = true;
  if (full.redaction) out.redaction = full.redaction;
  if (full.unknown) {
    out.unknown = full.unknown;
    if (full.client !== session.client) out.client = full.client;
    if (full.client_version !== session.client_version) out.client_version = full.client_version;
  }
  return out;
}

/** Paths of a stored response line that repeat from response to response; they go into a `response` block. */
const RESPONSE_BASE_PATHS = [
  ['headers_ref'],
  ['stop_reason'],
  ['usage_keys'],
  ['usage_fixed'],
  ['response', 'finishReason'],
  ['response', 'counts', 'keepalives'],
] as const;

type Tree = { [key: string]: unknown };
const isTree = (v: unknown): v is Tree => !!v && typeof v === 'object' && !Array.isArray(v);

/** Move the repeating parts of a stored response line into a base (see RESPONSE_BASE_PATHS). */
export function splitResponseBase(l: StoredResponseLine): { base: JsonValue; rest: StoredResponseLine } {
  // Copy-on-write along the paths only (the line itself is left as it was): cloning the whole line was a
  // tenth of the response line's cost.
  const rest: Tree = { ...(l as unknown as Tree) };
  const copies = new Set<Tree>([rest]);
  const base: Tree = {};
  for (const p of RESPONSE_BASE_PATHS) {
    let from: Tree | null = rest;
    for (const k of p.slice(0, -1)) {
      const next: unknown = from[k];
      if (!isTree(next)) {
        from = null;
        break;
      }
      const own: Tree = copies.has(next) ? next : { ...next };
      copies.add(own);
      from[k] = own;
      from = own;
    }
    const last = p[p.length - 1]!;
    if (from === null || !(last in from)) continue;
    let to = base;
    for (const k of p.slice(0, -1)) to = (to[k] ??= {}) as Tree;
    to[last] = from[last];
    delete from[last];
  }
  return { base: base as JsonValue, rest: rest as unknown as StoredResponseLine };
}

/** `over` laid over `base`, objects merged key by key (`over` wins). */
function deepMerge(base: unknown, over: unknown): unknown {
  if (!isTree(base) || !isTree(over)) return over === undefined ? base : over;
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function hydrateResponseBody(
  s: StoredResponse,
  line: StoredResponseLine,
  request: RequestFactsForResponse | null,
  blocks: ReadonlyMap<string, JsonValue>,
  usage: Usage,
  firstContentMs: number | null,
): ReassembledResponse {
  let content: ContentBlock[];
  if (s.content_ref !== undefined) {
    const message = blocks.get(s.content_ref);
    content = message === undefined ? [] : fromAnthropicMessage(message, s.content_fix ?? []);
  } else content = s.content ?? [];
  return {
    dialect: (s.dialect ?? request?.dialect ?? 'anthropic') as ReassembledResponse['dialect'],
    endpoint: (s.endpoint ?? request?.endpoint ?? 'other') as ReassembledResponse['endpoint'],
    streamed: s.streamed ?? true,
    complete: s.complete ?? true,
    id: s.id ?? null,
    model: s.model !== undefined ? s.model : (request?.model ?? null),
    role: s.role !== undefined ? s.role : 'assistant',
    content,
    stopReason: s.stopReason !== undefined ? s.stopReason : (line.stop_reason ?? null),
    stopDetail: s.stopDetail ?? null,
    finishReason: s.finishReason ?? null,
    usage,
    error: s.error ?? null,
    hasRefusal: s.hasRefusal ?? false,
    counts: {
      events: s.counts?.events ?? 0,
      chunks: s.counts?.chunks ?? line.chunks ?? s.counts?.events ?? 0,
      bytes: s.counts?.bytes ?? line.response_bytes,
      parseErrors: s.counts?.parseErrors ?? 0,
      keepalives: s.counts?.keepalives ?? 0,
    },
    firstContentAtMs: s.firstContentAtMs !== undefined ? s.firstContentAtMs : firstContentMs,
  };
}

/** The full response line of a stored one (v1 lines come back as they are). */
export function hydrateResponse(
  stored: StoredResponseLine,
  session: SessionFacts,
  request: RequestFactsForResponse | null,
  blocks: ReadonlyMap<string, JsonValue>,
  previous: PreviousBases = {},
): ResponseLine {
  // Version 1 lines, and v2 lines already in the full shape (an exported JSONL), come back as they are.
  if ((stored.v ?? 1) < 2 || 'headers' in stored) return stored as unknown as ResponseLine;
  const baseRef = stored.base_ref ?? previous.response;
  previous.response = baseRef;
  const l = (baseRef !== undefined ? deepMerge(blocks.get(baseRef), stored) : stored) as StoredResponseLine;
  let raw: JsonValue | null = l.usage ?? null;
  if (l.usage_keys && Array.isArray(raw)) {
    const values = raw;
    const fixed = l.usage_fixed ?? {};
    let n = 0;
    raw = Object.fromEntries(l.usage_keys.map((k) => [k, k in fixed ? fixed[k]! : (values[n++] ?? null)]));
  }
  const t = Array.isArray(l.timings) ? l.timings : [];
  const timings: ResponseLine['timings'] = {
    ttfb_ms: t[0] ?? null,
    first_content_ms: t[1] ?? null,
    duration_ms: t[2] ?? null,
    provider_ms: t[3] ?? null,
    overhead_ms: t[4] ?? null,
  };
  const at = l.at ?? (request ? responseAt(request, timings.duration_ms) : null) ?? 0;
  const dialect = l.response?.dialect ?? request?.dialect ?? '';
  const endpoint = l.response?.endpoint ?? request?.endpoint ?? '';
  const usage: Usage = l.usage_n ? { ...l.usage_n, raw } : usageFromRaw(dialect, endpoint, raw);
  const response = l.response
    ? hydrateResponseBody(l.response, l, request, blocks, usage, timings.first_content_ms)
    : null;
  const full: ResponseLine = {
    type: 'response',
    v: l.v,
    id: l.id,
    session_id: l.session_id ?? session.session_id,
    at,
    status: l.status !== undefined ? l.status : 200,
    headers:
      l.headers_ref !== undefined
        ? joinHeaders(blocks.get(l.headers_ref), l.headers_var, headersDate(at, timings))
        : null,
    outcome: l.outcome ?? 'completed',
    reason: l.reason ?? null,
    error: l.error ?? null,
    response,
    body_text: l.body_text ?? null,
    model: l.model !== undefined ? l.model : (response?.model ?? null),
    usage,
    stop_reason: l.stop_reason ?? null,
    timings,
    response_bytes: l.response_bytes,
    chunks: l.chunks ?? response?.counts.events ?? 0,
    truncated: l.truncated ?? false,
  };
  if (l.redaction) full.redaction = l.redaction;
  if (l.unknown) {
    full.unknown = l.unknown;
    full.client = l.client ?? session.client ?? 'other';
    full.client_version = l.client_version !== undefined ? l.client_version : session.client_version;
  }
  return full;
}
