// Prometheus metrics of the proxy (prom-client, one Registry per server so several can live in one process).
// Labels are bounded: dialect, endpoint name from the route table, status code — never paths or session ids.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
// The proxy's own overhead lives in the tens of microseconds; buckets from 10 µs to 50 ms.
const OVERHEAD_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05,
];

export class ProxyMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'lunaroute_requests_total',
    help: 'Requests forwarded upstream, by dialect, endpoint and the status the client got (0 = no response).',
    labelNames: ['dialect', 'endpoint', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'lunaroute_request_duration_seconds',
    help: 'From request arrival to the last byte sent to the client (or the connection closing).',
    labelNames: ['dialect', 'endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly ttfb = new Histogram({
    name: 'lunaroute_time_to_first_byte_seconds',
    help: 'From request arrival to the upstream response headers.',
    labelNames: ['dialect', 'endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly overhead = new Histogram({
    name: 'lunaroute_proxy_overhead_seconds',
    help: "The proxy's own processing time per request: arrival to upstream dispatch, plus upstream headers to client headers.",
    labelNames: ['dialect'] as const,
    buckets: OVERHEAD_BUCKETS,
    registers: [this.registry],
  });
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

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false)
      collectDefaultMetrics({ register: this.registry, prefix: 'lunaroute_process_' });
  }
}
