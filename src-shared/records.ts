// The JSONL record format: one JSON object per line in <data-dir>/sessions/YYYY-MM-DD/<session-id>.jsonl.
// The JSONL is the durable record — the SQLite index is rebuilt from it — so every fact shown anywhere must be
// derivable from these lines. Everything in them has passed through the redactor.
//
// Terminology: a *session* is what a client calls one conversation (Claude Code's session id, Codex's
// session-id…); a *request* is one HTTP request, or one `response.create` on a Codex WebSocket; a *block* is a
// piece of request body that clients re-send every turn (system prompt, tool list, one message), stored once
// per file and referenced by hash. Times are epoch milliseconds; durations are milliseconds; null = unknown.
//
// Two record versions exist. Version 1 lines (written before 0.3) are stored exactly as the interfaces below
// describe. Version 2 lines are *lean*: request and response lines are stored as StoredRequestLine and
// StoredResponseLine (see there) — what the session line or a block already holds is not repeated, defaults are
// left out, times are rounded to 0.1 ms. Readers never see the difference: `readSessionFile` (src-main/index/
// reindex.ts) hands out every line in the full shape below, whatever its version.
//
// How to get, from the full shape, a response's headers and content: `ResponseLine.headers` and
// `ResponseLine.response.content`. From a v2 file read raw: the headers are the `headers` block `headers_ref`
// with the values of `headers_var` put in where that block holds null; an Anthropic Messages response's content
// is the `message` block `response.content_ref` — the assistant message exactly as the client re-sends it in its
// next request's history (so that history refers to the same block) — turned back into content blocks by
// `fromAnthropicMessage` (src-main/recorder/parse/assistant-message.ts); other dialects keep `response.content`.
import type { Dialect, Endpoint } from './dialects.js';
import type {
  ContentBlock,
  ExchangeError,
  JsonValue,
  ReassembledResponse,
  UnknownItem,
  Usage,
} from './exchange.js';

/**
 * Bumped on any incompatible change to the lines below. Readers skip lines with a newer `v`. 2: lean request and
 * response lines (StoredRequestLine, StoredResponseLine); version 1 lines are still read.
 */
export const RECORD_VERSION = 2;

export type ClientKind = 'claude_code' | 'codex' | 'opencode' | 'sdk' | 'other';

/**
 * `completed`: a full response with a 2xx/1xx status. `failed`: the upstream answered with an error status, the
 * stream carried an error, or LunaRoute could not reach the upstream. `interrupted`: the exchange was cut
 * (client abort, upstream reset, shutdown, crash, or no outcome before the stale timeout).
 */
export type Outcome = 'completed' | 'failed' | 'interrupted';

export type OutcomeReason =
  | 'client_abort'
  | 'upstream_reset'
  | 'upstream_error'
  | 'upstream_status'
  | 'stream_error'
  | 'shutdown'
  | 'stale'
  | 'crash'
  | 'recording_dropped'
  /** The request was answered but its lines could not be written (disk full): named in a gap line. */
  | 'not_recorded';

/** How the session id was found. */
export type SessionIdSource =
  | 'x-claude-code-session-id'
  | 'session-id'
  | 'session_id'
  | 'x-session-id'
  | 'metadata.user_id'
  | 'generated'
  /** A replay (`lunaroute replay`, the window's Replay): the session `replay-<original session id>`. */
  | 'replay';

/**
 * Kinds of content-addressed blocks. `chain` holds a list of message/input block hashes that extends an earlier
 * chain (`{ prev, items }`), so a conversation's growing message array costs one small block per turn.
 * `headers`: request headers, and (v2) response headers with their per-response values left null (see
 * StoredResponseLine.headers_var). `message` (v2): also an Anthropic response's assistant message. `prompt` (v2):
 * a request's `prompt` text, which Claude Code repeats on every tool-result turn. `body` (v2): a request body
 * skeleton with its chain reference left null (StoredRequestLine.body_ref), the same every turn of a session.
 * `request`, `response` (v2): what a session's request / response lines share (their `base_ref`).
 */
export type BlockKind =
  | 'system'
  | 'tools'
  | 'message'
  | 'input'
  | 'instructions'
  | 'headers'
  | 'chain'
  | 'prompt'
  | 'body'
  | 'request'
  | 'response';

/** Stands in a request body where a block's value was: only at `system`, `tools` and `instructions`. */
export interface BlockRef {
  $ref: string;
}

/** Stands in a request body where a message array was: only at `messages` (and Responses `input`). */
export interface ChainRef {
  $chain: string;
}

export interface ChainValue {
  /** The chain this one extends, or null. */
  prev: string | null;
  /** How many items of `prev`'s expansion are kept before `items` (a conversation may branch or be edited). */
  prev_len: number;
  /**
   * The blocks appended, in order: a block hash, or `{h, cc}` — the hash of the message stored without its
   * `cache_control` markers, and the markers to put back as `[content index, key position, value]` (version 2
   * leaves out a value of `{"type":"ephemeral"}`, and then a position that is the part's last key).
   */
  items: (string | { h: string; cc: [number, number?, JsonValue?][] })[];
}

export interface SessionLine {
  type: 'session';
  v: number;
  session_id: string;
  /** First request's arrival. */
  at: number;
  client: ClientKind;
  client_version: string | null;
  user_agent: string | null;
  id_source: SessionIdSource;
}

export interface BlockLine {
  type: 'block';
  v: number;
  /**
   * sha256 (hex, first 32 chars) of the block's JSON *after* redaction (so a stored hash cannot confirm a
   * guessed secret). Chain hashes are over `prev` and the item hashes.
   */
  hash: string;
  kind: BlockKind;
  value: JsonValue;
}

export interface ToolResultLine {
  /** The tool call id the result answers. */
  id: string;
  is_error: boolean | null;
  /** The request whose response asked for the tool; null when that call was not recorded. */
  call_request_id: string | null;
  /** From the end of that response to the arrival of this request; null when unknown. */
  latency_ms: number | null;
}

export type RequestTransport = 'http' | 'websocket' | 'forward_http' | 'forward_websocket';

export interface RequestLine {
  type: 'request';
  v: number;
  id: string;
  session_id: string;
  /** Arrival. */
  at: number;
  dialect: Dialect;
  endpoint: Endpoint;
  /**
   * How the request reached LunaRoute: `http` / `websocket` with the base URL pointed at it; `forward_http` /
   * `forward_websocket` through the forward proxy (HTTPS_PROXY, TLS terminated with the local CA).
   */
  transport: RequestTransport;
  method: string;
  /** Path and query as the client sent them (redacted). */
  url: string;
  upstream_url: string;
  client: ClientKind;
  /** Hash of the `headers` block holding the request headers (credentials masked, content-length left out). */
  headers_ref: string | null;
  credential_source: string;
  /**
   * The JSON body with re-sent parts replaced by references (BlockRef at system/tools/instructions, ChainRef at
   * messages/input — only at those positions); null when the body was not JSON.
   */
  body: JsonValue | null;
  /** The body as text when it was not JSON (capped); null otherwise. */
  body_text: string | null;
  body_bytes: number;
  body_truncated: boolean;
  /** Content-encoding of the request body as sent (`zstd` from Codex), null for identity. */
  body_encoding: string | null;
  model: string | null;
  stream: boolean;
  /** Text of the last user turn (for search and list previews); null when none. */
  prompt: string | null;
  message_count: number;
  tool_count: number;
  system_chars: number;
  /** Tool results this request delivers for the first time. */
  tool_results: ToolResultLine[];
  /**
   * Values the redactor replaced in what this line (and the blocks written with it) stored, by detector.
   * Absent when none; re-sent context is counted once per session, when its block is first stored.
   */
  redaction?: Record<string, number>;
  /** Set on a replay: the id of the recorded request it sends again (absent on ordinary requests). */
  replay_of?: string;
}

export interface ResponseTimings {
  /** Arrival to upstream response headers. */
  ttfb_ms: number | null;
  /** Arrival to the first content delta (text, thinking, tool arguments). */
  first_content_ms: number | null;
  /** Arrival to the end of the exchange; null when the end was not seen (a crash). */
  duration_ms: number | null;
  /** Upstream's share: from dispatch to the last byte received from upstream. */
  provider_ms: number | null;
  /** LunaRoute's own processing time on this request. */
  overhead_ms: number | null;
}

export interface ResponseLine {
  type: 'response';
  v: number;
  /** The request id this response belongs to. */
  id: string;
  session_id: string;
  /** End of the exchange. */
  at: number;
  /**
   * The status the client got: the upstream's, 101 for a WebSocket turn, or (reason `upstream_error`) the status
   * of LunaRoute's own error reply, e.g. 502. Null when no reply was sent (a crash). Lines written before this
   * was documented have null for `upstream_error`; readers fall back to `error.status`, which is the same number.
   */
  status: number | null;
  headers: JsonValue | null;
  outcome: Outcome;
  reason: OutcomeReason | null;
  error: (ExchangeError & { status: number | null }) | null;
  /** Reassembled response (text, thinking, tool calls…); null when nothing parseable came back. */
  response: ReassembledResponse | null;
  /** A body that was not JSON/SSE (an HTML error page…), capped; null otherwise. */
  body_text: string | null;
  model: string | null;
  usage: Usage;
  stop_reason: string | null;
  timings: ResponseTimings;
  response_bytes: number;
  chunks: number;
  truncated: boolean;
  /** Values the redactor replaced in this line, by detector (absent when none). */
  redaction?: Record<string, number>;
  /**
   * What the parsers of this version did not recognise in the response (event, block and delta types, fields),
   * with the occurrences as received — see UnknownItem. Absent when everything was known.
   */
  unknown?: UnknownItem[];
  /** With `unknown`: the client that sent the request, as recognised from its headers. */
  client?: ClientKind;
  /** With `unknown`: that client's version (from its user-agent); null when it did not say. */
  client_version?: string | null;
}

/** Written when lines were lost (queue full, write error): readers know a gap exists. */
export interface GapLine {
  type: 'gap';
  v: number;
  /** Epoch ms of the last lost line. */
  at: number;
  /** Lines lost. */
  dropped: number;
  /** Why, comma-separated: `queue_full`, `write_error` (disk full, no permission), `invalid_record`. */
  reason: string;
  /** Epoch ms of the first lost line (absent in files written before 0.2). */
  first_at?: number;
  /** Requests whose request or response line was among the lost ones (at most 1,000 ids are listed). */
  requests?: string[];
  /** How many requests were lost (exact; `requests` lists at most 1,000 of them). */
  requests_lost?: number;
}

export type RecordLine = SessionLine | BlockLine | RequestLine | ResponseLine | GapLine;

/**
 * A request line as version 2 stores it: the RequestLine fields, minus what the session line says and minus
 * defaults, with the fields that stay the same from turn to turn (dialect, endpoint, transport, method, url,
 * upstream, client, headers_ref, credential_source, model, stream, tool_count, system_chars, redaction, body_ref)
 * in the `request` block `base_ref` (the line's own fields win). Absent means: `session_id` — the session line's
 * (or the file name's); `client` — the session line's; `transport` — `http`; `method` — `POST`; `body_text`,
 * `body_encoding` — null; `body_truncated` — false; `tool_results` — []; `upstream_url` — `upstream` + `url`
 * when `upstream` is given; `prompt` — from the block `prompt_ref` when given (a `prompt` block's text, or the
 * typed text of the user message a `message` block holds), else the previous version 2 request line's in the
 * file (stored lean; null for the first); `body` — the `body` block `body_ref` with `body_chain` put in; `message_count` — the length of that chain (`prev_len` plus its
 * items). Times are rounded to 0.1 ms.
 */
export type StoredRequestLine = Pick<RequestLine, 'type' | 'v' | 'id' | 'at' | 'body_bytes'> &
  Partial<Omit<RequestLine, 'type' | 'v' | 'id' | 'at' | 'body_bytes' | 'tool_results'>> & {
    /**
     * The tool results; one that is not an error and answers a tool call made by a response earlier in the file
     * is just the call's id: `call_request_id` is the id of the latest such response line, `latency_ms` this
     * line's `at` minus that line's `at` (at least 0, to 0.1 ms).
     */
    tool_results?: (ToolResultLine | string)[];
    /**
     * Hash of the `request` block holding the fields this line shares with the session's other requests; absent:
     * the previous version 2 request line's in the file (stored lean), when it had one.
     */
    base_ref?: string;
    /** The upstream URL without `url` (present instead of `upstream_url` when the upstream URL ends with it). */
    upstream?: string;
    /** Hash of the `prompt` block, or the user `message` block, giving the prompt (present instead of `prompt`). */
    prompt_ref?: string;
    /**
     * Hash of the `body` block holding the skeleton with `{"$chain": null}` where its chain reference was, and
     * that chain's hash (both present instead of `body`).
     */
    body_ref?: string;
    body_chain?: string;
  };

/** A content block that does not come back unchanged from the assistant message block (see StoredResponse). */
export type ContentFix =
  /** The tool call's `arguments` is its input as JSON with `", "` and `": "` separators (Anthropic's style). */
  | { i: number; args: 'spaced' }
  /** The block itself (it has no exact form in the message: a refusal, a cut tool call, kept deltas…). */
  | { i: number; block: ContentBlock };

/**
 * A reassembled response as version 2 stores it. Absent means: `dialect`, `endpoint`, `model` — the request's;
 * `streamed`, `complete` — true; `role` — `assistant`; `stopReason` — the line's `stop_reason`; `stopDetail`,
 * `error` — null; `hasRefusal` — false; `usage` — the line's; `firstContentAtMs` — the line's
 * `timings.first_content_ms`; `counts.chunks` / `counts.bytes` — the line's `chunks` / `response_bytes`;
 * `counts.parseErrors` / `counts.keepalives` — 0. `content`: inline, or (Anthropic Messages) `content_ref`, the
 * hash of the `message` block holding the assistant message, with `content_fix` for blocks it cannot hold exactly.
 */
export type StoredResponse = Partial<Omit<ReassembledResponse, 'content' | 'counts' | 'usage'>> & {
  content?: ContentBlock[];
  content_ref?: string;
  content_fix?: ContentFix[];
  counts: Partial<ReassembledResponse['counts']>;
};

/**
 * A response line as version 2 stores it. First the `response` block `base_ref`, when given, is laid under the
 * line (objects merged key by key, the line's values winning): it holds what repeats from response to response
 * (`headers_ref`, `stop_reason`, `usage_keys`, `usage_fixed`, `response.finishReason`,
 * `response.counts.keepalives`). `usage`
 * is the provider's usage object, or its values when `usage_keys` names the keys. Then, absent means: `chunks` —
 * `response.counts.events`; `at` — the request's `at` plus `duration_ms`; `status` —
 * 200; `outcome` — `completed`; `session_id` — the session line's; `reason`, `error`, `body_text` — null;
 * `truncated` — false; `model` — `response.model`; `client`, `client_version` (with `unknown`) — the session
 * line's. `timings` is an array (see below). `headers`: the `headers` block `headers_ref` with `headers_var`
 * laid over its null values (the values that change from response to response: request id, rate-limit
 * counters…; a `date` left out of `headers_var` is the HTTP date of `at − duration_ms + ttfb_ms`), or null when
 * there is no `headers_ref`. The raw usage is
 * normalised on reading by the dialect's rules (src-main/recorder/parse/usage.ts); `usage_n` holds the
 * normalised counts instead when those rules do not give them back exactly. Times are rounded to 0.1 ms.
 */
export type StoredResponseLine = Omit<
  ResponseLine,
  | 'at'
  | 'status'
  | 'outcome'
  | 'session_id'
  | 'headers'
  | 'reason'
  | 'error'
  | 'response'
  | 'body_text'
  | 'model'
  | 'usage'
  | 'timings'
  | 'truncated'
  | 'chunks'
  | 'stop_reason'
> & {
  stop_reason?: string | null;
  session_id?: string;
  headers_ref?: string;
  headers_var?: Record<string, string | string[]>;
  reason?: OutcomeReason | null;
  error?: ResponseLine['error'];
  response?: StoredResponse | null;
  body_text?: string | null;
  model?: string | null;
  usage: JsonValue | null;
  usage_n?: Omit<Usage, 'raw'>;
  /** `[ttfb_ms, first_content_ms, duration_ms, provider_ms, overhead_ms]` (see ResponseTimings). */
  timings: (number | null)[];
  /**
   * Hash of the `response` block holding the parts this line shares with other responses (laid under it);
   * absent: the previous version 2 response line's in the file (stored lean), when it had one.
   */
  base_ref?: string;
  /**
   * With `usage` as an array: the raw usage object's keys in order; `usage` holds the values of those not in
   * `usage_fixed` (the text values, such as the service tier), in that order.
   */
  usage_keys?: string[];
  usage_fixed?: Record<string, string>;
  chunks?: number;
  truncated?: boolean;
  at?: number;
  status?: number | null;
  outcome?: Outcome;
};
