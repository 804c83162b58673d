// The request and response lines of the JSONL record, built from what an exchange delivered. Each line is
// redacted through its own LineRedaction; a request line's messages, system prompt, tools and headers go into
// content-addressed blocks of its session (written once per session), and the line keeps a skeleton of refs.
// So do a response's headers and (Anthropic) its assistant message. Each line comes in its full shape (indexed,
// observed) and its stored lean form (lean-lines.ts), which is only used when it reads back to the full line.
import type {
  ContentBlock,
  JsonValue,
  ReassembledResponse,
  RequestFacts,
} from '../../src-shared/exchange.js';
import {
  RECORD_VERSION,
  type BlockLine,
  type ContentFix,
  type RequestLine,
  type ResponseLine,
  type StoredRequestLine,
  type StoredResponseLine,
  type ToolResultLine,
} from '../../src-shared/records.js';
import type { ExchangeEnd } from '../proxy/tap.js';
import { decideOutcome } from './exchange.js';
import type { LineRedaction } from './line-redaction.js';
import type { OpenMsg } from './protocol.js';
import type { recognizeClient } from './sessions.js';
import type { SessionState } from './session-store.js';
import {
  hydrateRequest,
  leanRequest,
  PROMPT_CHARS,
  notePromptRepeated,
  promptOf,
  round1,
  splitBody,
  splitRequestBase,
  type RecordedCall,
} from './lean-lines.js';
import {
  hydrateResponse,
  joinHeaders,
  leanResponse,
  splitHeaders,
  splitResponseBase,
  type ResponseRefs,
} from './lean-response.js';
import { contentFixes, fromAnthropicMessage, toAnthropicMessage } from './parse/assistant-message.js';
import { sameJson } from './same-json.js';

/** A longer prompt is stored as a `prompt` block (a reference costs about 50 bytes). */
const PROMPT_BLOCK_CHARS = 64;
/** A body that is not JSON is kept as text, up to this many bytes. */
const BODY_TEXT_BYTES = 16 * 1024;

/** The request body as JSON when it is complete, decoded and parses; else its start as text. */
export function readBody(
  body: Buffer,
  truncated: boolean,
  encoding: string | null,
): { parsed: JsonValue | undefined; bodyText: string | null } {
  if (body.length === 0) return { parsed: undefined, bodyText: null };
  if (!truncated && !(encoding ?? '').includes('undecoded')) {
    try {
      return { parsed: JSON.parse(body.toString('utf8')) as JsonValue, bodyText: null };
    } catch {
      // Not JSON: kept as text below.
    }
  }
  return { parsed: undefined, bodyText: body.subarray(0, BODY_TEXT_BYTES).toString('utf8') };
}

export interface RequestInput {
  id: string;
  open: OpenMsg;
  at: number;
  /** The parsed JSON body, when it was JSON, complete and decoded. */
  parsed: JsonValue | undefined;
  /** The start of a body that could not be parsed (or was truncated), as text. */
  bodyText: string | null;
  bodyBytes: number;
  truncated: boolean;
  encoding: string | null;
  facts: RequestFacts;
  client: ReturnType<typeof recognizeClient>;
}

/** The block lines and the request line for one request; also settles tool results against pending calls. */
export function buildRequestLines(
  s: SessionState,
  i: RequestInput,
  r: LineRedaction,
): { blocks: BlockLine[]; request: RequestLine; stored: StoredRequestLine | RequestLine } {
  const blocks: BlockLine[] = [];
  const storedHeaders: Record<string, string | string[]> = { ...r.headers(i.open.headers) };
  delete storedHeaders['content-length'];
  const headersRef = s.blocks.store('headers', storedHeaders as JsonValue, blocks);
  const skeleton =
    i.parsed !== undefined ? s.blocks.split(i.open.dialect, i.open.endpoint, i.parsed, blocks) : null;
  const toolResults: ToolResultLine[] = [];
  const calls = new Map<string, RecordedCall>();
  const arrivedAt = round1(i.at);
  for (const t of i.facts.toolResults) {
    if (!t.inLastTurn || s.answered.has(t.id)) continue;
    s.answered.add(t.id);
    const call = s.toolCalls.get(t.id);
    s.toolCalls.delete(t.id);
    if (call) calls.set(t.id, call);
    toolResults.push({
      id: t.id,
      is_error: t.isError,
      call_request_id: call?.requestId ?? null,
      latency_ms: call ? round1(Math.max(0, arrivedAt - call.endAt)) : null,
    });
  }
  const prompt = i.facts.lastUserText ? r.text(i.facts.lastUserText.slice(0, PROMPT_CHARS)) : null;
  const request: RequestLine = {
    type: 'request',
    v: RECORD_VERSION,
    id: i.id,
    session_id: s.id,
    at: arrivedAt,
    dialect: i.open.dialect,
    endpoint: i.open.endpoint,
    transport: i.open.forwardHost === undefined ? i.open.transport : `forward_${i.open.transport}`,
    method: i.open.method,
    url: r.text(i.open.url) ?? i.open.url,
    upstream_url: r.text(i.open.upstreamUrl) ?? '',
    client: i.client.client,
    headers_ref: headersRef,
    credential_source: i.open.credentialSource,
    body: skeleton,
    body_text: r.text(i.bodyText),
    body_bytes: i.bodyBytes,
    body_truncated: i.truncated,
    body_encoding: i.encoding,
    model: i.facts.model,
    stream: i.facts.stream || i.open.transport === 'websocket',
    prompt,
    message_count: i.facts.messageCount,
    tool_count: i.facts.toolCount,
    system_chars: i.facts.systemPromptChars,
    tool_results: toolResults,
    ...(i.open.replayOf ? { replay_of: i.open.replayOf } : {}),
  };
  const redaction = r.findings(s.blocks.takeFindings());
  if (redaction) request.redaction = redaction;
  // A longer prompt that is not the previous line's is the typed text of a user message stored just now (then
  // the reference is to that message block), else stored once, as a block.
  const previousPrompt = s.previousBases.prompt;
  let promptRef: string | null = null;
  let promptValue: JsonValue = prompt;
  if (prompt !== null && prompt !== previousPrompt && prompt.length > PROMPT_BLOCK_CHARS) {
    const own = blocks.findLast((b) => b.kind === 'message' && promptOf(b.value, request.dialect) === prompt);
    if (own) {
      promptRef = own.hash;
      promptValue = own.value;
    } else promptRef = s.blocks.storeRedacted('prompt', prompt, blocks);
  }
  s.pendingRequests.set(i.id, {
    at: request.at,
    dialect: request.dialect,
    endpoint: request.endpoint,
    model: request.model,
  });
  const known = new Map<string, JsonValue>(promptRef !== null ? [[promptRef, promptValue]] : []);
  // The skeleton without its chain reference is the same every turn: one block.
  const split = splitBody(skeleton);
  const bodyRef = split ? s.blocks.storeRedacted('body', split.base, blocks) : null;
  if (split && bodyRef !== null) known.set(bodyRef, split.base);
  const chainLength = split ? (s.blocks.chainLength(split.chain) ?? null) : null;
  if (split && chainLength !== null) known.set(split.chain, { prev: null, prev_len: chainLength, items: [] });
  const lean0 = leanRequest(request, s.facts, {
    calls,
    promptRef,
    previousPrompt,
    bodyRef,
    bodyChain: split?.chain ?? null,
    chainLength,
  });
  // What stays the same from turn to turn: one block per session.
  const { base, rest } = splitRequestBase(lean0);
  const baseRef = s.blocks.storeRedacted('request', base, blocks);
  known.set(baseRef, base);
  const { type, v, id, at, ...own } = rest;
  // The same base as the session's previous lean request line: left out (the reader uses that line's).
  const lean: StoredRequestLine =
    s.previousBases.request === baseRef
      ? { type, v, id, at, ...own }
      : { type, v, id, at, base_ref: baseRef, ...own };
  const previous = { ...s.previousBases };
  const back = hydrateRequest(lean, s.facts, known, calls, previous);
  if (!sameJson(back, request)) return { blocks, request, stored: request };
  s.previousBases = previous;
  notePromptRepeated(request, lean);
  return { blocks, request, stored: lean };
}

export interface ResponseInput {
  id: string;
  /** The client that sent the request (named on the line when the response holds unknown items). */
  client: ReturnType<typeof recognizeClient>;
  at: number;
  status: number | null;
  headers: Record<string, string | string[]> | null;
  end: ExchangeEnd;
  response: ReassembledResponse | null;
  bodyText: string | null;
  timings: ResponseLine['timings'];
  bytes: number;
  chunks: number;
  truncated: boolean;
  /** The recorder did not receive the exchange in full (it fell behind): never recorded as completed. */
  dropped?: boolean;
}

/** The value of block `hash`: written just now (in `blocks`) or earlier (then it is `value`). */
function blockValue(blocks: BlockLine[], hash: string, value: JsonValue): JsonValue {
  return blocks.find((b) => b.hash === hash)?.value ?? value;
}

const NO_USAGE: ResponseLine['usage'] = {
  input: null,
  cacheRead: null,
  cacheWrite: null,
  output: null,
  reasoning: null,
  raw: null,
};

/** Whether a response's content is stored as the assistant message block its next request's history reuses. */
function contentAsMessage(r: ReassembledResponse): boolean {
  return r.dialect === 'anthropic' && r.endpoint === 'messages' && r.content.length > 0;
}

/**
 * The response line (outcome, redacted reassembled response, usage, timings), its stored (lean) form with the
 * blocks that form refers to (response headers, the assistant message), and the redacted error text.
 */
export function buildResponseLine(
  s: SessionState,
  i: ResponseInput,
  r: LineRedaction,
): {
  blocks: BlockLine[];
  line: ResponseLine;
  stored: StoredResponseLine | ResponseLine;
  errorMessage: string | null;
} {
  const blocks: BlockLine[] = [];
  const o = decideOutcome(i.end, i.status, i.response, i.dropped);
  const refs: ResponseRefs = { headersRef: null, headersVar: {}, contentRef: null, contentFix: [] };
  let response: ReassembledResponse | null = null;
  let headerBase: JsonValue = null;
  let message: JsonValue = null;
  // What the parsers did not recognise goes to the line's own `unknown` field (redacted like the rest).
  let unknown: ResponseLine['unknown'];
  if (i.response) {
    const { content, unknown: rawUnknown, ...rest } = i.response;
    const red = r.json(rest as unknown as JsonValue) as unknown as Omit<ReassembledResponse, 'content'>;
    if (rawUnknown)
      unknown = r.json(rawUnknown as unknown as JsonValue) as unknown as ResponseLine['unknown'];
    let stored: ContentBlock[];
    if (contentAsMessage(i.response)) {
      const wire = toAnthropicMessage(content);
      const fixes = contentFixes(content, wire);
      const redMessage = r.json(wire);
      message = redMessage;
      refs.contentFix =
        fixes.length > 0 ? (r.json(fixes as unknown as JsonValue) as unknown as ContentFix[]) : [];
      refs.contentRef = s.blocks.storeRedacted('message', redMessage, blocks);
      stored = fromAnthropicMessage(redMessage, refs.contentFix);
    } else stored = r.json(content as unknown as JsonValue) as unknown as ContentBlock[];
    response = {
      dialect: red.dialect,
      endpoint: red.endpoint,
      streamed: red.streamed,
      complete: red.complete,
      id: red.id,
      model: red.model,
      role: red.role,
      content: stored,
      stopReason: red.stopReason,
      stopDetail: red.stopDetail,
      finishReason: red.finishReason,
      usage: red.usage,
      error: red.error,
      hasRefusal: red.hasRefusal,
      counts: red.counts,
      firstContentAtMs: round1(red.firstContentAtMs),
    };
  }
  let headers: JsonValue | null = null;
  if (i.headers) {
    const h = r.headers(i.headers);
    const { base, vars } = splitHeaders(h, s.lastResponseHeaders);
    s.lastResponseHeaders = h;
    headerBase = base as JsonValue;
    refs.headersRef = s.blocks.storeRedacted('headers', base as JsonValue, blocks);
    refs.headersVar = vars;
    headers = joinHeaders(base as JsonValue, vars);
  }
  const errorMessage = r.text(o.errorMessage ?? response?.error?.message ?? null);
  const t = i.timings;
  const line: ResponseLine = {
    type: 'response',
    v: RECORD_VERSION,
    id: i.id,
    session_id: s.id,
    at: round1(i.at),
    status: i.status,
    headers,
    outcome: o.outcome,
    reason: o.reason,
    error:
      o.outcome === 'completed'
        ? null
        : {
            type: response?.error?.type ?? null,
            code: response?.error?.code ?? null,
            message: errorMessage,
            status: o.errorStatus,
          },
    response,
    body_text: r.text(i.bodyText),
    model: response?.model ?? null,
    usage: response?.usage ?? NO_USAGE,
    stop_reason: response?.stopReason ?? null,
    timings: {
      ttfb_ms: round1(t.ttfb_ms),
      first_content_ms: round1(t.first_content_ms),
      duration_ms: round1(t.duration_ms),
      provider_ms: round1(t.provider_ms),
      overhead_ms: round1(t.overhead_ms),
    },
    response_bytes: i.bytes,
    chunks: i.chunks,
    truncated: i.truncated,
  };
  const redaction = r.findings();
  if (redaction) line.redaction = redaction;
  if (unknown && unknown.length > 0) {
    line.unknown = unknown;
    line.client = i.client.client;
    line.client_version = i.client.version;
  }
  const request = s.pendingRequests.get(i.id) ?? null;
  s.pendingRequests.delete(i.id);
  const known = new Map<string, JsonValue>();
  if (refs.headersRef !== null) known.set(refs.headersRef, blockValue(blocks, refs.headersRef, headerBase));
  if (refs.contentRef !== null) known.set(refs.contentRef, blockValue(blocks, refs.contentRef, message));
  const { base, rest } = splitResponseBase(leanResponse(line, s.facts, request, refs));
  const baseRef = s.blocks.storeRedacted('response', base, blocks);
  known.set(baseRef, base);
  const { type, v, id, ...own } = rest;
  // The same base as the session's previous lean response line: left out (the reader uses that line's).
  const lean: StoredResponseLine =
    s.previousBases.response === baseRef
      ? { type, v, id, ...own }
      : { type, v, id, base_ref: baseRef, ...own };
  const previous = { ...s.previousBases };
  const back = hydrateResponse(lean, s.facts, request, known, previous);
  if (!sameJson(back, line)) return { blocks, line, stored: line, errorMessage };
  s.previousBases = previous;
  return { blocks, line, stored: lean, errorMessage };
}
