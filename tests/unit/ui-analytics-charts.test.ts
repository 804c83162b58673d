// The Analytics view's time charts as data (src-renderer/lib/analytics-charts.ts): one column per bucket, stacks
// in a fixed order with the legend's colours, splits by model or client, unpriced buckets marked and never
// called $0, and the shares and money the view prints.
import { describe, expect, it } from 'vitest';
import type { Analytics } from '../../src-shared/contract.js';
import { costChart, requestChart, tokenChart, tokSum } from '../../src-renderer/lib/analytics-charts.js';
import { money, pct } from '../../src-renderer/lib/format.js';

type Point = Analytics['series'][number];

function point(t: number, p: Partial<Point> = {}): Point {
  return {
    t,
    requests: 0,
    errors: 0,
    interruptions: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: 0,
    priced_requests: 0,
    unpriced_requests: 0,
    ...p,
  };
}

const T0 = new Date(2025, 11, 7, 14).getTime();
const HOUR = 3_600_000;

function analytics(series: Point[], p: Partial<Analytics> = {}): Analytics {
  const empty = { keys: [], points: [] };
  return {
    bucket: 'hour',
    series,
    split_by_model: empty,
    split_by_client: empty,
    ...p,
  } as unknown as Analytics;
}

const series = [
  point(T0, {
    requests: 4,
    errors: 1,
    input_tokens: 100,
    cache_read_tokens: 400,
    cache_write_tokens: 50,
    output_tokens: 30,
    cost_usd: 0.002,
    priced_requests: 2,
    unpriced_requests: 1,
  }),
  point(T0 + HOUR, { requests: 1, interruptions: 1, input_tokens: 20, output_tokens: 0 }),
];

describe('the Analytics time charts', () => {
  it('stack tokens by kind, bottom to top: input, cache read, cache write, output', () => {
    const chart = tokenChart(analytics(series), 'kind');
    expect(chart.max).toBe(580);
    expect(chart.legend.map((l) => l.label)).toEqual(['Input', 'Cache read', 'Cache write', 'Output']);
    expect(chart.columns).toHaveLength(2);
    const [first] = chart.columns;
    expect(first!.tick).toBe('14:00');
    expect(first!.segments.map((s) => [s.label, s.value])).toEqual([
      ['Input', 100],
      ['Cache read', 400],
      ['Cache write', 50],
      ['Output', 30],
    ]);
    expect(first!.title).toMatch(/: 580 tokens — input 100, cache read 400, cache write 50, output 30$/);
    expect(first!.segments.map((s) => s.color)).toEqual(chart.legend.map((l) => l.color));
  });

  it('split tokens and cost by client, named as users know them, with one colour per key', () => {
    const split = {
      keys: ['claude_code', 'codex'],
      points: [
        { t: T0, tokens: [500, 80], cost_usd: [0.0015, 0.0005] },
        { t: T0 + HOUR, tokens: [0, 20], cost_usd: [0, 0] },
      ],
    };
    const data = analytics(series, { split_by_client: split });
    const tokens = tokenChart(data, 'client');
    expect(tokens.legend.map((l) => l.label)).toEqual(['Claude Code', 'Codex']);
    expect(new Set(tokens.legend.map((l) => l.color)).size).toBe(2);
    expect(tokens.columns[0]!.segments.map((s) => [s.label, s.value])).toEqual([
      ['Claude Code', 500],
      ['Codex', 80],
    ]);
    const cost = costChart(data, 'client');
    expect(cost.legend).toEqual(tokens.legend);
    expect(cost.columns[0]!.segments.map((s) => s.value)).toEqual([0.0015, 0.0005]);
    // By kind there is no split for cost: one priced bar.
    expect(costChart(data, 'kind').columns[0]!.segments.map((s) => s.label)).toEqual(['Priced cost']);
  });

  it('mark the buckets whose cost leaves unpriced requests out, and never call them $0', () => {
    const chart = costChart(
      analytics([...series, point(T0 + 2 * HOUR, { requests: 1, unpriced_requests: 1 })]),
      'kind',
    );
    expect(chart.max).toBe(0.002);
    expect(chart.columns.map((c) => c.marked)).toEqual([true, false, true]);
    expect(chart.columns[0]!.title).toMatch(/: \$0\.0020\+ \(1 unpriced request\(s\) not included\)$/);
    expect(chart.columns[2]!.title).toMatch(/: unpriced \(1 unpriced request\(s\) not included\)$/);
    expect(chart.columns[2]!.title).not.toContain('$0');
  });

  it('stack requests as completed, errors and interrupted', () => {
    const chart = requestChart(analytics(series));
    expect(chart.max).toBe(4);
    expect(chart.columns.map((c) => c.segments.map((s) => s.value))).toEqual([
      [3, 1, 0],
      [0, 0, 1],
    ]);
    expect(chart.columns[1]!.title).toMatch(/: 1 requests — 0 errors, 1 interrupted$/);
  });

  it('keep a scale of at least 1 token and 1 request when there is nothing to draw', () => {
    const data = analytics([point(T0)]);
    expect(tokenChart(data, 'kind').max).toBe(1);
    expect(requestChart(data).max).toBe(1);
    expect(costChart(data, 'kind').max).toBe(0);
  });

  it('label day buckets with a date', () => {
    const chart = requestChart(analytics(series, { bucket: 'day' }));
    expect(chart.columns[0]!.tick).toMatch(/Dec/);
  });
});

describe('the Analytics numbers', () => {
  it('sum all token kinds, print shares as percents and unknown cost as unpriced', () => {
    expect(tokSum(series[0]!)).toBe(580);
    expect([pct(null), pct(0.6896), pct(0.123, 1)]).toEqual(['–', '69%', '12.3%']);
    expect([money(0, 2, 0), money(0.002, 1, 2), money(1.5)]).toEqual(['unpriced', '$0.0020+', '$1.50']);
  });
});
