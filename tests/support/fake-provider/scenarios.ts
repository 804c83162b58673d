// What the fake answers, decided from the request alone and the same in every dialect: the conversation read
// from the body (last user text, a trailing tool result, declared tools), the scenarios named in it, and a plan.
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
import { randomBytes } from 'node:crypto';
import { FAKE_ANSWER, FAKE_TOOL_COMMAND, FAKE_USAGE } from './types.js';
import type { Dialect, FakeProviderOptions, ScriptedReply, ScriptView, SentUsage } from './types.js';
import { arr, id, isObj, splitInto, words, type Json } from './util.js';

const SCENARIO_RE = /SCENARIO:([a-z0-9-]+)/g;
const KNOWN_SCENARIO =
  /^(tool|thinking|big(-\d+)?|slow(-\d+)?|reset(-\d+)?|hang|gzip|stream-error|refusal|error-\d{3})$/;
const SHELL_TOOL = /^(bash|shell|shell_command|exec_command|local_shell|run_shell_command|container\.exec)$/i;

/** What to answer, dialect-neutral: the blocks of the reply, rendered per dialect by anthropic.ts, openai-*.ts. */
export type Block =
  | { kind: 'thinking'; text: string; signature: string }
  | { kind: 'text'; parts: string[] }
  | { kind: 'tool'; id: string; name: string; custom: boolean; argParts: string[] };

export interface Plan {
  blocks: Block[];
  refusal: boolean;
  usage: SentUsage;
}

/** How to deliver it: delays, resets, hangs, compression, mid-stream errors, error statuses. */
export interface Delivery {
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

export interface Conversation {
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

export function readConversation(dialect: Dialect, body: Json, responsesInput?: unknown[]): Conversation {
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

export function scenarioNames(conv: Conversation): string[] {
  return [...conv.lastUserText.matchAll(SCENARIO_RE)].map((m) => m[1] ?? '');
}

function numSuffix(name: string): number | undefined {
  const m = /-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
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

export function makePlan(
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

export function blockText(b: Block): string {
  if (b.kind === 'text') return b.parts.join('');
  if (b.kind === 'thinking') return b.text;
  return b.argParts.join('');
}

/** What a script sees of the conversation. */
export function scriptView(conv: Conversation): ScriptView {
  return {
    lastUserText: conv.lastUserText,
    toolResult: conv.toolResult,
    tools: conv.tools.map((t) => t.name),
  };
}

/** The plan for a scripted reply: its text and tool call replace the scenario's blocks; usage is merged. */
export function scriptedPlan(plan: Plan, conv: Conversation, reply: ScriptedReply): Plan {
  const blocks: Block[] = [];
  if (reply.text !== undefined) blocks.push({ kind: 'text', parts: words(reply.text) });
  if (reply.tool) {
    const declared = conv.tools.find((t) => t.name === reply.tool?.name);
    const custom = declared?.custom ?? false;
    const input =
      typeof reply.tool.input === 'string' && custom
        ? reply.tool.input
        : JSON.stringify(reply.tool.input ?? {});
    blocks.push({ kind: 'tool', id: id(''), name: reply.tool.name, custom, argParts: splitInto(input, 4) });
  }
  const output = reply.usage?.output ?? (reply.tool ? 30 : plan.usage.output);
  return { blocks, refusal: false, usage: { ...plan.usage, output, ...reply.usage } };
}
