// The forward-proxy mode: `CONNECT host:port` on the proxy port. For an intercepted model host on port 443
// the proxy answers 200, terminates TLS itself with a leaf from the local CA (ALPN http/1.1 only) and hands
// the decrypted socket to its own HTTP server, so those requests take exactly the base-URL path (routing,
// recording, redaction, live view); the socket is marked with its host so routing knows it. Every other target
// gets a byte-for-byte TCP tunnel (never decrypted) if forward.tunnel allows it.
// Threat model: the port is loopback-only, so whoever can use the tunnel can already open those connections
// themselves. An intercepted host is never tunnelled: a client that rejects the CA fails loudly (its TLS error,
// and a log line here saying which variable to set) instead of bypassing the recorder. Only the client's own
// credentials are forwarded on intercepted requests (route.ts).
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { caPaths } from '../../ca/store.js';
import { LeafIssuer } from '../../ca/leaves.js';
import { isLunaRouteError } from '../../../src-shared/errors.js';
import type { Logger } from '../../log.js';
import { rawJsonResponse } from '../bad-requests.js';
import type { ProxyContext } from '../context.js';
import { genericErrorReply, type ProxyErrorCode } from '../errors.js';
import type { TunnelPolicy } from './config.js';

/** What the HTTP server learns about a socket that came out of an intercepted CONNECT. */
export interface InterceptedSocket {
  host: string;
  /** Requests (and upgrades) seen on it; 0 at close means the client gave up after the handshake. */
  requests: number;
}

const intercepted = new WeakMap<object, InterceptedSocket>();

/** The mark of a request's socket when it came out of an intercepted CONNECT; undefined for base-URL traffic. */
export function interceptedSocket(socket: object): InterceptedSocket | undefined {
  return intercepted.get(socket);
}

/** A connection that closes this soon after its handshake without a request was most likely a rejection. */
const REJECTED_WITHIN_MS = 1000;

export interface ConnectTarget {
  host: string;
  port: number;
}

/** Parse a CONNECT request target (`host:port`, `[v6]:port`). Null when it is not one. */
export function parseConnectTarget(target: string): ConnectTarget | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s@]+)):(\d{1,5})$/.exec(target);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  const host = (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, '');
  if (m[1] !== undefined && net.isIPv6(host) === false) return null;
  return { host, port };
}

/** Loopback: 127.0.0.0/8, ::1 (also v4-mapped), localhost. Names are not resolved. */
export function isLoopbackTarget(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

export function tunnelAllowed(policy: TunnelPolicy, host: string): boolean {
  return policy === 'all' || (policy === 'loopback' && isLoopbackTarget(host));
}

/** Answer a CONNECT with a JSON error (the shape both SDKs read) and close. */
function reply(socket: Duplex, status: number, code: ProxyErrorCode, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawJsonResponse(status, genericErrorReply(status, code, message).body, code));
}

/** What a user checks when a client's TLS toward LunaRoute fails, naming the variable for each client. */
export function trustHint(caCertPath: string): string {
  return (
    `check that the client trusts LunaRoute's CA ${caCertPath}: Claude Code and OpenCode need ` +
    `NODE_EXTRA_CA_CERTS, Codex CODEX_CA_CERTIFICATE (lunaroute env --mode forward prints both); ` +
    `other programs need it in their trust store, or HTTPS_PROXY unset`
  );
}

export interface ConnectHandler {
  handle(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Cut every tunnel and intercepted connection (shutdown). */
  close(): void;
}

export function createConnectHandler(ctx: ProxyContext, server: http.Server): ConnectHandler {
  const { config, logger } = ctx;
  const intercept = new Set(config.forward.intercept);
  const caCertPath = caPaths(config.dataDir).cert;
  const issuer = new LeafIssuer({
    dataDir: config.dataDir,
    hosts: config.forward.intercept,
    onCreated: (ca) =>
      logger.info(`forward proxy: created the local CA ${ca.paths.cert} (sha256 ${ca.fingerprint})`),
  });
  const live = new Set<Duplex>();
  const track = (s: Duplex): void => {
    live.add(s);
    s.once('close', () => live.delete(s));
  };

  function interceptTls(socket: Duplex, head: Buffer, target: ConnectTarget, label: string): void {
    issuer.contextFor(target.host).then(
      (secureContext) => {
        if (socket.destroyed) return;
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) socket.unshift(head);
        const tlsSocket = new tls.TLSSocket(socket as net.Socket, {
          isServer: true,
          secureContext,
          ALPNProtocols: ['http/1.1'],
        });
        const mark: InterceptedSocket = { host: target.host, requests: 0 };
        intercepted.set(tlsSocket, mark);
        track(tlsSocket);
        watchHandshake(tlsSocket, mark, label, caCertPath, logger);
        server.emit('connection', tlsSocket);
      },
      (err: Error) => {
        const why = isLunaRouteError(err, 'CA_HOST_NOT_COVERED')
          ? err.message
          : `the local CA is not usable: ${err.message}`;
        logger.error(`forward proxy: CONNECT ${label} refused — ${why}`);
        reply(socket, 502, 'intercept_failed', `LunaRoute cannot intercept ${target.host}: ${why}`);
      },
    );
  }

  function tunnel(socket: Duplex, head: Buffer, target: ConnectTarget, label: string): void {
    const upstream = net.connect({ host: target.host, port: target.port });
    track(upstream);
    let connected = false;
    upstream.setTimeout(config.timeouts.connectMs, () => {
      if (!connected) upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    });
    upstream.once('connect', () => {
      connected = true;
      upstream.setTimeout(0);
      if (socket.destroyed) {
        upstream.destroy();
        return;
      }
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) {
        socket.destroy();
        return;
      }
      logger.warn(`forward proxy: tunnel to ${label} failed: ${err.code ?? err.message}`);
      reply(
        socket,
        502,
        'upstream_unreachable',
        `LunaRoute could not reach ${label}: ${err.code ?? err.message}`,
      );
    });
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
  }

  return {
    handle(req, socket, head) {
      socket.on('error', () => socket.destroy());
      track(socket);
      const target = parseConnectTarget(req.url ?? '');
      if (!target) {
        reply(socket, 400, 'bad_request', `LunaRoute expects CONNECT host:port, not ${req.url ?? ''}`);
        return;
      }
      const label = `${target.host}:${target.port}`;
      if (ctx.closing) {
        reply(socket, 503, 'shutting_down', 'LunaRoute is shutting down; retry in a moment.');
        return;
      }
      if (intercept.has(target.host) && target.port === 443) {
        interceptTls(socket, head, target, label);
        return;
      }
      if (!tunnelAllowed(config.forward.tunnel, target.host)) {
        logger.info(`forward proxy: CONNECT ${label} refused (forward.tunnel is ${config.forward.tunnel})`);
        reply(
          socket,
          403,
          'tunnel_refused',
          `LunaRoute tunnels ${config.forward.tunnel === 'none' ? 'no hosts' : 'only loopback targets'} (forward.tunnel: ${config.forward.tunnel}); ${label} is not intercepted either (forward.intercept).`,
        );
        return;
      }
      tunnel(socket, head, target, label);
    },
    close() {
      for (const s of [...live]) s.destroy();
    },
  };
}

/**
 * Log a failed TLS handshake with the host and what to check. A client that rejects the certificate either
 * sends an alert (an error here) or just hangs up — Node.js clients do that during the handshake, others right
 * after it — without a request: all of these are reported.
 */
function watchHandshake(
  tlsSocket: tls.TLSSocket,
  mark: InterceptedSocket,
  label: string,
  caCertPath: string,
  logger: Logger,
): void {
  let secureAt = 0;
  let reported = false;
  tlsSocket.once('secure', () => (secureAt = Date.now()));
  tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
    if (reported || mark.requests > 0) return;
    reported = true;
    logger.warn(
      `forward proxy: TLS with a client for ${label} failed (${err.code ?? 'error'}: ${err.message.trim()}) — ${trustHint(caCertPath)}`,
    );
  });
  tlsSocket.once('close', () => {
    if (reported || mark.requests > 0) return;
    if (secureAt !== 0 && Date.now() - secureAt > REJECTED_WITHIN_MS) return; // an idle pre-connected socket
    const when = secureAt === 0 ? 'during the TLS handshake' : 'right after the TLS handshake';
    logger.warn(
      `forward proxy: a client hung up ${when} for ${label} without a request — it probably rejected LunaRoute's certificate; ${trustHint(caCertPath)}`,
    );
  });
}
