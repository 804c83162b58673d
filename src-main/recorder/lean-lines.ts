// Version 2 ("lean") request and response lines: how a full line is stored and how a stored line is read back
// into the full shape (src-shared/records.ts documents both). What the session line or a block already holds is
// left out, so is every default; response headers and an Anthropic response's assistant message live in blocks.
// Both directions are here so they cannot drift: `leanX(full)` read back by `hydrateX` gives `full` exactly (the
// recorder checks this for every line it writes and stores the full line when it would not).
import type { ContentBlock, JsonValue, ReassembledResponse, Usage } from '../../src-shared/exchange.js';
import {
  RECORD_VERSION,
  type ContentFix,
  type RecordLine,
  type RequestLine,
  type ResponseLine,
  type SessionLine,
  type StoredRequestLine,
  type StoredResponse,
  type StoredResponseLine,
} from '../../src-shared/records.js';
import { fromAnthropicMessage } from './parse/assistant-message.js';
import { usageFromRaw } from './parse/usage.js';

type Headers = Record<string, string | string[]>;

/** A time or duration rounded to 0.1 ms (null stays null). */
export function round1<T extends number | null>(ms: T): T {
  return (ms === null ? null : Math.round(ms * 10) / 10) as T;
}

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

/** Headers back from their block and the line's values (see splitHeaders). */
export function joinHeaders(base: JsonValue | undefined, vars: Headers | undefined): JsonValue | null {
  if (!base || typeof base !== 'object' || Array.isArray(base)) return null;
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(base)) out[k] = v === null ? (vars?.[k] ?? null) : v;
  return out;
}

type JsonObject = { [key: string]: JsonValue };

/**
 * A request body skeleton without its chain reference: what Claude Code sends the same every turn (model,
 * max_tokens, metadata, system and tools references) becomes one block, the line keeps only the chain hash.
 * Null when the skeleton has no chain reference.
 */
export function splitBody(body: JsonValue | null): { base: JsonValue; chain: string } | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  let chain: string | null = null;
  const base: JsonObject = {};
  for (const [k, v] of Object.entries(body)) {
    if (chain === null && isChainRef(v)) {
      chain = v['$chain'] as string;
      base[k] = { $chain: null };
    } else base[k] = v;
  }
  return chain === null ? null : { base, chain };
}

function isChainRef(v: JsonValue | undefined): v is JsonObject {
  return (
    !!v &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    (typeof v['$chain'] === 'string' || v['$chain'] === null)
  );
}

/** A skeleton back from its block and the line's chain hash (see splitBody). */
export function joinBody(base: JsonValue | undefined, chain: string): JsonValue | null {
  if (!base || typeof base !== 'object' || Array.isArray(base)) return null;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(base))
    out[k] = isChainRef(v) && v['$chain'] === null ? { $chain: chain } : v;
  return out;
}

/** What a request line may leave out because the session line says it. */
export interface SessionFacts {
  session_id: string;
  client: SessionLine['client'] | null;
  client_version: string | null;
}

/** Blocks a stored request line refers to besides those of its body. */
export interface RequestRefs {
  promptRef: string | null;
  /** The skeleton's block and its chain hash (see splitBody). */
  bodyRef: string | null;
  bodyChain: string | null;
}

export function leanRequest(full: RequestLine, session: SessionFacts, refs: RequestRefs): StoredRequestLine {
  const {
    body,
    session_id,
    client,
    transport,
    method,
    upstream_url,
    body_text,
    body_truncated,
    body_encoding,
    tool_results,
    prompt,
    ...rest
  } = full;
  const out: StoredRequestLine & Record<string, unknown> = {
    ...rest,
    v: RECORD_VERSION,
  } as StoredRequestLine;
  if (refs.bodyRef !== null && refs.bodyChain !== null) {
    out.body_ref = refs.bodyRef;
    out.body_chain = refs.bodyChain;
  } else out.body = body;
  if (session_id !== session.session_id) out.session_id = session_id;
  if (client !== session.client) out.client = client;
  if (transport !== 'http') out.transport = transport;
  if (method !== 'POST') out.method = method;
  if (upstream_url.endsWith(full.url) && upstream_url.length > full.url.length)
    out.upstream = upstream_url.slice(0, upstream_url.length - full.url.length);
  else out.upstream_url = upstream_url;
  if (body_text !== null) out.body_text = body_text;
  if (body_truncated) out.body_truncated = true;
  if (body_encoding !== null) out.body_encoding = body_encoding;
  if (tool_results.length > 0) out.tool_results = tool_results;
  if (refs.promptRef !== null) out.prompt_ref = refs.promptRef;
  else if (prompt !== null) out.prompt = prompt;
  return out;
}

/** The full request line of a stored one (v1 lines come back as they are). */
export function hydrateRequest(
  l: StoredRequestLine,
  session: SessionFacts,
  blocks: ReadonlyMap<string, JsonValue>,
): RequestLine {
  // Version 1 lines, and v2 lines already in the full shape (an exported JSONL), come back as they are.
  if ((l.v ?? 1) < 2 || ('session_id' in l && 'upstream_url' in l && 'tool_results' in l))
    return l as RequestLine;
  const prompt = l.prompt_ref !== undefined ? blocks.get(l.prompt_ref) : l.prompt;
  const full: RequestLine = {
    type: 'request',
    v: l.v,
    id: l.id,
    session_id: l.session_id ?? session.session_id,
    at: l.at,
    dialect: l.dialect,
    endpoint: l.endpoint,
    transport: l.transport ?? 'http',
    method: l.method ?? 'POST',
    url: l.url,
    upstream_url: l.upstream_url ?? `${l.upstream ?? ''}${l.url}`,
    client: l.client ?? session.client ?? 'other',
    headers_ref: l.headers_ref,
    credential_source: l.credential_source,
    body:
      l.body_ref !== undefined && l.body_chain !== undefined
        ? joinBody(blocks.get(l.body_ref), l.body_chain)
        : (l.body ?? null),
    body_text: l.body_text ?? null,
    body_bytes: l.body_bytes,
    body_truncated: l.body_truncated ?? false,
    body_encoding: l.body_encoding ?? null,
    model: l.model,
    stream: l.stream,
    prompt: typeof prompt === 'string' ? prompt : null,
    message_count: l.message_count,
    tool_count: l.tool_count,
    system_chars: l.system_chars,
    tool_results: l.tool_results ?? [],
  };
  if (l.redaction) full.redaction = l.redaction;
  if (l.replay_of !== undefined) full.replay_of = l.replay_of;
  return full;
}

/** What a response line may leave out because its request line says it. */
export interface RequestFactsForResponse {
  dialect: string;
  endpoint: string;
  model: string | null;
}

/** Where a response's headers and content were stored (computed by the writer). */
export interface ResponseRefs {
  headersRef: string | null;
  headersVar: Headers;
  contentRef: string | null;
  contentFix: ContentFix[];
}

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

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
  const out: StoredResponseLine & Record<string, unknown> = {
    type: 'response',
    v: RECORD_VERSION,
    id: full.id,
    at: full.at,
    status: full.status,
    outcome: full.outcome,
    usage: null,
    stop_reason: full.stop_reason,
    timings: {},
    response_bytes: full.response_bytes,
    chunks: full.chunks,
  };
  if (full.session_id !== session.session_id) out.session_id = full.session_id;
  if (refs.headersRef !== null) {
    out.headers_ref = refs.headersRef;
    if (Object.keys(refs.headersVar).length > 0) out.headers_var = refs.headersVar;
  }
  if (full.reason !== null) out.reason = full.reason;
  if (full.error !== null) out.error = full.error;
  if (full.response !== null) out.response = leanResponseBody(full.response, full, request, refs);
  if (full.body_text !== null) out.body_text = full.body_text;
  if (full.model !== (full.response?.model ?? null)) out.model = full.model;
  const { raw, ...counts } = full.usage;
  out.usage = raw;
  const dialect = full.response?.dialect ?? request?.dialect ?? '';
  const endpoint = full.response?.endpoint ?? request?.endpoint ?? '';
  if (!sameJson(usageFromRaw(dialect, endpoint, raw), full.usage)) out.usage_n = counts;
  for (const [k, v] of Object.entries(full.timings) as [keyof ResponseLine['timings'], number | null][])
    if (v !== null) out.timings[k] = v;
  if (full.truncated) out.truncated = true;
  if (full.redaction) out.redaction = full.redaction;
  if (full.unknown) {
    out.unknown = full.unknown;
    if (full.client !== session.client) out.client = full.client;
    if (full.client_version !== session.client_version) out.client_version = full.client_version;
  }
  // Key order of the full line, for a reader of the raw file.
  return out;
}

function hydrateResponseBody(
  s: StoredResponse,
  line: StoredResponseLine,
  request: RequestFactsForResponse | null,
  blocks: ReadonlyMap<string, JsonValue>,
  usage: Usage,
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
    stopReason: s.stopReason !== undefined ? s.stopReason : line.stop_reason,
    stopDetail: s.stopDetail ?? null,
    finishReason: s.finishReason ?? null,
    usage,
    error: s.error ?? null,
    hasRefusal: s.hasRefusal ?? false,
    counts: {
      events: s.counts?.events ?? 0,
      chunks: s.counts?.chunks ?? line.chunks,
      bytes: s.counts?.bytes ?? line.response_bytes,
      parseErrors: s.counts?.parseErrors ?? 0,
      keepalives: s.counts?.keepalives ?? 0,
    },
    firstContentAtMs:
      s.firstContentAtMs !== undefined ? s.firstContentAtMs : (line.timings.first_content_ms ?? null),
  };
}

/** The full response line of a stored one (v1 lines come back as they are). */
export function hydrateResponse(
  l: StoredResponseLine,
  session: SessionFacts,
  request: RequestFactsForResponse | null,
  blocks: ReadonlyMap<string, JsonValue>,
): ResponseLine {
  // Version 1 lines, and v2 lines already in the full shape (an exported JSONL), come back as they are.
  if ((l.v ?? 1) < 2 || 'headers' in l) return l as unknown as ResponseLine;
  const t = l.timings ?? {};
  const dialect = l.response?.dialect ?? request?.dialect ?? '';
  const endpoint = l.response?.endpoint ?? request?.endpoint ?? '';
  const usage: Usage = l.usage_n
    ? { ...l.usage_n, raw: l.usage }
    : usageFromRaw(dialect, endpoint, l.usage ?? null);
  const response = l.response ? hydrateResponseBody(l.response, l, request, blocks, usage) : null;
  const full: ResponseLine = {
    type: 'response',
    v: l.v,
    id: l.id,
    session_id: l.session_id ?? session.session_id,
    at: l.at,
    status: l.status,
    headers: l.headers_ref !== undefined ? joinHeaders(blocks.get(l.headers_ref), l.headers_var) : null,
    outcome: l.outcome,
    reason: l.reason ?? null,
    error: l.error ?? null,
    response,
    body_text: l.body_text ?? null,
    model: l.model !== undefined ? l.model : (response?.model ?? null),
    usage,
    stop_reason: l.stop_reason,
    timings: {
      ttfb_ms: t.ttfb_ms ?? null,
      first_content_ms: t.first_content_ms ?? null,
      duration_ms: t.duration_ms ?? null,
      provider_ms: t.provider_ms ?? null,
      overhead_ms: t.overhead_ms ?? null,
    },
    response_bytes: l.response_bytes,
    chunks: l.chunks,
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

/**
 * Every line of one session's record (all parts, in order) in the full shape: version 2 request and response
 * lines are filled in from the session line (`fallbackId`, the file name's session id, when there is none),
 * their request lines and the file's blocks. Other lines, and v1 lines, are returned as they are.
 */
export function hydrateLines(lines: RecordLine[], fallbackId: string): RecordLine[] {
  if (!lines.some((l) => (l.v ?? 1) >= 2 && (l.type === 'request' || l.type === 'response'))) return lines;
  const blocks = new Map<string, JsonValue>();
  let session: SessionFacts | null = null;
  for (const l of lines) {
    if (l.type === 'block') blocks.set(l.hash, l.value);
    else if (l.type === 'session' && session === null)
      session = { session_id: l.session_id, client: l.client, client_version: l.client_version };
  }
  const facts: SessionFacts = session ?? { session_id: fallbackId, client: null, client_version: null };
  const requests = new Map<string, RequestFactsForResponse>();
  return lines.map((l) => {
    if (l.type === 'request') {
      const full = hydrateRequest(l as unknown as StoredRequestLine, facts, blocks);
      requests.set(full.id, { dialect: full.dialect, endpoint: full.endpoint, model: full.model });
      return full;
    }
    if (l.type === 'response')
      return hydrateResponse(l as unknown as StoredResponseLine, facts, requests.get(l.id) ?? null, blocks);
    return l;
  });
}
