// OpenAI Chat Completions: streamed `chat.completion.chunk`s (content/refusal/reasoning deltas, tool_calls
// accumulated by their `index`, the usage-only chunk of `stream_options.include_usage`, `[DONE]`) and the
// non-streaming `chat.completion` body. Only choice 0 is reassembled (coding clients never ask for n > 1).
// Chunk and delta fields not in known.ts are logged as drift and kept as received.
import type { FinishReason } from '../../../src-shared/exchange.js';
import { readError, type ResponseBuilder } from './builder.js';
import { asArray, asNumber, asObject, asString, type JsonObject } from './json.js';
import { CHAT } from './known.js';
import { setChatUsage } from './usage.js';

export function chatFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'other';
  }
}

function setFinish(b: ResponseBuilder, reason: unknown): void {
  const r = asString(reason);
  if (r === null) return;
  b.stopReason = r;
  b.finishReason = chatFinishReason(r);
  if (r === 'content_filter') b.hasRefusal = true;
}

// Block keys: fixed strings for the single text/reasoning/refusal stream, the tool_calls index for tools.
const TEXT = 'text';
const THINKING = 'thinking';
const REFUSAL = 'refusal';
const toolKey = (i: number): string => `tool:${i}`;

function readMeta(b: ResponseBuilder, o: JsonObject): void {
  if (b.id === null) b.id = asString(o.id);
  if (b.model === null) b.model = asString(o.model);
}

export class ChatStream {
  /** tool_calls index → block key, when one index was reused for a second call (see toolDelta). */
  private readonly toolKeys = new Map<number, string>();

  constructor(private readonly b: ResponseBuilder) {}

  /** `[DONE]` is handled by the caller; this gets every other data payload. */
  onChunk(chunk: JsonObject): void {
    const b = this.b;
    if (chunk.error !== undefined && chunk.choices === undefined) {
      // Mid-stream error object (OpenAI and many compatible servers send `data: {"error": {...}}`).
      readError(b, asObject(chunk.error));
      b.finishReason = 'error';
      b.complete = true;
      return;
    }
    b.drift.fields('chunk', chunk, CHAT.chunk);
    readMeta(b, chunk);
    // With include_usage every chunk carries `usage: null` and the last one the totals; keep the last object.
    if (chunk.usage !== undefined && chunk.usage !== null) setChatUsage(b.usage, chunk.usage);
    const choices = asArray(chunk.choices);
    if (choices === null) return;
    for (const c of choices) {
      const choice = asObject(c);
      if (choice === null || (asNumber(choice.index) ?? 0) !== 0) continue;
      const delta = asObject(choice.delta);
      if (delta !== null) this.delta(delta);
      setFinish(b, choice.finish_reason);
    }
  }

  private delta(d: JsonObject): void {
    const b = this.b;
    b.drift.fields('delta', d, CHAT.delta);
    const role = asString(d.role);
    if (role !== null) b.role = role;
    // DeepSeek/vLLM `reasoning_content`, OpenRouter `reasoning`: model thinking before the answer.
    const reasoning = asString(d.reasoning_content) ?? asString(d.reasoning);
    if (reasoning !== null && reasoning !== '') {
      b.block(THINKING, 'thinking').text += reasoning;
      b.content();
    }
    const text = asString(d.content);
    if (text !== null && text !== '') {
      b.block(TEXT, 'text').text += text;
      b.content();
    }
    const refusal = asString(d.refusal);
    if (refusal !== null && refusal !== '') {
      b.block(REFUSAL, 'refusal').text += refusal;
      b.hasRefusal = true;
      b.content();
    }
    const calls = asArray(d.tool_calls);
    if (calls !== null) {
      for (let i = 0; i < calls.length; i++) {
        const tc = asObject(calls[i]);
        if (tc === null) continue;
        this.toolDelta(asNumber(tc.index) ?? i, tc);
      }
    }
    // Legacy `function_call` deltas (pre-tools API): one call.
    const fc = asObject(d.function_call);
    if (fc !== null) this.toolDelta(0, { function: fc });
  }

  private toolDelta(index: number, tc: JsonObject): void {
    const b = this.b;
    const id = asString(tc.id);
    let key = this.toolKeys.get(index) ?? toolKey(index);
    const existing = b.get(key);
    // Some OpenAI-compatible servers omit `index` and send each call whole in its own chunk: a different id at
    // the same index is a new call, not more of the old one.
    if (existing !== undefined && id !== null && id !== '' && existing.id !== '' && existing.id !== id) {
      key = `${toolKey(index)}:${id}`;
      this.toolKeys.set(index, key);
    }
    const blk = b.block(key, 'tool_call');
    // The id and name come in the first delta of a call; some servers repeat them on every delta.
    if (id !== null && id !== '' && blk.id === '') blk.id = id;
    const fn = asObject(tc.function);
    if (fn !== null) {
      const name = asString(fn.name);
      if (name !== null && name !== '' && blk.name === '') blk.name = name;
      const args = asString(fn.arguments);
      if (args !== null) blk.text += args;
    }
    b.content();
  }
}

/** A non-streaming `chat.completion` (or an error body). */
export function applyChatBody(b: ResponseBuilder, body: JsonObject): void {
  if (body.error !== undefined && body.choices === undefined) {
    readError(b, asObject(body.error));
    b.finishReason = 'error';
    return;
  }
  b.drift.fields('completion', body, CHAT.chunk);
  readMeta(b, body);
  if (body.usage !== undefined) setChatUsage(b.usage, body.usage);
  const choices = asArray(body.choices);
  if (choices === null) return;
  const choice = choices.map(asObject).find((c) => c !== null && (asNumber(c.index) ?? 0) === 0);
  if (choice === undefined || choice === null) return;
  const m = asObject(choice.message);
  if (m !== null) {
    b.drift.fields('message', m, CHAT.delta);
    b.role = asString(m.role);
    const reasoning = asString(m.reasoning_content) ?? asString(m.reasoning);
    if (reasoning !== null && reasoning !== '') b.block(THINKING, 'thinking').text = reasoning;
    const content = m.content;
    if (typeof content === 'string' && content !== '') b.block(TEXT, 'text').text = content;
    else if (Array.isArray(content)) {
      // Some compatible servers return content parts.
      const text = content
        .map((p) => asString(asObject(p)?.text) ?? '')
        .filter((t) => t !== '')
        .join('');
      if (text !== '') b.block(TEXT, 'text').text = text;
    }
    const refusal = asString(m.refusal);
    if (refusal !== null && refusal !== '') {
      b.block(REFUSAL, 'refusal').text = refusal;
      b.hasRefusal = true;
    }
    const calls = asArray(m.tool_calls) ?? [];
    calls.forEach((c, i) => {
      const tc = asObject(c);
      if (tc === null) return;
      const blk = b.block(toolKey(i), 'tool_call');
      blk.id = asString(tc.id) ?? '';
      const fn = asObject(tc.function);
      blk.name = asString(fn?.name) ?? '';
      blk.text = asString(fn?.arguments) ?? '';
      // `type: "custom"` tools carry free text in custom.input.
      const custom = asObject(tc.custom);
      if (custom !== null) {
        blk.kind = 'custom';
        blk.name = asString(custom.name) ?? blk.name;
        blk.text = asString(custom.input) ?? '';
      }
    });
    const fc = asObject(m.function_call);
    if (fc !== null && calls.length === 0) {
      const blk = b.block(toolKey(0), 'tool_call');
      blk.name = asString(fc.name) ?? '';
      blk.text = asString(fc.arguments) ?? '';
    }
  }
  setFinish(b, choice.finish_reason);
}

/** Embeddings: usage only (`prompt_tokens`, `total_tokens`). */
export function applyEmbeddingsBody(b: ResponseBuilder, body: JsonObject): void {
  if (body.error !== undefined && body.data === undefined) {
    readError(b, asObject(body.error));
    b.finishReason = 'error';
    return;
  }
  b.model = asString(body.model);
  if (body.usage !== undefined) setChatUsage(b.usage, body.usage);
}
