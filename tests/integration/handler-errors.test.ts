// The top-level guards of both ports: a handler that throws is answered (500 or a closed connection when the
// response had started), logged, and the server keeps serving. Bugs are provoked through the servers' own
// injection points — a Codex login source and a live-event subscription that throw — on real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { CallHandlers } from '../../src-shared/contract.js';
import type { Logger } from '../../src-main/log.js';
import { startProxyServer, type ProxyServer } from '../../src-main/proxy/server.js';
import { startUiServer, type UiServer } from '../../src-main/ui-server/server.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';
import { rawRequest } from '../support/http.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function capture(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  return { errors, logger: { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) } };
}

describe('proxy port', () => {
  async function proxyWithBrokenLogin(): Promise<{ proxy: ProxyServer; errors: string[] }> {
    const { logger, errors } = capture();
    const proxy = await startProxyServer({
      config: makeTestConfig(),
      logger,
      version: 'test',
      codexLogin: () => {
        throw new Error('simulated bug in the login source');
      },
    });
    cleanups.push(() => proxy.close(0));
    return { proxy, errors };
  }

  it('answers a request whose handler throws with a logged 500, and keeps serving', async () => {
    const { proxy, errors } = await proxyWithBrokenLogin();
    const res = await rawRequest(`${proxy.url}/v1/responses`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(500);
    expect(res.headers['x-lunaroute-error']).toBe('internal_error');
    const body = JSON.parse(res.body.toString()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('internal_error');
    expect(body.error.message).toContain('simulated bug in the login source');
    expect(body.error.message).toContain('keeps running');
    expect(errors.some((e) => e.includes('LunaRoute failed on POST /v1/responses'))).toBe(true);
    expect((await rawRequest(`${proxy.url}/healthz`)).status).toBe(200);
  });

  it('answers a WebSocket upgrade whose handler throws with a 500, and keeps serving', async () => {
    const { proxy, errors } = await proxyWithBrokenLogin();
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(proxy.url.replace('http', 'ws') + '/v1/responses');
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('upgraded')));
      ws.on('error', reject);
    });
    expect(status).toBe(500);
    expect(errors.some((e) => e.includes('failed on a WebSocket upgrade'))).toBe(true);
    expect((await rawRequest(`${proxy.url}/healthz`)).status).toBe(200);
  });
});

describe('UI port', () => {
  it('closes a response whose handler throws after it started, logs it, and keeps serving', async () => {
    const { logger, errors } = capture();
    const ui: UiServer = await startUiServer({
      port: 0,
      rendererDir: makeTempDir(),
      handlers: {} as CallHandlers,
      subscribe: () => {
        throw new Error('simulated bug in the event source');
      },
      logger,
      token: 'test-token',
    });
    cleanups.push(() => ui.close());
    const broken = await rawRequest(`${ui.url}/api/events?token=test-token`).then(
      (r) => r.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    // The stream's 200 head was sent before the bug: the connection is cut instead of a 500.
    expect(broken).toBe('ECONNRESET');
    expect(errors.some((e) => e.includes('UI server failed on GET /api/events'))).toBe(true);
    const after = await rawRequest(`${ui.url}/%ZZ`);
    expect(after.status).toBe(400);
    expect((await rawRequest(`${ui.url}/`)).status).toBe(503); // no renderer built in this temp dir
  });
});
