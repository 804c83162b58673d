// Content-addressed request bodies: re-sent context is stored once per session, and every request rebuilds to
// exactly the JSON that was sent.
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { BlockLine } from '../../src-shared/records.js';
import { RedactionMemo, SessionBlocks, rebuildBody } from '../../src-main/recorder/parse/blocks.js';

const identity = (v: JsonValue) => ({ value: v, findings: {} });

function claudeTurn(n: number): JsonValue {
  const messages: JsonValue[] = [];
  for (let i = 0; i < n; i++) {
    messages.push({ role: 'user', content: [{ type: 'text', text: `question ${i} ` + 'x'.repeat(200) }] });
    messages.push({ role: 'assistant', content: [{ type: 'text', text: `answer ${i}` }] });
  }
  // The newest message carries Claude Code's cache marker; next turn it is history, identical but for the marker.
  messages.push({
    role: 'user',
    content: [
      { type: 'text', text: `question ${n} ` + 'x'.repeat(200), cache_control: { type: 'ephemeral' } },
    ],
  });
  return {
    model: 'claude-sonnet',
    max_tokens: 32000,
    system: [{ type: 'text', text: 'You are Claude Code. ' + 'S'.repeat(20_000) }],
    tools: [
      { name: 'Bash', input_schema: { type: 'object', properties: { command: { $ref: '#/defs/cmd' } } } },
    ],
    messages,
    metadata: { user_id: 'u' },
    stream: true,
  };
}

describe('SessionBlocks', () => {
  it('stores system prompt and tools once, and each message once, across a growing conversation', () => {
    const s = new SessionBlocks(new RedactionMemo(), identity);
    const sizes: number[] = [];
    const all: BlockLine[] = [];
    for (let turn = 0; turn < 20; turn++) {
      const out: BlockLine[] = [];
      const body = claudeTurn(turn);
      const skeleton = s.split('anthropic', 'messages', body, out);
      all.push(...out);
      sizes.push(JSON.stringify(out).length + JSON.stringify(skeleton).length);
      const blocks = new Map(all.map((b) => [b.hash, b.value]));
      // Exact text, key order included (cache_control goes back where it was).
      expect(JSON.stringify(rebuildBody('anthropic', 'messages', skeleton, blocks))).toBe(
        JSON.stringify(body),
      );
    }
    // 20 questions and 19 answers: each message stored once, although the marker moved every turn.
    expect(all.filter((b) => b.kind === 'message')).toHaveLength(39);
    expect(all.filter((b) => b.kind === 'system')).toHaveLength(1);
    expect(all.filter((b) => b.kind === 'tools')).toHaveLength(1);
    // Later turns cost the few new messages (the last one is re-stored because cache_control moves) plus one
    // chain block: flat, although by turn 19 the history alone is ~40 messages / 10 KB.
    expect(sizes[0]).toBeGreaterThan(20_000);
    expect(JSON.stringify(claudeTurn(19)).length).toBeGreaterThan(25_000);
    for (const later of sizes.slice(2)) expect(later).toBeLessThan(2_000);
    expect(Math.max(...sizes.slice(2)) - Math.min(...sizes.slice(2))).toBeLessThan(200);
  });

  it('keeps cache markers short (an ephemeral one last in its part is just the part index) and puts each back', () => {
    const sb = new SessionBlocks(new RedactionMemo(), identity);
    const body = {
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a', cache_control: { type: 'ephemeral' } },
            { type: 'text', cache_control: { type: 'ephemeral' }, text: 'b' },
            { type: 'text', text: 'c', cache_control: { type: 'ephemeral', ttl: '1h' } },
          ],
        },
      ],
    } as JsonValue;
    const out: BlockLine[] = [];
    const skeleton = sb.split('anthropic', 'messages', body, out);
    const chain = out.find((b) => b.kind === 'chain')!.value as { items: { cc: JsonValue[] }[] };
    expect(chain.items[0]!.cc).toEqual([[0], [1, 1], [2, 2, { type: 'ephemeral', ttl: '1h' }]]);
    const blocks = new Map(out.map((b) => [b.hash, b.value]));
    expect(JSON.stringify(rebuildBody('anthropic', 'messages', skeleton, blocks))).toBe(JSON.stringify(body));
  });

  it('keeps a JSON Schema "$ref" inside tools untouched, and the client key order', () => {
    const s = new SessionBlocks(new RedactionMemo(), identity);
    const out: BlockLine[] = [];
    const body = claudeTurn(1) as Record<string, JsonValue>;
    const skeleton = s.split('anthropic', 'messages', body, out) as Record<string, JsonValue>;
    expect(Object.keys(skeleton)).toEqual(Object.keys(body));
    const rebuilt = rebuildBody(
      'anthropic',
      'messages',
      skeleton,
      new Map(out.map((b) => [b.hash, b.value])),
    );
    expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(body));
  });

  it('handles Responses input arrays and Chat messages, and an edited history (branch) still rebuilds', () => {
    const s = new SessionBlocks(new RedactionMemo(), identity);
    const all: BlockLine[] = [];
    const a = {
      model: 'gpt',
      instructions: 'I'.repeat(100),
      input: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: 'b' },
      ],
    };
    const b = {
      model: 'gpt',
      instructions: 'I'.repeat(100),
      input: [
        { role: 'user', content: 'a' },
        { role: 'user', content: 'edited' },
      ],
    };
    for (const body of [a, b]) {
      const out: BlockLine[] = [];
      const sk = s.split('openai', 'responses', body as JsonValue, out);
      all.push(...out);
      expect(rebuildBody('openai', 'responses', sk, new Map(all.map((x) => [x.hash, x.value])))).toEqual(
        body,
      );
    }
    const chat = {
      model: 'gpt',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hi' },
      ],
    };
    const out: BlockLine[] = [];
    const sk = s.split('openai', 'chat_completions', chat as JsonValue, out);
    expect(
      rebuildBody('openai', 'chat_completions', sk, new Map([...all, ...out].map((x) => [x.hash, x.value]))),
    ).toEqual(chat);
  });

  it('hashes the redacted value, so a stored hash cannot confirm a guessed secret', () => {
    const redact = (v: JsonValue) => ({
      value: JSON.parse(JSON.stringify(v).replace(/4111111111111111/g, '[CREDIT_CARD]')) as JsonValue,
      findings: {},
    });
    const s1 = new SessionBlocks(new RedactionMemo(), redact);
    const s2 = new SessionBlocks(new RedactionMemo(), redact);
    const o1: BlockLine[] = [];
    const o2: BlockLine[] = [];
    s1.split(
      'openai',
      'chat_completions',
      { messages: [{ role: 'user', content: 'card 4111111111111111' }] },
      o1,
    );
    s2.split(
      'openai',
      'chat_completions',
      { messages: [{ role: 'user', content: 'card [CREDIT_CARD]' }] },
      o2,
    );
    expect(JSON.stringify(o1)).not.toContain('4111111111111111');
    expect(o1.find((b) => b.kind === 'message')!.hash).toBe(o2.find((b) => b.kind === 'message')!.hash);
  });

  it('keeps only hashes of values redaction left alone, and a bounded amount of the values it changed', () => {
    const redact = (v: JsonValue): { value: JsonValue; findings: Record<string, number> } => {
      const text = JSON.stringify(v);
      if (!text.includes('secret')) return { value: v, findings: {} };
      return { value: JSON.parse(text.replace(/secret/g, '[SECRET]')) as JsonValue, findings: { secret: 1 } };
    };
    const memo = new RedactionMemo(100, 10_000);
    const s = new SessionBlocks(memo, redact);
    const out: BlockLine[] = [];
    const big = 'x'.repeat(5_000);
    for (let i = 0; i < 50; i++)
      s.split(
        'openai',
        'chat_completions',
        { messages: [{ role: 'user', content: `plain ${i} ${big}` }] },
        out,
      );
    // Fifty 5 KB messages with nothing to redact: fifty hashes, no values held.
    expect(memo.size).toEqual({ entries: 50, valueBytes: 0 });
    for (let i = 0; i < 10; i++)
      s.split(
        'openai',
        'chat_completions',
        { messages: [{ role: 'user', content: `secret ${i} ${big}` }] },
        out,
      );
    // Ten changed values of ~5 KB each: only the newest that fit in 10 000 bytes stay.
    expect(memo.size.valueBytes).toBeLessThanOrEqual(10_000);
    expect(memo.size.valueBytes).toBeGreaterThan(5_000);
    for (let i = 0; i < 200; i++)
      s.split('openai', 'chat_completions', { messages: [{ role: 'user', content: `more ${i}` }] }, out);
    expect(memo.size.entries).toBe(100);
    // A value seen again (memo hit or not) still gives the same redacted block and hash.
    const again: BlockLine[] = [];
    const t = new SessionBlocks(memo, redact);
    t.split(
      'openai',
      'chat_completions',
      { messages: [{ role: 'user', content: `secret 9 ${big}` }] },
      again,
    );
    t.split(
      'openai',
      'chat_completions',
      { messages: [{ role: 'user', content: `plain 49 ${big}` }] },
      again,
    );
    const first = out.filter((b) => b.kind === 'message');
    for (const b of again.filter((x) => x.kind === 'message')) {
      const same = first.find((x) => x.hash === b.hash)!;
      expect(same.value).toEqual(b.value);
    }
    expect(JSON.stringify(again)).toContain('[SECRET] 9');
    expect(JSON.stringify(again)).not.toContain('"secret 9');
  });
});
