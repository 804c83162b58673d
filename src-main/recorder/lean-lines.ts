// Version 2 ("lean") request lines: how a full request line is stored and read back (src-shared/records.ts
// documents the format). What the session line says, defaults, and what stays the same from turn to turn (a
// `request` base block, the body skeleton as a `body` block) are left out of the line. Both directions are here
// so they cannot drift: `hydrateRequest(leanRequest(full))` gives `full` exactly, and the writer checks it for
// every line (storing the full line when it would not). Responses: lean-response.ts; whole files: lean-read.ts.
import type { JsonValue } from '../../src-shared/exchange.js';
import { textOf } from './parse/request-facts.js';
import {
  RECORD_VERSION,
  type RequestLine,
  type SessionLine,
  type StoredRequestLine,
  type ToolResultLine,
} from '../../src-shared/records.js';

/** The recorded prompt (the last user text) is cut to this many characters. */
export const PROMPT_CHARS = 16 * 1024;

/**
 * The prompt a `prompt_ref` block gives: the block's text (a `prompt` block), or the typed text of the message
 * it holds (a `message` block: the prompt is that user message's), cut to PROMPT_CHARS.
 */
export function promptOf(v: JsonValue | undefined, dialect: string): string | null {
  if (typeof v === 'string') return v;
  if (!v || typeof v !== 'object' || Array.isArray(v) || v['role'] !== 'user') return null;
  return textOf(v['content'], dialect === 'anthropic')?.slice(0, PROMPT_CHARS) ?? null;
}

/**
 * Request lines whose prompt is their file's previous request line's (a tool-result turn: the typed text is still
 * the last user text), as the writer stored them (lean, without `prompt` or `prompt_ref`) or the reader hydrated
 * them. The index puts such a prompt in the full-text table once, with the request that brought it.
 */
const repeatedPrompts = new WeakSet<RequestLine>();

export function promptRepeated(l: RequestLine): boolean {
  return repeatedPrompts.has(l);
}

/** Mark `full` when its stored lean form left the prompt out (the previous request line's). */
export function notePromptRepeated(full: RequestLine, stored: StoredRequestLine): void {
  if ((stored.v ?? 1) >= 2 && stored.prompt === undefined && stored.prompt_ref === undefined)
    repeatedPrompts.add(full);
}

/** A time or duration rounded to 0.1 ms (null stays null). */
export function round1<T extends number | null>(ms: T): T {
  return (ms === null ? null : Math.round(ms * 10) / 10) as T;
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

/** How many items a chain block's value expands to (its `prev_len` plus its items). */
export function chainLength(v: JsonValue | undefined): number {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 0;
  const prev = typeof v['prev_len'] === 'number' ? v['prev_len'] : 0;
  return prev + (Array.isArray(v['items']) ? v['items'].length : 0);
}

/** What a request or response line may leave out because the session line says it. */
export interface SessionFacts {
  session_id: string;
  client: SessionLine['client'] | null;
  client_version: string | null;
}

/** A tool call as a later request's tool result finds it: the request whose response made it, and when. */
export interface RecordedCall {
  requestId: string;
  /** The `at` of that response line. */
  endAt: number;
}

/** What a tool result says when its call was recorded in the same file (the short form's meaning). */
export function resultOfCall(id: string, at: number, call: RecordedCall): ToolResultLine {
  return {
    id,
    is_error: false,
    call_request_id: call.requestId,
    latency_ms: round1(Math.max(0, at - call.endAt)),
  };
}

/**
 * Tool results as stored: a result that is not an error and answers a call recorded earlier in the file (`calls`,
 * by tool call id) is just its id; the reader finds the rest (see resultOfCall).
 */
function leanToolResults(
  results: ToolResultLine[],
  at: number,
  calls: ReadonlyMap<string, RecordedCall>,
): (ToolResultLine | string)[] {
  return results.map((t) => {
    const call = calls.get(t.id);
    return call && JSON.stringify(resultOfCall(t.id, at, call)) === JSON.stringify(t) ? t.id : t;
  });
}

/**
 * The base blocks of the previous lean request and response lines of a file: a lean line without `base_ref`
 * uses its kind's previous one (undefined: none yet, or, for the writer, not known). Hydrating a lean line
 * updates it.
 */
export interface PreviousBases {
  request?: string;
  response?: string;
  /** The previous lean request line's prompt (a lean line without `prompt` or `prompt_ref` has the same). */
  prompt?: string | null;
}

/** Blocks a stored request line refers to besides those of its body. */
export interface RequestRefs {
  /** The tool calls the line's tool results answer, as the reader will find them (by tool call id). */
  calls: ReadonlyMap<string, RecordedCall>;
  promptRef: string | null;
  /** The prompt of the session's previous lean request line (undefined: not known, so none is left out). */
  previousPrompt: string | null | undefined;
  /** The skeleton's block and its chain hash (see splitBody). */
  bodyRef: string | null;
  bodyChain: string | null;
  /** How many messages the chain holds (then `message_count` is left out when it says the same). */
  chainLength: number | null;
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
    if (refs.chainLength === full.message_count) delete (out as Partial<StoredRequestLine>).message_count;
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
  if (tool_results.length > 0) out.tool_results = leanToolResults(tool_results, full.at, refs.calls);
  if (refs.previousPrompt !== undefined && prompt === refs.previousPrompt) {
    // The same prompt as the previous request line (a tool-result turn): left out.
  } else if (refs.promptRef !== null) out.prompt_ref = refs.promptRef;
  else out.prompt = prompt;
  return out;
}

/**
 * Fields of a stored request line that stay the same from turn to turn of a session; they go into one `request`
 * block the line refers to by `base_ref`.
 */
const BASE_FIELDS = [
  'dialect',
  'endpoint',
  'transport',
  'method',
  'url',
  'upstream',
  'upstream_url',
  'client',
  'headers_ref',
  'credential_source',
  'model',
  'stream',
  'tool_count',
  'system_chars',
  'redaction',
  'body_ref',
] as const;

/** Move the per-session constant fields of a stored request line into a base (see BASE_FIELDS). */
export function splitRequestBase(l: StoredRequestLine): { base: JsonValue; rest: StoredRequestLine } {
  const base: Record<string, JsonValue> = {};
  const rest: Record<string, unknown> = {};
  const inBase = new Set<string>(BASE_FIELDS);
  for (const [k, v] of Object.entries(l)) {
    if (inBase.has(k)) base[k] = v as JsonValue;
    else rest[k] = v;
  }
  return { base, rest: rest as unknown as StoredRequestLine };
}

/** The full request line of a stored one (v1 lines come back as they are). */
export function hydrateRequest(
  stored: StoredRequestLine,
  session: SessionFacts,
  blocks: ReadonlyMap<string, JsonValue>,
  calls: ReadonlyMap<string, RecordedCall> = new Map(),
  previous: PreviousBases = {},
): RequestLine {
  // Version 1 lines, and v2 lines already in the full shape (an exported JSONL), come back as they are.
  if ((stored.v ?? 1) < 2 || ('session_id' in stored && 'upstream_url' in stored && 'tool_results' in stored))
    return stored as RequestLine;
  const baseRef = stored.base_ref ?? previous.request;
  previous.request = baseRef;
  const baseBlock = baseRef !== undefined ? blocks.get(baseRef) : undefined;
  const l = {
    ...(baseBlock && typeof baseBlock === 'object' && !Array.isArray(baseBlock) ? baseBlock : {}),
    ...stored,
  } as StoredRequestLine & Pick<RequestLine, (typeof BASE_FIELDS)[number] & keyof RequestLine>;
  const prompt =
    l.prompt !== undefined
      ? l.prompt
      : l.prompt_ref !== undefined
        ? promptOf(blocks.get(l.prompt_ref), l.dialect)
        : (previous.prompt ?? null);
  previous.prompt = prompt;
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
    prompt,
    message_count:
      l.message_count ?? chainLength(l.body_chain === undefined ? undefined : blocks.get(l.body_chain)),
    tool_count: l.tool_count,
    system_chars: l.system_chars,
    tool_results: (l.tool_results ?? []).map((t) => {
      if (typeof t !== 'string') return t;
      const call = calls.get(t);
      return call
        ? resultOfCall(t, l.at, call)
        : { id: t, is_error: false, call_request_id: null, latency_ms: null };
    }),
  };
  if (l.redaction) full.redaction = l.redaction;
  if (l.replay_of !== undefined) full.replay_of = l.replay_of;
  notePromptRepeated(full, stored);
  return full;
}

/** What a response line may leave out because its request line says it. */
export interface RequestFactsForResponse {
  /** Arrival (the response line's `at` is this plus its duration). */
  at: number;
  dialect: string;
  endpoint: string;
  model: string | null;
}
