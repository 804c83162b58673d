// A local fake model provider on 127.0.0.1 speaking the Anthropic Messages API, the OpenAI Chat Completions API and
// the OpenAI Responses API (HTTP JSON, SSE, and Codex's WebSocket transport), faithful enough that the official SDKs
// and the real clients (Claude Code, Codex, OpenCode) run against it. It records every request it receives and every
// byte it sends back, so integration tests, the benchmark and the real-client suite can assert on both sides.
//
// SCENARIOS are chosen by the request itself: the text of the last user message may contain one or more words
// `SCENARIO:<name>` (they combine, e.g. "SCENARIO:tool SCENARIO:slow"). Unknown names get a 400 in the dialect's
// error shape, so a typo cannot pass silently. Without a scenario the answer is FAKE_ANSWER.
//   tool           answer with one call of the shell tool the request declares (Claude Code `Bash`, OpenCode `bash`,
//                  Codex `shell`/`exec_command`/…): command FAKE_TOOL_COMMAND, whose output is FAKE_TOOL_OUTPUT.
//                  Without a shell-like tool in the request, the first declared tool is called with `{}`-ish args.
//   thinking       a thinking block (Anthropic `thinking_delta` + `signature_delta`; Responses reasoning summary;
//                  Chat: reasoning tokens in usage only) before the text.
//   big[-N]        the text in N deltas (default opts.bigEvents).
//   slow[-MS]      every event waits MS ms (default opts.slowDelayMs) before it is written.
//   reset[-N]      the socket is destroyed after N events (default opts.resetAfterEvents); for JSON, after the headers.
//   hang           status line and headers are sent, then nothing until the client goes away or close() is called.
//   gzip           the body is gzip-compressed (SSE flushed per event) when the request's accept-encoding allows it.
//   stream-error   a stream that fails mid-way: Anthropic `event: error` (overloaded_error), Responses
//                  `response.failed`, Chat a `data: {"error":…}` chunk and no [DONE].
//   refusal        Anthropic stop_reason `refusal`; Chat `refusal` + finish_reason `content_filter`; Responses a
//                  `refusal` content part.
//   error-NNN      HTTP status NNN with the dialect's real error JSON and headers (429: `retry-after`, rate-limit
//                  headers; every error: `request-id` / `x-request-id`). Streaming requests get the JSON error too.
// When the last message of a request is a tool result (Anthropic `tool_result`, Chat role `tool`, Responses
// `function_call_output`…), the answer is text: FAKE_ANSWER followed by " Tool output: <the result text>".
// `provider.enqueue(handler)` overrides the next HTTP request (optionally the next one matching a predicate).
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';

/** The default answer's text; tests assert that clients print it. */
export const FAKE_ANSWER = 'Hello from the fake provider.';
/** The shell command the `tool` scenario asks the client to run (its output is FAKE_TOOL_OUTPUT, not in the text). */
export const FAKE_TOOL_COMMAND = 'echo lunaroute-tool-$((6*7))';
export const FAKE_TOOL_OUTPUT = 'lunaroute-tool-42';
/** Token counts the fake reports (output tokens depend on the scenario; each record carries what was sent). */
export const FAKE_USAGE = { input: 25, cacheRead: 100, cacheWrite: 50, reasoning: 30 } as const;

export type Dialect = 'anthropic' | 'openai-chat' | 'openai-responses' | 'other';

/** Usage exactly as the fake reported it, in the dialect's own terms (so tests can compare with the recorder). */
export interface SentUsage {
  /** Anthropic: input_tokens (excludes cache). OpenAI: prompt/input tokens (includes cached). */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  transport: 'http' | 'websocket';
  /** HTTP method, or `WS` for one `response.create` frame of a WebSocket connection. */
  method: string;
  /** Path including the query string, as received. For WebSocket frames: the upgrade request's URL. */
  url: string;
  /** Path without the query string. */
  path: string;
  /** Request headers (for WebSocket frames: the upgrade request's headers). */
  headers: IncomingHttpHeaders;
  /** Raw request body (for WebSocket: the frame payload). */
  body: Buffer;
  bodySha256: string;
  /** Parsed JSON body, when the body is JSON. */
  json: unknown;
  dialect: Dialect;
  /** Scenario names found in the request. */
  scenarios: string[];
  receivedAt: number;
  /** Status sent (101 for WebSocket frames). Undefined until the head is written. */
  status: number | undefined;
  /** Bytes written back (after compression; for WebSocket the text frames, one per line), grows while streaming. */
  responseBody: Buffer;
  /** Bytes written back so far (counted even when bodies are not kept). */
  responseBytes: number;
  /** sha256 of the bytes written back, set when the response finished or the connection closed. */
  responseSha256: string | undefined;
  usageSent: SentUsage | undefined;
  /** Resolves when this exchange ended, either way. */
  done: Promise<'finished' | 'closed-early'>;
  /** Resolves (with Date.now()) only if the client's connection closed before the response was complete. */
  closedEarly: Promise<number>;
  closedEarlyAt: number | undefined;
}

export interface WsConnectionRecord {
  url: string;
  headers: IncomingHttpHeaders;
  openedAt: number;
  closed: Promise<number>;
}

export type FakeHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void | Promise<void>;

export interface FakeProviderOptions {
  /** Delay between events for `slow` (ms, default 100). */
  slowDelayMs?: number;
  /** Number of text deltas for `big` (default 2000). */
  bigEvents?: number;
  /** Events written before `reset` destroys the socket (default 3). */
  resetAfterEvents?: number;
  /** Accept WebSocket upgrades on /v1/responses (default true). False answers the upgrade with 426. */
  websocket?: boolean;
  /** Model ids listed by GET /v1/models. */
  models?: string[];
  /**
   * Keep request and response bodies on the records (default true). The benchmark turns this off: hashes, sizes
   * and everything else are still recorded, the bodies are dropped once the exchange ended.
   */
  keepBodies?: boolean;
}

export interface FakeProvider {
  /** `http://127.0.0.1:PORT` (Anthropic base; the OpenAI base is `${url}/v1`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  wsConnections: WsConnectionRecord[];
  /** Emits 'request' (RecordedRequest) on arrival and 'closedEarly' (RecordedRequest) on a client abort. */
  events: EventEmitter;
  /** Handle the next HTTP request (matching `match`, if given) with `handler` instead of the fake's logic. */
  enqueue(handler: FakeHandler, match?: (r: RecordedRequest) => boolean): void;
  /** The first recorded request (past or future) matching the predicate. Rejects after timeoutMs (default 15 s). */
  waitForRequest(predicate?: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Forget recorded requests and queued handlers. */
  clear(): void;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const SCENARIO_RE = /SCENARIO:([a-z0-9-]+)/g;
const KNOWN_SCENARIO =
  /^(tool|thinking|big(-\d+)?|slow(-\d+)?|reset(-\d+)?|hang|gzip|stream-error|refusal|error-\d{3})$/;
const SHELL_TOOL = /^(bash|shell|shell_command|exec_command|local_shell|run_shell_command|container\.exec)$/i;

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
function id(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------------------------------------------------------
// What to answer: a dialect-neutral plan, rendered per dialect below.

type Block =
  | { kind: 'thinking'; text: string; signature: string }
  | { kind: 'text'; parts: string[] }
  | { kind: 'tool'; id: string; name: string; custom: boolean; argParts: string[] };

interface Plan {
  blocks: Block[];
  refusal: boolean;
  usage: SentUsage;
}

interface Delivery {
  delayMs: number;
  resetAfter: number | undefined;
  hang: boolean;
  gzip: boolean;
  streamError: boolean;
  errorStatus: number | undefined;
  unknown: string[];
}

/** Text of a message's content in any of the three dialects' shapes. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  return arr(content)
    .map((p) => (isObj(p) && typeof p.text === 'string' ? p.text : ''))
    .join('\n');
}

/** What a tool result says, whatever its shape (string, content parts, Codex JSON `{output}`). */
function toolResultText(v: unknown): string {
  if (typeof v === 'string') {
    try {
      const parsed: unknown = JSON.parse(v);
      if (isObj(parsed) && typeof parsed.output === 'string') return parsed.output.trim();
    } catch {
      /* plain text */
    }
    return v.trim();
  }
  if (isObj(v) && typeof v.output === 'string') return v.output.trim();
  return contentText(v).trim();
}

interface Conversation {
  lastUserText: string;
  /** Set when the request's last message is a tool result: its text. */
  toolResult: string | undefined;
  /** Tools the request declares: name plus its JSON-schema-ish parameters. */
  tools: Tool[];
}

/** A tool the request declares. `custom`: a Responses free-form tool (input is raw text, e.g. Codex's `exec`). */
interface Tool {
  name: string;
  params: Json;
  custom: boolean;
}

/** Tools from a `tools` array: Anthropic, Chat and Responses shapes, Responses `namespace` groups included. */
function collectTools(list: unknown, into: Tool[]): void {
  for (const t of arr(list)) {
    if (!isObj(t)) continue;
    if (t.type === 'namespace') {
      collectTools(t.tools, into);
      continue;
    }
    const fn = isObj(t.function) ? t.function : t;
    const name = typeof fn.name === 'string' ? fn.name : typeof t.type === 'string' ? t.type : '';
    const params = isObj(fn.input_schema) ? fn.input_schema : isObj(fn.parameters) ? fn.parameters : {};
    if (name) into.push({ name, params, custom: t.type === 'custom' });
  }
}

function readConversation(dialect: Dialect, body: Json, responsesInput?: unknown[]): Conversation {
  const conv: Conversation = { lastUserText: '', toolResult: undefined, tools: [] };
  collectTools(body.tools, conv.tools);
  if (dialect === 'anthropic' || dialect === 'openai-chat') {
    // Claude Code may append a role "system" message after the last user turn: skip those.
    const msgs = arr(body.messages).filter((m): m is Json => isObj(m) && m.role !== 'system');
    const last = msgs.at(-1);
    if (last && dialect === 'anthropic' && last.role === 'user') {
      const results = arr(last.content).filter((b) => isObj(b) && b.type === 'tool_result') as Json[];
      if (results.length > 0) conv.toolResult = results.map((r) => toolResultText(r.content)).join('\n');
    }
    if (last && dialect === 'openai-chat' && last.role === 'tool')
      conv.toolResult = toolResultText(last.content);
    const lastUser = [...msgs].reverse().find((m) => m.role === 'user');
    if (lastUser) conv.lastUserText = contentText(lastUser.content);
    return conv;
  }
  const input = responsesInput ?? (typeof body.input === 'string' ? body.input : arr(body.input));
  if (typeof input === 'string') {
    conv.lastUserText = input;
    return conv;
  }
  const items = input.filter(isObj);
  // Codex declares its tools in an input item rather than in `tools`.
  for (const i of items) if (i.type === 'additional_tools') collectTools(i.tools, conv.tools);
  const last = items.at(-1);
  if (last && typeof last.type === 'string' && last.type.endsWith('_call_output')) {
    conv.toolResult = toolResultText(last.output);
  }
  const lastUser = [...items].reverse().find((i) => i.role === 'user');
  if (lastUser) conv.lastUserText = contentText(lastUser.content);
  return conv;
}

function scenarioNames(conv: Conversation): string[] {
  return [...conv.lastUserText.matchAll(SCENARIO_RE)].map((m) => m[1] ?? '');
}

function numSuffix(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function splitInto(text: string, n: number): string[] {
  if (n <= 1 || text.length < n) return [text];
  const size = Math.ceil(text.length / n);
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts;
}

function words(text: string): string[] {
  return text.split(/(?<= )/);
}

/** Arguments for a call of `tool` that make a shell run FAKE_TOOL_COMMAND, guided by its parameter schema. */
function shellArgs(tool: Tool): Json {
  const props = isObj(tool.params.properties) ? tool.params.properties : {};
  const args: Json = {};
  const cmdKey = 'command' in props ? 'command' : 'cmd' in props ? 'cmd' : 'command';
  const cmdSchema = props[cmdKey];
  args[cmdKey] =
    isObj(cmdSchema) && cmdSchema.type === 'array' ? ['bash', '-lc', FAKE_TOOL_COMMAND] : FAKE_TOOL_COMMAND;
  if ('description' in props) args.description = 'Print the LunaRoute test marker';
  return args;
}

function makePlan(
  conv: Conversation,
  names: string[],
  opts: Required<FakeProviderOptions>,
): { plan: Plan; delivery: Delivery } {
  const delivery: Delivery = {
    delayMs: 0,
    resetAfter: undefined,
    hang: false,
    gzip: false,
    streamError: false,
    errorStatus: undefined,
    unknown: [],
  };
  let tool = false;
  let thinking = false;
  let bigN: number | undefined;
  let refusal = false;
  if (conv.toolResult === undefined) {
    for (const n of names) {
      if (!KNOWN_SCENARIO.test(n)) delivery.unknown.push(n);
      else if (n === 'tool') tool = true;
      else if (n === 'thinking') thinking = true;
      else if (n.startsWith('big')) bigN = numSuffix(n) ?? opts.bigEvents;
      else if (n.startsWith('slow')) delivery.delayMs = numSuffix(n) ?? opts.slowDelayMs;
      else if (n.startsWith('reset')) delivery.resetAfter = numSuffix(n) ?? opts.resetAfterEvents;
      else if (n === 'hang') delivery.hang = true;
      else if (n === 'gzip') delivery.gzip = true;
      else if (n === 'stream-error') delivery.streamError = true;
      else if (n === 'refusal') refusal = true;
      else if (n.startsWith('error-')) delivery.errorStatus = numSuffix(n);
    }
  }
  const blocks: Block[] = [];
  let output = 12;
  let reasoning = 0;
  if (thinking) {
    blocks.push({
      kind: 'thinking',
      text: 'The user wants the fake answer. I will give it.',
      signature: randomBytes(48).toString('base64'),
    });
    reasoning = FAKE_USAGE.reasoning;
    output += reasoning;
  }
  if (refusal) {
    blocks.push({ kind: 'text', parts: ['I cannot help with that.'] });
  } else if (conv.toolResult !== undefined) {
    blocks.push({
      kind: 'text',
      parts: words(`${FAKE_ANSWER} Tool output: ${conv.toolResult.slice(0, 500)}`),
    });
  } else if (tool && conv.tools.length > 0) {
    const t =
      conv.tools.find((x) => !x.custom && SHELL_TOOL.test(x.name)) ??
      conv.tools.find((x) => x.custom && x.name === 'exec') ??
      conv.tools[0]!;
    // Codex's free-form `exec` tool runs JavaScript in a V8 isolate: make it compute the marker.
    const input = t.custom
      ? `text("lunaroute-tool-" + 6 * 7);\n`
      : JSON.stringify(SHELL_TOOL.test(t.name) ? shellArgs(t) : {});
    blocks.push({ kind: 'text', parts: ['I will run a command.'] });
    blocks.push({ kind: 'tool', id: id(''), name: t.name, custom: t.custom, argParts: splitInto(input, 4) });
    output = 30 + reasoning;
  } else if (bigN !== undefined) {
    const parts = Array.from({ length: bigN }, (_, i) => (i === 0 ? FAKE_ANSWER : ` chunk ${i}`));
    blocks.push({ kind: 'text', parts });
    output = bigN + reasoning;
  } else {
    blocks.push({ kind: 'text', parts: words(FAKE_ANSWER) });
  }
  const usage: SentUsage = {
    input: FAKE_USAGE.input,
    output,
    cacheRead: FAKE_USAGE.cacheRead,
    cacheWrite: FAKE_USAGE.cacheWrite,
    reasoning,
  };
  return { plan: { blocks, refusal, usage }, delivery };
}

function blockText(b: Block): string {
  if (b.kind === 'text') return b.parts.join('');
  if (b.kind === 'thinking') return b.text;
  return b.argParts.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering: a list of events (SSE / WebSocket frames) or one JSON body per dialect.

interface Ev {
  /** SSE `event:` name (omitted for Chat). */
  event?: string;
  /** JSON payload, or a raw string such as `[DONE]`. */
  data: Json | string;
}

function openaiPromptTokens(u: SentUsage): number {
  return u.input + u.cacheRead + u.cacheWrite;
}

function anthropicUsage(u: SentUsage, output: number): Json {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: output,
    service_tier: 'standard',
  };
}

function anthropicContent(plan: Plan): Json[] {
  return plan.blocks.map((b) =>
    b.kind === 'thinking'
      ? { type: 'thinking', thinking: b.text, signature: b.signature }
      : b.kind === 'text'
        ? { type: 'text', text: blockText(b) }
        : { type: 'tool_use', id: `toolu_${b.id}`, name: b.name, input: JSON.parse(blockText(b)) as unknown },
  );
}

function anthropicStop(plan: Plan): string {
  if (plan.refusal) return 'refusal';
  return plan.blocks.some((b) => b.kind === 'tool') ? 'tool_use' : 'end_turn';
}

function anthropicJson(plan: Plan, model: string): Json {
  return {
    id: id('msg_'),
    type: 'message',
    role: 'assistant',
    model,
    content: anthropicContent(plan),
    stop_reason: anthropicStop(plan),
    stop_sequence: null,
    usage: anthropicUsage(plan.usage, plan.usage.output),
  };
}

function anthropicEvents(plan: Plan, model: string, streamError: boolean): Ev[] {
  const msg: Json = {
    ...anthropicJson(plan, model),
    content: [],
    stop_reason: null,
    usage: anthropicUsage(plan.usage, 1),
  };
  const evs: Ev[] = [{ event: 'message_start', data: { type: 'message_start', message: msg } }];
  evs.push({ event: 'ping', data: { type: 'ping' } });
  plan.blocks.forEach((b, index) => {
    const start =
      b.kind === 'thinking'
        ? { type: 'thinking', thinking: '', signature: '' }
        : b.kind === 'text'
          ? { type: 'text', text: '' }
          : { type: 'tool_use', id: `toolu_${b.id}`, name: b.name, input: {} };
    evs.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: start },
    });
    const delta = (d: Json): Ev => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index, delta: d },
    });
    if (b.kind === 'thinking') {
      for (const t of words(b.text)) evs.push(delta({ type: 'thinking_delta', thinking: t }));
      evs.push(delta({ type: 'signature_delta', signature: b.signature }));
    } else if (b.kind === 'text') {
      for (const t of b.parts) evs.push(delta({ type: 'text_delta', text: t }));
    } else {
      evs.push(delta({ type: 'input_json_delta', partial_json: '' }));
      for (const p of b.argParts) evs.push(delta({ type: 'input_json_delta', partial_json: p }));
    }
    evs.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  if (streamError) {
    const cut = evs.slice(0, Math.max(3, evs.length - 2));
    cut.push({
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    return cut;
  }
  const { service_tier: _tier, ...finalUsage } = anthropicUsage(plan.usage, plan.usage.output);
  evs.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: anthropicStop(plan), stop_sequence: null },
      usage: finalUsage,
    },
  });
  evs.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return evs;
}

function chatUsage(u: SentUsage): Json {
  const prompt = openaiPromptTokens(u);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function chatFinish(plan: Plan): string {
  if (plan.refusal) return 'content_filter';
  return plan.blocks.some((b) => b.kind === 'tool') ? 'tool_calls' : 'stop';
}

function chatJson(plan: Plan, model: string): Json {
  const text = plan.blocks
    .filter((b) => b.kind === 'text')
    .map(blockText)
    .join('');
  const calls = plan.blocks.flatMap((b) =>
    b.kind === 'tool'
      ? [{ id: `call_${b.id}`, type: 'function', function: { name: b.name, arguments: blockText(b) } }]
      : [],
  );
  const message: Json = {
    role: 'assistant',
    content: plan.refusal ? null : text,
    refusal: plan.refusal ? text : null,
    annotations: [],
  };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: id('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinish(plan) }],
    usage: chatUsage(plan.usage),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

function chatEvents(plan: Plan, model: string, includeUsage: boolean, streamError: boolean): Ev[] {
  const base = {
    id: id('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const chunk = (delta: Json, finish: string | null = null): Ev => ({
    data: {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    },
  });
  const evs: Ev[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  let toolIndex = 0;
  for (const b of plan.blocks) {
    if (b.kind === 'text') {
      for (const t of b.parts) evs.push(chunk(plan.refusal ? { refusal: t } : { content: t }));
    } else if (b.kind === 'tool') {
      const index = toolIndex++;
      evs.push(
        chunk({
          tool_calls: [
            { index, id: `call_${b.id}`, type: 'function', function: { name: b.name, arguments: '' } },
          ],
        }),
      );
      for (const p of b.argParts) evs.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
    }
  }
  if (streamError) {
    const cut = evs.slice(0, Math.max(2, evs.length - 1));
    cut.push({
      data: {
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    });
    return cut;
  }
  evs.push(chunk({}, chatFinish(plan)));
  if (includeUsage) evs.push({ data: { ...base, choices: [], usage: chatUsage(plan.usage) } });
  evs.push({ data: '[DONE]' });
  return evs;
}

function responsesUsage(u: SentUsage): Json {
  const input = openaiPromptTokens(u);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}

interface ResponsesItems {
  /** Final output items. */
  output: Json[];
  /** Streaming events for the items (without the sequence numbers). */
  events: Json[];
}

function responsesItems(plan: Plan): ResponsesItems {
  const output: Json[] = [];
  const events: Json[] = [];
  plan.blocks.forEach((b) => {
    const output_index = output.length;
    if (b.kind === 'thinking') {
      const itemId = id('rs_');
      const done = {
        id: itemId,
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: b.text }],
        encrypted_content: b.signature,
      };
      events.push({ type: 'response.output_item.added', output_index, item: { ...done, summary: [] } });
      const part = { type: 'summary_text', text: '' };
      events.push({
        type: 'response.reasoning_summary_part.added',
        item_id: itemId,
        output_index,
        summary_index: 0,
        part,
      });
      for (const t of words(b.text)) {
        events.push({
          type: 'response.reasoning_summary_text.delta',
          item_id: itemId,
          output_index,
          summary_index: 0,
          delta: t,
        });
      }
      events.push({
        type: 'response.reasoning_summary_text.done',
        item_id: itemId,
        output_index,
        summary_index: 0,
        text: b.text,
      });
      events.push({
        type: 'response.reasoning_summary_part.done',
        item_id: itemId,
        output_index,
        summary_index: 0,
        part: { type: 'summary_text', text: b.text },
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else if (b.kind === 'text') {
      const itemId = id('msg_');
      const text = blockText(b);
      const kind = plan.refusal ? 'refusal' : 'output_text';
      const finalPart = plan.refusal
        ? { type: 'refusal', refusal: text }
        : { type: 'output_text', text, annotations: [], logprobs: [] };
      const done = {
        id: itemId,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [finalPart],
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', content: [] },
      });
      const emptyPart = plan.refusal
        ? { type: 'refusal', refusal: '' }
        : { type: 'output_text', text: '', annotations: [], logprobs: [] };
      events.push({
        type: 'response.content_part.added',
        item_id: itemId,
        output_index,
        content_index: 0,
        part: emptyPart,
      });
      for (const t of b.parts) {
        events.push({
          type: `response.${kind}.delta`,
          item_id: itemId,
          output_index,
          content_index: 0,
          delta: t,
          ...(plan.refusal ? {} : { logprobs: [] }),
        });
      }
      events.push(
        plan.refusal
          ? { type: 'response.refusal.done', item_id: itemId, output_index, content_index: 0, refusal: text }
          : {
              type: 'response.output_text.done',
              item_id: itemId,
              output_index,
              content_index: 0,
              text,
              logprobs: [],
            },
      );
      events.push({
        type: 'response.content_part.done',
        item_id: itemId,
        output_index,
        content_index: 0,
        part: finalPart,
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else if (b.custom) {
      const itemId = id('ctc_');
      const input = blockText(b);
      const done = {
        id: itemId,
        type: 'custom_tool_call',
        status: 'completed',
        call_id: `call_${b.id}`,
        name: b.name,
        input,
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', input: '' },
      });
      for (const p of b.argParts) {
        events.push({
          type: 'response.custom_tool_call_input.delta',
          item_id: itemId,
          output_index,
          delta: p,
        });
      }
      events.push({ type: 'response.custom_tool_call_input.done', item_id: itemId, output_index, input });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else {
      const itemId = id('fc_');
      const args = blockText(b);
      const done = {
        id: itemId,
        type: 'function_call',
        status: 'completed',
        arguments: args,
        call_id: `call_${b.id}`,
        name: b.name,
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', arguments: '' },
      });
      for (const p of b.argParts) {
        events.push({
          type: 'response.function_call_arguments.delta',
          item_id: itemId,
          output_index,
          delta: p,
        });
      }
      events.push({
        type: 'response.function_call_arguments.done',
        item_id: itemId,
        output_index,
        arguments: args,
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    }
  });
  return { output, events };
}

function responseObject(
  body: Json,
  respId: string,
  status: string,
  output: Json[],
  usage: Json | null,
): Json {
  return {
    id: respId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: typeof body.model === 'string' ? body.model : 'gpt-fake',
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: body.reasoning ?? { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: arr(body.tools),
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

function responsesEvents(plan: Plan, body: Json, respId: string, streamError: boolean): Ev[] {
  const items = responsesItems(plan);
  const inProgress = responseObject(body, respId, 'in_progress', [], null);
  const payloads: Json[] = [
    { type: 'response.created', response: inProgress },
    { type: 'response.in_progress', response: inProgress },
    ...items.events,
  ];
  if (streamError) {
    const cut = payloads.slice(0, Math.max(3, payloads.length - 2));
    const failed = responseObject(body, respId, 'failed', [], null);
    failed.error = { code: 'server_error', message: 'The model produced an error.' };
    cut.push({ type: 'response.failed', response: failed });
    return cut.map((data, sequence_number) => ({
      event: String(data.type),
      data: { ...data, sequence_number },
    }));
  }
  payloads.push({
    type: 'response.completed',
    response: responseObject(body, respId, 'completed', items.output, responsesUsage(plan.usage)),
  });
  return payloads.map((data, sequence_number) => ({
    event: String(data.type),
    data: { ...data, sequence_number },
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Errors in each dialect's real shape.

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

interface ErrorReply {
  status: number;
  headers: Record<string, string>;
  body: Json;
}

function errorReply(dialect: Dialect, status: number, message?: string): ErrorReply {
  const reqId = id('req_');
  const reset = new Date(Date.now() + 7000).toISOString().replace(/\.\d+Z$/, 'Z');
  if (dialect === 'anthropic') {
    const headers: Record<string, string> = {
      'request-id': reqId,
      'x-should-retry': status >= 500 || status === 429 ? 'true' : 'false',
    };
    if (status === 429) {
      Object.assign(headers, {
        'retry-after': '7',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '0',
        'anthropic-ratelimit-tokens-reset': reset,
        'anthropic-ratelimit-input-tokens-limit': '30000',
        'anthropic-ratelimit-input-tokens-remaining': '0',
        'anthropic-ratelimit-input-tokens-reset': reset,
        'anthropic-ratelimit-output-tokens-limit': '10000',
        'anthropic-ratelimit-output-tokens-remaining': '0',
        'anthropic-ratelimit-output-tokens-reset': reset,
      });
    }
    const type = ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    const msg =
      message ??
      (status === 429
        ? 'This request would exceed the rate limit for your organization of 50 requests per minute.'
        : status === 529
          ? 'Overloaded'
          : status >= 500
            ? 'Internal server error'
            : `Fake provider error ${status}`);
    return { status, headers, body: { type: 'error', error: { type, message: msg }, request_id: reqId } };
  }
  const headers: Record<string, string> = { 'x-request-id': reqId };
  let error: Json;
  if (status === 429) {
    Object.assign(headers, {
      'retry-after': '7',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '7s',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '7s',
    });
    error = {
      message:
        message ??
        'Rate limit reached for gpt-fake on requests per min (RPM): Limit 500, Used 500, Requested 1.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    };
  } else if (status === 401) {
    error = {
      message: message ?? 'Incorrect API key provided.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    };
  } else if (status >= 500) {
    error = {
      message: message ?? 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    };
  } else {
    error = {
      message: message ?? `Fake provider error ${status}`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
  }
  return { status, headers, body: { error } };
}

// ---------------------------------------------------------------------------------------------------------------
// Transport helpers.

function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const ae = String(headers['accept-encoding'] ?? '');
  return /\bgzip\b/i.test(ae) && !/\bgzip\s*;\s*q=0(\.0*)?\b/i.test(ae);
}

/** Wait until `sink` drains, or the response closes. */
function drained(sink: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      res.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    res.on('close', done);
  });
}

function sseFrame(ev: Ev): string {
  const data = typeof ev.data === 'string' ? ev.data : JSON.stringify(ev.data);
  return ev.event ? `event: ${ev.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer | undefined {
  try {
    if (!encoding || encoding === 'identity') return body;
    if (encoding === 'gzip') return zlib.gunzipSync(body);
    if (encoding === 'deflate') return zlib.inflateSync(body);
    if (encoding === 'br') return zlib.brotliDecompressSync(body);
  } catch {
    return undefined;
  }
  return undefined;
}

function parseJson(body: Buffer, encoding: string | undefined): unknown {
  const plain = decodeBody(body, encoding);
  if (!plain || plain.length === 0) return undefined;
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function dialectOf(method: string, path: string, headers: IncomingHttpHeaders): Dialect {
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  if (path === '/v1/chat/completions') return 'openai-chat';
  if (path === '/v1/responses' || path.startsWith('/v1/responses/')) return 'openai-responses';
  if (path.startsWith('/v1/'))
    return headers['anthropic-version'] || headers['x-api-key'] ? 'anthropic' : 'other';
  void method;
  return 'other';
}

// ---------------------------------------------------------------------------------------------------------------
// The server.

interface Exchange {
  rec: RecordedRequest;
  /** Account for bytes written back to the client. */
  sent(chunk: Buffer): void;
  finish(outcome: 'finished' | 'closed-early'): void;
  /** The fake itself cut the connection (reset scenario, close()): not a client abort. */
  cutByServer: boolean;
}

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const opts: Required<FakeProviderOptions> = {
    slowDelayMs: options.slowDelayMs ?? 100,
    bigEvents: options.bigEvents ?? 2000,
    resetAfterEvents: options.resetAfterEvents ?? 3,
    websocket: options.websocket ?? true,
    models: options.models ?? ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5', 'gpt-5-codex'],
    keepBodies: options.keepBodies ?? true,
  };
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const requests: RecordedRequest[] = [];
  const wsConnections: WsConnectionRecord[] = [];
  const queue: { handler: FakeHandler; match?: (r: RecordedRequest) => boolean }[] = [];
  const sockets = new Set<Socket>();
  const batches = new Map<string, Json>();
  const live = new Set<Exchange>();
  let closing = false;
  let seq = 0;

  function newExchange(
    init: Pick<RecordedRequest, 'transport' | 'method' | 'url' | 'headers' | 'body'>,
  ): Exchange {
    let resolveDone!: (o: 'finished' | 'closed-early') => void;
    let resolveEarly!: (t: number) => void;
    const done = new Promise<'finished' | 'closed-early'>((r) => (resolveDone = r));
    const closedEarly = new Promise<number>((r) => (resolveEarly = r));
    const json = parseJson(init.body, init.headers['content-encoding'] as string | undefined);
    const path = init.url.split('?')[0] ?? init.url;
    const rec: RecordedRequest = {
      ...init,
      seq: ++seq,
      path,
      bodySha256: sha256(init.body),
      json,
      dialect:
        init.transport === 'websocket' ? 'openai-responses' : dialectOf(init.method, path, init.headers),
      scenarios: [],
      receivedAt: Date.now(),
      status: undefined,
      responseBody: Buffer.alloc(0),
      responseBytes: 0,
      responseSha256: undefined,
      usageSent: undefined,
      done,
      closedEarly,
      closedEarlyAt: undefined,
    };
    // Response bytes: hashed as they go, kept as a chunk list and joined only when read (big streams stay O(n)).
    const respHash = createHash('sha256');
    const respChunks: Buffer[] = [];
    let joined: Buffer | undefined;
    Object.defineProperty(rec, 'responseBody', {
      enumerable: true,
      get: () => (joined ??= Buffer.concat(respChunks)),
    });
    let settled = false;
    const ex: Exchange = {
      rec,
      cutByServer: false,
      sent(chunk) {
        rec.responseBytes += chunk.length;
        if (settled) return;
        respHash.update(chunk);
        if (opts.keepBodies) {
          respChunks.push(chunk);
          joined = undefined;
        }
      },
      finish(outcome) {
        if (settled) return;
        settled = true;
        live.delete(ex);
        rec.responseSha256 = respHash.digest('hex');
        if (!opts.keepBodies) {
          rec.body = Buffer.alloc(0);
          rec.json = undefined;
        }
        if (outcome === 'closed-early' && !ex.cutByServer) {
          rec.closedEarlyAt = Date.now();
          resolveEarly(rec.closedEarlyAt);
          events.emit('closedEarly', rec);
        }
        resolveDone(outcome);
      },
    };
    live.add(ex);
    return ex;
  }

  function publish(rec: RecordedRequest): void {
    requests.push(rec);
    events.emit('request', rec);
  }

  /** Record everything written to `res` (after compression) into the exchange. */
  function tapResponse(ex: Exchange, res: ServerResponse): void {
    const capture = (chunk: unknown, enc?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      ex.sent(buf);
    };
    const origWrite = res.write.bind(res) as (...a: unknown[]) => boolean;
    const origEnd = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    res.write = ((...a: unknown[]) => {
      capture(a[0], a[1]);
      return origWrite(...a);
    }) as typeof res.write;
    res.end = ((...a: unknown[]) => {
      capture(a[0], a[1]);
      return origEnd(...a);
    }) as typeof res.end;
    const origWriteHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    res.writeHead = ((...a: unknown[]) => {
      ex.rec.status = a[0] as number;
      return origWriteHead(...a);
    }) as typeof res.writeHead;
    res.on('finish', () => {
      ex.rec.status ??= res.statusCode;
      ex.finish('finished');
    });
    res.on('close', () => ex.finish(res.writableFinished ? 'finished' : 'closed-early'));
  }

  function sendJson(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
    gzip = false,
  ): void {
    let payload = Buffer.from(JSON.stringify(body));
    const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
    if (gzip) {
      payload = zlib.gzipSync(payload);
      h['content-encoding'] = 'gzip';
    }
    h['content-length'] = String(payload.length);
    res.writeHead(status, h);
    res.end(payload);
  }

  /** Write events as SSE, honouring slow / reset / gzip, with backpressure. Ends the response. */
  async function pumpSse(
    ex: Exchange,
    res: ServerResponse,
    evs: Ev[],
    d: Delivery,
    headers: Record<string, string>,
  ): Promise<void> {
    const h: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...headers,
    };
    let sink: Writable = res;
    let gz: zlib.Gzip | undefined;
    if (d.gzip) {
      h['content-encoding'] = 'gzip';
      gz = zlib.createGzip();
      gz.pipe(res);
      sink = gz;
    }
    res.writeHead(200, h);
    res.flushHeaders();
    for (let i = 0; i < evs.length; i++) {
      if (res.destroyed || closing) return;
      if (d.resetAfter !== undefined && i >= d.resetAfter) {
        if (gz) await new Promise<void>((r) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
        ex.cutByServer = true;
        res.socket?.destroy();
        return;
      }
      if (d.delayMs > 0) await delay(d.delayMs);
      if (res.destroyed) return;
      const ok = sink.write(sseFrame(evs[i]!));
      if (gz) await new Promise<void>((r) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
      else if (!ok) await drained(sink, res);
    }
    if (d.resetAfter !== undefined) {
      ex.cutByServer = true;
      res.socket?.destroy();
      return;
    }
    sink.end();
  }

  function hang(ex: Exchange, res: ServerResponse, stream: boolean): void {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json' });
    res.flushHeaders();
    void ex;
  }

  async function handleGeneration(ex: Exchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rec = ex.rec;
    const body = isObj(rec.json) ? rec.json : undefined;
    if (!body) {
      const e = errorReply(rec.dialect, 400, 'Fake provider: the request body is not a JSON object.');
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    const conv = readConversation(rec.dialect, body);
    rec.scenarios = scenarioNames(conv);
    const { plan, delivery } = makePlan(conv, rec.scenarios, opts);
    const stream = body.stream === true;
    if (delivery.unknown.length > 0) {
      const e = errorReply(
        rec.dialect,
        400,
        `Fake provider: unknown scenario ${delivery.unknown.join(', ')}`,
      );
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    if (delivery.errorStatus !== undefined) {
      const e = errorReply(rec.dialect, delivery.errorStatus);
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    if (delivery.hang) return hang(ex, res, stream);
    delivery.gzip = delivery.gzip && acceptsGzip(req.headers);
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    rec.usageSent = plan.usage;
    const reqIdHeader: Record<string, string> =
      rec.dialect === 'anthropic' ? { 'request-id': id('req_') } : { 'x-request-id': id('req_') };
    if (!stream) {
      if (delivery.resetAfter !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', ...reqIdHeader });
        res.flushHeaders();
        ex.cutByServer = true;
        res.socket?.destroy();
        return;
      }
      if (delivery.delayMs > 0) await delay(delivery.delayMs);
      const json =
        rec.dialect === 'anthropic'
          ? anthropicJson(plan, model)
          : rec.dialect === 'openai-chat'
            ? chatJson(plan, model)
            : responseObject(
                body,
                id('resp_'),
                'completed',
                responsesItems(plan).output,
                responsesUsage(plan.usage),
              );
      sendJson(res, 200, json, reqIdHeader, delivery.gzip);
      return;
    }
    const evs =
      rec.dialect === 'anthropic'
        ? anthropicEvents(plan, model, delivery.streamError)
        : rec.dialect === 'openai-chat'
          ? chatEvents(
              plan,
              model,
              isObj(body.stream_options) && body.stream_options.include_usage === true,
              delivery.streamError,
            )
          : responsesEvents(plan, body, id('resp_'), delivery.streamError);
    if (
      rec.dialect === 'openai-chat' &&
      !(isObj(body.stream_options) && body.stream_options.include_usage === true)
    ) {
      rec.usageSent = undefined;
    }
    await pumpSse(ex, res, evs, delivery, reqIdHeader);
  }

  function handleBatches(ex: Exchange, res: ServerResponse): void {
    const rec = ex.rec;
    const parts = rec.path.split('/').slice(4); // after /v1/messages/batches
    const now = new Date().toISOString();
    if (rec.method === 'POST' && parts.length === 0) {
      const n = isObj(rec.json) ? arr(rec.json.requests).length : 0;
      const batch: Json = {
        id: id('msgbatch_'),
        type: 'message_batch',
        processing_status: 'ended',
        request_counts: { processing: 0, succeeded: n, errored: 0, canceled: 0, expired: 0 },
        ended_at: now,
        created_at: now,
        expires_at: new Date(Date.now() + 86_400_000).toISOString(),
        archived_at: null,
        cancel_initiated_at: null,
        results_url: null,
      };
      batch.results_url = `http://${rec.headers.host ?? '127.0.0.1'}/v1/messages/batches/${String(batch.id)}/results`;
      batches.set(String(batch.id), { ...batch, requests: isObj(rec.json) ? arr(rec.json.requests) : [] });
      sendJson(res, 200, batch);
      return;
    }
    if (rec.method === 'GET' && parts.length === 0) {
      const data = [...batches.values()].map(({ requests: _r, ...b }) => b);
      sendJson(res, 200, {
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
      return;
    }
    const batch = batches.get(parts[0] ?? '');
    if (!batch) {
      const e = errorReply('anthropic', 404, 'Batch not found');
      sendJson(res, 404, e.body, e.headers);
      return;
    }
    const { requests: reqs, ...pub } = batch;
    if (parts[1] === 'results') {
      const lines = arr(reqs)
        .filter(isObj)
        .map((r) =>
          JSON.stringify({
            custom_id: r.custom_id,
            result: {
              type: 'succeeded',
              message: anthropicJson(
                makePlan({ lastUserText: '', toolResult: undefined, tools: [] }, [], opts).plan,
                isObj(r.params) && typeof r.params.model === 'string' ? r.params.model : 'fake-model',
              ),
            },
          }),
        );
      res.writeHead(200, { 'content-type': 'application/binary' });
      res.end(lines.join('\n') + '\n');
      return;
    }
    if (parts[1] === 'cancel') pub.cancel_initiated_at = now;
    if (rec.method === 'DELETE') {
      batches.delete(String(pub.id));
      sendJson(res, 200, { id: pub.id, type: 'message_batch_deleted' });
      return;
    }
    sendJson(res, 200, pub);
  }

  function handleModels(ex: Exchange, res: ServerResponse): void {
    const rec = ex.rec;
    const anthropic = rec.dialect === 'anthropic';
    const one = rec.path.split('/')[3];
    const entry = (m: string): Json =>
      anthropic
        ? { type: 'model', id: m, display_name: m, created_at: '2025-01-01T00:00:00Z' }
        : { id: m, object: 'model', created: 1_735_689_600, owned_by: 'fake-provider' };
    if (one) {
      sendJson(res, 200, entry(decodeURIComponent(one)));
      return;
    }
    const data = opts.models.map(entry);
    sendJson(
      res,
      200,
      anthropic
        ? { data, has_more: false, first_id: opts.models[0] ?? null, last_id: opts.models.at(-1) ?? null }
        : { object: 'list', data },
    );
  }

  function handleEmbeddings(ex: Exchange, res: ServerResponse): void {
    const body = isObj(ex.rec.json) ? ex.rec.json : {};
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
    const data = inputs.map((inp, index) => {
      const seed = createHash('sha256').update(JSON.stringify(inp)).digest();
      const vec = Array.from({ length: dims }, (_, i) => ((seed[i % seed.length] ?? 0) - 128) / 128);
      const embedding =
        body.encoding_format === 'base64'
          ? Buffer.from(new Float32Array(vec).buffer).toString('base64')
          : vec;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.length * 4;
    sendJson(res, 200, {
      object: 'list',
      data,
      model: typeof body.model === 'string' ? body.model : 'text-embedding-fake',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async function route(ex: Exchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { method, path, dialect } = ex.rec;
    if ((method === 'HEAD' || method === 'GET') && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(method === 'HEAD' ? undefined : 'fake provider\n');
      return;
    }
    if (
      method === 'POST' &&
      (path === '/v1/messages' || path === '/v1/chat/completions' || path === '/v1/responses')
    ) {
      return handleGeneration(ex, req, res);
    }
    if (method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(ex.rec.body.length / 4)) });
      return;
    }
    if (path === '/v1/messages/batches' || path.startsWith('/v1/messages/batches/'))
      return handleBatches(ex, res);
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/')))
      return handleModels(ex, res);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(ex, res);
    const e = errorReply(
      dialect === 'anthropic' ? 'anthropic' : 'openai-chat',
      404,
      `Fake provider: no route for ${method} ${path}`,
    );
    sendJson(res, 404, e.body, e.headers);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ex = newExchange({
        transport: 'http',
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      tapResponse(ex, res);
      const qi = queue.findIndex((q) => !q.match || q.match(ex.rec));
      const queued = qi >= 0 ? queue.splice(qi, 1)[0] : undefined;
      publish(ex.rec);
      const run = queued ? Promise.resolve(queued.handler(req, res, ex.rec.body)) : route(ex, req, res);
      run.catch((err: unknown) => {
        if (!res.headersSent) {
          const e = errorReply(ex.rec.dialect, 500, `Fake provider crashed: ${String(err)}`);
          sendJson(res, 500, e.body, e.headers);
        } else res.destroy();
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  // Codex's Responses-over-WebSocket transport.
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/responses' || !opts.websocket) {
      const status = path === '/v1/responses' ? '426 Upgrade Required' : '404 Not Found';
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onWsConnection(ws, req));
  });

  function onWsConnection(ws: WebSocket, req: IncomingMessage): void {
    let resolveClosed!: (t: number) => void;
    const conn: WsConnectionRecord = {
      url: req.url ?? '/',
      headers: req.headers,
      openedAt: Date.now(),
      closed: new Promise<number>((r) => (resolveClosed = r)),
    };
    wsConnections.push(conn);
    events.emit('wsConnection', conn);
    /** Conversation state per response id: the full input and output so far (for previous_response_id). */
    const history = new Map<string, unknown[]>();
    let current: Exchange | undefined;
    let chain = Promise.resolve();
    const send = (ex: Exchange, payload: Json): void => {
      const text = JSON.stringify(payload);
      ex.sent(Buffer.from(`${text}\n`));
      ws.send(text);
    };
    ws.on('close', () => {
      resolveClosed(Date.now());
      current?.finish('closed-early');
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const raw = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      const ex = newExchange({
        transport: 'websocket',
        method: 'WS',
        url: conn.url,
        headers: conn.headers,
        body: raw,
      });
      ex.rec.status = 101;
      publish(ex.rec);
      chain = chain.then(() => handleFrame(ex, isBinary)).catch(() => ws.terminate());
    });

    async function handleFrame(ex: Exchange, isBinary: boolean): Promise<void> {
      if (ws.readyState !== ws.OPEN) return ex.finish('closed-early');
      current = ex;
      const body = isObj(ex.rec.json) ? ex.rec.json : undefined;
      const fail = (status: number, code: string, message: string): void => {
        send(ex, {
          type: 'error',
          status,
          error: { type: 'invalid_request_error', code, message, param: null },
        });
        ex.finish('finished');
      };
      if (isBinary) return fail(400, 'invalid_request_error', 'Binary frames are not supported.');
      if (!body || body.type !== 'response.create') {
        return fail(400, 'invalid_request_error', `Unsupported event type ${String(body?.type)}`);
      }
      const prev = typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
      const prior = prev === undefined ? [] : history.get(prev);
      if (prior === undefined) {
        return fail(400, 'previous_response_not_found', `Previous response with id '${prev}' not found.`);
      }
      const ownInput =
        typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input);
      const fullInput = [...prior, ...ownInput];
      const respId = id('resp_');
      if (body.generate === false) {
        history.set(respId, fullInput);
        const usage = {
          input_tokens: 0,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 0,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 0,
        };
        send(ex, {
          type: 'response.created',
          sequence_number: 0,
          response: responseObject(body, respId, 'in_progress', [], null),
        });
        send(ex, {
          type: 'response.completed',
          sequence_number: 1,
          response: responseObject(body, respId, 'completed', [], usage),
        });
        ex.finish('finished');
        return;
      }
      const conv = readConversation('openai-responses', body, fullInput);
      ex.rec.scenarios = scenarioNames(conv);
      const { plan, delivery } = makePlan(conv, ex.rec.scenarios, opts);
      if (delivery.unknown.length > 0)
        return fail(
          400,
          'invalid_request_error',
          `Fake provider: unknown scenario ${delivery.unknown.join(', ')}`,
        );
      if (delivery.errorStatus !== undefined) {
        const e = errorReply('openai-responses', delivery.errorStatus);
        send(ex, { type: 'error', status: e.status, error: e.body.error, headers: e.headers });
        ex.finish('finished');
        return;
      }
      if (delivery.hang) return;
      ex.rec.usageSent = plan.usage;
      const evs = responsesEvents(plan, body, respId, delivery.streamError);
      for (let i = 0; i < evs.length; i++) {
        if (ws.readyState !== ws.OPEN || closing) return ex.finish('closed-early');
        if (delivery.resetAfter !== undefined && i >= delivery.resetAfter) {
          ex.cutByServer = true;
          ws.terminate();
          return;
        }
        if (delivery.delayMs > 0) await delay(delivery.delayMs);
        if (ws.readyState !== ws.OPEN) return ex.finish('closed-early');
        send(ex, evs[i]!.data as Json);
      }
      history.set(respId, [...fullInput, ...responsesItems(plan).output]);
      current = undefined;
      ex.finish('finished');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    wsConnections,
    events,
    enqueue(handler, match) {
      queue.push(match ? { handler, match } : { handler });
    },
    waitForRequest(predicate = () => true, timeoutMs = 15_000) {
      const found = requests.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('request', onReq);
          const seen = requests.map((r) => `${r.method} ${r.url}`).join(', ') || 'none';
          reject(new Error(`fake provider: no matching request within ${timeoutMs} ms (seen: ${seen})`));
        }, timeoutMs);
        const onReq = (r: RecordedRequest): void => {
          if (!predicate(r)) return;
          clearTimeout(timer);
          events.off('request', onReq);
          resolve(r);
        };
        events.on('request', onReq);
      });
    },
    clear() {
      requests.length = 0;
      wsConnections.length = 0;
      queue.length = 0;
    },
    async close() {
      closing = true;
      for (const ex of live) ex.cutByServer = true;
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
