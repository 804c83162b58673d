// The only module that touches http-proxy (unmaintained since 2020): everything the rest of the proxy needs is
// behind `createForwarder`, so a maintained fork or a small node:http forwarder can replace it in one place.
// It adds the four guards PLATFORM.md lists (each one a verified crash or hang without it), connect and idle
// timeouts, and keep-alive agents per upstream origin.
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, ServerResponse, ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import httpProxy from 'http-proxy';

export interface ForwardHooks {
  /** The upstream request got a socket; its headers are about to go out. */
  onDispatch?(proxyReq: ClientRequest): void;
  /** Upstream answered. Runs before the headers are copied to the client: it may edit `proxyRes.headers`. */
  onResponse?(proxyRes: IncomingMessage): void;
  /** Status and headers are on their way to the client and the body pipe is set up. */
  onResponseForwarded?(): void;
  /** Upstream body ended before it was complete (reset, idle timeout): the client response was destroyed. */
  onResponseCut?(): void;
  /**
   * Any upstream error. When the client response has not started, the caller must answer it (the adapter does
   * not know the dialect); afterwards the adapter has already destroyed it.
   */
  onError(err: NodeJS.ErrnoException, responseStarted: boolean): void;
}

export interface WsHooks {
  /** 101 from upstream: both sockets are about to be piped to each other. */
  onUpgrade?(upstreamHeaders: IncomingMessage['headers'], upstreamSocket: Socket): void;
  /** Upstream refused the upgrade with a normal HTTP response (passed through to the client as is). */
  onRefused?(status: number): void;
  onError(err: NodeJS.ErrnoException, upgraded: boolean): void;
}

export interface ForwarderOptions {
  /** Time allowed for TCP + TLS connect to an upstream (ms). */
  connectTimeoutMs: number;
  /** Longest silence on an upstream connection (ms); 0 = none. Never a total timeout: streams can be long. */
  idleTimeoutMs: number;
  /** Idle keep-alive sockets kept per upstream host. */
  maxFreeSockets?: number;
}

export interface Forwarder {
  /** Forward `req` to `targetUrl` (full URL incl. path and query). `setHeaders` are added or replaced. */
  web(
    req: IncomingMessage,
    res: ServerResponse,
    targetUrl: string,
    setHeaders: Record<string, string> | undefined,
    hooks: ForwardHooks,
  ): void;
  ws(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    targetUrl: string,
    setHeaders: Record<string, string> | undefined,
    hooks: WsHooks,
  ): void;
  /** Destroy pooled upstream sockets. */
  close(): void;
}

const HOOKS = Symbol('lunaroute.forwardHooks');
type HookedReq = IncomingMessage & { [HOOKS]?: ForwardHooks | WsHooks };

function timeoutError(code: string, message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = code;
  return err;
}

export function createForwarder(options: ForwarderOptions): Forwarder {
  const maxFreeSockets = options.maxFreeSockets ?? 32;
  // Free keep-alive sockets are dropped after 30 s, below typical upstream keep-alive limits, so a request
  // rarely lands on a socket the server is closing at that moment.
  const agentOptions = { keepAlive: true, maxFreeSockets, timeout: 30_000, scheduling: 'lifo' as const };
  const agents = new Map<string, http.Agent>();
  function agentFor(target: URL): http.Agent {
    const key = target.protocol + '//' + target.host;
    let agent = agents.get(key);
    if (!agent) {
      // Guard 4: an http.Agent with an https target makes proxy.web() throw synchronously.
      agent = target.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
      agents.set(key, agent);
    }
    return agent;
  }

  // Parsed once per upstream origin: http-proxy would otherwise url.parse() a string target on every request.
  interface Origin {
    protocol: string;
    host: string;
    hostname: string;
    port: string | null;
    agent: http.Agent;
  }
  const origins = new Map<string, Origin>();
  function splitTarget(targetUrl: string): { origin: Origin; path: string } {
    const slash = targetUrl.indexOf('/', targetUrl.indexOf('//') + 2);
    const key = slash < 0 ? targetUrl : targetUrl.slice(0, slash);
    let origin = origins.get(key);
    if (!origin) {
      const u = new URL(key);
      origin = {
        protocol: u.protocol,
        host: u.host,
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || null,
        agent: agentFor(u),
      };
      origins.set(key, origin);
    }
    return { origin, path: slash < 0 ? '/' : targetUrl.slice(slash) };
  }

  const proxy = httpProxy.createProxyServer({ changeOrigin: true, ignorePath: true, xfwd: false, ws: true });

  // Guard 1: without an 'error' listener one upstream reset crashes the process. Per-call callbacks handle the
  // errors; this is the safety net for anything emitted outside them.
  proxy.on('error', (_err, _req, resOrSocket) => {
    if (resOrSocket && 'destroy' in resOrSocket && !resOrSocket.destroyed) resOrSocket.destroy();
  });

  proxy.on('proxyReq', (proxyReq, req, res) => {
    const hooks = (req as HookedReq)[HOOKS] as ForwardHooks | undefined;
    // Guard 2: a client abort never reaches upstream by itself (http-proxy waits for 'aborted', which Node no
    // longer emits once the body was read). Without this the upstream keeps streaming into the void.
    res.on('close', () => {
      if (!res.writableFinished) proxyReq.destroy();
    });
    armTimeouts(proxyReq);
    // http-proxy registered its own 'response' listener when it created proxyReq, so this one runs after it:
    // by then the status and headers are copied to the client and the body pipe is set up.
    if (hooks?.onResponseForwarded) proxyReq.once('response', hooks.onResponseForwarded);
    hooks?.onDispatch?.(proxyReq);
  });

  proxy.on('proxyRes', (proxyRes, req, res) => {
    const hooks = (req as HookedReq)[HOOKS] as ForwardHooks | undefined;
    // Guard 3: an upstream reset after the headers leaves the client hanging forever unless we cut it too.
    proxyRes.on('close', () => {
      if (!proxyRes.complete) {
        if (!res.destroyed) res.destroy();
        hooks?.onResponseCut?.();
      }
    });
    hooks?.onResponse?.(proxyRes);
  });

  proxy.on('proxyReqWs', (proxyReq, req) => {
    const hooks = (req as HookedReq)[HOOKS] as WsHooks | undefined;
    armTimeouts(proxyReq, /* connectOnly */ true);
    proxyReq.on('upgrade', (proxyRes: IncomingMessage, upstreamSocket: Socket) => {
      (req as HookedReq & { lunarouteUpgraded?: boolean }).lunarouteUpgraded = true;
      hooks?.onUpgrade?.(proxyRes.headers, upstreamSocket);
    });
    proxyReq.on('response', (proxyRes: IncomingMessage) => hooks?.onRefused?.(proxyRes.statusCode ?? 0));
  });

  function armTimeouts(proxyReq: ClientRequest, connectOnly = false): void {
    const onSocket = (socket: Socket): void => {
      if (socket.connecting) {
        const timer = setTimeout(() => {
          proxyReq.destroy(
            timeoutError('LUNAROUTE_CONNECT_TIMEOUT', `connect timeout after ${options.connectTimeoutMs} ms`),
          );
        }, options.connectTimeoutMs);
        timer.unref();
        const connectedEvent = 'encrypted' in socket && socket.encrypted ? 'secureConnect' : 'connect';
        const clear = (): void => clearTimeout(timer);
        socket.once(connectedEvent, clear);
        socket.once('close', clear);
      }
    };
    if (proxyReq.socket) onSocket(proxyReq.socket);
    else proxyReq.once('socket', onSocket);
    if (!connectOnly) {
      proxyReq.setTimeout(options.idleTimeoutMs, () => {
        proxyReq.destroy(timeoutError('LUNAROUTE_IDLE_TIMEOUT', `no data for ${options.idleTimeoutMs} ms`));
      });
    }
  }

  return {
    web(req, res, targetUrl, setHeaders, hooks) {
      const { origin, path } = splitTarget(targetUrl);
      (req as HookedReq)[HOOKS] = hooks;
      const o = origin;
      proxy.web(
        req,
        res,
        {
          target: { protocol: o.protocol, host: o.host, hostname: o.hostname, port: o.port, path } as never,
          agent: o.agent,
          headers: setHeaders,
        },
        (err: NodeJS.ErrnoException) => {
          const started = res.headersSent;
          if (started && !res.destroyed) res.destroy();
          hooks.onError(err, started);
        },
      );
    },
    ws(req, socket, head, targetUrl, setHeaders, hooks) {
      (req as HookedReq)[HOOKS] = hooks;
      proxy.ws(
        req,
        socket,
        head,
        { target: targetUrl, agent: agentFor(new URL(targetUrl)), headers: setHeaders },
        (err: NodeJS.ErrnoException) => {
          hooks.onError(err, (req as HookedReq & { lunarouteUpgraded?: boolean }).lunarouteUpgraded === true);
        },
      );
    },
    close() {
      proxy.close();
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}
