// Messages between the proxy's thread (RecorderClient) and the recorder worker. Times are milliseconds since
// the exchange started (float, from the proxy's monotonic clock), except `startedAt` (epoch ms).
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { LiveEvent } from '../../src-shared/live.js';
import type { ExchangeEnd } from '../proxy/tap.js';
import type { RedactionConfig } from '../redaction/index.js';
import type { MetricsSnapshot } from '../otel/aggregate.js';

export type HeaderRecord = Record<string, string | string[]>;

export interface OpenMsg {
  t: 'open';
  id: string;
  dialect: Dialect;
  endpoint: Endpoint;
  transport: 'http' | 'websocket';
  /** Forward-proxy mode: the intercepted host (recorded as transport `forward_http` / `forward_websocket`). */
  forwardHost?: string;
  method: string;
  url: string;
  upstreamUrl: string;
  headers: HeaderRecord;
  credentialSource: string;
  startedAt: number;
  /** A replay: the id of the recorded request it sends again. */
  replayOf?: string;
}

export type ToWorker =
  | OpenMsg
  | { t: 'rq'; id: string; c: Uint8Array }
  | { t: 'rqEnd'; id: string; ms: number }
  | { t: 'head'; id: string; status: number; headers: HeaderRecord; ms: number }
  | { t: 'rs'; id: string; c: Uint8Array; ms: number }
  | { t: 'ws'; id: string; from: 'client' | 'upstream'; c: Uint8Array; ms: number }
  | {
      t: 'end';
      id: string;
      end: ExchangeEnd;
      ms: number;
      dispatchMs: number | null;
      overheadMs: number | null;
    }
  /** The proxy's thread stopped copying this exchange (queue full): record what arrived and say so. */
  | { t: 'drop'; id: string }
  | { t: 'redaction'; config: RedactionConfig }
  /** A new retention policy: the sweeper restarts with it (and sweeps at once). */
  | {
      t: 'retention';
      policy: { maxAgeDays: number; maxSizeMb: number; compressAfterDays: number; intervalMinutes: number };
    }
  | { t: 'live'; on: boolean }
  | { t: 'flush'; seq: number }
  /** A named read query (see queries.ts), answered with `result`. */
  | { t: 'query'; seq: number; name: string; args: unknown }
  | { t: 'close'; seq: number };

export interface WorkerStats {
  linesWritten: number;
  linesDropped: number;
  writeErrors: number;
  indexErrors: number;
  redactionFailures: number;
  openExchanges: number;
  /** Requests whose request or response line could not be written (queue full, disk full): not recorded. */
  exchangesLost: number;
  /** Cumulative per-request aggregates for /metrics (absent from engines that do not compute them). */
  metrics?: MetricsSnapshot;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'fatal'; message: string }
  /** Bytes of exchange data processed, so the proxy side can bound what is in flight. */
  | { t: 'ack'; bytes: number }
  | { t: 'live'; events: LiveEvent[] }
  | { t: 'done'; seq: number; stats: WorkerStats }
  /** Counters, sent every few seconds. */
  | { t: 'stats'; stats: WorkerStats }
  | { t: 'result'; seq: number; ok: true; value: unknown }
  | { t: 'result'; seq: number; ok: false; error: string }
  | { t: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string };
