// The Analytics view's three time charts as data: one column per bucket, each a stack of coloured segments,
// for tokens (by kind, or split by model or client), priced cost (marked where unpriced requests are left out,
// never drawn as $0) and requests (completed, errors, interrupted). Pure: unit-tested; BarChart.svelte draws
// what these return.
import type { Analytics } from '../../src-shared/contract.js';
import { clientLabel, cost, projectName, tokens } from './format.js';

type Point = Analytics['series'][number];
type Split = Analytics['split_by_model'];
type Bucket = Analytics['bucket'];

/** How the token and cost charts are split: by token kind (tokens only), model, client, project, or branch. */
export type SplitBy = 'kind' | 'model' | 'client' | 'project' | 'branch';

export interface ChartSegment {
  label: string;
  value: number;
  color: string;
}

export interface ChartColumn {
  /** Bucket start (ms since the epoch); the column's key. */
  t: number;
  /** Axis label: "14:00" for hours, "Dec 7" for days. */
  tick: string;
  /** The column's tooltip: the bucket and its numbers. */
  title: string;
  /** Bottom to top; segments of 0 are not drawn. */
  segments: ChartSegment[];
  /** A marker above the column: the bucket leaves something out (unpriced requests). */
  marked: boolean;
}

export interface LegendItem {
  label: string;
  color: string;
}

export interface BarChartData {
  columns: ChartColumn[];
  /** The top of the scale, in the segments' unit; 0 draws no bars. */
  max: number;
  legend: LegendItem[];
}

export const TOKEN_KINDS = [
  { key: 'input_tokens', label: 'Input', color: 'var(--accent)' },
  { key: 'cache_read_tokens', label: 'Cache read', color: 'var(--ok)' },
  { key: 'cache_write_tokens', label: 'Cache write', color: 'var(--tool)' },
  { key: 'output_tokens', label: 'Output', color: 'var(--stream)' },
] as const;

export const SPLIT_COLORS = [
  'var(--accent)',
  'var(--ok)',
  'var(--tool)',
  'var(--stream)',
  'var(--warn)',
  'var(--muted)',
];

/** All tokens of a point or group: input, output, cache reads and writes. */
export function tokSum(p: {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}): number {
  return p.input_tokens + p.output_tokens + p.cache_read_tokens + p.cache_write_tokens;
}

export function bucketLabel(t: number, bucket: Bucket): string {
  const d = new Date(t);
  return bucket === 'hour'
    ? `${String(d.getHours()).padStart(2, '0')}:00`
    : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function bucketTitle(t: number, bucket: Bucket): string {
  const d = new Date(t);
  return bucket === 'hour'
    ? d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
}

/** The split series for a choice, or null for "by token kind". */
export function splitOf(data: Analytics, by: SplitBy): Split | null {
  if (by === 'model') return data.split_by_model;
  if (by === 'client') return data.split_by_client;
  if (by === 'project') return data.split_by_project;
  if (by === 'branch') return data.split_by_branch;
  return null;
}

/** A split key as shown: client kinds get their names ("claude_code" → "Claude Code"), projects their last
 * path segment ("/home/me/src/app" → "app"). */
export function splitLabel(key: string, by: SplitBy): string {
  if (by === 'client') return clientLabel(key);
  if (by === 'project' && key !== 'other' && key !== '(none)') return projectName(key);
  return key;
}

export function splitLegend(split: Split, by: SplitBy): LegendItem[] {
  return split.keys.map((k, i) => ({
    label: splitLabel(k, by),
    color: SPLIT_COLORS[i % SPLIT_COLORS.length]!,
  }));
}

function splitSegments(values: readonly number[], legend: readonly LegendItem[]): ChartSegment[] {
  return values.map((value, i) => ({
    value,
    label: legend[i]?.label ?? '',
    color: legend[i]?.color ?? 'var(--muted)',
  }));
}

function column(
  p: Point,
  bucket: Bucket,
  title: string,
  segments: ChartSegment[],
  marked = false,
): ChartColumn {
  return {
    t: p.t,
    tick: bucketLabel(p.t, bucket),
    title: `${bucketTitle(p.t, bucket)}: ${title}`,
    segments,
    marked,
  };
}

/** Tokens per bucket, stacked by kind, or by the split's keys. */
export function tokenChart(data: Analytics, by: SplitBy): BarChartData {
  const split = splitOf(data, by);
  const legend = split ? splitLegend(split, by) : TOKEN_KINDS.map(({ label, color }) => ({ label, color }));
  return {
    max: Math.max(1, ...data.series.map(tokSum)),
    legend,
    columns: data.series.map((p, i) =>
      column(
        p,
        data.bucket,
        `${tokens(tokSum(p))} tokens — input ${tokens(p.input_tokens)}, cache read ${tokens(p.cache_read_tokens)}, ` +
          `cache write ${tokens(p.cache_write_tokens)}, output ${tokens(p.output_tokens)}`,
        split
          ? splitSegments(split.points[i]?.tokens ?? [], legend)
          : TOKEN_KINDS.map((k) => ({ label: k.label, value: p[k.key], color: k.color })),
      ),
    ),
  };
}

/** Priced cost per bucket (one bar, or stacked by the split's keys); buckets with unpriced requests are marked. */
export function costChart(data: Analytics, by: SplitBy): BarChartData {
  const split = splitOf(data, by);
  const legend = split ? splitLegend(split, by) : [{ label: 'Priced cost', color: 'var(--accent)' }];
  return {
    max: Math.max(0, ...data.series.map((p) => p.cost_usd)),
    legend,
    columns: data.series.map((p, i) => {
      const amount =
        p.priced_requests === 0 && p.unpriced_requests > 0
          ? 'unpriced'
          : cost(p.cost_usd, p.unpriced_requests).text;
      const left =
        p.unpriced_requests > 0 ? ` (${p.unpriced_requests} unpriced request(s) not included)` : '';
      const segments = split
        ? splitSegments(split.points[i]?.cost_usd ?? [], legend)
        : [{ ...legend[0]!, value: p.cost_usd }];
      return column(p, data.bucket, `${amount}${left}`, segments, p.unpriced_requests > 0);
    }),
  };
}

/** Requests per bucket: completed, errors and interruptions stacked. */
export function requestChart(data: Analytics): BarChartData {
  const legend = [
    { label: 'Completed', color: 'var(--accent)' },
    { label: 'Errors', color: 'var(--err)' },
    { label: 'Interrupted', color: 'var(--warn)' },
  ];
  return {
    max: Math.max(1, ...data.series.map((p) => p.requests)),
    legend,
    columns: data.series.map((p) =>
      column(
        p,
        data.bucket,
        `${p.requests} requests — ${p.errors} errors, ${p.interruptions} interrupted`,
        [Math.max(0, p.requests - p.errors - p.interruptions), p.errors, p.interruptions].map((value, i) => ({
          ...legend[i]!,
          value,
        })),
      ),
    ),
  };
}
