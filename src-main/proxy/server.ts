// The loopback proxy server: one HTTP server that speaks both dialects at once. This module is the lifecycle
// and the wiring — listen, dispatch each request by route (local endpoint, forward, WebSocket upgrade), and an
// ordered close: stop accepting, let in-flight exchanges finish within a grace period, then cut them. No request
// can end the process: a handler that throws is logged and answered with a 500, malformed requests with 400/431.
// The jobs live next door: request-guard.ts (Host/Origin: local program or web page), credentials.ts (which
// credential is added when), forward.ts (HTTP forwarding and taps), upgrade.ts (WebSocket), local-endpoints.ts
// (/, /healthz, /readyz, /metrics), bad-requests.ts (what Node's parser rejects), adapter.ts (http-proxy).
// connect/ is the forward-proxy mode: CONNECT, whose decrypted requests come back here on a marked socket.
import http from 'node:http';
import type net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Dialect } from '../../src-shared/dialects.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import { createForwarder } from './adapter.js';
import { createConnectHandler, interceptedSocket } from './connect/connect.js';
import { interceptedRoute } from './connect/route.js';
import type { CodexLogin } from './auth.js';
import { onClientError, rawJsonResponse } from './bad-requests.js';
import { replyError, type ProxyContext } from './context.js';
import { forward } from './forward.js';
import { createLocalEndpoints } from './local-endpoints.js';
import { genericErrorReply } from './errors.js';
import { ProxyMetrics } from './metrics.js';
import { RequestGuard } from './request-guard.js';
import { resolveRoute } from './routes.js';
import type { ExchangeObserver } from './tap.js';
import { handleUpgrade } from './upgrade.js';
import { takeReplayHeaders } from './replay-header.js';

export interface ProxyServerOptions {
  config: Config;
  logger: Logger;
  version: string;
  observer?: ExchangeObserver;
  /** Current Codex login from ~/.codex/auth.json, if that source is enabled. */
  codexLogin?: () => CodexLogin | null;
  metrics?: ProxyMetrics;
  /** Origins of LunaRoute's own UI, whose pages count as local (asked per browser request). */
  uiOrigins?: () => readonly string[];
}

export interface ProxyServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ProxyMetrics;
  setObserver(observer: ExchangeObserver | undefined): void;
  /** Stop accepting; in-flight exchanges get `graceMs` to finish, then are cut. */
  close(graceMs?: number): Promise<void>;
}

/** The proxy's host:port is taken (PROXY_PORT_IN_USE, with `details: { host, port }`). */
export function portInUse(host: string, port: number): LunaRouteError<'PROXY_PORT_IN_USE'> {
  return new LunaRouteError('PROXY_PORT_IN_USE', `${host}:${port} is already in use by another program`, {
    details: { host, port },
  });
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { config, logger } = options;
  const guardFor = (port: number): RequestGuard =>
    new RequestGuard({
      listenHost: config.host,
      port,
      allowedHosts: config.proxy.allowedHosts,
      uiOrigins: options.uiOrigins ?? (() => []),
      logger,
      configFile: config.configFile,
    });
  const ctx: ProxyContext = {
    config,
    logger,
    version: options.version,
    metrics: options.metrics ?? new ProxyMetrics(),
    forwarder: createForwarder({
      connectTimeoutMs: config.timeouts.connectMs,
      idleTimeoutMs: config.timeouts.idleMs,
    }),
    codexLogin: options.codexLogin,
    // Until the port is known (config.port may be 0) the guard admits no Host at all.
    guard: guardFor(config.port),
    observer: options.observer,
    closing: false,
    serverUrl: '',
    open: new Set(),
    sockets: new Set(),
  };
  const handleLocal = createLocalEndpoints(ctx);

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q);
    const mark = interceptedSocket(req.socket);
    if (mark) {
      // Forward-proxy mode: the host the client sent CONNECT for decides the upstream; no local endpoints.
      mark.requests++;
      const r = interceptedRoute(config, mark.host, path, req.headers);
      if (ctx.closing) {
        replyError(
          ctx,
          res,
          r.dialect,
          503,
          'shutting_down',
          'LunaRoute is shutting down; retry in a moment.',
        );
        return;
      }
      const route = {
        kind: 'upstream',
        dialect: r.dialect,
        endpoint: r.endpoint,
        upstreamPath: r.upstreamPath,
      } as const;
      forward(ctx, req, res, route, query, t0, true, r);
      return;
    }
    const route = resolveRoute(req.method ?? 'GET', path, req.headers);
    const dialect: Dialect =
      req.headers['anthropic-version'] !== undefined
        ? 'anthropic'
        : route.kind === 'upstream'
          ? route.dialect
          : 'openai';
    const source = ctx.guard.classify(req.headers);
    if (source.kind !== 'local') {
      const refused = ctx.guard.refusal(source, req.headers, route.kind === 'upstream');
      if (refused) {
        req.resume();
        replyError(ctx, res, dialect, refused.status, refused.code, refused.message);
        return;
      }
    }
    if (route.kind === 'local') {
      handleLocal(route.name, req, res);
      return;
    }
    if (ctx.closing) {
      replyError(ctx, res, dialect, 503, 'shutting_down', 'LunaRoute is shutting down; retry in a moment.');
      return;
    }
    if (route.kind === 'not_found') {
      req.resume();
      const base = ctx.serverUrl;
      replyError(
        ctx,
        res,
        dialect,
        404,
        'not_found',
        `LunaRoute does not route ${req.method} ${path}. Anthropic clients use ${base} (paths /v1/messages…), OpenAI clients use ${base}/v1 (paths /v1/chat/completions, /v1/responses, …).`,
      );
      return;
    }
    const replay = takeReplayHeaders(req);
    if (replay && 'refused' in replay) {
      req.resume();
      replyError(ctx, res, dialect, 403, 'replay_refused', replay.refused);
      return;
    }
    forward(ctx, req, res, route, query, t0, source.kind === 'local', undefined, replay);
  }

  // The top-level guard: whatever a handler throws becomes a log line and a 500, never the end of the process.
  function guardedRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      onRequest(req, res);
    } catch (err) {
      const message = `LunaRoute failed on ${req.method} ${(req.url ?? '').split('?')[0]}: ${(err as Error).message}`;
      logger.error(`${message}\n${(err as Error).stack ?? ''}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      req.resume();
      const reply = genericErrorReply(500, 'internal_error', `${message}. The proxy keeps running.`);
      res.writeHead(500, { 'content-type': 'application/json', 'x-lunaroute-error': 'internal_error' });
      res.end(reply.body);
    }
  }

  function guardedUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const mark = interceptedSocket(req.socket);
      if (mark) mark.requests++;
      const path = (req.url ?? '/').split('?')[0]!;
      handleUpgrade(ctx, req, socket, head, mark && interceptedRoute(config, mark.host, path, req.headers));
    } catch (err) {
      logger.error(`LunaRoute failed on a WebSocket upgrade: ${(err as Error).stack ?? String(err)}`);
      if (socket.writable) {
        const reply = genericErrorReply(500, 'internal_error', 'LunaRoute failed on this WebSocket upgrade.');
        socket.end(rawJsonResponse(500, reply.body, 'internal_error'));
      } else socket.destroy();
    }
  }

  const server = http.createServer(guardedRequest);
  // Clients (Claude Code, SDKs) keep connections open between turns; a long server keep-alive avoids the race
  // where the server closes an idle connection just as the client sends the next request on it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('upgrade', guardedUpgrade);
  const connect = createConnectHandler(ctx, server);
  server.on('connect', connect.handle);
  server.on('clientError', onClientError);

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? portInUse(config.host, config.port) : err);
    };
    server.once('error', onError);
    server.listen({ host: config.host, port: config.port, exclusive: true }, () => {
      server.off('error', onError);
      ctx.guard = guardFor((server.address() as net.AddressInfo).port);
      resolve();
    });
  });
  server.on('error', (err) => logger.error(`proxy server error: ${err.message}`));
  const address = server.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  ctx.serverUrl = `http://${hostForUrl}:${address.port}`;

  let closed: Promise<void> | null = null;
  return {
    url: ctx.serverUrl,
    port: address.port,
    metrics: ctx.metrics,
    setObserver(next) {
      ctx.observer = next;
    },
    close(graceMs = config.timeouts.shutdownGraceMs) {
      if (closed) return closed;
      ctx.closing = true;
      closed = (async () => {
        const { open, sockets } = ctx;
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (open.size > 0 || sockets.size > 0) {
          await new Promise<void>((resolve) => {
            const deadline = setTimeout(resolve, graceMs);
            const poll = setInterval(() => {
              if (open.size === 0 && sockets.size === 0) {
                clearTimeout(deadline);
                clearInterval(poll);
                resolve();
              }
            }, 20);
            deadline.unref();
            poll.unref();
            setTimeout(() => clearInterval(poll), graceMs).unref();
          });
        }
        for (const ex of [...open]) ex.cut();
        for (const s of [...sockets]) s.destroy();
        server.closeAllConnections();
        connect.close();
        ctx.forwarder.close();
        await serverClosed;
      })();
      return closed;
    },
  };
}
