// The session view's computations: the waterfall (TTFT, generation, tool time vs idle between requests), token
// totals by kind (null when never reported), tool stats with latency. Plus a guard that the renderer never
// renders a string as HTML.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RequestRow, ToolCallRow } from '../../src-shared/contract.js';
import { tokenTotals, toolStats, waterfall } from '../../src-renderer/lib/session-model.js';

function req(p: Partial<RequestRow>): RequestRow {
  return {
    cost_usd: null,
    cost_status: null,
    id: 'r',
    session_id: 's',
    at: 0,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    client: 'claude_code',
    method: 'POST',
    url: '/v1/messages',
    model_requested: 'm',
    model: 'm',
    stream: 1,
    status: 200,
    outcome: 'completed',
    reason: null,
    error_type: null,
    error_message: null,
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_write_tokens: null,
    reasoning_tokens: null,
    ttfb_ms: null,
    first_content_ms: null,
    duration_ms: null,
    provider_ms: null,
    overhead_ms: null,
    request_bytes: 1,
    response_bytes: 1,
    chunks: 1,
    stop_reason: null,
    finish_reason: 'stop',
    has_refusal: 0,
    tool_call_count: 0,
    prompt_preview: null,
    response_preview: null,
    ended_at: null,
    ...p,
  };
}

describe('waterfall', () => {
  it('splits each request into wait and generation and labels the gaps', () => {
    const w = waterfall(
      [
        req({
          id: 'a',
          at: 0,
          first_content_ms: 200,
          duration_ms: 1000,
          finish_reason: 'tool_calls',
          tool_call_count: 1,
        }),
        req({ id: 'b', at: 1500, first_content_ms: 100, duration_ms: 500 }),
        req({ id: 'c', at: 3000, first_content_ms: 300, duration_ms: 1000 }),
      ],
      0,
    );
    expect(w.span_ms).toBe(4000);
    expect(w.bars.map((b) => b.gap)).toEqual([null, { kind: 'tool', ms: 500 }, { kind: 'idle', ms: 1000 }]);
    expect(w.bars[0]).toMatchObject({ left: 0, wait: 5, gen: 20, ttft_ms: 200, generation_ms: 800 });
    expect(w.totals).toEqual({ ttft_ms: 600, generation_ms: 1900, tool_ms: 500, idle_ms: 1000 });
  });

  it('an in-flight request runs to now', () => {
    const w = waterfall([req({ at: 0, outcome: null, duration_ms: null, ttfb_ms: 100 })], 2000);
    expect(w.bars[0]!.duration_ms).toBe(2000);
    expect(w.span_ms).toBe(2000);
  });
});

describe('token totals', () => {
  it('sums what was reported and keeps null for kinds never reported', () => {
    expect(
      tokenTotals([
        req({ input_tokens: 10, output_tokens: 5 }),
        req({ input_tokens: 3, cache_read_tokens: 100 }),
      ]),
    ).toEqual({ input: 13, output: 5, cache_read: 100, cache_write: null, reasoning: null });
  });
});

describe('tool stats', () => {
  const call = (p: Partial<ToolCallRow>): ToolCallRow => ({
    id: 'c',
    session_id: 's',
    request_id: 'r',
    name: 'Bash',
    kind: 'function',
    arguments_preview: null,
    called_at: 0,
    result_request_id: null,
    result_at: null,
    latency_ms: null,
    is_error: null,
    ...p,
  });
  it('counts calls, answers and errors per tool with latency', () => {
    expect(
      toolStats([
        call({ result_request_id: 'x', latency_ms: 100, is_error: 0 }),
        call({ result_request_id: 'y', latency_ms: 300, is_error: 1 }),
        call({ name: 'Read' }),
      ]),
    ).toEqual([
      { name: 'Bash', calls: 2, errors: 1, answered: 2, avg_latency_ms: 200, max_latency_ms: 300 },
      { name: 'Read', calls: 1, errors: 0, answered: 0, avg_latency_ms: null, max_latency_ms: null },
    ]);
  });
});

describe('the renderer renders strings as text', () => {
  it('has no {@html}, innerHTML, outerHTML, insertAdjacentHTML or document.write', () => {
    const root = path.resolve(import.meta.dirname, '..', '..', 'src-renderer');
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (/\.(svelte|ts)$/.test(e.name)) files.push(path.join(d, e.name));
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8');
      expect(text, f).not.toMatch(/\{@html|innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
      expect(text, f).not.toMatch(/\sstyle="/); // inline style attributes are blocked by the CSP
    }
  });
});
