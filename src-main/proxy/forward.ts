// HTTP forwarding of one routed request: pick the upstream and credential, open a tap for the observer, pipe
// the request and the response through the adapter untouched, and account for the exchange exactly once
// (metrics, the tap's `end`) however it ends — completed, client abort, upstream reset or error, or shutdown.
// The body is never parsed here: taps get copies of the bytes. A browser request from a foreign page
// (request-guard.ts) never gets a stored credential, and CORS grants are removed from its response: LunaRoute
// never lets a foreign origin read an answer.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chooseUpstream, type UpstreamChoice } from './credentials.js';
import { replyError, safeTap, type OpenExchange, type ProxyContext } from './context.js';
import { describeUpstreamError } from './errors.js';
import { HOP_BY_HOP_REQUEST, HOP_BY_HOP_RESPONSE, stripConnectionHeaders } from './headers.js';
import { labelKey } from './metrics.js';
import { joinUpstreamUrl, type UpstreamRoute } from './routes.js';
import type { ExchangeEnd, ExchangeTap } from './tap.js';
import { REPLAY_ID_HEADER, replayUpstream, type ReplayMark } from './replay-header.js';

export interface ForwardVia {
  host: string;
  choice: UpstreamChoice;
}

export function forward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  route: UpstreamRoute,
  query: string,
  t0: bigint,
  /** False for a browser request from a foreign page. */
  local: boolean,
  /** Forward-proxy mode: the intercepted host and the upstream chosen for it (instead of by dialect). */
  via?: ForwardVia,
  /** A replay sent by `lunaroute replay` or the window (see replay-header.ts). */
  replay?: ReplayMark | null,
): void {
  const { logger, metrics, observer } = ctx;
  const { dialect, endpoint } = route;
  const choice =
    via?.choice ??
    (replay?.upstream
      ? replayUpstream(replay.upstream, req.headers)
      : chooseUpstream(ctx.config.upstreams, ctx.codexLogin, dialect, endpoint, req.headers, local));
  const target = joinUpstreamUrl(choice.base, route.upstreamPath, query);
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
        ...(via && { forwardHost: via.host }),
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
    ctx.open.delete(entry);
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
      safeTap(ctx, 'end', () => tap!.end(end, now, timing));
    }
  };
  const entry: OpenExchange = {
    cut() {
      finish({ kind: 'shutdown' });
      res.destroy();
    },
  };
  ctx.open.add(entry);

  res.on('close', () => {
    if (res.writableFinished) finish({ kind: 'completed' });
    else finish(ctx.closing ? { kind: 'shutdown' } : { kind: 'client_abort' });
  });

  ctx.forwarder.web(req, res, target, choice.setHeaders, {
    onDispatch() {
      tDispatch = process.hrtime.bigint();
    },
    onResponse(proxyRes) {
      tResponse = process.hrtime.bigint();
      status = proxyRes.statusCode ?? 0;
      stripConnectionHeaders(proxyRes.headers, HOP_BY_HOP_RESPONSE);
      if (!local) stripCorsGrants(proxyRes.headers);
      metrics.ttfb.observe(seriesKey, Number(tResponse - t0) / 1e9);
      const ct = proxyRes.headers['content-type'];
      if (typeof ct === 'string' && ct.startsWith('text/event-stream')) {
        streaming = true;
        metrics.inflightStreams.inc({ dialect, transport: 'sse' });
      }
      if (tap) {
        const t = tap;
        safeTap(ctx, 'responseHead', () => t.responseHead?.(status, proxyRes.headers, tResponse));
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
        finish(ctx.closing ? { kind: 'shutdown' } : { kind: 'client_abort' });
        return;
      }
      const origin = new URL(choice.base).origin;
      const d = describeUpstreamError(err, choice.name, origin);
      logger.warn(`${req.method} ${req.url?.split('?')[0]} → ${d.message}`);
      finish({ kind: 'upstream_error', code, status: d.status, message: d.message });
      replyError(ctx, res, dialect, d.status, d.code, d.message);
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
    req.on('end', () => safeTap(ctx, 'requestEnd', () => t.requestEnd!()));
  }
}

/** Remove every `access-control-*` response header (an upstream may grant CORS; LunaRoute never passes it on). */
function stripCorsGrants(headers: IncomingMessage['headers']): void {
  for (const name of Object.keys(headers)) if (name.startsWith('access-control-')) delete headers[name];
}
