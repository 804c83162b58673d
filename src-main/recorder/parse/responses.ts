// OpenAI Responses: the streaming event machine (same events over SSE and over Codex's WebSocket) and the
// non-streaming `response` object. Output items are keyed by item id; deltas name their item (`item_id`) and
// position (`output_index`, `content_index`, `summary_index`). `*.done` and `output_item.done` carry the
// authoritative full value and replace what the deltas built; `response.completed` back-fills any item whose
// events were missed. Event, output item and content part types not in known.ts are logged as drift.
import type { FinishReason } from '../../../src-shared/exchange.js';
import { readError, type MutBlock, type ResponseBuilder } from './builder.js';
import { asArray, asNumber, asObject, asString, type JsonObject } from './json.js';
import { RESPONSES } from './known.js';
import { setResponsesUsage } from './usage.js';

const TERMINAL = new Set([
  'response.completed',
  'response.failed',
  'response.incomplete',
  'response.cancelled',
]);

/** Fallback position for items whose output_index was never seen: after everything positioned. */
const UNPOSITIONED = 1e9;

export class ResponsesMachine {
  /** item id → output_index, from `output_item.added` (deltas repeat it, but done events may not). */
  private readonly positions = new Map<string, number>();
  private unpositioned = 0;
  /** Ids of items of an unknown type already logged as drift (added, done and the final output repeat them). */
  private readonly unknownItems = new Set<string>();

  constructor(private readonly b: ResponseBuilder) {}

  onEvent(sseEvent: string, ev: JsonObject): void {
    const b = this.b;
    const type = asString(ev.type) ?? sseEvent;
    switch (type) {
      case 'response.output_text.delta': {
        const d = asString(ev.delta);
        if (d === null || d === '') return;
        this.part(ev, 'text').text += d;
        b.content();
        return;
      }
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const d = asString(ev.delta);
        if (d === null) return;
        const blk = this.item(asString(ev.item_id) ?? '', asNumber(ev.output_index), 'tool_call');
        if (type === 'response.custom_tool_call_input.delta') blk.kind = 'custom';
        blk.text += d;
        if (d !== '') b.content();
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const d = asString(ev.delta);
        if (d === null || d === '') return;
        const key = reasoningPartKey(type, ev);
        const blk = this.reasoning(ev);
        blk.parts!.set(key, (blk.parts!.get(key) ?? '') + d);
        b.content();
        return;
      }
      case 'response.refusal.delta': {
        const d = asString(ev.delta);
        if (d === null || d === '') return;
        this.part(ev, 'refusal').text += d;
        b.hasRefusal = true;
        b.content();
        return;
      }
      case 'response.output_text.done': {
        const t = asString(ev.text);
        if (t !== null) this.part(ev, 'text').text = t;
        return;
      }
      case 'response.refusal.done': {
        const t = asString(ev.refusal);
        if (t !== null) this.part(ev, 'refusal').text = t;
        b.hasRefusal = true;
        return;
      }
      case 'response.function_call_arguments.done':
      case 'response.custom_tool_call_input.done': {
        const full = asString(type === 'response.function_call_arguments.done' ? ev.arguments : ev.input);
        const blk = this.item(asString(ev.item_id) ?? '', asNumber(ev.output_index), 'tool_call');
        if (type === 'response.custom_tool_call_input.done') blk.kind = 'custom';
        if (full !== null) blk.text = full;
        const name = asString(ev.name);
        if (name !== null && name !== '') blk.name = name;
        return;
      }
      case 'response.reasoning_summary_text.done':
      case 'response.reasoning_text.done': {
        const t = asString(ev.text);
        if (t === null) return;
        this.reasoning(ev).parts!.set(reasoningPartKey(type, ev), t);
        return;
      }
      case 'response.output_item.added':
      case 'response.output_item.done': {
        const item = asObject(ev.item);
        if (item !== null)
          this.applyItem(item, asNumber(ev.output_index), type === 'response.output_item.done');
        return;
      }
      case 'response.content_part.added':
      case 'response.content_part.done': {
        const part = asObject(ev.part);
        if (part === null) return;
        if (part.type === 'output_text') {
          const blk = this.part(ev, 'text');
          const t = asString(part.text);
          if (type === 'response.content_part.done' && t !== null) blk.text = t;
        } else if (part.type === 'refusal') {
          const blk = this.part(ev, 'refusal');
          b.hasRefusal = true;
          const t = asString(part.refusal);
          if (type === 'response.content_part.done' && t !== null) blk.text = t;
        }
        return;
      }
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued':
        this.applyResponse(asObject(ev.response), false);
        return;
      case 'error': {
        // SSE: {type:"error", code, message, param}; Codex WebSocket: {type:"error", status, error:{type,code,message}}.
        const inner = asObject(ev.error);
        // In the flat form `type` is the event's own type ("error"), not an error type.
        readError(b, inner ?? { ...ev, type: null });
        b.finishReason = 'error';
        b.complete = true;
        return;
      }
      default:
        if (TERMINAL.has(type)) {
          this.applyResponse(asObject(ev.response), true);
          b.complete = true;
          if (b.stopReason === null) b.stopReason = type.slice('response.'.length);
          this.finishReason();
        } else if (!RESPONSES.events.has(type)) {
          b.drift.note('event', type === '' || type === 'message' ? '(untyped)' : type, ev);
        }
        return;
    }
  }

  /** The response object of created/in_progress/terminal events or of a non-streaming body. */
  applyResponse(r: JsonObject | null, terminal: boolean): void {
    const b = this.b;
    if (r === null) return;
    b.id = asString(r.id) ?? b.id;
    b.model = asString(r.model) ?? b.model;
    b.role = 'assistant';
    if (!terminal) return;
    const status = asString(r.status);
    if (status !== null) b.stopReason = status;
    const reason = asString(asObject(r.incomplete_details)?.reason);
    if (reason !== null) b.stopDetail = reason;
    if (r.usage !== undefined && r.usage !== null) setResponsesUsage(b.usage, r.usage);
    const err = asObject(r.error);
    if (err !== null) readError(b, err);
    const output = asArray(r.output);
    if (output !== null) {
      output.forEach((it, i) => {
        const item = asObject(it);
        if (item === null) return;
        const id = asString(item.id);
        // Items already built from events are left alone unless the terminal object is the only source.
        if (id !== null && this.positions.has(id)) return;
        this.applyItem(item, i, true);
      });
    }
  }

  finishReason(): void {
    const b = this.b;
    let fr: FinishReason;
    switch (b.stopReason) {
      case 'completed':
        fr = b.hasToolCalls() ? 'tool_calls' : 'stop';
        break;
      case 'incomplete':
        fr =
          b.stopDetail === 'max_output_tokens'
            ? 'length'
            : b.stopDetail === 'content_filter'
              ? 'content_filter'
              : 'other';
        if (b.stopDetail === 'content_filter') b.hasRefusal = true;
        break;
      case 'failed':
        fr = 'error';
        break;
      case 'cancelled':
        fr = 'cancelled';
        break;
      default:
        fr = 'other';
    }
    b.finishReason = fr;
  }

  private position(itemId: string, outputIndex: number | null): number {
    let p = this.positions.get(itemId);
    if (p === undefined) {
      p = outputIndex ?? UNPOSITIONED + this.unpositioned++;
      this.positions.set(itemId, p);
    }
    return p;
  }

  /** The block for an item that is one block (function/custom call, reasoning, other). */
  private item(itemId: string, outputIndex: number | null, type: MutBlock['type']): MutBlock {
    const p = this.position(itemId, outputIndex);
    const blk = this.b.block(itemId, type, p);
    if (type === 'tool_call' && blk.id === '') blk.id = itemId; // replaced by call_id once the item is seen
    return blk;
  }

  private reasoning(ev: JsonObject): MutBlock {
    const blk = this.item(asString(ev.item_id) ?? '', asNumber(ev.output_index), 'thinking');
    if (blk.parts === null) blk.parts = new Map();
    return blk;
  }

  /** The block for one content part of a message item. */
  private part(ev: JsonObject, type: 'text' | 'refusal'): MutBlock {
    const itemId = asString(ev.item_id) ?? '';
    const ci = asNumber(ev.content_index) ?? 0;
    const p = this.position(itemId, asNumber(ev.output_index));
    return this.b.block(`${itemId}#${ci}`, type, p, ci);
  }

  /** An output item from output_item.added/done or a response's `output` array. */
  private applyItem(item: JsonObject, outputIndex: number | null, done: boolean): void {
    const b = this.b;
    const itemType = asString(item.type) ?? 'unknown';
    const id = asString(item.id) ?? asString(item.call_id) ?? `item${outputIndex ?? this.unpositioned}`;
    const p = this.position(id, outputIndex);
    switch (itemType) {
      case 'message': {
        if (asString(item.role) !== null) b.role = asString(item.role);
        const parts = asArray(item.content);
        if (!done || parts === null) return;
        parts.forEach((pt, ci) => {
          const part = asObject(pt);
          if (part === null) return;
          if (part.type === 'output_text')
            b.block(`${id}#${ci}`, 'text', p, ci).text = asString(part.text) ?? '';
          else if (part.type === 'refusal') {
            b.block(`${id}#${ci}`, 'refusal', p, ci).text = asString(part.refusal) ?? '';
            b.hasRefusal = true;
          } else {
            const pt = asString(part.type) ?? '(untyped)';
            if (!RESPONSES.parts.has(pt)) b.drift.note('block', pt, part);
          }
        });
        return;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const blk = b.block(id, 'tool_call', p);
        blk.kind = itemType === 'custom_tool_call' ? 'custom' : 'function';
        blk.id = asString(item.call_id) ?? id;
        blk.name = asString(item.name) ?? blk.name;
        const full = asString(itemType === 'custom_tool_call' ? item.input : item.arguments);
        // On `added` the arguments are usually "" and the deltas follow; never wipe what deltas built.
        if (full !== null && (done || blk.text === '')) blk.text = full;
        b.content();
        return;
      }
      case 'reasoning': {
        const summary = asArray(item.summary);
        const enc = asString(item.encrypted_content);
        const rawContent = asArray(item.content);
        const blk = b.block(id, 'thinking', p);
        if (blk.parts === null) blk.parts = new Map();
        if (enc !== null) blk.signature = enc;
        if (done) {
          summary?.forEach((s, i) => {
            const t = asString(asObject(s)?.text);
            if (t !== null) blk.parts!.set(`s${i}`, t);
          });
          rawContent?.forEach((s, i) => {
            const t = asString(asObject(s)?.text);
            if (t !== null) blk.parts!.set(`r${i}`, t);
          });
        }
        return;
      }
      default: {
        // web_search_call, local_shell_call, image_generation_call, mcp_call…: kept verbatim (latest state wins).
        const blk = b.block(id, 'other', p);
        blk.rawType = itemType;
        blk.raw = item;
        if (!RESPONSES.items.has(itemType) && !this.unknownItems.has(id)) {
          this.unknownItems.add(id);
          b.drift.note('block', asString(item.type) ?? '(untyped)');
        }
        return;
      }
    }
  }
}

function reasoningPartKey(type: string, ev: JsonObject): string {
  return type.startsWith('response.reasoning_summary')
    ? `s${asNumber(ev.summary_index) ?? 0}`
    : `r${asNumber(ev.content_index) ?? 0}`;
}

/** A non-streaming `response` object (or an error body). */
export function applyResponsesBody(b: ResponseBuilder, body: JsonObject): void {
  if (body.error !== undefined && body.object !== 'response' && body.output === undefined) {
    readError(b, asObject(body.error));
    b.finishReason = 'error';
    return;
  }
  const m = new ResponsesMachine(b);
  m.applyResponse(body, true);
  if (b.stopReason !== null) m.finishReason();
}
