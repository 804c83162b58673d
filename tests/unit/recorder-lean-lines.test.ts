// The lean (v2) line format's two directions, without a proxy: an Anthropic response's content comes back
// exactly from the assistant message block plus its fixes (thinking, spaced tool arguments, a refusal, a cut
// tool call, kept deltas), response headers come back from their shared block plus the per-response values,
// and usage comes back from the provider's raw object by each dialect's rules.
import { describe, expect, it } from 'vitest';
import type { ContentBlock, JsonValue } from '../../src-shared/exchange.js';
import {
  contentFixes,
  fromAnthropicMessage,
  spacedJson,
  toAnthropicMessage,
} from '../../src-main/recorder/parse/assistant-message.js';
import { round1 } from '../../src-main/recorder/lean-lines.js';
import { joinHeaders, splitHeaders } from '../../src-main/recorder/lean-response.js';
import { usageFromRaw } from '../../src-main/recorder/parse/usage.js';

const content: ContentBlock[] = [
  { type: 'thinking', thinking: 'Let me look.', signature: 'sig==' },
  { type: 'text', text: 'Reading the file.' },
  {
    type: 'tool_call',
    kind: 'function',
    id: 'toolu_1',
    name: 'Read',
    arguments: '{"file_path":"/a.ts","limit":[1,2]}',
    input: { file_path: '/a.ts', limit: [1, 2] },
    parseError: null,
  },
  {
    type: 'tool_call',
    kind: 'function',
    id: 'toolu_2',
    name: 'Bash',
    arguments: '{"command": "ls", "opts": {"a": [1, 2]}}',
    input: { command: 'ls', opts: { a: [1, 2] } },
    parseError: null,
  },
  {
    type: 'tool_call',
    kind: 'function',
    id: 'toolu_3',
    name: 'Edit',
    arguments: '{"file_pa',
    parseError: 'Unexpected end of JSON input',
  },
  { type: 'refusal', refusal: 'No.' },
  { type: 'redacted_thinking', data: 'opaque' },
  { type: 'other', rawType: 'web_search_tool_result', raw: { type: 'web_search_tool_result', x: 1 } },
  {
    type: 'other',
    rawType: 'new_block',
    raw: { type: 'new_block' },
    deltas: [{ type: 'new_delta', v: 1 }],
  },
];

describe('assistant message blocks', () => {
  it('hold the content as the client re-sends it and give it back exactly with the fixes', () => {
    const message = toAnthropicMessage(content);
    expect(message).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Let me look.', signature: 'sig==' },
        { type: 'text', text: 'Reading the file.' },
        { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a.ts', limit: [1, 2] } },
        { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'ls', opts: { a: [1, 2] } } },
        { type: 'tool_use', id: 'toolu_3', name: 'Edit', input: {} },
        { type: 'text', text: 'No.' },
        { type: 'redacted_thinking', data: 'opaque' },
        { type: 'web_search_tool_result', x: 1 },
        { type: 'new_block' },
      ],
    });
    const fixes = contentFixes(content, message);
    // Only what the message cannot say: Anthropic-style spacing, the cut call, the refusal, the kept deltas.
    expect(fixes.map((f) => [f.i, 'args' in f ? f.args : 'block'])).toEqual([
      [3, 'spaced'],
      [4, 'block'],
      [5, 'block'],
      [8, 'block'],
    ]);
    const back = fromAnthropicMessage(JSON.parse(JSON.stringify(message)) as JsonValue, fixes);
    expect(JSON.stringify(back)).toBe(JSON.stringify(content));
  });

  it('need no fixes for a plain answer, and a tool input in Anthropic spacing is recognised', () => {
    const plain: ContentBlock[] = [{ type: 'text', text: 'Hello from the fake provider.' }];
    expect(contentFixes(plain, toAnthropicMessage(plain))).toEqual([]);
    expect(spacedJson({ a: [1, { b: 'x' }], c: {} })).toBe('{"a": [1, {"b": "x"}], "c": {}}');
  });
});

describe('response headers', () => {
  it('share one block across responses, keeping what changes on each line', () => {
    const first = { 'content-type': 'text/event-stream', 'request-id': 'req_1', date: 'D1', via: 'a' };
    const second = { 'content-type': 'text/event-stream', 'request-id': 'req_2', date: 'D2', via: 'b' };
    const a = splitHeaders(first, null);
    const b = splitHeaders(second, first);
    expect(a.base).toEqual({ 'content-type': 'text/event-stream', 'request-id': null, date: null, via: 'a' });
    expect(a.vars).toEqual({ 'request-id': 'req_1', date: 'D1' });
    // `via` changed since the last response: its value moves to the line.
    expect(b.vars).toEqual({ 'request-id': 'req_2', date: 'D2', via: 'b' });
    expect(JSON.stringify(joinHeaders(a.base as JsonValue, a.vars))).toBe(JSON.stringify(first));
    expect(JSON.stringify(joinHeaders(b.base as JsonValue, b.vars))).toBe(JSON.stringify(second));
    // Rate-limit headers are always per response (fully recoverable for plan-limit readers).
    expect(splitHeaders({ 'anthropic-ratelimit-tokens-remaining': '9' }, null).vars).toEqual({
      'anthropic-ratelimit-tokens-remaining': '9',
    });
  });
});

describe('usage from the raw object', () => {
  it('gives each dialect its normalised counts back', () => {
    const anthropic = {
      input_tokens: 4,
      cache_creation_input_tokens: 10,
      cache_read_input_tokens: 20,
      output_tokens: 5,
    };
    expect(usageFromRaw('anthropic', 'messages', anthropic)).toEqual({
      input: 4,
      cacheRead: 20,
      cacheWrite: 10,
      output: 5,
      reasoning: null,
      raw: anthropic,
    });
    const chat = { prompt_tokens: 30, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 10 } };
    expect(usageFromRaw('openai', 'chat_completions', chat)).toMatchObject({
      input: 20,
      cacheRead: 10,
      output: 7,
    });
    const responses = { input_tokens: 30, output_tokens: 7, input_tokens_details: { cached_tokens: 10 } };
    expect(usageFromRaw('openai', 'responses', responses)).toMatchObject({
      input: 20,
      cacheRead: 10,
      output: 7,
    });
    expect(usageFromRaw('anthropic', 'messages', null).input).toBeNull();
    expect(round1(12.345678)).toBe(12.3);
    expect(round1(null)).toBeNull();
  });
});
