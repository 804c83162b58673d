// Turns a session's exchanges into a transcript: for each request, the conversation items it added (new user
// turns, tool results; the system prompt when it first appears or changes) and its response (assistant text,
// thinking, tool calls, refusals, errors). Clients re-send the whole history every turn, so a request's new
// input is what follows the longest earlier request whose messages are a prefix of its own; the echo of the
// previous response at the head of that remainder is dropped (it is already shown as that response).
// Normalises the Anthropic Messages, OpenAI Chat and OpenAI Responses shapes. Pure.
import type { TranscriptItem, TranscriptTurn } from '../../src-shared/contract.js';
import type { ContentBlock, JsonValue } from '../../src-shared/exchange.js';
import type { SessionExchange } from './session-data.js';

type Obj = { [k: string]: JsonValue };
const isObj = (v: JsonValue | undefined): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: JsonValue | undefined): string | null => (typeof v === 'string' ? v : null);

export interface TranscriptOptions {
  /** Longest text kept per item; the rest is replaced by a note (default: unlimited). */
  maxChars?: number;
}

const CONVERSATION_ENDPOINTS = new Set(['messages', 'chat_completions', 'responses']);

function item(
  kind: TranscriptItem['kind'],
  text: string,
  extra: Partial<Pick<TranscriptItem, 'name' | 'tool_id' | 'is_error'>> = {},
): TranscriptItem {
  return {
    kind,
    text,
    name: extra.name ?? null,
    tool_id: extra.tool_id ?? null,
    is_error: extra.is_error ?? null,
  };
}

/** Text of a content value: a string, or an array of parts (text parts joined, others named). */
function partsText(v: JsonValue | undefined): string {
  if (typeof v === 'string') return v;
  if (!Array.isArray(v)) return v === undefined || v === null ? '' : JSON.stringify(v);
  const out: string[] = [];
  for (const p of v) {
    if (typeof p === 'string') out.push(p);
    else if (isObj(p)) {
      const t = str(p.text) ?? str(p.refusal);
      if (t !== null) out.push(t);
      else if (p.type === 'tool_result') out.push(partsText(p.content));
      else out.push(`[${str(p.type) ?? 'part'}]`);
    }
  }
  return out.join('\n');
}

function argsText(v: JsonValue | undefined): string {
  if (typeof v === 'string') return v;
  return v === undefined ? '' : JSON.stringify(v);
}

/** A request's system prompt as text (null when none). */
function systemOf(body: Obj): string | null {
  if (body.system !== undefined) return partsText(body.system) || null;
  if (typeof body.instructions === 'string') return body.instructions || null;
  return null;
}

/** The message list of a request body, and whether each entry is model output (echoed back by the client). */
function messagesOf(body: Obj): JsonValue[] {
  if (Array.isArray(body.messages)) return body.messages;
  if (typeof body.input === 'string') return [{ role: 'user', content: body.input }];
  if (Array.isArray(body.input)) return body.input;
  return [];
}

function isModelOutput(m: JsonValue): boolean {
  if (!isObj(m)) return false;
  if (m.role === 'assistant') return true;
  const t = str(m.type);
  return t === 'function_call' || t === 'custom_tool_call' || t === 'reasoning' || t === 'web_search_call';
}

/** Normalise one message / input item into transcript items. */
function messageItems(m: JsonValue): TranscriptItem[] {
  if (!isObj(m)) return [item('other', JSON.stringify(m))];
  const type = str(m.type);
  // OpenAI Responses input items.
  if (type === 'function_call' || type === 'custom_tool_call') {
    return [
      item('tool_call', argsText(m.arguments ?? m.input), {
        name: str(m.name) ?? '?',
        tool_id: str(m.call_id) ?? str(m.id),
      }),
    ];
  }
  if (type === 'function_call_output' || type === 'custom_tool_call_output') {
    return [item('tool_result', partsText(m.output), { tool_id: str(m.call_id) })];
  }
  if (type === 'reasoning') {
    const summary = Array.isArray(m.summary) ? partsText(m.summary) : '';
    return summary ? [item('thinking', summary)] : [];
  }
  if (type !== null && type !== 'message') return [item('other', JSON.stringify(m), { name: type })];
  const role = str(m.role) ?? 'user';
  if (role === 'system' || role === 'developer') return [item('system', partsText(m.content))];
  if (role === 'tool') return [item('tool_result', partsText(m.content), { tool_id: str(m.tool_call_id) })];
  const out: TranscriptItem[] = [];
  const textKind = role === 'assistant' ? 'assistant' : 'user';
  if (typeof m.reasoning_content === 'string' && m.reasoning_content) {
    out.push(item('thinking', m.reasoning_content));
  }
  if (typeof m.content === 'string') {
    if (m.content) out.push(item(textKind, m.content));
  } else if (Array.isArray(m.content)) {
    let text: string[] = [];
    const flush = (): void => {
      if (text.length) out.push(item(textKind, text.join('\n')));
      text = [];
    };
    for (const p of m.content) {
      if (!isObj(p)) continue;
      const pt = str(p.type);
      if (pt === 'text' || pt === 'input_text' || pt === 'output_text') text.push(str(p.text) ?? '');
      else if (pt === 'thinking' || pt === 'redacted_thinking') {
        flush();
        out.push(item('thinking', pt === 'thinking' ? (str(p.thinking) ?? '') : '[redacted thinking]'));
      } else if (pt === 'tool_use' || pt === 'server_tool_use') {
        flush();
        out.push(item('tool_call', argsText(p.input), { name: str(p.name) ?? '?', tool_id: str(p.id) }));
      } else if (pt === 'tool_result') {
        flush();
        out.push(
          item('tool_result', partsText(p.content), {
            tool_id: str(p.tool_use_id),
            is_error: typeof p.is_error === 'boolean' ? p.is_error : null,
          }),
        );
      } else if (pt === 'refusal') text.push(str(p.refusal) ?? '');
      else text.push(`[${pt ?? 'part'}]`);
    }
    flush();
  }
  if (Array.isArray(m.tool_calls)) {
    for (const c of m.tool_calls) {
      if (!isObj(c)) continue;
      const fn = isObj(c.function) ? c.function : {};
      out.push(item('tool_call', argsText(fn.arguments), { name: str(fn.name) ?? '?', tool_id: str(c.id) }));
    }
  }
  return out;
}

function responseItems(ex: SessionExchange): TranscriptItem[] {
  const r = ex.response;
  if (!r) return [];
  const out: TranscriptItem[] = [];
  for (const b of (r.response?.content ?? []) as ContentBlock[]) {
    switch (b.type) {
      case 'text':
        if (b.text) out.push(item('assistant', b.text));
        break;
      case 'thinking':
        out.push(item('thinking', b.thinking));
        break;
      case 'redacted_thinking':
        out.push(item('thinking', '[redacted thinking]'));
        break;
      case 'tool_call':
        out.push(item('tool_call', b.arguments, { name: b.name, tool_id: b.id }));
        break;
      case 'refusal':
        out.push(item('refusal', b.refusal));
        break;
      case 'other':
        // A block kept whole; one that streamed deltas shows them after it.
        out.push(
          item('other', JSON.stringify(b.deltas ? { block: b.raw, deltas: b.deltas } : b.raw), {
            name: b.rawType,
          }),
        );
        break;
    }
  }
  // Client drift: what this version did not understand, named in one line; the raw items are behind it.
  if (r.unknown && r.unknown.length > 0) {
    const names = r.unknown.map((u) => `${u.kind} ${u.name}${u.count > 1 ? ` ×${u.count}` : ''}`);
    out.push(item('other', JSON.stringify(r.unknown, null, 1), { name: `unknown: ${names.join(', ')}` }));
  }
  if (r.outcome !== 'completed') {
    const what =
      r.error?.message ??
      (r.body_text ? r.body_text.slice(0, 2000) : null) ??
      (r.reason ? r.reason.replaceAll('_', ' ') : r.outcome);
    const status = r.status !== null && r.status >= 400 ? `HTTP ${r.status}: ` : '';
    out.push(item('error', `${r.outcome}: ${status}${what}`, { is_error: true }));
  }
  return out;
}

function cap(items: TranscriptItem[], max: number): TranscriptItem[] {
  if (!Number.isFinite(max)) return items;
  return items.map((i) =>
    i.text.length > max
      ? { ...i, text: `${i.text.slice(0, max)}\n… (${i.text.length - max} more characters)` }
      : i,
  );
}

export function buildTranscript(
  exchanges: readonly SessionExchange[],
  opts: TranscriptOptions = {},
): TranscriptTurn[] {
  const max = opts.maxChars ?? Infinity;
  const seen: { keys: string[]; answered: boolean }[] = [];
  let lastSystem: string | null = null;
  const turns: TranscriptTurn[] = [];
  for (const ex of exchanges) {
    const rq = ex.request;
    if (!CONVERSATION_ENDPOINTS.has(rq.endpoint)) continue;
    const input: TranscriptItem[] = [];
    const body = isObj(ex.body ?? undefined) ? (ex.body as Obj) : null;
    if (body) {
      const system = systemOf(body);
      if (system !== null && system !== lastSystem) input.push(item('system', system));
      if (system !== null) lastSystem = system;
      const msgs = messagesOf(body);
      const keys = msgs.map((m) => JSON.stringify(m));
      let best = 0;
      let bestAnswered = false;
      for (let i = seen.length - 1; i >= 0 && i >= seen.length - 200; i--) {
        const p = seen[i]!;
        if (p.keys.length <= best || p.keys.length > keys.length) continue;
        if (p.keys.every((k, j) => k === keys[j])) {
          best = p.keys.length;
          bestAnswered = p.answered;
        }
      }
      let fresh = msgs.slice(best);
      if (best > 0 && bestAnswered) {
        let skip = 0;
        while (skip < fresh.length && isModelOutput(fresh[skip]!)) skip++;
        fresh = fresh.slice(skip);
      }
      for (const m of fresh) {
        for (const it of messageItems(m)) {
          // System messages inside the list (Chat/Responses) follow the same "only when new" rule.
          if (it.kind === 'system') {
            if (it.text === lastSystem) continue;
            lastSystem = it.text;
          }
          input.push(it);
        }
      }
      seen.push({ keys, answered: ex.response?.response != null });
    } else if (rq.body_text) {
      input.push(item('other', rq.body_text, { name: 'non-JSON body' }));
    }
    turns.push({
      request_id: rq.id,
      at: rq.at,
      model: ex.response?.model ?? rq.model,
      endpoint: rq.endpoint,
      input: cap(input, max),
      output: cap(responseItems(ex), max),
    });
  }
  return turns;
}
