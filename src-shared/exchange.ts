// What the recorder extracts from one request/response exchange, independent of provider: normalised token
// usage, the reassembled response (streamed or not) and the facts read from a request body.
// Pure TypeScript (no Node, no DOM): produced by src-main/recorder, persisted by storage, shown by the renderer.
//
// Terminology: a *request* is one HTTP request (or one `response.create` on a Codex WebSocket); its *response*
// is what came back, reassembled from SSE events / WS messages / one JSON body. "null" always means
// "not known / not reported" and is never used as a synonym for 0.
import type { Dialect, Endpoint } from './dialects.js';

/** Any JSON value, as parsed from the wire. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Token usage of one request, normalised across providers so that rows can be summed.
 * Every count is `number | null`; null = the provider did not report it (e.g. a Chat Completions stream sent
 * without `stream_options.include_usage`). Never add `cacheRead`/`cacheWrite` into `input` again: they are
 * already disjoint. `reasoning` is a subset of `output`, not an addition to it.
 */
export interface Usage {
  /**
   * Uncached input tokens. Anthropic: `input_tokens` (already excludes cache reads/writes). OpenAI Chat:
   * `prompt_tokens − prompt_tokens_details.cached_tokens`. OpenAI Responses:
   * `input_tokens − input_tokens_details.cached_tokens`. count_tokens: its `input_tokens`.
   */
  input: number | null;
  /** Input tokens served from the prompt cache. Anthropic `cache_read_input_tokens`; OpenAI `cached_tokens`. */
  cacheRead: number | null;
  /** Input tokens written to the prompt cache. Anthropic `cache_creation_input_tokens`; OpenAI: null. */
  cacheWrite: number | null;
  /** Output tokens, including thinking/reasoning. Anthropic `output_tokens`; OpenAI `completion_tokens`/`output_tokens`. */
  output: number | null;
  /**
   * Reasoning/thinking tokens (a subset of `output`). OpenAI `*_tokens_details.reasoning_tokens`; Anthropic
   * `output_tokens_details.thinking_tokens` where sent; null when the provider does not report it.
   */
  reasoning: number | null;
  /**
   * The provider's usage object as received. For an Anthropic stream: `message_start.message.usage` with the
   * fields of the final `message_delta.usage` laid over it (the same merge the counts above come from).
   */
  raw: JsonValue | null;
}

/**
 * The normalised reason a response ended. `stop` = natural end (end_turn, stop_sequence, stop, completed without
 * tool calls); `length` = token or context limit; `tool_calls` = the model is waiting for tool results;
 * `content_filter` = provider filtering; `refusal` = model refusal (Anthropic `stop_reason: "refusal"`);
 * `pause` = Anthropic `pause_turn`; `error` = the stream carried an error / the response failed;
 * `cancelled` = Responses `cancelled`; `other` = a value we do not know (see `stopReason` for the raw string).
 */
export type FinishReason =
  'stop' | 'length' | 'tool_calls' | 'content_filter' | 'refusal' | 'pause' | 'error' | 'cancelled' | 'other';

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ThinkingBlock {
  type: 'thinking';
  /** Visible thinking (Anthropic) or the reasoning summary (OpenAI Responses), or Chat `reasoning_content`. */
  thinking: string;
  /** Opaque replay token: Anthropic `signature`, OpenAI Responses `encrypted_content`. null when absent. */
  signature: string | null;
}

export interface RedactedThinkingBlock {
  type: 'redacted_thinking';
  /** Opaque encrypted data, kept verbatim. */
  data: string;
}

/**
 * A tool invocation by the model. `kind`: `function` = a client-side function/tool (Anthropic `tool_use`, Chat
 * `tool_calls`, Responses `function_call`) whose `arguments` is JSON text; `custom` = a Responses `custom_tool_call`
 * (e.g. Codex `apply_patch`) whose `arguments` is free text, never parsed; `server` = a provider-executed tool
 * (Anthropic `server_tool_use`).
 */
export interface ToolCallBlock {
  type: 'tool_call';
  kind: 'function' | 'custom' | 'server';
  /** The id tool results refer to: Anthropic `tool_use.id`, Chat `tool_calls[].id`, Responses `call_id`. */
  id: string;
  name: string;
  /** The complete arguments text, concatenated from all deltas in order. */
  arguments: string;
  /** `arguments` parsed as JSON; undefined when it did not parse (see `parseError`) or for `custom` calls. */
  input?: JsonValue;
  /** Why `arguments` is not valid JSON (e.g. a stream cut mid-call); null when it parsed or was not JSON. */
  parseError: string | null;
}

export interface RefusalBlock {
  type: 'refusal';
  refusal: string;
}

/**
 * A content item we keep but do not interpret (e.g. Anthropic `web_search_tool_result`, Responses `web_search_call`,
 * or a block type this version does not know — see UnknownItem).
 */
export interface OtherBlock {
  type: 'other';
  /** The provider's `type` of the item. */
  rawType: string;
  raw: JsonValue;
  /** Anthropic: the `delta` objects streamed into this block, as received and in order (absent when none). */
  deltas?: JsonValue[];
  /** Deltas not kept in `deltas` because the response's budget for raw items was spent (absent when none). */
  deltasOmitted?: number;
}

export type ContentBlock =
  TextBlock | ThinkingBlock | RedactedThinkingBlock | ToolCallBlock | RefusalBlock | OtherBlock;

/** An error reported by the provider inside a 2xx stream, or as the JSON body of an error response. */
export interface ExchangeError {
  /** Anthropic `error.type` (`overloaded_error`…); OpenAI `error.type` or `code`. null when absent. */
  type: string | null;
  /** OpenAI `code` (`rate_limit_exceeded`…); null when absent. */
  code: string | null;
  message: string | null;
}

/** What kind of thing a parser did not recognise. */
export type UnknownKind = 'event' | 'block' | 'delta' | 'field';

/**
 * Something in a response that the parsers of this version did not recognise ("client drift": a client or
 * provider update added it). The bytes always reach the client untouched; this records what the recording may
 * be missing and keeps it as received. `kind`:
 * - `event`: an SSE event / WebSocket message type (Anthropic `some_new_event`, Responses `response.foo.delta`);
 * - `block`: a content block type (Anthropic), output item or content part type (Responses);
 * - `delta`: a `content_block_delta` delta type (Anthropic);
 * - `field`: a field of an object the parser reads field by field, named by its place, e.g. `message.foo`,
 *   `tool_use.foo`, `chunk.foo`, `delta.foo` (objects kept whole, such as usage, are not checked).
 */
export interface UnknownItem {
  kind: UnknownKind;
  /** The provider's type name or the field's place; at most 100 characters. */
  name: string;
  /** Occurrences in this response. */
  count: number;
  /**
   * The occurrences as received — the whole event, the delta event, the content part, or the field's value —
   * first ones first, while the response's budget for raw items lasts. A value too big for what is left is kept
   * as `{"$truncated": <its JSON length>, "json": <the start of its JSON text>}`. Absent for unknown content
   * blocks and output items: those are kept in `content` as `other` blocks (with their deltas).
   */
  received?: JsonValue[];
  /** Occurrences not kept in `received` (the budget was spent). Absent when none. */
  omitted?: number;
}

/** How much the parser saw. */
export interface ParseCounts {
  /** SSE events dispatched / WebSocket messages / 1 for a JSON body. Includes pings and unknown events. */
  events: number;
  /** Buffers pushed into the parser (network chunks). */
  chunks: number;
  /** Bytes pushed into the parser. */
  bytes: number;
  /** Events whose data was not valid JSON (counted and skipped; never thrown). */
  parseErrors: number;
  /** SSE comment lines (`: keepalive`) and `ping` events. */
  keepalives: number;
}

/** The response of one exchange, rebuilt from everything the parser saw. */
export interface ReassembledResponse {
  dialect: Dialect;
  endpoint: Endpoint;
  /** True when the response came as a stream (SSE or WebSocket messages). */
  streamed: boolean;
  /**
   * True when a terminal event was seen (Anthropic `message_stop`, Chat `[DONE]`, Responses
   * `response.completed|failed|incomplete|cancelled`, an in-stream `error` event, or a whole JSON body that
   * parsed). False in a snapshot of an interrupted stream.
   */
  complete: boolean;
  /** Provider message/response id (`msg_…`, `chatcmpl-…`, `resp_…`); null when not seen. */
  id: string | null;
  model: string | null;
  role: string | null;
  /** Content in output order. */
  content: ContentBlock[];
  /** Raw stop reason: Anthropic `stop_reason`, Chat `finish_reason` (choice 0), Responses `status`. */
  stopReason: string | null;
  /** Extra raw detail: Anthropic `stop_sequence`, Responses `incomplete_details.reason`. */
  stopDetail: string | null;
  finishReason: FinishReason | null;
  /** Usage; all fields null when the provider sent none. */
  usage: Usage;
  error: ExchangeError | null;
  /** True only for real refusals: Anthropic `stop_reason: "refusal"`, OpenAI `refusal` content or `content_filter`. */
  hasRefusal: boolean;
  counts: ParseCounts;
  /**
   * Time to first content delta (ms since the request started, in the recorder's clock), or null when no content
   * arrived. The parser only stores what the caller's `onFirstContent()` returned; see ResponseParserOptions.
   */
  firstContentAtMs: number | null;
  /**
   * What the parser did not recognise, in order of first occurrence: at most 32 names, then one `(more)` entry
   * per kind counts the rest. Absent when everything was known. The recorder moves it to the response line's
   * `unknown` field.
   */
  unknown?: UnknownItem[];
}

/** Where the session id hint in a request body came from. */
export type SessionHintSource =
  | 'metadata.user_id:json' // Claude Code ≥ 2: user_id is a JSON string {"device_id","account_uuid","session_id"}
  | 'metadata.user_id:object' // user_id is an object with session_id
  | 'metadata.user_id:legacy' // user_<hash>_account_<uuid>_session_<uuid>
  | 'metadata.session_id'
  | 'prompt_cache_key'; // Codex sets it to its conversation id

export interface SessionHints {
  /** The best session id candidate from the body, unsanitised (sanitise before using it in a path). */
  sessionId: string | null;
  source: SessionHintSource | null;
  /** `metadata.user_id` exactly as sent (string form; objects are JSON-encoded). */
  userId: string | null;
  accountId: string | null;
  deviceId: string | null;
  /** Responses `previous_response_id`. */
  previousResponseId: string | null;
  /** Responses `prompt_cache_key` (Codex: the conversation id). */
  promptCacheKey: string | null;
}

/** One tool result carried by a request body. */
export interface ToolResultFact {
  /** Anthropic `tool_use_id`, Chat `tool_call_id`, Responses `call_id`. */
  id: string;
  source:
    | 'anthropic_tool_result'
    | 'chat_tool_message'
    | 'responses_function_call_output'
    | 'responses_custom_tool_call_output';
  /** Anthropic `is_error` (false when absent); null for OpenAI, which has no such flag. */
  isError: boolean | null;
  /** Characters of text content (array-valued content: sum of its text parts). */
  contentChars: number;
  /** Number of non-text parts (images, documents). */
  nonTextParts: number;
  /** Index of the message / input item that carries it. */
  messageIndex: number;
  /**
   * True when it belongs to the trailing turn (after the last assistant message / model output item): the
   * results this request delivers for the first time. Older ones are re-sent history.
   */
  inLastTurn: boolean;
}

/** Facts read from a request body. Everything is optional on the wire, so everything may be null/0/empty. */
export interface RequestFacts {
  dialect: Dialect;
  endpoint: Endpoint;
  /** The body was not JSON (or not an object): the message; all other fields then hold defaults. */
  parseError: string | null;
  model: string | null;
  /** `stream: true` in the body; always true for a Codex WebSocket `response.create` (streaming is implicit). */
  stream: boolean;
  /** Chat `stream_options.include_usage`; null when not a Chat request or not set. */
  includeUsage: boolean | null;
  /** `max_tokens` / `max_completion_tokens` / `max_output_tokens`. */
  maxTokens: number | null;
  sessionHints: SessionHints;
  toolResults: ToolResultFact[];
  /** Text of the last user turn that is not only tool results (for search); null when none. */
  lastUserText: string | null;
  /** Chat/Anthropic `messages.length`; Responses `input` items (1 for a string input). */
  messageCount: number;
  /** Declared tools. */
  toolCount: number;
  /** Characters of system prompt: Anthropic `system`; Chat system/developer messages; Responses `instructions` + system/developer items. */
  systemPromptChars: number;
}
