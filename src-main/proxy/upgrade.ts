// WebSocket upgrades (Codex's Responses over WebSocket on /v1/responses and /responses): the handshake is
// forwarded with the same credential policy as HTTP, then both sockets are piped to each other through the
// adapter. Taps get the raw frame bytes per direction. The Host/Origin rules of request-guard.ts apply as for
// HTTP — and matter more here: a WebSocket has no CORS, so a page that could open one could read the answers.
// Anything refused gets a plain HTTP error on the socket, in OpenAI's error shape (the only dialect that
// upgrades).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { InterceptedRoute } from './connect/route.js';
import { chooseUpstream } from './credentials.js';
import { safeTap, type ProxyContext } from './context.js';
import { rawJsonResponse } from './bad-requests.js';
import { describeUpstreamError, proxyErrorReply } from './errors.js';
import { HOP_BY_HOP_REQUEST, stripConnectionHeaders } from './headers.js';
import { isWebSocketPath, joinUpstreamUrl } from './routes.js';
import type { ExchangeEnd, ExchangeTap } from './tap.js';

export function handleUpgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  /** Forward-proxy mode: the intercepted host's route (any path that maps to the Responses API upgrades). */
  via?: InterceptedRoute,
): void {
  const { logger, metrics, observer } = ctx;
  const t0 = process.hrtime.bigint();
  socket.on('error', () => socket.destroy());
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // An intercepted socket (forward-proxy mode) carries the official host's name: the Host guard is for the
  // base-URL port only, and its upgrades may use the host's own Responses path (chatgpt.com/backend-api/…).
  const source = via ? null : ctx.guard.classify(req.headers);
  const wsPath =
    (via ? via.endpoint === 'responses' : isWebSocketPath(path)) &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const refused = source && ctx.guard.refusal(source, req.headers, wsPath);
  if (refused) {
    const reply = proxyErrorReply('openai', refused.status, refused.code, refused.message);
    socket.end(rawJsonResponse(reply.status, reply.body, refused.code));
    return;
  }
  const closing = ctx.closing;
  if (closing || !wsPath) {
    const reply = proxyErrorReply(
      'openai',
      closing ? 503 : 404,
      closing ? 'shutting_down' : 'not_found',
      closing
        ? 'LunaRoute is shutting down.'
        : `LunaRoute proxies WebSocket upgrades only on /v1/responses and /responses, not ${path}.`,
    );
    socket.end(rawJsonResponse(reply.status, reply.body, closing ? 'shutting_down' : 'not_found'));
    return;
  }
  const local = source === null || source.kind === 'local';
  const choice =
    via?.choice ??
    chooseUpstream(ctx.config.upstreams, ctx.codexLogin, 'openai', 'responses', req.headers, local);
  const target = joinUpstreamUrl(
    choice.base,
    via ? via.upstreamPath : path.startsWith('/v1') ? path.slice(3) : path,
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
        ...(via && { forwardHost: via.host }),
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
  ctx.sockets.add(socket);
  let upgraded = false;
  let ended = false;
  const finish = (end: ExchangeEnd): void => {
    if (ended) return;
    ended = true;
    ctx.sockets.delete(socket);
    if (upgraded) metrics.inflightStreams.dec({ dialect: 'openai', transport: 'websocket' });
    if (tap) safeTap(ctx, 'end', () => tap!.end(end, process.hrtime.bigint()));
  };
  socket.once('close', () => finish(ctx.closing ? { kind: 'shutdown' } : { kind: 'completed' }));

  ctx.forwarder.ws(req, socket, head, target, choice.setHeaders, {
    onUpgrade(headers, upstreamSocket) {
      upgraded = true;
      metrics.websockets.inc({ result: 'upgraded' });
      metrics.inflightStreams.inc({ dialect: 'openai', transport: 'websocket' });
      if (tap) {
        const t = tap;
        safeTap(ctx, 'responseHead', () => t.responseHead?.(101, headers, process.hrtime.bigint()));
        if (t.wsData) {
          if (head.length > 0) safeTap(ctx, 'wsData', () => t.wsData!('client', head));
          socket.on('data', (c: Buffer) => safeTap(ctx, 'wsData', () => t.wsData!('client', c)));
          upstreamSocket.on('data', (c: Buffer) => safeTap(ctx, 'wsData', () => t.wsData!('upstream', c)));
        }
      }
      upstreamSocket.once('close', () => {
        if (!socket.destroyed) socket.destroy();
      });
    },
    onRefused(status) {
      metrics.websockets.inc({ result: 'refused' });
      if (tap) safeTap(ctx, 'responseHead', () => tap!.responseHead?.(status, {}, process.hrtime.bigint()));
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
      if (!socket.destroyed) socket.write(rawJsonResponse(d.status, reply.body, d.code));
    },
  });
}
