// Reading request bodies from raw bytes (recorder/parse/raw-body.ts): the result must equal JSON.parse of the
// body whatever its whitespace, escapes and characters; what it cannot follow it leaves to the caller; and parts
// an earlier body carried are reused rather than parsed again, and keyed so the block store finds them.
import { describe, expect, it } from 'vitest';
import { RawParts, rawKeyOf, scanObject } from '../../src-main/recorder/parse/raw-body.js';
import { RedactionMemo, SessionBlocks } from '../../src-main/recorder/parse/blocks.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { BlockLine } from '../../src-shared/records.js';

const layout = { chain: ['messages', 'message'] as [string, unknown] };
const pad = (n: number) => 'x'.repeat(n);

function body(messages: unknown[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({ model: 'claude-test', system: [{ type: 'text', text: pad(3000) }], messages, ...extra }),
  );
}

describe('reading a request body from its bytes', () => {
  it.each([
    [
      'escapes and quotes',
      { messages: [{ role: 'user', content: `a \\" b \\\\" ${pad(5000)} "q" \\n \u2028` }] },
    ],
    ['non-ASCII text', { messages: [{ role: 'user', content: `日本語 → émoji 🎉 ${pad(5000)}` }] }],
    [
      'numbers, literals, empty containers',
      { n: -1.5e3, t: true, f: false, z: null, o: {}, a: [], s: pad(5000) },
    ],
    ['deep nesting with brackets inside strings', { messages: [{ c: [{ d: ['}]{[', pad(5000)] }] }] }],
  ])('gives exactly what JSON.parse gives (%s)', (_name, value) => {
    const b = Buffer.from(JSON.stringify(value));
    expect(new RawParts().read(b, true, layout)?.parsed).toStrictEqual(JSON.parse(b.toString()));
  });

  it('follows whitespace anywhere JSON allows it, duplicate keys (the last wins) and a __proto__ key', () => {
    const text = ` \n{ "a" : 1 ,\t"messages":[ {"x":"${pad(3000)}"} , 2 ],"a":3, "__proto__": {"p": 1}, "pad": "${pad(4000)}" } \r\n`;
    const got = new RawParts().read(Buffer.from(text), true, layout)!.parsed as Record<string, unknown>;
    expect(got).toStrictEqual(JSON.parse(text));
    expect(Object.keys(got)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
  });

  it.each([
    ['a truncated body', body([{ role: 'user', content: pad(5000) }]).subarray(0, 4500)],
    ['trailing bytes after the object', Buffer.concat([body([{ content: pad(5000) }]), Buffer.from(' x')])],
    ['an array at the top', Buffer.from(JSON.stringify([pad(5000)]))],
    ['a missing comma', Buffer.from(`{"a":"${pad(5000)}" "b":1}`)],
    ['an invalid value inside a part', Buffer.from(`{"messages":[{"a":tru}],"p":"${pad(5000)}"}`)],
  ])('leaves %s to the caller (undefined)', (_name, b) => {
    expect(new RawParts().read(b, true, layout)).toBeUndefined();
  });

  it('leaves small, truncated or content-encoded bodies to the caller', () => {
    const parts = new RawParts();
    expect(parts.read(Buffer.from('{"a":1}'), true, layout)).toBeUndefined();
    expect(parts.read(body([{ content: pad(5000) }]), false, layout)).toBeUndefined();
  });

  it('reuses the history an earlier body carried: only the new message is parsed, and the block store keys it by its bytes', () => {
    const parts = new RawParts();
    const m1 = { role: 'user', content: `first ${pad(2000)}` };
    const m2 = { role: 'assistant', content: `second ${pad(2000)}` };
    const first = parts.read(body([m1]), true, layout)!.parsed as { messages: JsonValue[] };
    const misses = parts.misses;
    const second = parts.read(body([m1, m2]), true, layout)!.parsed as { messages: JsonValue[] };
    expect(parts.misses - misses).toBe(1); // m2 only: system and m1 came from the first body
    expect(second.messages[0]).toBe(first.messages[0]);
    expect(Object.isFrozen(second.messages[0])).toBe(true);
    expect(rawKeyOf(second.messages[0]!)).toMatch(/^raw:/);
    expect(scanObject(Buffer.from('{"k":[1,{"a":"]"}]}'))).toEqual([['k', 5, 18]]);

    // Block hashes are the same whether a value came from the bytes or from a whole-body parse.
    const redact = (value: JsonValue) => ({ value, findings: {} });
    const viaBytes: BlockLine[] = [];
    const viaParse: BlockLine[] = [];
    const raw = new SessionBlocks(new RedactionMemo(), redact).split(
      'anthropic',
      'messages',
      second,
      viaBytes,
    );
    const parsed = new SessionBlocks(new RedactionMemo(), redact).split(
      'anthropic',
      'messages',
      JSON.parse(body([m1, m2]).toString()) as JsonValue,
      viaParse,
    );
    expect(raw).toStrictEqual(parsed);
    expect(viaBytes).toStrictEqual(viaParse);
  });
});
