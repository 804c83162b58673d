// The seam between the proxy and whatever reads a copy of the traffic (the recorder). The proxy asks an
// ExchangeObserver once per request; when it returns a tap, the proxy feeds it copies of the bytes in both
// directions and tells it exactly once how the exchange ended. Taps must be cheap and must never throw into
// the proxy: their work belongs off the hot path.
//
// Terminology: an *exchange* is one client request and its response (or one WebSocket session). Times are
// `process.hrtime.bigint()` nanoseconds (monotonic) unless named `…At` (epoch milliseconds).
import type { IncomingHttpHeaders } from 'node:http';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { CredentialSource } from './auth.js';

export interface ExchangeStart {
  /** Unique per exchange (UUIDv4). */
  id: string;
  dialect: Dialect;
  endpoint: Endpoint;
  transport: 'http' | 'websocket';
  /** Forward-proxy mode: the intercepted host the client sent CONNECT for; absent in base-URL mode. */
  forwardHost?: string;
  method: string;
  /** Path and query exactly as the client sent them. */
  url: string;
  /** Where the request was sent, incl. query. */
  upstreamUrl: string;
  /** The client's headers as received (credentials included: the tap must redact before storing). */
  headers: IncomingHttpHeaders;
  credentialSource: CredentialSource;
  /** Epoch ms when the request arrived. */
  startedAt: number;
  startHr: bigint;
  /** A replay from a local client (proxy/replay-header.ts): the recorded request it sends again. */
  replayOf?: string;
}

export type ExchangeEnd =
  /** The response was delivered in full (whatever its status). */
  | { kind: 'completed' }
  /** The client went away before the response was complete; the upstream request was cancelled. */
  | { kind: 'client_abort' }
  /** The upstream connection broke or went silent after the response had started. */
  | { kind: 'upstream_reset'; code: string }
  /** No upstream response at all; the client got a LunaRoute error reply with this status. */
  | { kind: 'upstream_error'; code: string; status: number; message: string }
  /** The proxy was shutting down and cut the exchange. */
  | { kind: 'shutdown' }
  /** Produced by the recorder only: nothing was heard of the exchange for too long (it must have been lost). */
  | { kind: 'stale' };

export interface ExchangeTiming {
  /** When the upstream request got its socket (hrtime ns). */
  dispatchHr: bigint | null;
  /** The proxy's own processing time on this exchange (ns). */
  overheadNs: number | null;
}

export interface ExchangeTap {
  requestData?(chunk: Buffer): void;
  requestEnd?(): void;
  responseHead?(status: number, headers: IncomingHttpHeaders, atHr: bigint): void;
  responseData?(chunk: Buffer): void;
  /** WebSocket frames' raw bytes, per direction, after the upgrade. */
  wsData?(from: 'client' | 'upstream', chunk: Buffer): void;
  /** Called exactly once. `timing` carries what the proxy measured on the way (null when not reached). */
  end(result: ExchangeEnd, atHr: bigint, timing?: ExchangeTiming): void;
}

export interface ExchangeObserver {
  open(start: ExchangeStart): ExchangeTap | undefined;
}
