// Per-request aggregates for Prometheus, computed in the recorder worker from the lines it writes (so from
// redacted data, and off the proxy's thread). The worker sends a cumulative snapshot with its `stats` message;
// ProxyMetrics renders it at scrape time. Every label is bounded: dialect, client kind, outcome and token kind
// are closed sets; model families, tool names and detectors keep the first N distinct values, then "other".
// Unknown items (client drift) are counted by dialect and kind only: their names never become labels.
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import { requestCost } from '../analytics/cost.js';
import { bundledPrices, normalizeModel, type Prices } from '../analytics/prices.js';
import type { OtelStats } from './exporter.js';

export const TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];
export const TOOL_LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

export interface RecordedMetricDef {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  labels: readonly string[];
  buckets?: readonly number[];
}

export const RECORDED_METRICS = {
  tokens: {
    name: 'lunaroute_tokens_total',
    help: 'Tokens of recorded responses, by dialect, client, model family and kind (input excludes cache reads and writes; reasoning is part of output).',
    type: 'counter',
    labels: ['dialect', 'client', 'model_family', 'kind'],
  },
  cost: {
    name: 'lunaroute_cost_usd_total',
    help: 'Estimated cost in USD of recorded requests whose cost is fully known (priced models with usage).',
    type: 'counter',
    labels: ['dialect', 'client', 'model_family'],
  },
  unpriced: {
    name: 'lunaroute_requests_unpriced_total',
    help: 'Recorded requests with usage whose cost is not (fully) known: unpriced model, or partial usage.',
    type: 'counter',
    labels: [],
  },
  toolCalls: {
    name: 'lunaroute_tool_calls_total',
    help: 'Tool calls asked for by recorded responses, by tool name (first 50 names, then "other").',
    type: 'counter',
    labels: ['tool'],
  },
  toolLatency: {
    name: 'lunaroute_tool_latency_seconds',
    help: 'From the end of the response that asked for a tool to the request carrying its result.',
    type: 'histogram',
    labels: ['tool'],
    buckets: TOOL_LATENCY_BUCKETS,
  },
  ttft: {
    name: 'lunaroute_time_to_first_token_seconds',
    help: 'From request arrival to the first content delta (text, thinking, tool arguments) of recorded responses.',
    type: 'histogram',
    labels: ['dialect'],
    buckets: TTFT_BUCKETS,
  },
  recorded: {
    name: 'lunaroute_recorded_requests_total',
    help: 'Recorded requests, by dialect and outcome (completed, failed, interrupted).',
    type: 'counter',
    labels: ['dialect', 'outcome'],
  },
  unknownItems: {
    name: 'lunaroute_unknown_items_total',
    help: 'Occurrences of event, block and delta types and fields the parsers did not recognise in recorded responses (kept as received), by dialect and kind.',
    type: 'counter',
    labels: ['dialect', 'kind'],
  },
  redactions: {
    name: 'lunaroute_redactions_total',
    help: 'Values replaced by the redactor in what was recorded, by detector.',
    type: 'counter',
    labels: ['detector'],
  },
  otelExported: {
    name: 'lunaroute_otel_spans_exported_total',
    help: 'Request spans accepted by the OpenTelemetry collector (otel.endpoint).',
    type: 'counter',
    labels: [],
  },
  otelDropped: {
    name: 'lunaroute_otel_spans_dropped_total',
    help: 'Request spans not exported: the queue was full, or every attempt to send their batch failed.',
    type: 'counter',
    labels: [],
  },
  otelRetries: {
    name: 'lunaroute_otel_export_retries_total',
    help: 'Retried OpenTelemetry export attempts (connection failures, 429 and 5xx answers).',
    type: 'counter',
    labels: [],
  },
  otelFailures: {
    name: 'lunaroute_otel_export_failures_total',
    help: 'OpenTelemetry export batches given up after their retries.',
    type: 'counter',
    labels: [],
  },
} as const satisfies Record<string, RecordedMetricDef>;

export type RecordedMetricKey = keyof typeof RECORDED_METRICS;

/** Cumulative values, serialisable (structured clone). Histogram buckets are per bucket, +Inf last. */
export interface MetricsSnapshot {
  counters: Partial<Record<RecordedMetricKey, [string[], number][]>>;
  histograms: Partial<Record<RecordedMetricKey, [string[], number[], number, number][]>>;
}

const MAX_FAMILIES = 40;
const MAX_TOOLS = 50;
const MAX_DETECTORS = 50;
/** Requests waiting for their response, and tool calls waiting for their result (oldest evicted past this). */
const MAX_PENDING = 10_000;
const FREE_ENDPOINTS = new Set(['count_tokens', 'models']);
const UNKNOWN_KINDS = new Set(['event', 'block', 'delta', 'field']);

/** Keeps the first `cap` distinct values; later ones become "other". */
class Bounded {
  private readonly seen = new Set<string>();
  constructor(private readonly cap: number) {}
  label(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.cap) return 'other';
    this.seen.add(v);
    return v;
  }
}

function setCapped<V>(m: Map<string, V>, k: string, v: V): void {
  if (m.size >= MAX_PENDING) m.delete(m.keys().next().value as string);
  m.set(k, v);
}

interface PendingRequest {
  dialect: string;
  client: string;
  endpoint: string;
  model: string | null;
}

interface Hist {
  counts: number[];
  sum: number;
  count: number;
}

export class RecordedMetrics {
  private readonly families = new Bounded(MAX_FAMILIES);
  private readonly tools = new Bounded(MAX_TOOLS);
  private readonly detectors = new Bounded(MAX_DETECTORS);
  private readonly requests = new Map<string, PendingRequest>();
  /** Tool call id → its (bounded) tool label. */
  private readonly toolCalls = new Map<string, string>();
  private readonly counters = new Map<RecordedMetricKey, Map<string, number>>();
  private readonly hists = new Map<RecordedMetricKey, Map<string, Hist>>();

  constructor(private readonly prices: () => Prices = bundledPrices) {}

  /** Feed every line the recorder writes. */
  observe(line: RecordLine): void {
    if (line.type === 'request') this.request(line);
    else if (line.type === 'response') this.response(line);
  }

  modelFamily(model: string | null): string {
    if (!model) return 'unknown';
    const n = normalizeModel(model).slice(0, 80);
    return n ? this.families.label(n) : 'unknown';
  }

  private inc(key: RecordedMetricKey, labels: string[], by = 1): void {
    let m = this.counters.get(key);
    if (!m) this.counters.set(key, (m = new Map()));
    const k = JSON.stringify(labels);
    m.set(k, (m.get(k) ?? 0) + by);
  }

  private observeHist(key: RecordedMetricKey, labels: string[], v: number): void {
    const buckets = (RECORDED_METRICS[key] as RecordedMetricDef).buckets!;
    let m = this.hists.get(key);
    if (!m) this.hists.set(key, (m = new Map()));
    const k = JSON.stringify(labels);
    let h = m.get(k);
    if (!h) m.set(k, (h = { counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 }));
    let i = buckets.findIndex((le) => v <= le);
    if (i < 0) i = buckets.length;
    h.counts[i]!++;
    h.sum += v;
    h.count++;
  }

  private redactions(r: Record<string, number> | undefined): void {
    for (const [detector, n] of Object.entries(r ?? {}))
      if (n > 0) this.inc('redactions', [this.detectors.label(detector.slice(0, 80))], n);
  }

  private request(l: RequestLine): void {
    setCapped(this.requests, l.id, {
      dialect: l.dialect,
      client: l.client,
      endpoint: l.endpoint,
      model: l.model,
    });
    this.redactions(l.redaction);
    for (const t of l.tool_results) {
      const tool = this.toolCalls.get(t.id);
      if (tool === undefined) continue;
      this.toolCalls.delete(t.id);
      if (t.latency_ms !== null && t.latency_ms >= 0)
        this.observeHist('toolLatency', [tool], t.latency_ms / 1000);
    }
  }

  private response(l: ResponseLine): void {
    const rq = this.requests.get(l.id);
    this.requests.delete(l.id);
    const dialect = rq?.dialect ?? l.response?.dialect ?? 'unknown';
    const client = rq?.client ?? 'other';
    const endpoint = rq?.endpoint ?? l.response?.endpoint ?? '';
    const model = l.model ?? rq?.model ?? null;
    this.inc('recorded', [dialect, l.outcome]);
    this.redactions(l.redaction);
    for (const u of l.unknown ?? [])
      if (u.count > 0)
        this.inc('unknownItems', [dialect, UNKNOWN_KINDS.has(u.kind) ? u.kind : 'other'], u.count);
    if (l.timings.first_content_ms !== null && l.timings.first_content_ms >= 0)
      this.observeHist('ttft', [dialect], l.timings.first_content_ms / 1000);
    for (const b of l.response?.content ?? []) {
      if (b.type !== 'tool_call') continue;
      const tool = this.tools.label(b.name.slice(0, 100) || 'unknown');
      this.inc('toolCalls', [tool]);
      if (b.kind !== 'server') setCapped(this.toolCalls, b.id, tool);
    }
    if (FREE_ENDPOINTS.has(endpoint)) return;
    const family = this.modelFamily(model);
    const u = l.usage;
    const kinds: [string, number | null][] = [
      ['input', u.input],
      ['output', u.output],
      ['cache_read', u.cacheRead],
      ['cache_write', u.cacheWrite],
      ['reasoning', u.reasoning],
    ];
    for (const [kind, n] of kinds)
      if (n !== null && n > 0) this.inc('tokens', [dialect, client, family, kind], n);
    const cost = requestCost({ model, usage: u, endpoint }, this.prices());
    if (cost.status === 'priced' && cost.usd !== null) this.inc('cost', [dialect, client, family], cost.usd);
    else if (cost.status === 'unpriced' || cost.status === 'partial') this.inc('unpriced', []);
  }

  /** Cumulative values; `otel`: the exporter's counters, when export is on. */
  snapshot(otel?: OtelStats): MetricsSnapshot {
    const out: MetricsSnapshot = { counters: {}, histograms: {} };
    if (otel) {
      out.counters.otelExported = [[[], otel.spansExported]];
      out.counters.otelDropped = [[[], otel.spansDropped]];
      out.counters.otelRetries = [[[], otel.exportRetries]];
      out.counters.otelFailures = [[[], otel.exportFailures]];
    }
    for (const [key, m] of this.counters)
      out.counters[key] = [...m].map(([k, v]) => [JSON.parse(k) as string[], v]);
    for (const [key, m] of this.hists)
      out.histograms[key] = [...m].map(([k, h]) => [
        JSON.parse(k) as string[],
        [...h.counts],
        h.sum,
        h.count,
      ]);
    return out;
  }
}
