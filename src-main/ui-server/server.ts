// The headless UI server (`lunaroute serve`, default 127.0.0.1:8082): serves the built renderer and the UI
// contract — `POST /api/call/<name>` and the `/api/events` stream — so the same Svelte app runs in any browser.
//
// Threat model: this port is a door into everything recorded (prompts, code, tool output). Attackers we defend
// against: (1) another machine on the network — we bind loopback only unless told otherwise; (2) a web page in
// the user's browser making cross-site requests to 127.0.0.1 (CSRF, reading data) — every /api request with a
// foreign Origin or `Sec-Fetch-Site: cross-site` is refused, no CORS headers are ever sent, and every call and
// the event stream need the per-run random token that only our own page receives (in its HTML, which a foreign
// origin cannot read); (3) DNS rebinding (evil.example resolving to 127.0.0.1, making requests "same-origin") —
// any request whose Host is not our own loopback host:port is refused; (4) recorded content that carries markup
// or script — the renderer renders every string as text, and a strict CSP (scripts and styles from 'self' only,
// no inline, no eval, no framing) contains any mistake. Local processes of the same user are out of scope (they
// can read the data directory anyway). Arguments are parsed with the contract's schemas; bodies are capped.
// No request can end the process: a handler that throws is logged and answered with a 500, a path with broken
// percent-encoding with a 400.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  HTTP_CALL_PREFIX,
  HTTP_EVENTS_PATH,
  TOKEN_HEADER,
  dispatchCall,
  parseEvent,
  type CallHandlers,
  type CallResponse,
  type UiEvent,
} from '../../src-shared/contract.js';
import { CONTRACT_ERROR_CODES, isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';
import type { LiveEvent } from '../../src-shared/live.js';
import type { Logger } from '../log.js';

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** Content types of the built renderer's files (also served by the desktop app's lunaroute:// protocol). */
export const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Placeholder in the built index.html that the server replaces with the per-run token. */
export const TOKEN_PLACEHOLDER = '__LUNAROUTE_TOKEN__';
const MAX_CALL_BODY = 1024 * 1024;
const MAX_SSE_BUFFER = 8 * 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export interface UiServerOptions {
  /** Default 127.0.0.1. Anything else is a deliberate choice (the Host check then also accepts it). */
  host?: string;
  /** 0 = any free port. */
  port: number;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  handlers: CallHandlers;
  /** Live events from the recorder; called when the first view connects, the returned function when the last leaves. */
  subscribe: (listener: (e: LiveEvent) => void) => () => void;
  /** Sees every recorder event while views are connected (to derive problems). */
  observe?: (e: LiveEvent) => void;
  logger: Logger;
  /** Fixed token (tests); default: 32 random bytes per run. */
  token?: string;
}

export interface UiServer {
  url: string;
  port: number;
  token: string;
  /** Push an event to every connected view (settings_changed, problem). */
  push(e: UiEvent): void;
  /** Connected event-stream clients. */
  readonly clients: number;
  /** The origins this server's pages have (`http://127.0.0.1:<port>`, `http://localhost:<port>`, …). */
  readonly origins: readonly string[];
  close(): Promise<void>;
}

/** The web UI's host:port is taken (UI_PORT_IN_USE, with `details: { host, port }`). */
export function uiPortInUse(host: string, port: number): LunaRouteError<'UI_PORT_IN_USE'> {
  return new LunaRouteError(
    'UI_PORT_IN_USE',
    `${host}:${port} is already in use (the web UI could not start; try --ui-port)`,
    { details: { host, port } },
  );
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function findRendererDir(from: string = path.dirname(new URL(import.meta.url).pathname)): string {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'renderer');
    dir = path.dirname(dir);
  }
  return path.resolve('dist', 'renderer');
}

export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? randomBytes(32).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const sse = new Set<ServerResponse>();
  let unsubscribe: (() => void) | null = null;
  let pending: UiEvent[] = [];
  let flushScheduled = false;
  let port = 0;
  let badEvents = 0;

  const allowedHosts = (): Set<string> => {
    const names = new Set(LOOPBACK_NAMES);
    names.add(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
    return new Set([...names].map((n) => `${n}:${port}`));
  };
  let hosts = new Set<string>();

  const tokenOk = (given: string | null | undefined): boolean => {
    if (!given) return false;
    const b = Buffer.from(given);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra = {},
  ): void => {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'cache-control': 'no-store',
      ...extra,
    });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, body: CallResponse): void =>
    send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
  const refuse = (res: ServerResponse, status: number, message: string): void =>
    sendJson(res, status, { ok: false, error: { code: 'forbidden', message } });

  const flush = (): void => {
    flushScheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0 || sse.size === 0) return;
    const frame = `data: ${JSON.stringify(batch)}\n\n`;
    for (const res of sse) {
      if (res.writableLength > MAX_SSE_BUFFER) {
        o.logger.warn('a UI event stream fell too far behind; closing it (the page reconnects)');
        res.destroy();
        continue;
      }
      res.write(frame);
    }
  };

  const push = (e: UiEvent): void => {
    try {
      pending.push(parseEvent(e));
    } catch (err) {
      if (badEvents++ < 5) o.logger.error(`UI event dropped: ${(err as Error).message}`);
      return;
    }
    // One frame per event-loop turn, however many events arrived in it.
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };

  const onLive = (e: LiveEvent): void => {
    o.observe?.(e);
    push(e);
  };

  const openEvents = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (!tokenOk(url.searchParams.get('token'))) return refuse(res, 403, 'missing or wrong token');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write('retry: 1000\n: connected\n\n');
    res.socket?.setNoDelay(true);
    sse.add(res);
    if (sse.size === 1) unsubscribe = o.subscribe(onLive);
    const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const done = (): void => {
      clearInterval(heartbeat);
      if (!sse.delete(res)) return;
      if (sse.size === 0) {
        unsubscribe?.();
        unsubscribe = null;
      }
    };
    req.on('close', done);
    res.on('close', done);
  };

  const handleCall = (req: IncomingMessage, res: ServerResponse, name: string): void => {
    if (req.method !== 'POST') return refuse(res, 405, 'calls are POST');
    if (!tokenOk(req.headers[TOKEN_HEADER] as string | undefined))
      return refuse(res, 403, 'missing or wrong token');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      return refuse(res, 415, 'calls are application/json');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_CALL_BODY) {
        refuse(res, 413, 'request body too large');
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let args: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        args = text.length ? JSON.parse(text) : {};
      } catch {
        return sendJson(res, 400, {
          ok: false,
          error: { code: 'bad_args', message: `${name}: body is not JSON` },
        });
      }
      dispatchCall(o.handlers, name, args).then(
        (value) => sendJson(res, 200, { ok: true, value }),
        (err: unknown) => {
          const e = isLunaRouteError(err, CONTRACT_ERROR_CODES)
            ? err
            : new LunaRouteError('failed', String(err));
          const status = e.code === 'unknown_call' ? 404 : e.code === 'bad_args' ? 400 : 500;
          if (status === 500) o.logger.error(`UI call ${e.message}`);
          sendJson(res, status, { ok: false, error: { code: e.code, message: e.message } });
        },
      );
    });
  };

  const serveStatic = (res: ServerResponse, pathname: string): void => {
    let rel: string;
    try {
      rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    } catch {
      return send(
        res,
        400,
        'text/plain; charset=utf-8',
        'The path is not valid percent-encoding (a % must be followed by two hex digits).\n',
      );
    }
    const abs = path.resolve(o.rendererDir, rel);
    if (!abs.startsWith(path.resolve(o.rendererDir) + path.sep))
      return send(res, 404, 'text/plain', 'not found');
    let body: Buffer;
    try {
      body = fs.readFileSync(abs);
    } catch {
      if (rel === 'index.html') {
        return send(
          res,
          503,
          'text/plain; charset=utf-8',
          `The LunaRoute UI is not built (${o.rendererDir} is missing): run \`npm run build:renderer\`.\n`,
        );
      }
      return send(res, 404, 'text/plain', 'not found');
    }
    const ext = path.extname(abs);
    if (rel === 'index.html') {
      return send(res, 200, MIME['.html']!, body.toString('utf8').replace(TOKEN_PLACEHOLDER, token));
    }
    const immutable = rel.startsWith('assets/');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': MIME[ext] ?? 'application/octet-stream',
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    // DNS rebinding: the Host must be our own loopback address.
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) return refuse(res, 403, 'unexpected Host header');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    } catch {
      return refuse(res, 400, 'bad URL');
    }
    const isApi = url.pathname.startsWith('/api/');
    const origin = req.headers.origin;
    // Cross-site requests: refuse any foreign Origin; for the API also any cross-site fetch metadata.
    if (origin !== undefined && !hosts.has(origin.replace(/^http:\/\//i, '').toLowerCase())) {
      return refuse(res, 403, 'cross-origin requests are not allowed');
    }
    if (origin !== undefined && !/^http:\/\//i.test(origin)) return refuse(res, 403, 'unexpected Origin');
    if (isApi && req.headers['sec-fetch-site'] === 'cross-site') {
      return refuse(res, 403, 'cross-site requests are not allowed');
    }
    if (url.pathname.startsWith(HTTP_CALL_PREFIX))
      return handleCall(req, res, url.pathname.slice(HTTP_CALL_PREFIX.length));
    if (url.pathname === HTTP_EVENTS_PATH) {
      if (req.method !== 'GET') return refuse(res, 405, 'the event stream is GET');
      return openEvents(req, res, url);
    }
    if (isApi) return refuse(res, 404, 'no such endpoint');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'method not allowed');
    serveStatic(res, url.pathname);
  };

  // The top-level guard: whatever a handler throws becomes a log line and a 500, never the end of the process.
  const server = http.createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      o.logger.error(
        `UI server failed on ${req.method} ${(req.url ?? '').split('?')[0]}: ${(err as Error).stack ?? String(err)}`,
      );
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { ok: false, error: { code: 'failed', message: 'internal error (logged)' } });
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? uiPortInUse(host, o.port) : err),
    );
    server.listen(o.port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  hosts = allowedHosts();
  const shownHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    port,
    token,
    push,
    get clients() {
      return sse.size;
    },
    origins: [...hosts].map((h) => `http://${h}`),
    close() {
      unsubscribe?.();
      unsubscribe = null;
      for (const res of sse) res.end();
      sse.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
