// Anthropic Messages: the streaming event state machine (message_start → content_block_start/delta/stop* →
// message_delta → message_stop, with ping and error) and the non-streaming JSON body, both into a
// ResponseBuilder. Blocks are keyed by the stream's block `index`; tool input JSON accumulates per index.
// Event, block and delta types and fields not in known.ts are logged as drift and kept as received.
import type { FinishReason, JsonValue } from '../../../src-shared/exchange.js';
import { readError, type ResponseBuilder } from './builder.js';
import { asArray, asNumber, asObject, asString, type JsonObject } from './json.js';
import { ANTHROPIC } from './known.js';
import { mergeAnthropicUsage } from './usage.js';

export function anthropicFinishReason(stop: string): FinishReason {
  switch (stop) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'refusal';
    case 'pause_turn':
      return 'pause';
    default:
      return 'other';
  }
}

function setStop(b: ResponseBuilder, stop: unknown, stopSequence: unknown): void {
  const s = asString(stop);
  if (s !== null) {
    b.stopReason = s;
    b.finishReason = anthropicFinishReason(s);
    if (s === 'refusal') b.hasRefusal = true;
  }
  const seq = asString(stopSequence);
  if (seq !== null) b.stopDetail = seq;
}

function readMessageMeta(b: ResponseBuilder, m: JsonObject): void {
  b.drift.fields('message', m, ANTHROPIC.message);
  b.id = asString(m.id) ?? b.id;
  b.model = asString(m.model) ?? b.model;
  b.role = asString(m.role) ?? b.role;
}

/** Starts (or, for a JSON body, fully sets) one content block at position `index`. */
function startBlock(b: ResponseBuilder, index: number, cb: JsonObject, whole: boolean): void {
  const type = asString(cb.type) ?? 'unknown';
  b.drift.fields(type, cb, ANTHROPIC.blockFields.get(type));
  switch (type) {
    case 'text': {
      const blk = b.block(index, 'text', index);
      const text = asString(cb.text) ?? '';
      if (text !== '') {
        blk.text += text;
        b.content();
      }
      return;
    }
    case 'thinking': {
      const blk = b.block(index, 'thinking', index);
      const t = asString(cb.thinking) ?? '';
      if (t !== '') {
        blk.text += t;
        b.content();
      }
      const sig = asString(cb.signature);
      if (sig !== null && sig !== '') blk.signature = sig;
      return;
    }
    case 'redacted_thinking': {
      const blk = b.block(index, 'redacted_thinking', index);
      blk.text = asString(cb.data) ?? '';
      b.content();
      return;
    }
    case 'tool_use':
    case 'server_tool_use':
    case 'mcp_tool_use': {
      const blk = b.block(index, 'tool_call', index);
      blk.kind = type === 'tool_use' ? 'function' : 'server';
      blk.id = asString(cb.id) ?? '';
      blk.name = asString(cb.name) ?? '';
      // In a stream, `input` is `{}` here and the real input follows as input_json_delta; in a body it is final.
      const input = cb.input as JsonValue | undefined;
      if (whole) blk.text = input === undefined ? '' : JSON.stringify(input);
      else blk.initialInput = input;
      b.content();
      return;
    }
    default: {
      // web_search_tool_result, code execution results, container uploads…: kept verbatim, and so is a block
      // type this version does not know (its deltas too, see AnthropicStream.delta).
      const blk = b.block(index, 'other', index);
      blk.rawType = type;
      blk.raw = cb;
      if (!ANTHROPIC.blocks.has(type)) b.drift.note('block', asString(cb.type) ?? '(untyped)');
      return;
    }
  }
}

/** Streaming state machine. Event kind comes from the JSON `type` (the SSE `event:` name is the fallback). */
export class AnthropicStream {
  constructor(private readonly b: ResponseBuilder) {}

  onEvent(sseEvent: string, ev: JsonObject): void {
    const b = this.b;
    const type = asString(ev.type) ?? sseEvent;
    b.drift.fields(type, ev, ANTHROPIC.eventFields.get(type));
    switch (type) {
      case 'content_block_delta': {
        const index = asNumber(ev.index) ?? 0;
        const d = asObject(ev.delta);
        if (d === null) return;
        this.delta(index, d, ev);
        return;
      }
      case 'message_start': {
        const m = asObject(ev.message);
        if (m === null) return;
        readMessageMeta(b, m);
        mergeAnthropicUsage(b.usage, m.usage);
        // A message_start may already carry content (e.g. a resumed/prefilled message from some gateways).
        const content = asArray(m.content);
        if (content !== null) content.forEach((c, i) => this.start(i, c));
        return;
      }
      case 'content_block_start':
        this.start(asNumber(ev.index) ?? 0, ev.content_block);
        return;
      case 'content_block_stop':
        return;
      case 'message_delta': {
        const d = asObject(ev.delta);
        if (d !== null) {
          b.drift.fields('message_delta.delta', d, ANTHROPIC.messageDelta);
          setStop(b, d.stop_reason, d.stop_sequence);
        }
        mergeAnthropicUsage(b.usage, ev.usage);
        return;
      }
      case 'message_stop':
        b.complete = true;
        return;
      case 'ping':
        b.counts.keepalives++;
        return;
      case 'error': {
        // `event: error` ends the stream (overloaded_error, api_error…); there is no message_stop after it.
        readError(b, asObject(ev.error));
        b.finishReason = 'error';
        b.complete = true;
        return;
      }
      default:
        // Anthropic's versioning policy: clients must tolerate new event types. Kept as received.
        b.drift.note('event', type === 'message' || type === '' ? '(untyped)' : type, ev);
        return;
    }
  }

  private start(index: number, cb: unknown): void {
    const o = asObject(cb);
    if (o !== null) startBlock(this.b, index, o, false);
  }

  private delta(index: number, d: JsonObject, ev: JsonObject): void {
    const b = this.b;
    const type = asString(d.type) ?? '(untyped)';
    const known = ANTHROPIC.deltas.has(type);
    const target = b.get(index);
    if (target?.type === 'other') {
      // A block kept whole (e.g. one of a type this version does not know): its deltas are kept with it.
      b.otherDelta(target, d);
      if (!known) b.drift.note('delta', type);
      return;
    }
    if (!known) {
      b.drift.note('delta', type, ev);
      return;
    }
    b.drift.fields(type, d, ANTHROPIC.deltaFields.get(type));
    switch (type) {
      case 'text_delta': {
        const t = asString(d.text);
        if (t === null || t === '') return;
        b.block(index, 'text', index).text += t;
        b.content();
        return;
      }
      case 'thinking_delta': {
        const t = asString(d.thinking);
        if (t === null || t === '') return;
        b.block(index, 'thinking', index).text += t;
        b.content();
        return;
      }
      case 'signature_delta': {
        const sig = asString(d.signature);
        if (sig === null) return;
        const blk = b.block(index, 'thinking', index);
        blk.signature = (blk.signature ?? '') + sig;
        return;
      }
      case 'input_json_delta': {
        const part = asString(d.partial_json);
        if (part === null) return;
        const blk = b.block(index, 'tool_call', index);
        blk.text += part;
        if (part !== '') b.content();
        return;
      }
      default:
        return; // citations_delta, compaction_delta on a block that is not kept whole
    }
  }
}

/** A non-streaming Messages response (or an error body). */
export function applyAnthropicBody(b: ResponseBuilder, body: JsonObject): void {
  if (body.type === 'error' || (body.error !== undefined && body.content === undefined)) {
    readError(b, asObject(body.error));
    b.finishReason = 'error';
    return;
  }
  readMessageMeta(b, body); // also checks the body's fields
  const content = asArray(body.content);
  if (content !== null) {
    content.forEach((c, i) => {
      const o = asObject(c);
      if (o !== null) startBlock(b, i, o, true);
    });
  }
  setStop(b, body.stop_reason, body.stop_sequence);
  mergeAnthropicUsage(b.usage, body.usage);
}

/** `POST /v1/messages/count_tokens` → `{ "input_tokens": N }`. */
export function applyCountTokensBody(b: ResponseBuilder, body: JsonObject): void {
  if (body.type === 'error') {
    readError(b, asObject(body.error));
    b.finishReason = 'error';
    return;
  }
  b.usage.input = asNumber(body.input_tokens);
  b.usage.raw = body;
}
