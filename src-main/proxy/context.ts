// What the proxy's request handlers share: the config, logger, metrics and forwarder, the current observer,
// the `closing` flag, and the exchanges in flight that an ordered shutdown drains and then cuts. One object per
// server, built in server.ts and passed to forward.ts, upgrade.ts and local-endpoints.ts.
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Dialect } from '../../src-shared/dialects.js';
import type { Forwarder } from './adapter.js';
import type { CodexLogin } from './auth.js';
import { proxyErrorReply, type ProxyErrorCode } from './errors.js';
import type { ProxyMetrics } from './metrics.js';
import type { RequestGuard } from './request-guard.js';
import type { ExchangeObserver, ExchangeTap } from './tap.js';

/** An HTTP exchange in flight; `cut()` ends it at once (shutdown past the grace period). */
export interface OpenExchange {
  cut(): void;
}

export interface ProxyContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly version: string;
  readonly metrics: ProxyMetrics;
  readonly forwarder: Forwarder;
  readonly codexLogin: (() => CodexLogin | null) | undefined;
  /** Host/Origin policy: local program, browser page, or foreign Host. Replaced once the port is known. */
  guard: RequestGuard;
  /** Who gets copies of the traffic (the recorder); replaced live. */
  observer: ExchangeObserver | undefined;
  /** Set once close() starts: new requests get 503, in-flight ones end as `shutdown`. */
  closing: boolean;
  /** `http://host:port` the server listens on; set once it listens (before any request arrives). */
  serverUrl: string;
  readonly open: Set<OpenExchange>;
  /** Client sockets of WebSocket exchanges in flight. */
  readonly sockets: Set<Duplex>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: string,
  extra?: Record<string, string>,
): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

/** Answer with an error LunaRoute originates, in the client's dialect, with `x-lunaroute-error: <code>`. */
export function replyError(
  ctx: ProxyContext,
  res: ServerResponse,
  dialect: Dialect,
  status: number,
  code: ProxyErrorCode,
  message: string,
): void {
  const reply = proxyErrorReply(dialect, status, code, message);
  const extra: Record<string, string> = { 'x-lunaroute-error': code };
  if (ctx.closing) extra['connection'] = 'close';
  sendJson(res, reply.status, reply.body, extra);
}

/** Run a tap callback; a tap that throws is logged and never breaks the exchange. */
export function safeTap(ctx: ProxyContext, key: keyof ExchangeTap, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    ctx.logger.error(`recorder tap failed in ${String(key)}: ${(err as Error).message}`);
  }
}
