// The worker's per-request aggregates keep their labels bounded, and the test parser is strict.
import { describe, expect, it } from 'vitest';
import { RecordedMetrics } from '../../src-main/otel/aggregate.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import { parsePrometheus } from '../support/prom-parse.js';

function pair(i: number, model: string, tool: string): [RequestLine, ResponseLine] {
  const rq = {
    type: 'request',
    id: `r${i}`,
    session_id: 's',
    at: 1000,
    dialect: 'anthropic',
    endpoint: 'messages',
    client: 'sdk',
    model,
    tool_results: [],
  } as unknown as RequestLine;
  const rs = {
    type: 'response',
    id: `r${i}`,
    session_id: 's',
    at: 2000,
    outcome: 'completed',
    model,
    usage: { input: 1, output: 1, cacheRead: null, cacheWrite: null, reasoning: null, raw: null },
    timings: { first_content_ms: 10 },
    response: {
      content: [{ type: 'tool_call', kind: 'function', id: `t${i}`, name: tool, arguments: '{}' }],
    },
  } as unknown as ResponseLine;
  return [rq, rs];
}

describe('RecordedMetrics', () => {
  it('caps model families at 40 and tool names at 50, then "other"', () => {
    const m = new RecordedMetrics();
    for (let i = 0; i < 60; i++) {
      const [rq, rs] = pair(i, `model-${i}-20250101`, `tool-${i}`);
      m.observe(rq);
      m.observe(rs);
    }
    const snap = m.snapshot();
    const families = new Set(snap.counters.tokens!.map(([l]) => l[2]));
    expect(families.size).toBe(41);
    expect(families.has('other')).toBe(true);
    expect(families.has('model-0')).toBe(true); // snapshot date removed
    const tools = snap.counters.toolCalls!;
    expect(tools).toHaveLength(51);
    expect(tools.find(([l]) => l[0] === 'other')![1]).toBe(10);
  });
});

describe('parsePrometheus', () => {
  const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{l="q\\"\\\\\\n"} 1\n';
  it('reads label escapes', () => {
    expect(parsePrometheus(ok).get('a_total')!.samples[0]!.labels['l']).toBe('q"\\\n');
  });
  it('rejects duplicates, untyped samples, bad escapes and inconsistent histograms', () => {
    expect(() => parsePrometheus(ok + 'a_total{l="q\\"\\\\\\n"} 2\n')).toThrow(/duplicate/);
    expect(() => parsePrometheus('b 1\n')).toThrow(/without a TYPE/);
    expect(() => parsePrometheus('# TYPE a counter\na{l="\\t"} 1\n')).toThrow(/bad escape/);
    const h = (inf: number): string =>
      `# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} ${inf}\nh_sum 1\nh_count 2\n`;
    expect(() => parsePrometheus(h(2))).not.toThrow();
    expect(() => parsePrometheus(h(3))).toThrow(/≠ _count/);
  });
});
