// Prometheus metrics of the proxy. The per-request series (requests, duration, time to first byte, overhead)
// are kept in plain arrays keyed by a label string the caller builds once per request, and turned into
// Prometheus text only when /metrics is scraped: prom-client's labelled observe() hashes its label object on
// every call (~12 µs per request in the benchmark's profile), which is too much for the hot path. They are
// registered in a prom-client Registry (one per server), next to prom-client's own gauges and process metrics.
// Labels are bounded: dialect, endpoint name from the route table, status code — never paths or session ids.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import {
  RECORDED_METRICS,
  type MetricsSnapshot,
  type RecordedMetricDef,
  type RecordedMetricKey,
} from '../otel/aggregate.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
// The proxy's own overhead lives in the tens of microseconds; buckets from 10 µs to 50 ms.
const OVERHEAD_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
];

type Labels = Record<string, string>;

interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
}

/** Splits a key made by `labelKey` back into labels. */
function labelsOf(names: readonly string[], key: string): Labels {
  const parts = key.split('\u0000');
  const out: Labels = {};
  names.forEach((n, i) => (out[n] = parts[i] ?? ''));
  return out;
}

/** Build the key for a label tuple once, and reuse it for every observation of a request. */
export function labelKey(...values: string[]): string {
  return values.join('\u0000');
}

/** A histogram with fixed buckets whose `observe(key, v)` costs a map lookup and a short loop. */
export class FastHistogram {
  private readonly series = new Map<string, { counts: Float64Array; sum: number; count: number }>();
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  observe(key: string, seconds: number): void {
    let s = this.series.get(key);
    if (!s) {
      s = { counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (seconds <= b[i]!) {
        s.counts[i]!++;
        break;
      }
    }
    s.sum += seconds;
    s.count++;
  }

  /** The registry's view (prom-client's metric interface). */
  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: MetricValue[];
    aggregator: string;
  }> {
    const values: MetricValue[] = [];
    for (const [key, s] of this.series) {
      const labels = labelsOf(this.labelNames, key);
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({
          value: cumulative,
          labels: { ...labels, le: String(le) },
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({ value: s.count, labels: { ...labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
      values.push({ value: s.sum, labels, metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

/** A counter whose `inc(key)` costs a map lookup. */
export class FastCounter {
  private readonly series = new Map<string, number>();
  readonly type = 'counter';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  inc(key: string, by = 1): void {
    this.series.set(key, (this.series.get(key) ?? 0) + by);
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: MetricValue[];
    aggregator: string;
  }> {
    const values: MetricValue[] = [];
    for (const [key, value] of this.series) values.push({ value, labels: labelsOf(this.labelNames, key) });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  reset(): void {
    this.series.clear();
  }
}

/** A metric whose values are the recorder worker's cumulative snapshot, read at scrape time. */
class SnapshotMetric {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly aggregator = 'sum';

  constructor(
    private readonly key: RecordedMetricKey,
    private readonly def: RecordedMetricDef,
    private readonly read: () => MetricsSnapshot | null,
    registry: Registry,
  ) {
    this.name = def.name;
    this.help = def.help;
    this.type = def.type;
    registry.registerMetric(this as never);
  }

  private labels(values: string[]): Labels {
    const out: Labels = {};
    this.def.labels.forEach((n, i) => (out[n] = values[i] ?? ''));
    return out;
  }

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    values: MetricValue[];
    aggregator: string;
  }> {
    const snap = this.read();
    const values: MetricValue[] = [];
    if (this.def.type === 'counter') {
      for (const [lv, value] of snap?.counters[this.key] ?? [])
        values.push({ value, labels: this.labels(lv) });
      // An unlabelled counter always has its one series, 0 until something is counted.
      if (values.length === 0 && this.def.labels.length === 0) values.push({ value: 0, labels: {} });
    } else {
      const buckets = this.def.buckets ?? [];
      for (const [lv, counts, sum, count] of snap?.histograms[this.key] ?? []) {
        const labels = this.labels(lv);
        let cumulative = 0;
        buckets.forEach((le, i) => {
          cumulative += counts[i] ?? 0;
          values.push({
            value: cumulative,
            labels: { ...labels, le: String(le) },
            metricName: `${this.name}_bucket`,
          });
        });
        values.push({ value: count, labels: { ...labels, le: '+Inf' }, metricName: `${this.name}_bucket` });
        values.push({ value: sum, labels, metricName: `${this.name}_sum` });
        values.push({ value: count, labels, metricName: `${this.name}_count` });
      }
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class ProxyMetrics {
  readonly registry = new Registry();
  /** Key: labelKey(dialect, endpoint, status). */
  readonly requests = new FastCounter(
    'lunaroute_requests_total',
    'Requests forwarded upstream, by dialect, endpoint and the status the client got (0 = no response).',
    ['dialect', 'endpoint', 'status'],
    this.registry,
  );
  /** Key: labelKey(dialect, endpoint). */
  readonly duration = new FastHistogram(
    'lunaroute_request_duration_seconds',
    'From request arrival to the last byte sent to the client (or the connection closing).',
    ['dialect', 'endpoint'],
    LATENCY_BUCKETS,
    this.registry,
  );
  /** Key: labelKey(dialect, endpoint). */
  readonly ttfb = new FastHistogram(
    'lunaroute_time_to_first_byte_seconds',
    'From request arrival to the upstream response headers.',
    ['dialect', 'endpoint'],
    LATENCY_BUCKETS,
    this.registry,
  );
  /** Key: dialect. */
  readonly overhead = new FastHistogram(
    'lunaroute_proxy_overhead_seconds',
    "The proxy's own processing time per request: arrival to upstream dispatch, plus upstream headers to client headers.",
    ['dialect'],
    OVERHEAD_BUCKETS,
    this.registry,
  );
  readonly inflightStreams = new Gauge({
    name: 'lunaroute_inflight_streams',
    help: 'Streaming responses (SSE) and WebSocket sessions currently open through the proxy.',
    labelNames: ['dialect', 'transport'] as const,
    registers: [this.registry],
  });
  readonly inflightRequests = new Gauge({
    name: 'lunaroute_inflight_requests',
    help: 'Requests currently being forwarded.',
    registers: [this.registry],
  });
  readonly upstreamErrors = new Counter({
    name: 'lunaroute_upstream_errors_total',
    help: 'Requests that failed in transport (unreachable, timeout, reset) rather than with an upstream status.',
    labelNames: ['dialect', 'code'] as const,
    registers: [this.registry],
  });
  readonly clientAborts = new Counter({
    name: 'lunaroute_client_aborts_total',
    help: 'Requests the client abandoned before the response finished (the upstream request is cancelled).',
    labelNames: ['dialect'] as const,
    registers: [this.registry],
  });
  readonly websockets = new Counter({
    name: 'lunaroute_websocket_upgrades_total',
    help: 'WebSocket upgrade attempts, by result (upgraded, refused, error).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  /** Set by the core: the recorder's counters, read at scrape time. */
  recorderStats:
    | (() => {
        dropped: number;
        inFlightBytes: number;
        redactionFailures: number;
        writeErrors: number;
        linesDropped: number;
      })
    | null = null;

  /** Set by the core: the recorder worker's per-request aggregates (tokens, cost, tools…), read at scrape time. */
  recordedMetrics: (() => MetricsSnapshot | null) | null = null;

  constructor(opts: { processMetrics?: boolean } = {}) {
    for (const [key, def] of Object.entries(RECORDED_METRICS) as [RecordedMetricKey, RecordedMetricDef][])
      new SnapshotMetric(key, def, () => this.recordedMetrics?.() ?? null, this.registry);
    // Recorder counters, read from the recorder at scrape time.
    type RecorderStat = keyof NonNullable<ReturnType<NonNullable<ProxyMetrics['recorderStats']>>>;
    const recorderGauges: [string, string, RecorderStat][] = [
      [
        'lunaroute_recorder_dropped_exchanges_total',
        'Exchanges not (fully) recorded: the recorder fell behind (the proxy is never slowed instead), or their lines could not be written (disk full).',
        'dropped',
      ],
      [
        'lunaroute_recorder_queue_bytes',
        'Bytes copied to the recorder and not yet processed.',
        'inFlightBytes',
      ],
      [
        'lunaroute_recorder_lines_dropped_total',
        'JSONL lines lost to a full write queue or a write error (a gap line marks each loss).',
        'linesDropped',
      ],
      [
        'lunaroute_redaction_failures_total',
        'Values stored as [REDACTION_FAILED] because redacting them failed or ran out of time (never stored raw).',
        'redactionFailures',
      ],
    ];
    for (const [name, help, field] of recorderGauges) {
      const read = (): number => this.recorderStats?.()[field] ?? 0;
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read());
        },
      });
    }
    if (opts.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'lunaroute_process_' });
  }
}
