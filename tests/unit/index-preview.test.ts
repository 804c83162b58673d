// The previews the indexer stores (prompt, response, error message): whitespace runs collapsed, trimmed, cut to
// 280 characters with an ellipsis. A long text's preview is read from its start alone and must equal the whole
// text's.
import { describe, expect, it } from 'vitest';
import { statementsFor } from '../../src-main/index/indexer.js';
import type { RequestLine } from '../../src-shared/records.js';

const reference = (text: string, max = 280): string => {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
};

const promptPreview = (prompt: string): unknown => {
  const line = {
    type: 'request',
    v: 1,
    id: 'r1',
    session_id: 's1',
    at: 1,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages',
    client: 'claude_code',
    body: {},
    body_bytes: 1,
    model: 'm',
    stream: false,
    prompt,
    tool_count: 0,
    tool_results: [],
  } as unknown as RequestLine;
  return statementsFor(line, 'd/s1.jsonl')[0]!.params[12];
};

describe('previews', () => {
  it('equal the whole text collapsed and cut, for long texts with whitespace runs anywhere', () => {
    const pieces = ['word', ' ', '  \n\t ', '\u00a0', 'é', '😀', '\r\n', 'x'.repeat(300), ' '.repeat(1200)];
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const len = next() % 4000;
      while (text.length < len) text += pieces[next() % pieces.length];
      expect(promptPreview(text), JSON.stringify(text.slice(0, 80))).toBe(text ? reference(text) : null);
    }
    // Around the cut: a start that collapses to about 280 characters, then a long run of spaces and more text.
    for (let k = 250; k <= 290; k++) {
      for (const text of ['a'.repeat(k) + ' '.repeat(1200) + 'tail', 'a'.repeat(k) + ' '.repeat(1200)])
        expect(promptPreview(text), `k = ${k}`).toBe(reference(text));
    }
    expect(promptPreview(' '.repeat(1119) + 'a b')).toBe('a b');
    expect(promptPreview('a' + ' '.repeat(2000) + 'b')).toBe('a b');
  });
});
