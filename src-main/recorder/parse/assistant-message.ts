// An Anthropic response's content as the assistant message the client re-sends in its next request's history,
// and back. Version 2 lines store that message as a `message` block, so the history of the next turn refers to
// the block the response already wrote instead of storing the same text twice. The way back must be exact:
// `contentFixes` lists, for each content block that the message cannot hold exactly, what to put back.
import type { ContentBlock, JsonValue } from '../../../src-shared/exchange.js';
import type { ContentFix } from '../../../src-shared/records.js';

type JsonObject = { [key: string]: JsonValue };

/** One content block in the Messages API's shape (what the SDKs accumulate and the clients send back). */
function toWire(b: ContentBlock): JsonValue {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text };
    case 'thinking':
      return b.signature === null
        ? { type: 'thinking', thinking: b.thinking }
        : { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: b.data };
    case 'tool_call':
      return {
        type: b.kind === 'server' ? 'server_tool_use' : 'tool_use',
        id: b.id,
        name: b.name,
        input: b.input ?? {},
      };
    case 'refusal':
      return { type: 'text', text: b.refusal };
    case 'other':
      return b.raw;
  }
}

/** JSON with `", "` and `": "` separators, the style of the tool inputs Anthropic streams. */
export function spacedJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(spacedJson).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${JSON.stringify(k)}: ${spacedJson(x)}`)
    .join(', ')}}`;
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** One Messages API content block back as a content block (`spaced`: the tool arguments' style). */
function fromWire(w: JsonValue, spaced: boolean): ContentBlock {
  const o = isObject(w) ? w : {};
  const keys = Object.keys(o).join(',');
  const str = (k: string): string | null => (typeof o[k] === 'string' ? o[k] : null);
  if (keys === 'type,text' && o['type'] === 'text') return { type: 'text', text: str('text')! };
  if (o['type'] === 'thinking' && (keys === 'type,thinking' || keys === 'type,thinking,signature'))
    if (str('thinking') !== null && (o['signature'] === undefined || str('signature') !== null))
      return { type: 'thinking', thinking: str('thinking')!, signature: str('signature') };
  if (keys === 'type,data' && o['type'] === 'redacted_thinking' && str('data') !== null)
    return { type: 'redacted_thinking', data: str('data')! };
  if (
    keys === 'type,id,name,input' &&
    (o['type'] === 'tool_use' || o['type'] === 'server_tool_use') &&
    str('id') !== null &&
    str('name') !== null
  ) {
    const input = o['input']!;
    return {
      type: 'tool_call',
      kind: o['type'] === 'server_tool_use' ? 'server' : 'function',
      id: str('id')!,
      name: str('name')!,
      arguments: spaced ? spacedJson(input) : JSON.stringify(input),
      input,
      parseError: null,
    };
  }
  return { type: 'other', rawType: str('type') ?? '', raw: w };
}

/** The assistant message holding `content`, as the client re-sends it. */
export function toAnthropicMessage(content: readonly ContentBlock[]): JsonValue {
  return { role: 'assistant', content: content.map(toWire) };
}

/** What `fromAnthropicMessage` needs besides the message to give `content` back exactly. */
export function contentFixes(content: readonly ContentBlock[], message: JsonValue): ContentFix[] {
  const wire = isObject(message) && Array.isArray(message['content']) ? message['content'] : [];
  const fixes: ContentFix[] = [];
  content.forEach((b, i) => {
    const want = JSON.stringify(b);
    if (JSON.stringify(fromWire(wire[i]!, false)) === want) return;
    if (b.type === 'tool_call' && JSON.stringify(fromWire(wire[i]!, true)) === want)
      fixes.push({ i, args: 'spaced' });
    else fixes.push({ i, block: b });
  });
  return fixes;
}

/** The content blocks of an assistant message block, with the fixes its response line lists. */
export function fromAnthropicMessage(message: JsonValue, fixes: readonly ContentFix[] = []): ContentBlock[] {
  const wire = isObject(message) && Array.isArray(message['content']) ? message['content'] : [];
  const byIndex = new Map(fixes.map((f) => [f.i, f]));
  return wire.map((w, i) => {
    const f = byIndex.get(i);
    if (f && 'block' in f) return f.block;
    return fromWire(w, f !== undefined && 'args' in f);
  });
}
