// Issue #10 on the proxy port, through the real core on loopback: a web page cannot spend the stored
// credentials (a configured key, Codex's auth.json login) and DNS rebinding cannot reach the proxy at all.
// Every assertion about credentials is made on what the upstream actually received.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';
import { rawRequest } from '../support/http.js';
import { startTestUpstream, type TestUpstream } from '../support/upstream.js';

const STORED_ANTHROPIC = 'sk-ant-stored-config-key';
const STORED_CODEX = 'sk-codex-stored-login-key';
const EVIL = 'https://evil.example';

let anthropic: TestUpstream;
let openai: TestUpstream;
let wsUpstream: { url: string; seen: http.IncomingHttpHeaders[]; close(): Promise<void> };
let core: CoreHandle;
let port: number;
const warnings: string[] = [];

async function startWsUpstream(): Promise<typeof wsUpstream> {
  const server = http.createServer((_req, res) => res.end());
  const wss = new WebSocketServer({ server, path: '/v1/responses' });
  const seen: http.IncomingHttpHeaders[] = [];
  wss.on('connection', (_ws, req) => seen.push(req.headers));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

beforeAll(async () => {
  anthropic = await startTestUpstream();
  openai = await startTestUpstream();
  wsUpstream = await startWsUpstream();
  const dataDir = makeTempDir();
  const codexAuthFile = path.join(dataDir, 'codex', 'auth.json');
  fs.mkdirSync(path.dirname(codexAuthFile));
  fs.writeFileSync(codexAuthFile, JSON.stringify({ OPENAI_API_KEY: STORED_CODEX }));
  core = await startCore(
    makeTestConfig({
      dataDir,
      anthropicUrl: anthropic.url,
      openaiUrl: openai.url + '/v1',
      anthropicKey: STORED_ANTHROPIC,
      codexAuthFile,
      allowedHosts: ['lunaroute.internal', 'box.lan:9000'],
    }),
    { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
  );
  port = core.port;
});
afterAll(async () => {
  await core.stop();
  await anthropic.close();
  await openai.close();
  await wsUpstream.close();
});

async function send(
  p: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{
  status: number;
  json: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
  upstream: number;
}> {
  const before = anthropic.requests.length + openai.requests.length;
  const res = await rawRequest(core.proxyUrl + p, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: method === 'POST' ? '{"model":"m"}' : undefined,
  });
  const text = res.body.toString();
  return {
    status: res.status,
    json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
    upstream: anthropic.requests.length + openai.requests.length - before,
  };
}

describe('a foreign Host is refused outright (DNS rebinding)', () => {
  it('on an Anthropic path, in Anthropic error shape, saying why and how to allow a host', async () => {
    const r = await send('/v1/messages', { host: `evil.example:${port}`, 'anthropic-version': '2023-06-01' });
    expect(r.status).toBe(403);
    expect(r.upstream).toBe(0);
    expect(r.headers['x-lunaroute-error']).toBe('host_not_allowed');
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const message = (r.json as { error: { message: string } }).error.message;
    expect(message).toContain(`Host "evil.example:${port}"`);
    expect(message).toContain('DNS rebinding');
    expect(message).toContain(`proxy.allowed_hosts in ${core.config.configFile}`);
  });

  it('on an OpenAI path, in OpenAI error shape', async () => {
    const r = await send('/v1/chat/completions', { host: `evil.example:${port}` });
    expect(r.status).toBe(403);
    expect(r.upstream).toBe(0);
    expect(r.json).toMatchObject({
      error: { type: 'invalid_request_error', code: 'host_not_allowed', param: null },
    });
    expect((r.json as { error: { message: string } }).error.message).toContain('proxy.allowed_hosts');
  });

  it('on the local endpoints too, and for a loopback name on another port', async () => {
    expect((await send('/healthz', { host: `evil.example:${port}` }, 'GET')).status).toBe(403);
    expect((await send('/metrics', { host: `evil.example:${port}` }, 'GET')).status).toBe(403);
    expect((await send('/v1/messages', { host: `127.0.0.1:${port + 1}` })).status).toBe(403);
  });

  it('lets loopback names with our port and the hosts listed in proxy.allowed_hosts through, with the stored key', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `lunaroute.internal:${port}`,
      'lunaroute.internal',
      'box.lan:9000',
    ]) {
      const r = await send('/v1/messages', { host });
      expect({ host, status: r.status }).toEqual({ host, status: 200 });
      expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe(STORED_ANTHROPIC);
    }
    expect((await send('/v1/messages', { host: `box.lan:${port}` })).status).toBe(403);
  });
});

describe('a web page cannot spend the stored credentials', () => {
  it.each([
    ['/v1/messages', { origin: EVIL }, 'anthropic'],
    ['/v1/messages', { origin: 'null' }, 'anthropic'],
    ['/v1/messages', { 'sec-fetch-site': 'cross-site' }, 'anthropic'],
    ['/v1/messages', { 'sec-fetch-site': 'same-site' }, 'anthropic'],
    ['/v1/responses', { origin: EVIL }, 'openai'],
    ['/v1/responses', { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-site' }, 'openai'],
    ['/v1/chat/completions', { 'sec-fetch-site': 'cross-site' }, 'openai'],
  ] as const)(
    '%s with %j and no credentials gets a 403 in %s shape; the upstream sees nothing',
    async (p, h, dialect) => {
      const r = await send(p, h);
      expect(r.status).toBe(403);
      expect(r.upstream).toBe(0);
      expect(r.headers['x-lunaroute-error']).toBe('cross_site_request');
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
      if (dialect === 'anthropic')
        expect(r.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      else
        expect(r.json).toMatchObject({
          error: { code: 'cross_site_request', type: 'invalid_request_error' },
        });
      expect(JSON.stringify(r.json)).toContain('cannot spend them');
    },
  );

  it('passes a browser request that brings its own credentials, with those and never the stored ones', async () => {
    const a = await send('/v1/messages', { origin: EVIL, 'x-api-key': 'sk-ant-page-own' });
    expect(a.status).toBe(200);
    expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe('sk-ant-page-own');
    const o = await send('/v1/responses', { origin: EVIL, authorization: 'Bearer sk-page-own' });
    expect(o.status).toBe(200);
    expect(openai.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-page-own');
  });

  it('adds the stored key (config, and Codex login) for local programs and for pages of our own UI', async () => {
    expect((await send('/v1/responses', {})).status).toBe(200);
    expect(openai.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${STORED_CODEX}`);
    expect((await send('/v1/messages', { 'sec-fetch-site': 'none' })).status).toBe(200);
    expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe(STORED_ANTHROPIC);
    const ui = core.ui!.url;
    expect((await send('/v1/messages', { origin: ui, 'sec-fetch-site': 'same-site' })).status).toBe(200);
    expect(anthropic.requests.at(-1)!.headers['x-api-key']).toBe(STORED_ANTHROPIC);
    const uiLocalhost = ui.replace('127.0.0.1', 'localhost');
    expect((await send('/v1/responses', { origin: uiLocalhost })).status).toBe(200);
    expect(openai.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${STORED_CODEX}`);
  });

  it('never grants CORS to a foreign origin: no grant on a preflight, upstream grants are removed', async () => {
    const preflight = await send(
      '/v1/messages',
      {
        origin: EVIL,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key,content-type',
      },
      'OPTIONS',
    );
    expect(preflight.status).toBe(403);
    expect(preflight.upstream).toBe(0);
    expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);

    anthropic.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': '*',
      });
      res.end('{}');
    });
    try {
      const own = await send('/v1/messages', { origin: EVIL, 'x-api-key': 'sk-ant-page-own' });
      expect(own.status).toBe(200);
      expect(Object.keys(own.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      // A local program still gets the upstream's headers untouched.
      const local = await send('/v1/messages', {});
      expect(local.headers['access-control-allow-origin']).toBe('*');
    } finally {
      anthropic.handle((_req, res, seen) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, url: seen.url }));
      });
    }
  });

  it('logs the first refusal per origin once, not every one', async () => {
    const before = warnings.length;
    for (let i = 0; i < 3; i++) await send('/v1/messages', { origin: 'https://once-a.example' });
    for (let i = 0; i < 2; i++) await send('/v1/messages', { origin: 'https://once-b.example' });
    const lines = warnings.slice(before);
    expect(lines.filter((l) => l.includes('https://once-a.example'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('https://once-b.example'))).toHaveLength(1);
    expect(lines).toHaveLength(2);
  });

  it('never let a stored credential reach an upstream on a request from a foreign page', () => {
    const ui = core.ui!.url;
    const ours = new Set([ui, ui.replace('127.0.0.1', 'localhost')]);
    const fromPages = [...anthropic.requests, ...openai.requests].filter((r) => {
      const origin = r.headers['origin'];
      const site = r.headers['sec-fetch-site'];
      return origin !== undefined ? !ours.has(origin) : site !== undefined && site !== 'none';
    });
    expect(fromPages.length).toBeGreaterThan(0); // the own-credential requests above
    for (const r of fromPages) {
      expect(JSON.stringify(r.headers)).not.toContain(STORED_ANTHROPIC);
      expect(JSON.stringify(r.headers)).not.toContain(STORED_CODEX);
    }
  });
});

describe('the WebSocket upgrade (Codex) follows the same rules', () => {
  let wsCore: CoreHandle;
  beforeAll(async () => {
    const dataDir = makeTempDir();
    const codexAuthFile = path.join(dataDir, 'codex', 'auth.json');
    fs.mkdirSync(path.dirname(codexAuthFile));
    fs.writeFileSync(codexAuthFile, JSON.stringify({ OPENAI_API_KEY: STORED_CODEX }));
    wsCore = await startCore(makeTestConfig({ dataDir, openaiUrl: wsUpstream.url + '/v1', codexAuthFile }), {
      debug() {},
      info() {},
      warn() {},
      error() {},
    });
  });
  afterAll(() => wsCore.stop());

  function upgrade(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const url = wsCore.proxyUrl.replace('http', 'ws') + '/v1/responses';
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('open', () => {
        ws.close();
        resolve({ status: 101, body: '' });
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', reject);
    });
  }

  it('refuses a foreign Origin without credentials with a 403 in OpenAI shape; the upstream sees nothing', async () => {
    const seen = wsUpstream.seen.length;
    const r = await upgrade({ origin: EVIL });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'cross_site_request' } });
    expect(wsUpstream.seen.length).toBe(seen);
  });

  it('refuses a foreign Host; the upstream sees nothing', async () => {
    const seen = wsUpstream.seen.length;
    const r = await upgrade({ host: `evil.example:${wsCore.port}` });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'host_not_allowed' } });
    expect(wsUpstream.seen.length).toBe(seen);
  });

  it('upgrades a local client and a page of our UI, adding the stored Codex login', async () => {
    const seen = wsUpstream.seen.length;
    expect((await upgrade({})).status).toBe(101);
    expect((await upgrade({ origin: wsCore.ui!.url })).status).toBe(101);
    expect(wsUpstream.seen.length).toBe(seen + 2);
    for (const h of wsUpstream.seen.slice(seen)) expect(h['authorization']).toBe(`Bearer ${STORED_CODEX}`);
  });
});
