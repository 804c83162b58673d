// The loopback proxy: one HTTP server that speaks both dialects at once. Each request is routed by path,
// credentials are added only when the client sent none, hop-by-hop headers are dropped, and the body is piped
// both ways untouched (never parsed on this path). Observers get copies of the bytes through taps.
// Shutdown is ordered: stop accepting, let in-flight exchanges finish within a grace period, then cut them.
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Config } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import { createForwarder, type Forwarder } from './adapter.js';
import { resolveRoute, isWebSocketPath, joinUpstreamUrl, type LocalRoute } from './routes.js';
import { proxyErrorReply, describeUpstreamError, type ProxyErrorCode } from './errors.js';
import { ProxyMetrics, labelKey } from './metrics.js';
import { clientSentCredentials, type CodexLogin, type CredentialSource } from './auth.js';
import type { ExchangeObserver, ExchangeTap, ExchangeEnd } from './tap.js';
import { REPLAY_ID_HEADER, replayUpstream, takeReplayHeaders, type ReplayMark } from './replay-header.js';

export interface ProxyServerOptions {
  config: Config;
  logger: Logger;
  version: string;
  observer?: ExchangeObserver;
  /** Current Codex login from ~/.codex/auth.json, if that source is enabled. */
  codexLogin?: () => CodexLogin | null;
  metrics?: ProxyMetrics;
}

export interface ProxyServer {
  readonly url: string;
  readonly port: number;
  readonly metrics: ProxyMetrics;
  setObserver(observer: ExchangeObserver | undefined): void;
  /** Stop accepting; in-flight exchanges get `graceMs` to finish, then are cut. */
  close(graceMs?: number): Promise<void>;
}

export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`${host}:${port} is already in use by another program`);
  }
}

// Request headers that describe one connection, not the message: never forwarded (RFC 9110 §7.6.1).
// `expect` is answered by this server itself. content-length stays: the body is forwarded byte for byte.
const HOP_BY_HOP_REQUEST = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
];
const HOP_BY_HOP_RESPONSE = ['keep-alive', 'proxy-authenticate', 'proxy-connection', 'trailer', 'upgrade'];

function stripConnectionHeaders(
  headers: IncomingHttpHeaders,
  list: readonly string[],
  keepUpgrade = false,
): void {
  const named = headers['connection'];
  if (typeof named === 'string' && !keepUpgrade) {
    for (const token of named.split(',')) {
      const name = token.trim().toLowerCase();
      if (name && name !== 'close' && name !== 'keep-alive' && name in headers) delete headers[name];
    }
  }
  for (const name of list) {
    if (!(name in headers)) continue;
    if (keepUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    // `connection: keep-alive` is what the upstream agent sends anyway; deleting it costs more (V8 turns the
    // header object into a slow dictionary) than forwarding it.
    if (name === 'connection' && typeof named === 'string' && named.toLowerCase() === 'keep-alive') continue;
    delete headers[name];
  }
}

interface UpstreamChoice {
  base: string;
  name: string;
  setHeaders: Record<string, string> | undefined;
  credentialSource: CredentialSource;
}

interface OpenExchange {
  cut(): void;
}

export async function startProxyServer(options: ProxyServerOptions): Promise<ProxyServer> {
  const { config, logger } = options;
  const metrics = options.metrics ?? new ProxyMetrics();
  let observer = options.observer;
  const forwarder: Forwarder = createForwarder({
    connectTimeoutMs: config.timeouts.connectMs,
    idleTimeoutMs: config.timeouts.idleMs,
  });
  const open = new Set<OpenExchange>();
  let closing = false;

  function chooseUpstream(
    dialect: Dialect,
    endpoint: Endpoint,
    headers: IncomingHttpHeaders,
  ): UpstreamChoice {
    const up = config.upstreams;
    if (dialect === 'anthropic') {
      if (clientSentCredentials(headers))
        return {
          base: up.anthropic.url,
          name: 'Anthropic',
          setHeaders: undefined,
          credentialSource: 'client',
        };
      if (up.anthropic.apiKey)
        return {
          base: up.anthropic.url,
          name: 'Anthropic',
          setHeaders: { 'x-api-key': up.anthropic.apiKey },
          credentialSource: 'config',
        };
      return { base: up.anthropic.url, name: 'Anthropic', setHeaders: undefined, credentialSource: 'none' };
    }
    // Codex logged in with ChatGPT sends its own token plus chatgpt-account-id: that token is only valid on the
    // ChatGPT Codex backend.
    if (headers['chatgpt-account-id'] !== undefined) {
      return {
        base: up.chatgpt.url,
        name: 'ChatGPT Codex',
        setHeaders: undefined,
        credentialSource: 'client',
      };
    }
    if (clientSentCredentials(headers))
      return { base: up.openai.url, name: 'OpenAI', setHeaders: undefined, credentialSource: 'client' };
    if (up.openai.apiKey) {
      return {
        base: up.openai.url,
        name: 'OpenAI',
        setHeaders: { authorization: `Bearer ${up.openai.apiKey}` },
        credentialSource: 'config',
      };
    }
    const login = endpoint === 'responses' ? options.codexLogin?.() : null;
    if (login?.kind === 'api_key') {
      return {
        base: up.openai.url,
        name: 'OpenAI',
        setHeaders: { authorization: `Bearer ${login.apiKey}` },
        credentialSource: 'codex_api_key',
      };
    }
    if (login?.kind === 'chatgpt') {
      const setHeaders: Record<string, string> = { authorization: `Bearer ${login.accessToken}` };
      if (login.accountId) setHeaders['chatgpt-account-id'] = login.accountId;
      return { base: up.chatgpt.url, name: 'ChatGPT Codex', setHeaders, credentialSource: 'codex_chatgpt' };
    }
    return { base: up.openai.url, name: 'OpenAI', setHeaders: undefined, credentialSource: 'none' };
  }

  function sendJson(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  }

  function replyError(
    res: ServerResponse,
    dialect: Dialect,
    status: number,
    code: ProxyErrorCode,
    message: string,
  ): void {
    const reply = proxyErrorReply(dialect, status, code, message);
    const extra: Record<string, string> = { 'x-lunaroute-error': code };
    if (closing) extra['connection'] = 'close';
    sendJson(res, reply.status, reply.body, extra);
  }

  function safeTap(key: keyof ExchangeTap, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      logger.error(`recorder tap failed in ${String(key)}: ${(err as Error).message}`);
    }
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    dialect: Dialect,
    endpoint: Endpoint,
    upstreamPath: string,
    query: string,
    t0: bigint,
    replay: ReplayMark | null,
  ): void {
    const choice = replay?.upstream
      ? replayUpstream(replay.upstream, req.headers)
      : chooseUpstream(dialect, endpoint, req.headers);
    const target = joinUpstreamUrl(choice.base, upstreamPath, query);
    const startedAt = Date.now();
    const exchangeId = randomUUID();
    let tap: ExchangeTap | undefined;
    if (observer) {
      try {
        tap = observer.open({
          id: exchangeId,
          dialect,
          endpoint,
          transport: 'http',
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          upstreamUrl: target,
          headers: { ...req.headers },
          credentialSource: choice.credentialSource,
          startedAt,
          startHr: t0,
          ...(replay ? { replayOf: replay.replayOf } : {}),
        });
      } catch (err) {
        logger.error(`recorder failed to open an exchange: ${(err as Error).message}`);
      }
    }
    // A recorded replay learns its new request's id (on success and error replies alike).
    if (replay && tap) res.setHeader(REPLAY_ID_HEADER, exchangeId);
    stripConnectionHeaders(req.headers, HOP_BY_HOP_REQUEST);

    metrics.inflightRequests.inc();
    const seriesKey = labelKey(dialect, endpoint);
    let ended = false;
    let streaming = false;
    let tDispatch = 0n;
    let tResponse = 0n;
    let status = 0;
    let lastErrorCode: string | undefined;
    let overheadNs: number | null = null;
    const finish = (end: ExchangeEnd): void => {
      if (ended) return;
      ended = true;
      open.delete(entry);
      const now = process.hrtime.bigint();
      metrics.inflightRequests.dec();
      if (streaming) metrics.inflightStreams.dec({ dialect, transport: 'sse' });
      const statusLabel = end.kind === 'upstream_error' ? end.status : status;
      metrics.requests.inc(labelKey(dialect, endpoint, String(statusLabel)));
      metrics.duration.observe(seriesKey, Number(now - t0) / 1e9);
      if (end.kind === 'client_abort') metrics.clientAborts.inc({ dialect });
      if (end.kind === 'upstream_reset' || end.kind === 'upstream_error')
        metrics.upstreamErrors.inc({ dialect, code: end.code });
      if (tap) {
        const timing = { dispatchHr: tDispatch === 0n ? null : tDispatch, overheadNs };
        safeTap('end', () => tap!.end(end, now, timing));
      }
    };
    const entry: OpenExchange = {
      cut() {
        finish({ kind: 'shutdown' });
        res.destroy();
      },
    };
    open.add(entry);

    res.on('close', () => {
      if (res.writableFinished) finish({ kind: 'completed' });
      else finish(closing ? { kind: 'shutdown' } : { kind: 'client_abort' });
    });

    forwarder.web(req, res, target, choice.setHeaders, {
      onDispatch() {
        tDispatch = process.hrtime.bigint();
      },
      onResponse(proxyRes) {
        tResponse = process.hrtime.bigint();
        status = proxyRes.statusCode ?? 0;
        stripConnectionHeaders(proxyRes.headers, HOP_BY_HOP_RESPONSE);
        metrics.ttfb.observe(seriesKey, Number(tResponse - t0) / 1e9);
        const ct = proxyRes.headers['content-type'];
        if (typeof ct === 'string' && ct.startsWith('text/event-stream')) {
          streaming = true;
          metrics.inflightStreams.inc({ dialect, transport: 'sse' });
        }
        if (tap) {
          const t = tap;
          safeTap('responseHead', () => t.responseHead?.(status, proxyRes.headers, tResponse));
          if (t.responseData) {
            // Added in the proxyRes handler, so it sees every chunk and the pipe keeps its backpressure.
            proxyRes.on('data', (chunk: Buffer) => {
              try {
                t.responseData!(chunk);
              } catch (err) {
                logger.error(`recorder tap failed on response data: ${(err as Error).message}`);
              }
            });
          }
        }
      },
      onResponseForwarded() {
        overheadNs = Number(tDispatch - t0 + (process.hrtime.bigint() - tResponse));
        metrics.overhead.observe(dialect, overheadNs / 1e9);
      },
      onResponseCut() {
        // The error (with its code) usually arrives in the same turn; give it the chance to name the cause.
        setImmediate(() => finish({ kind: 'upstream_reset', code: lastErrorCode ?? 'ECONNRESET' }));
      },
      onError(err, responseStarted) {
        const code = err.code ?? 'ERROR';
        lastErrorCode = code;
        if (ended) return;
        if (responseStarted) {
          finish({ kind: 'upstream_reset', code });
          return;
        }
        if (res.destroyed || req.socket.destroyed) {
          finish(closing ? { kind: 'shutdown' } : { kind: 'client_abort' });
          return;
        }
        const origin = new URL(choice.base).origin;
        const d = describeUpstreamError(err, choice.name, origin);
        logger.warn(`${req.method} ${req.url?.split('?')[0]} → ${d.message}`);
        finish({ kind: 'upstream_error', code, status: d.status, message: d.message });
        replyError(res, dialect, d.status, d.code, d.message);
      },
    });

    // Same tick as forwarder.web(): never await in between, or the body is consumed before anyone listens.
    if (tap?.requestData) {
      const t = tap;
      req.on('data', (chunk: Buffer) => {
        try {
          t.requestData!(chunk);
        } catch (err) {
          logger.error(`recorder tap failed on request data: ${(err as Error).message}`);
        }
      });
    }
    if (tap?.requestEnd) {
      const t = tap;
      req.on('end', () => safeTap('requestEnd', () => t.requestEnd!()));
    }
  }

  // --- local endpoints --------------------------------------------------------------------------------------

  const READY_CACHE_MS = 5_000;
  let readyCache: { at: number; result: Promise<{ ok: boolean; body: string }> } | null = null;

  function probe(urlText: string): Promise<{ ok: boolean; ms?: number; error?: string }> {
    const u = new URL(urlText);
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    const started = Date.now();
    return new Promise((resolve) => {
      const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
      const done = (r: { ok: boolean; ms?: number; error?: string }): void => {
        socket.destroy();
        resolve(r);
      };
      socket.setTimeout(2_000, () => done({ ok: false, error: 'timeout after 2000 ms' }));
      socket.once('connect', () => done({ ok: true, ms: Date.now() - started }));
      socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
    });
  }

  function readiness(): Promise<{ ok: boolean; body: string }> {
    const now = Date.now();
    if (readyCache && now - readyCache.at < READY_CACHE_MS) return readyCache.result;
    const names = { anthropic: config.upstreams.anthropic.url, openai: config.upstreams.openai.url } as const;
    const result = Promise.all(
      Object.entries(names).map(async ([name, url]) => [name, { url, ...(await probe(url)) }] as const),
    ).then((entries) => {
      const upstreams = Object.fromEntries(entries);
      const ok = entries.every(([, r]) => r.ok);
      return { ok, body: JSON.stringify({ status: ok ? 'ready' : 'degraded', upstreams }) };
    });
    readyCache = { at: now, result };
    return result;
  }

  function handleLocal(name: LocalRoute, req: IncomingMessage, res: ServerResponse): void {
    switch (name) {
      case 'root': {
        const body = `LunaRoute ${options.version} is running. Point ANTHROPIC_BASE_URL at ${serverUrl} and OPENAI_BASE_URL at ${serverUrl}/v1.\n`;
        res.writeHead(200, {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case 'healthz':
        sendJson(
          res,
          200,
          JSON.stringify({
            status: closing ? 'stopping' : 'ok',
            service: 'lunaroute',
            version: options.version,
            pid: process.pid,
          }),
        );
        return;
      case 'readyz':
        readiness().then(
          (r) => sendJson(res, r.ok ? 200 : 503, r.body),
          (err: Error) => sendJson(res, 503, JSON.stringify({ status: 'error', error: err.message })),
        );
        return;
      case 'metrics':
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (err: Error) => sendJson(res, 500, JSON.stringify({ error: err.message })),
        );
        return;
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const t0 = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = q < 0 ? '' : url.slice(q);
    const route = resolveRoute(req.method ?? 'GET', path, req.headers);
    if (route.kind === 'local') {
      handleLocal(route.name, req, res);
      return;
    }
    const dialect: Dialect =
      req.headers['anthropic-version'] !== undefined
        ? 'anthropic'
        : route.kind === 'upstream'
          ? route.dialect
          : 'openai';
    if (closing) {
      replyError(res, dialect, 503, 'shutting_down', 'LunaRoute is shutting down; retry in a moment.');
      return;
    }
    if (route.kind === 'not_found') {
      req.resume();
      replyError(
        res,
        dialect,
        404,
        'not_found',
        `LunaRoute does not route ${req.method} ${path}. Anthropic clients use ${serverUrl} (paths /v1/messages…), OpenAI clients use ${serverUrl}/v1 (paths /v1/chat/completions, /v1/responses, …).`,
      );
      return;
    }
    const replay = takeReplayHeaders(req);
    if (replay && 'refused' in replay) {
      req.resume();
      replyError(res, dialect, 403, 'replay_refused', replay.refused);
      return;
    }
    forward(req, res, route.dialect, route.endpoint, route.upstreamPath, query, t0, replay);
  }

  // --- WebSocket (Codex's Responses over WebSocket) ---------------------------------------------------------

  const sockets = new Set<Duplex>();

  function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const t0 = process.hrtime.bigint();
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (closing || !isWebSocketPath(path) || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      const reply = proxyErrorReply(
        'openai',
        closing ? 503 : 404,
        closing ? 'shutting_down' : 'not_found',
        closing
          ? 'LunaRoute is shutting down.'
          : `LunaRoute proxies WebSocket upgrades only on /v1/responses and /responses, not ${path}.`,
      );
      rejectUpgrade(socket, reply.status, closing ? 'Service Unavailable' : 'Not Found', reply.body);
      return;
    }
    const choice = chooseUpstream('openai', 'responses', req.headers);
    const target = joinUpstreamUrl(
      choice.base,
      path.startsWith('/v1') ? path.slice(3) : path,
      q < 0 ? '' : url.slice(q),
    );
    let tap: ExchangeTap | undefined;
    if (observer) {
      try {
        tap = observer.open({
          id: randomUUID(),
          dialect: 'openai',
          endpoint: 'responses',
          transport: 'websocket',
          method: 'GET',
          url,
          upstreamUrl: target,
          headers: { ...req.headers },
          credentialSource: choice.credentialSource,
          startedAt: Date.now(),
          startHr: t0,
        });
      } catch (err) {
        logger.error(`recorder failed to open a WebSocket exchange: ${(err as Error).message}`);
      }
    }
    stripConnectionHeaders(req.headers, HOP_BY_HOP_REQUEST, /* keepUpgrade */ true);
    sockets.add(socket);
    let upgraded = false;
    let ended = false;
    const finish = (end: ExchangeEnd): void => {
      if (ended) return;
      ended = true;
      sockets.delete(socket);
      if (upgraded) metrics.inflightStreams.dec({ dialect: 'openai', transport: 'websocket' });
      if (tap) safeTap('end', () => tap!.end(end, process.hrtime.bigint()));
    };
    socket.once('close', () => finish(closing ? { kind: 'shutdown' } : { kind: 'completed' }));

    forwarder.ws(req, socket, head, target, choice.setHeaders, {
      onUpgrade(headers, upstreamSocket) {
        upgraded = true;
        metrics.websockets.inc({ result: 'upgraded' });
        metrics.inflightStreams.inc({ dialect: 'openai', transport: 'websocket' });
        if (tap) {
          const t = tap;
          safeTap('responseHead', () => t.responseHead?.(101, headers, process.hrtime.bigint()));
          if (t.wsData) {
            if (head.length > 0) safeTap('wsData', () => t.wsData!('client', head));
            socket.on('data', (c: Buffer) => safeTap('wsData', () => t.wsData!('client', c)));
            upstreamSocket.on('data', (c: Buffer) => safeTap('wsData', () => t.wsData!('upstream', c)));
          }
        }
        upstreamSocket.once('close', () => {
          if (!socket.destroyed) socket.destroy();
        });
      },
      onRefused(status) {
        metrics.websockets.inc({ result: 'refused' });
        if (tap) safeTap('responseHead', () => tap!.responseHead?.(status, {}, process.hrtime.bigint()));
      },
      onError(err, wasUpgraded) {
        const code = err.code ?? 'ERROR';
        metrics.websockets.inc({ result: 'error' });
        metrics.upstreamErrors.inc({ dialect: 'openai', code });
        if (wasUpgraded) {
          finish({ kind: 'upstream_reset', code });
          socket.destroy();
          return;
        }
        const d = describeUpstreamError(err, choice.name, new URL(choice.base).origin);
        logger.warn(`WebSocket ${path} → ${d.message}`);
        finish({ kind: 'upstream_error', code, status: d.status, message: d.message });
        const reply = proxyErrorReply('openai', d.status, d.code, d.message);
        if (!socket.destroyed)
          socket.write(
            `HTTP/1.1 ${d.status} ${d.status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(reply.body)}\r\nconnection: close\r\n\r\n${reply.body}`,
          );
      },
    });
  }

  // --- lifecycle --------------------------------------------------------------------------------------------

  const server = http.createServer(onRequest);
  // Clients (Claude Code, SDKs) keep connections open between turns; a long server keep-alive avoids the race
  // where the server closes an idle connection just as the client sends the next request on it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('upgrade', onUpgrade);
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(config.host, config.port) : err);
    };
    server.once('error', onError);
    server.listen({ host: config.host, port: config.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error(`proxy server error: ${err.message}`));
  const address = server.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const serverUrl = `http://${hostForUrl}:${address.port}`;

  let closed: Promise<void> | null = null;
  return {
    url: serverUrl,
    port: address.port,
    metrics,
    setObserver(next) {
      observer = next;
    },
    close(graceMs = config.timeouts.shutdownGraceMs) {
      if (closed) return closed;
      closing = true;
      closed = (async () => {
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
        forwarder.close();
        await serverClosed;
      })();
      return closed;
    },
  };
}
