// The forward-proxy mode through the real proxy on loopback: CONNECT to an intercepted host is answered with
// LunaRoute's own TLS (a leaf from the local CA) and the decrypted requests take the base-URL pipeline to the
// upstream configured for that host (here the local fake provider), recorded as `forward_*`; every other target
// is tunnelled byte for byte or refused by forward.tunnel. Nothing leaves 127.0.0.1: the host names only travel
// inside CONNECT and SNI, and the test config tunnels loopback targets only.
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { caPaths, ensureCa, loadCa, rotateCa } from '../../src-main/ca/store.js';
import { buildCaCertificate, buildLeafCertificate, subjectOf, toPem } from '../../src-main/ca/x509.js';
import type { SessionDetail } from '../../src-main/index/queries.js';
import type { Logger } from '../../src-main/log.js';
import type { RecordLine, RequestLine } from '../../src-shared/records.js';
import { makeTestConfig, makeTempDir } from '../support/config.js';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';
import { connectVia, requestOver, tlsVia } from '../support/forward.js';
import { rawRequest } from '../support/http.js';
import { deferred } from '../support/upstream.js';

let fake: FakeProvider;
let core: CoreHandle;
let caPem: string;
const logs: string[] = [];

const logger: Logger = {
  debug: () => undefined,
  info: (m) => logs.push(`info ${m}`),
  warn: (m) => logs.push(`warn ${m}`),
  error: (m) => logs.push(`error ${m}`),
};

beforeAll(async () => {
  fake = await startFakeProvider();
  core = await startCore(
    makeTestConfig({
      anthropicUrl: fake.url,
      openaiUrl: `${fake.url}/v1`,
      chatgptUrl: `${fake.url}/backend-api/codex`,
      // Stored keys exist, and must still never be added to forward-mode requests.
      anthropicKey: 'sk-ant-stored-key-never-forwarded',
      openaiKey: 'sk-stored-key-never-forwarded',
      recording: true,
      forward: { intercept: ['api.anthropic.com', 'api.openai.com', 'chatgpt.com', 'models.example.test'] },
    }),
    logger,
  );
  // The CA is created on first use: the first intercepted CONNECT makes it.
  const first = await tlsVia(core.proxyUrl, 'api.anthropic.com:443', { ca: undefined }).catch(
    (e: Error) => e,
  );
  expect(first).toBeInstanceOf(Error);
  const { readFileSync } = await import('node:fs');
  caPem = readFileSync(caPaths(core.config.dataDir).cert, 'utf8');
});

afterAll(async () => {
  await core?.stop();
  await fake?.close();
});

async function recorded(
  sid: string,
  count: number,
): Promise<{ detail: SessionDetail; lines: RequestLine[] }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await core.recorder.client.flush();
    const detail = await core.recorder.client.query<SessionDetail | null>('sessions.get', { id: sid });
    if (detail && detail.requests.filter((r) => r.outcome !== null).length >= count) {
      const file = await core.recorder.client.query<{ lines: RecordLine[] } | null>('sessions.lines', {
        id: sid,
      });
      const lines = (file?.lines ?? []).filter((l): l is RequestLine => l.type === 'request');
      return { detail, lines };
    }
    if (Date.now() > deadline) throw new Error(`session ${sid}: ${count} request(s) expected`);
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}

function anthropicBody(sid: string, text: string, stream = true): string {
  return JSON.stringify({
    model: 'claude-sonnet-4-5',
    max_tokens: 64,
    stream,
    metadata: { user_id: JSON.stringify({ session_id: sid }) },
    tools: [{ name: 'Bash', description: 'run', input_schema: { type: 'object' } }],
    messages: [{ role: 'user', content: text }],
  });
}

const ANTHROPIC_HEADERS = {
  'content-type': 'application/json',
  'anthropic-version': '2023-06-01',
  'x-api-key': 'sk-ant-client-key',
  'user-agent': 'claude-cli/2.1.332 (external, cli)',
};

describe('intercepted hosts', () => {
  it('answers CONNECT api.anthropic.com:443 with its own TLS: a leaf for that host from the local CA, ALPN http/1.1 even when h2 is offered', async () => {
    const s = await tlsVia(core.proxyUrl, 'api.anthropic.com:443', { ca: caPem, alpn: ['h2', 'http/1.1'] });
    try {
      expect(s.authorized).toBe(true);
      expect(s.alpnProtocol).toBe('http/1.1');
      const leaf = new X509Certificate(s.getPeerX509Certificate()!.raw);
      expect(leaf.subjectAltName).toBe('DNS:api.anthropic.com');
      expect(leaf.checkIssued(new X509Certificate(caPem))).toBe(true);
      expect(leaf.ca).toBe(false);
      // Leaves are short-lived: a week at most.
      expect(Date.parse(leaf.validTo) - Date.now()).toBeLessThanOrEqual(7 * 86_400_000);
    } finally {
      s.destroy();
    }
  });

  it('sends a decrypted Anthropic request byte for byte to the upstream configured for the host, and records it as forward_http from its client', async () => {
    const sid = 'fwd-anthropic-1';
    const body = anthropicBody(sid, 'Say hello', false);
    const s = await tlsVia(core.proxyUrl, 'api.anthropic.com:443', { ca: caPem });
    // The Host header inside the tunnel does not choose the upstream: the CONNECT host does.
    const r = await requestOver(s, 'api.anthropic.com', {
      method: 'POST',
      path: '/v1/messages?beta=true',
      headers: { ...ANTHROPIC_HEADERS, host: 'elsewhere.example' },
      body,
    });
    s.destroy();
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('Hello from the fake provider.');
    const seen = fake.requests.find((q) => q.body.toString() === body)!;
    expect(seen.url).toBe('/v1/messages?beta=true');
    expect(seen.headers['x-api-key']).toBe('sk-ant-client-key');
    const rec = await recorded(sid, 1);
    expect(rec.detail.session.client).toBe('claude_code');
    expect(rec.lines).toHaveLength(1);
    expect(rec.lines[0]).toMatchObject({
      transport: 'forward_http',
      dialect: 'anthropic',
      endpoint: 'messages',
      url: '/v1/messages?beta=true',
      credential_source: 'client',
    });
    expect(rec.detail.requests[0]).toMatchObject({ transport: 'forward_http', outcome: 'completed' });
  });

  it.each([
    ['api.openai.com', '/v1/responses', '/v1/responses', 'responses'],
    ['chatgpt.com', '/backend-api/codex/responses', '/backend-api/codex/responses', 'responses'],
    ['api.openai.com', '/v1/chat/completions', '/v1/chat/completions', 'chat_completions'],
    ['api.anthropic.com', '/api/oauth/usage', '/api/oauth/usage', 'other'],
    ['api.anthropic.com', '/', '/', 'other'],
    ['models.example.test', '/v1/messages', null, 'messages'],
  ])('routes %s %s to %s on its upstream (endpoint %s)', async (host, path, upstreamPath, endpoint) => {
    const sid = `fwd-route-${host}-${path}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const s = await tlsVia(core.proxyUrl, `${host}:443`, { ca: caPem });
    const r = await requestOver(s, host, {
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'session-id': sid, 'x-session-id': sid },
      body: JSON.stringify({ model: 'gpt-5', input: 'hi', metadata: { user_id: sid } }),
    });
    s.destroy();
    if (upstreamPath === null) {
      // A host the user added goes to itself, which this test refuses to reach: the error names it.
      expect(r.status).toBe(502);
      expect(r.body.toString()).toContain('models.example.test');
      return;
    }
    expect(fake.requests.some((q) => q.url === upstreamPath && q.body.includes(sid))).toBe(true);
    expect(r.headers['x-lunaroute-error']).toBeUndefined();
    const rec = await recorded(sid, 1);
    expect(rec.lines[0]).toMatchObject({ transport: 'forward_http', endpoint });
  });

  it('never adds a stored key to a forward-mode request that carries none', async () => {
    const s = await tlsVia(core.proxyUrl, 'api.openai.com:443', { ca: caPem });
    const marker = `no-key-${Date.now()}`;
    await requestOver(s, 'api.openai.com', {
      method: 'POST',
      path: '/v1/responses',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: marker }),
    });
    s.destroy();
    const seen = fake.requests.find((q) => q.body.includes(marker))!;
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-api-key']).toBeUndefined();
  });

  it('carries a WebSocket upgrade inside the tunnel to the upstream and records its turns as forward_websocket', async () => {
    const sid = 'fwd-ws-1';
    const tlsSocket = await tlsVia(core.proxyUrl, 'api.openai.com:443', { ca: caPem });
    const ws = new WebSocket('wss://api.openai.com/v1/responses', {
      createConnection: () => tlsSocket,
      headers: { authorization: 'Bearer sk-client', 'session-id': sid, originator: 'codex_exec' },
    });
    const done = deferred<string[]>();
    const events: string[] = [];
    ws.on('open', () =>
      ws.send(JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'Say hello', stream: true })),
    );
    ws.on('message', (m: WebSocket.RawData) => {
      const type = (JSON.parse(m.toString()) as { type: string }).type;
      events.push(type);
      if (type === 'response.completed') done.resolve(events);
    });
    ws.on('error', (e) => done.resolve([`error ${e.message}`]));
    expect(await done.promise).toContain('response.completed');
    ws.close();
    const rec = await recorded(sid, 1);
    expect(rec.lines[0]).toMatchObject({ transport: 'forward_websocket', endpoint: 'responses' });
    expect(fake.wsConnections.some((c) => c.url === '/v1/responses' && c.headers['session-id'] === sid)).toBe(
      true,
    );
  });

  it('records tokens, tool calls and cost exactly as for the same exchange in base-URL mode', async () => {
    const send = async (sid: string, forwardMode: boolean): Promise<void> => {
      const body = anthropicBody(sid, 'SCENARIO:tool run it');
      if (forwardMode) {
        const s = await tlsVia(core.proxyUrl, 'api.anthropic.com:443', { ca: caPem });
        const r = await requestOver(s, 'api.anthropic.com', {
          method: 'POST',
          path: '/v1/messages',
          headers: ANTHROPIC_HEADERS,
          body,
        });
        s.destroy();
        expect(r.status).toBe(200);
      } else {
        const r = await rawRequest(`${core.proxyUrl}/v1/messages`, {
          method: 'POST',
          headers: ANTHROPIC_HEADERS,
          body,
        });
        expect(r.status).toBe(200);
      }
    };
    await send('same-base', false);
    await send('same-forward', true);
    const base = await recorded('same-base', 1);
    const fwd = await recorded('same-forward', 1);
    const pick = (d: SessionDetail): unknown => ({
      client: d.session.client,
      input: d.session.input_tokens,
      output: d.session.output_tokens,
      cacheRead: d.session.cache_read_tokens,
      cacheWrite: d.session.cache_write_tokens,
      tools: d.session.tool_call_count,
      cost: (d.session as { cost_usd?: number | null }).cost_usd,
      toolNames: d.toolCalls.map((t) => t.name),
    });
    expect(pick(fwd.detail)).toEqual(pick(base.detail));
    expect(fwd.detail.session.tool_call_count).toBe(1);
    expect(fwd.detail.session.input_tokens).toBeGreaterThan(0);
    expect(base.lines[0]!.transport).toBe('http');
    expect(fwd.lines[0]!.transport).toBe('forward_http');
  });
});

describe('other hosts', () => {
  it('tunnels a loopback target byte for byte: the client sees that server’s own certificate, never a LunaRoute one', async () => {
    // A local TLS server with its own CA (not LunaRoute's) for the name "localhost".
    const { privateKey: otherCaKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const now = Date.now();
    const otherCa = buildCaCertificate(
      {
        hosts: ['localhost'],
        commonName: 'Test server CA',
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86_400_000),
      },
      otherCaKey,
    );
    const leafKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const leaf = buildLeafCertificate(
      { host: 'localhost', notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) },
      leafKeys.publicKey,
      subjectOf(otherCa),
      otherCaKey,
    );
    const server = tls.createServer(
      { key: leafKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }), cert: toPem('CERTIFICATE', leaf) },
      (sock) => sock.pipe(sock),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const s = await tlsVia(core.proxyUrl, `127.0.0.1:${port}`, {
        ca: toPem('CERTIFICATE', otherCa),
        servername: 'localhost',
      });
      const peer = new X509Certificate(s.getPeerX509Certificate()!.raw);
      expect(peer.fingerprint256).toBe(new X509Certificate(leaf).fingerprint256);
      expect(peer.checkIssued(new X509Certificate(caPem))).toBe(false);
      const payload = Buffer.from([0, 1, 2, 255, 13, 10, 13, 10, 42]);
      const echoed = deferred<Buffer>();
      s.once('data', (c: Buffer) => echoed.resolve(c));
      s.write(payload);
      expect((await echoed.promise).equals(payload)).toBe(true);
      s.destroy();
    } finally {
      server.close();
    }
  });

  it('refuses non-loopback targets with 403 under forward.tunnel loopback, before connecting anywhere', async () => {
    for (const target of ['203.0.113.7:443', 'example.com:443', 'api.anthropic.com:8443']) {
      const a = await connectVia(core.proxyUrl, target);
      expect(a.status, target).toBe(403);
      expect(a.body).toContain('forward.tunnel');
    }
  });

  it('a shutdown closes open tunnels and idle intercepted connections instead of waiting for them', async () => {
    const echo = net.createServer((sock) => sock.pipe(sock));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    const port = (echo.address() as net.AddressInfo).port;
    const other = await startCore(
      makeTestConfig({ anthropicUrl: fake.url, forward: { tunnel: 'loopback' } }),
      logger,
    );
    try {
      const tunnel = await connectVia(other.proxyUrl, `127.0.0.1:${port}`);
      expect(tunnel.status).toBe(200);
      await tlsVia(other.proxyUrl, 'api.anthropic.com:443').catch(() => undefined); // creates its CA
      const ca = (await loadCa(other.config.dataDir))!.certPem;
      const tlsSocket = await tlsVia(other.proxyUrl, 'api.anthropic.com:443', { ca });
      const r = await requestOver(tlsSocket, 'api.anthropic.com', { path: '/v1/models' });
      expect(r.headers['x-lunaroute-error']).toBeUndefined();
      const closed = (s: net.Socket): Promise<void> => new Promise((res) => s.once('close', () => res()));
      const both = Promise.all([closed(tunnel.socket), closed(tlsSocket)]);
      // Without the cut, stop() would never resolve: the server waits for every raw CONNECT socket.
      await other.stop();
      await both;
    } finally {
      echo.close();
    }
  });

  it('answers a malformed CONNECT target with 400', async () => {
    const a = await connectVia(core.proxyUrl, 'no-port-here');
    expect(a.status).toBe(400);
  });
});

describe('trust failures are loud, never a bypass', () => {
  it('a client without the CA fails its handshake, the upstream sees nothing, and the log says which variable to set', async () => {
    const before = fake.requests.length;
    logs.length = 0;
    const err = await tlsVia(core.proxyUrl, 'api.openai.com:443').catch((e: NodeJS.ErrnoException) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toMatch(
      /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/,
    );
    const deadline = Date.now() + 5000;
    while (!logs.some((l) => l.includes('api.openai.com:443')) && Date.now() < deadline)
      await new Promise<void>((r) => setTimeout(r, 10));
    const line = logs.find((l) => l.includes('api.openai.com:443'));
    expect(line).toMatch(/^warn /);
    expect(line).toContain('NODE_EXTRA_CA_CERTS');
    expect(line).toContain('CODEX_CA_CERTIFICATE');
    expect(line).toContain(caPaths(core.config.dataDir).cert);
    expect(fake.requests.length).toBe(before);
  });

  it('refuses an intercepted host the CA may not issue for with 502 naming `lunaroute ca rotate`', async () => {
    const dir = makeTempDir();
    await ensureCa(dir, ['api.anthropic.com']); // made while only Anthropic was intercepted
    const wider = await startCore(
      makeTestConfig({ dataDir: dir, forward: { intercept: ['api.anthropic.com', 'api.openai.com'] } }),
      logger,
    );
    try {
      const a = await connectVia(wider.proxyUrl, 'api.openai.com:443');
      expect(a.status).toBe(502);
      expect(a.body).toContain('lunaroute ca rotate');
      expect(
        (await tlsVia(wider.proxyUrl, 'api.anthropic.com:443', { ca: (await loadCa(dir))!.certPem }))
          .authorized,
      ).toBe(true);
    } finally {
      await wider.stop();
    }
  });

  it('uses a CA rotated on disk from the next connection on', async () => {
    const old = new X509Certificate(caPem);
    const rotated = await rotateCa(core.config.dataDir, core.config.forward.intercept);
    try {
      const s = await tlsVia(core.proxyUrl, 'api.anthropic.com:443', { ca: rotated.certPem });
      const leaf = new X509Certificate(s.getPeerX509Certificate()!.raw);
      expect(leaf.checkIssued(new X509Certificate(rotated.certPem))).toBe(true);
      expect(leaf.checkIssued(old)).toBe(false);
      s.destroy();
    } finally {
      caPem = rotated.certPem;
    }
  });
});
