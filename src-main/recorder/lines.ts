// The request and response lines of the JSONL record, built from what an exchange delivered. Each line is
// redacted through its own LineRedaction; a request line's messages, system prompt, tools and headers go into
// content-addressed blocks of its session (written once per session), and the line keeps a skeleton of refs.
import type { JsonValue, ReassembledResponse, RequestFacts } from '../../src-shared/exchange.js';
import {
  RECORD_VERSION,
  type BlockLine,
  type RequestLine,
  type ResponseLine,
  type ToolResultLine,
} from '../../src-shared/records.js';
import type { ExchangeEnd } from '../proxy/tap.js';
import { decideOutcome } from './exchange.js';
import type { LineRedaction } from './line-redaction.js';
import type { OpenMsg } from './protocol.js';
import type { recognizeClient } from './sessions.js';
import type { SessionState } from './session-store.js';

/** The recorded prompt (the last user text) is cut to this many characters. */
const PROMPT_CHARS = 16 * 1024;
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
): { blocks: BlockLine[]; request: RequestLine } {
  const blocks: BlockLine[] = [];
  const storedHeaders: Record<string, string | string[]> = { ...r.headers(i.open.headers) };
  delete storedHeaders['content-length'];
  const headersRef = s.blocks.store('headers', storedHeaders as JsonValue, blocks);
  const skeleton =
    i.parsed !== undefined ? s.blocks.split(i.open.dialect, i.open.endpoint, i.parsed, blocks) : null;
  const toolResults: ToolResultLine[] = [];
  for (const t of i.facts.toolResults) {
    if (!t.inLastTurn || s.answered.has(t.id)) continue;
    s.answered.add(t.id);
    const call = s.toolCalls.get(t.id);
    s.toolCalls.delete(t.id);
    toolResults.push({
      id: t.id,
      is_error: t.isError,
      call_request_id: call?.requestId ?? null,
      latency_ms: call ? Math.max(0, i.at - call.endAt) : null,
    });
  }
  const prompt = i.facts.lastUserText ? r.text(i.facts.lastUserText.slice(0, PROMPT_CHARS)) : null;
  const request: RequestLine = {
    type: 'request',
    v: RECORD_VERSION,
    id: i.id,
    session_id: s.id,
    at: i.at,
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
  return { blocks, request };
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

const NO_USAGE: ResponseLine['usage'] = {
  input: null,
  cacheRead: null,
  cacheWrite: null,
  output: null,
  reasoning: null,
  raw: null,
};

/** The response line (outcome, redacted reassembled response, usage, timings) and its redacted error text. */
export function buildResponseLine(
  sessionId: string,
  i: ResponseInput,
  r: LineRedaction,
): { line: ResponseLine; errorMessage: string | null } {
  const o = decideOutcome(i.end, i.status, i.response, i.dropped);
  const redacted = i.response
    ? (r.json(i.response as unknown as JsonValue) as unknown as ReassembledResponse)
    : null;
  // What the parsers did not recognise goes to the line's own `unknown` field (redacted like the rest).
  let unknown: ResponseLine['unknown'];
  let response = redacted;
  if (redacted?.unknown) {
    ({ unknown, ...response } = redacted);
  }
  const errorMessage = r.text(o.errorMessage ?? response?.error?.message ?? null);
  const line: ResponseLine = {
    type: 'response',
    v: RECORD_VERSION,
    id: i.id,
    session_id: sessionId,
    at: i.at,
    status: i.status,
    headers: i.headers ? (r.headers(i.headers) as JsonValue) : null,
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
    timings: i.timings,
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
  return { line, errorMessage };
}
