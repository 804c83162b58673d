// The comparison of an original and its replay, from their recorded lines: line diff of the response text, tool
// calls matched by name and arguments, stop reason, outcome, token and cost deltas (null when unknown, never 0).
import { describe, expect, it } from 'vitest';
import type { ContentBlock } from '../../src-shared/exchange.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import { buildComparison, sideOf } from '../../src-main/replay/compare.js';
import { diffLines } from '../../src-main/replay/text-diff.js';
import { requestCost } from '../../src-main/analytics/cost.js';

function req(id: string, over: Partial<RequestLine> = {}): RequestLine {
  return {
    type: 'request',
    v: 1,
    id,
    session_id: 's',
    at: 1000,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages',
    upstream_url: 'u',
    client: 'sdk',
    headers_ref: null,
    credential_source: 'client',
    body: {},
    body_text: null,
    body_bytes: 1,
    body_truncated: false,
    body_encoding: null,
    model: 'claude-sonnet-4-5',
    stream: false,
    prompt: 'p',
    message_count: 1,
    tool_count: 0,
    system_chars: 0,
    tool_results: [],
    ...over,
  };
}

function res(id: string, content: ContentBlock[], over: Partial<ResponseLine> = {}): ResponseLine {
  return {
    type: 'response',
    v: 1,
    id,
    session_id: 's',
    at: 2000,
    status: 200,
    headers: null,
    outcome: 'completed',
    reason: null,
    error: null,
    response: {
      dialect: 'anthropic',
      endpoint: 'messages',
      streamed: false,
      complete: true,
      id: 'm',
      model: null,
      role: 'assistant',
      content,
      stopReason: 'end_turn',
      stopDetail: null,
      finishReason: 'stop',
      usage: { input: 10, cacheRead: null, cacheWrite: null, output: 5, reasoning: null, raw: null },
      error: null,
      hasRefusal: false,
      counts: { events: 1, chunks: 1, bytes: 1, parseErrors: 0, keepalives: 0 },
      firstContentAtMs: null,
    },
    body_text: null,
    model: 'claude-sonnet-4-5',
    usage: { input: 10, cacheRead: null, cacheWrite: null, output: 5, reasoning: null, raw: null },
    stop_reason: 'end_turn',
    timings: { ttfb_ms: 100, first_content_ms: 120, duration_ms: 400, provider_ms: 390, overhead_ms: 1 },
    response_bytes: 10,
    chunks: 1,
    truncated: false,
    ...over,
  };
}

const text = (t: string): ContentBlock => ({ type: 'text', text: t });
const call = (name: string, args: string): ContentBlock => ({
  type: 'tool_call',
  kind: 'function',
  id: `id-${name}-${args}`,
  name,
  arguments: args,
  parseError: null,
});

describe('diffLines', () => {
  it('marks kept, removed and added lines around a change', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nB\nc\nd\ne').lines).toEqual([
      { op: '=', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'B' },
      { op: '=', text: 'c' },
      { op: '=', text: 'd' },
      { op: '+', text: 'e' },
    ]);
    expect(diffLines('same', 'same')).toEqual({ lines: [{ op: '=', text: 'same' }], truncated: false });
    expect(diffLines('', 'new').lines).toEqual([{ op: '+', text: 'new' }]);
  });

  it('shows a middle too big for the table as removed then added, and says so', () => {
    const a = Array.from({ length: 2100 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 2100 }, (_, i) => `b${i}`).join('\n');
    const d = diffLines(`head\n${a}\ntail`, `head\n${b}\ntail`);
    expect(d.truncated).toBe(true);
    expect(d.lines[0]).toEqual({ op: '=', text: 'head' });
    expect(d.lines[1]).toEqual({ op: '-', text: 'a0' });
    expect(d.lines[2101]).toEqual({ op: '+', text: 'b0' });
    expect(d.lines.at(-1)).toEqual({ op: '=', text: 'tail' });
  });
});

describe('buildComparison', () => {
  it('puts the recorded facts side by side and computes the differences', () => {
    const c = buildComparison(
      { request: req('o'), response: res('o', [text('Hello'), call('Bash', '{"command":"ls"}')]) },
      {
        request: req('r', { replay_of: 'o', model: 'claude-haiku-4-5', session_id: 'replay-s' }),
        response: res('r', [text('Hi'), call('Bash', '{"command":"ls -la"}')], {
          model: 'claude-haiku-4-5',
          stop_reason: 'tool_use',
          usage: { input: 10, cacheRead: null, cacheWrite: null, output: 9, reasoning: null, raw: null },
          timings: {
            ttfb_ms: 50,
            first_content_ms: null,
            duration_ms: 300,
            provider_ms: null,
            overhead_ms: null,
          },
        }),
      },
    );
    expect(c.original).toMatchObject({ request_id: 'o', replay_of: null, text: 'Hello', ttft_ms: 120 });
    expect(c.replay).toMatchObject({
      request_id: 'r',
      replay_of: 'o',
      session_id: 'replay-s',
      model: 'claude-haiku-4-5',
      ttft_ms: 50,
      tool_calls: [{ name: 'Bash', arguments: '{"command":"ls -la"}' }],
    });
    expect(c.original.cost_usd).toBe(
      requestCost({
        model: 'claude-sonnet-4-5',
        usage: { input: 10, output: 5, cacheRead: null, cacheWrite: null },
      }).usd,
    );
    expect(c.diff.text).toEqual({
      same: false,
      lines: [
        { op: '-', text: 'Hello' },
        { op: '+', text: 'Hi' },
      ],
      truncated: false,
    });
    expect(c.diff.tool_calls).toEqual({
      same: false,
      removed: [{ name: 'Bash', arguments: '{"command":"ls"}' }],
      added: [{ name: 'Bash', arguments: '{"command":"ls -la"}' }],
    });
    expect(c.diff).toMatchObject({
      stop_reason: { same: false },
      outcome: { same: true },
      model: { same: false },
      tokens: { input: 0, output: 4, cache_read: null, cache_write: null, reasoning: null },
      ttft_ms: -70,
      duration_ms: -100,
    });
    expect(c.diff.cost_usd).toBeCloseTo(c.replay.cost_usd! - c.original.cost_usd!, 10);
  });

  it('shows a failed replay with its error and status, and no cost when no usage came back', () => {
    const failed = res('r', [], {
      status: 429,
      outcome: 'failed',
      reason: 'upstream_status',
      error: { type: 'rate_limit_error', code: null, message: 'Rate limited', status: 429 },
      response: null,
      usage: { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null },
      stop_reason: null,
    });
    const side = sideOf({ request: req('r', { replay_of: 'o' }), response: failed });
    expect(side).toMatchObject({
      outcome: 'failed',
      status: 429,
      error: 'Rate limited',
      text: '',
      cost_usd: null,
      cost_status: 'no_usage',
    });
    expect(sideOf({ request: req('x'), response: null })).toMatchObject({
      outcome: null,
      status: null,
      cost_usd: null,
    });
  });

  it('treats the same calls in the same order as the same, whatever their ids', () => {
    const c = buildComparison(
      { request: req('o'), response: res('o', [call('A', '{}'), call('B', '{"x":1}')]) },
      { request: req('r'), response: res('r', [call('A', '{}'), call('B', '{"x":1}')]) },
    );
    expect(c.diff.tool_calls).toEqual({ same: true, removed: [], added: [] });
    expect(c.diff.text.same).toBe(true);
  });
});
