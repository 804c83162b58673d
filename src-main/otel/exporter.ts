// Optional OpenTelemetry export: one span per finished request, sent as OTLP/HTTP JSON to `otel.endpoint`.
// It runs in the recorder worker, fed from the lines the recorder writes — already redacted, and never on the
// proxy's thread. Spans follow the GenAI semantic conventions (span `chat <model>`, gen_ai.* attributes) plus
// lunaroute.* ones. Spans are batched (every `batchMs` or `batchSize` spans), the queue is bounded (past it new
// spans are dropped and counted), and a failed export is retried with exponential backoff, then dropped.
import { randomBytes } from 'node:crypto';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import { requestCost } from '../analytics/cost.js';
import { bundledPrices, type Prices } from '../analytics/prices.js';

export interface OtelConfig {
  /** OTLP/HTTP base URL (`/v1/traces` is appended unless present); '' = export off. */
  endpoint: string;
  /** Extra headers on every export (an API key of the collector…). */
  headers: Record<string, string>;
}

export interface OtelExporterOptions extends OtelConfig {
  serviceVersion?: string;
  prices?: () => Prices;
  batchMs?: number;
  batchSize?: number;
  maxQueue?: number;
  /** Retries of one batch after its first attempt. */
  maxRetries?: number;
  backoffMs?: number;
  timeoutMs?: number;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export interface OtelStats {
  spansExported: number;
  spansDropped: number;
  exportRetries: number;
  exportFailures: number;
}

type AnyValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } };

interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  status: { code: number; message?: string };
}

/** The traces URL of an endpoint: a base URL gets `/v1/traces`. */
export function tracesUrl(endpoint: string): string {
  const e = endpoint.replace(/\/+$/, '');
  return e.endsWith('/v1/traces') ? e : `${e}/v1/traces`;
}

function attr(key: string, v: string | number | boolean | string[] | null | undefined): KeyValue | null {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return { key, value: { arrayValue: { values: v.map((s) => ({ stringValue: s })) } } };
  if (typeof v === 'string') return { key, value: { stringValue: v } };
  if (typeof v === 'boolean') return { key, value: { boolValue: v } };
  return Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } };
}

const MAX_PENDING_REQUESTS = 10_000;
const SPAN_KIND_CLIENT = 3;
const STATUS_ERROR = 2;
const STATUS_UNSET = 0;

/** The span of one finished request (its request line may be missing: then the response alone says what it can). */
export function spanOf(
  rq: RequestLine | undefined,
  rs: ResponseLine,
  prices: Prices = bundledPrices(),
): OtlpSpan {
  const requestModel = rq?.model ?? null;
  const responseModel = rs.model;
  const model = responseModel ?? requestModel;
  const dialect = rq?.dialect ?? rs.response?.dialect ?? null;
  const cost = requestCost({ model, usage: rs.usage, ...(rq ? { endpoint: rq.endpoint } : {}) }, prices);
  const finish = rs.response?.finishReason ?? rs.stop_reason;
  const failed = rs.outcome !== 'completed';
  const start = rq?.at ?? rs.at - (rs.timings.duration_ms ?? 0);
  const attributes = [
    attr('gen_ai.operation.name', 'chat'),
    attr('gen_ai.provider.name', dialect),
    attr('gen_ai.request.model', requestModel),
    attr('gen_ai.response.model', responseModel),
    attr('gen_ai.usage.input_tokens', rs.usage.input),
    attr('gen_ai.usage.output_tokens', rs.usage.output),
    attr('gen_ai.response.finish_reasons', finish ? [finish] : null),
    attr('error.type', failed ? (rs.error?.type ?? rs.reason ?? rs.outcome) : null),
    attr('http.response.status_code', rs.status),
    attr('lunaroute.session.id', rs.session_id),
    attr('lunaroute.request.id', rs.id),
    attr('lunaroute.client', rq?.client ?? null),
    attr('lunaroute.endpoint', rq?.endpoint ?? null),
    attr('lunaroute.outcome', rs.outcome),
    attr('lunaroute.usage.cache_read_tokens', rs.usage.cacheRead),
    attr('lunaroute.usage.cache_write_tokens', rs.usage.cacheWrite),
    attr('lunaroute.cost_usd', cost.status === 'priced' ? cost.usd : null),
  ].filter((a): a is KeyValue => a !== null);
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: model ? `chat ${model}` : 'chat',
    kind: SPAN_KIND_CLIENT,
    startTimeUnixNano: (BigInt(Math.round(start)) * 1_000_000n).toString(),
    endTimeUnixNano: (BigInt(Math.round(rs.at)) * 1_000_000n).toString(),
    attributes,
    status: failed
      ? { code: STATUS_ERROR, message: rs.error?.message ?? rs.reason ?? rs.outcome }
      : { code: STATUS_UNSET },
  };
}

export class OtelExporter {
  readonly stats: OtelStats = { spansExported: 0, spansDropped: 0, exportRetries: 0, exportFailures: 0 };
  private readonly url: string;
  private readonly requests = new Map<string, RequestLine>();
  private queue: OtlpSpan[] = [];
  private sending: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly batchSize: number;
  private readonly maxQueue: number;

  constructor(private readonly o: OtelExporterOptions) {
    this.url = tracesUrl(o.endpoint);
    this.batchSize = o.batchSize ?? 100;
    this.maxQueue = o.maxQueue ?? 2_048;
    this.timer = setInterval(() => void this.kick(), o.batchMs ?? 2_000);
    this.timer.unref();
  }

  /** Feed every line the recorder writes. */
  observe(line: RecordLine): void {
    if (this.closed) return;
    if (line.type === 'request') {
      if (this.requests.size >= MAX_PENDING_REQUESTS)
        this.requests.delete(this.requests.keys().next().value!);
      this.requests.set(line.id, line);
    } else if (line.type === 'response') {
      const rq = this.requests.get(line.id);
      this.requests.delete(line.id);
      if (this.queue.length >= this.maxQueue) {
        this.stats.spansDropped++;
        return;
      }
      this.queue.push(spanOf(rq, line, this.o.prices?.()));
      if (this.queue.length >= this.batchSize) void this.kick();
    }
  }

  /** Start sending the queue, one batch at a time, unless a send is running. */
  private kick(): Promise<void> {
    if (this.sending || this.queue.length === 0) return this.sending ?? Promise.resolve();
    this.sending = (async () => {
      try {
        while (this.queue.length > 0) {
          const batch = this.queue.splice(0, this.batchSize);
          await this.sendBatch(batch);
        }
      } finally {
        this.sending = null;
      }
    })();
    return this.sending;
  }

  private async sendBatch(spans: OtlpSpan[]): Promise<void> {
    const body = JSON.stringify({
      resourceSpans: [
        {
          resource: {
            attributes: [
              attr('service.name', 'lunaroute')!,
              attr('service.version', this.o.serviceVersion ?? 'unknown')!,
            ],
          },
          scopeSpans: [{ scope: { name: 'lunaroute', version: this.o.serviceVersion ?? 'unknown' }, spans }],
        },
      ],
    });
    const retries = this.closed ? 0 : (this.o.maxRetries ?? 3);
    let lastError = '';
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        this.stats.exportRetries++;
        await new Promise((r) => setTimeout(r, (this.o.backoffMs ?? 500) * 2 ** (attempt - 1)));
      }
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { ...this.o.headers, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.stats.spansExported += spans.length;
          return;
        }
        lastError = `HTTP ${res.status}`;
        // Only throttling and server errors are worth retrying; anything else will fail the same way again.
        if (res.status !== 429 && res.status < 500) break;
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        lastError = cause?.code ?? (err as Error).message;
      }
    }
    this.stats.exportFailures++;
    this.stats.spansDropped += spans.length;
    this.o.log?.(
      'warn',
      `OpenTelemetry export to ${this.url} failed (${lastError}); ${spans.length} span(s) dropped`,
    );
  }

  /** Send what is queued now (tests, shutdown). */
  flush(): Promise<void> {
    return this.kick();
  }

  /** Stop the timer and make one last attempt (no retries) at what is queued. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
    this.closed = true;
    await this.kick();
  }
}
