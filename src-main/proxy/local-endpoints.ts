// Requests the proxy answers itself: `GET|HEAD /` (a line saying where to point clients; Claude Code probes it
// at start-up), `/healthz` (the process is up), `/readyz` (each upstream accepts a TCP connection; cached 5 s so
// a tight polling loop does not hammer the upstreams) and `/metrics` (Prometheus text).
import net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type ProxyContext } from './context.js';
import type { LocalRoute } from './routes.js';

const READY_CACHE_MS = 5_000;
const PROBE_TIMEOUT_MS = 2_000;

interface Probe {
  ok: boolean;
  ms?: number;
  error?: string;
}

function probe(urlText: string): Promise<Probe> {
  const u = new URL(urlText);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (r: Probe): void => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () =>
      done({ ok: false, error: `timeout after ${PROBE_TIMEOUT_MS} ms` }),
    );
    socket.once('connect', () => done({ ok: true, ms: Date.now() - started }));
    socket.once('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
  });
}

export type LocalHandler = (name: LocalRoute, req: IncomingMessage, res: ServerResponse) => void;

/** One handler per server: it holds the /readyz cache. */
export function createLocalEndpoints(ctx: ProxyContext): LocalHandler {
  const { config, metrics } = ctx;
  let readyCache: { at: number; result: Promise<{ ok: boolean; body: string }> } | null = null;

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

  return (name, req, res) => {
    switch (name) {
      case 'root': {
        const url = ctx.serverUrl;
        const body = `LunaRoute ${ctx.version} is running. Point ANTHROPIC_BASE_URL at ${url} and OPENAI_BASE_URL at ${url}/v1.\n`;
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
            status: ctx.closing ? 'stopping' : 'ok',
            service: 'lunaroute',
            version: ctx.version,
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
  };
}
