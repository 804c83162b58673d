// Routing and fidelity through the real proxy on loopback: which upstream gets each path, query strings,
// byte-exact bodies both ways, header handling, local endpoints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import http from 'node:http';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { makeTestConfig } from '../support/config.js';
import { startTestUpstream, sha256, type TestUpstream } from '../support/upstream.js';
import { rawRequest } from '../support/http.js';
import { FIDELITY_MODES } from '../support/fidelity.js';

let anthropic: TestUpstream;
let openai: TestUpstream;
let core: CoreHandle;

function silent() {
  return { debug() {}, info() {}, warn() {}, error() {} };
}

async function via(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
) {
  const a = anthropic.requests.length;
  const o = openai.requests.length;
  const res = await rawRequest(core.proxyUrl + path, {
    method: init.method ?? 'POST',
    headers: init.headers,
    body: init.body,
  });
  const hitA = anthropic.requests.slice(a);
  const hitO = openai.requests.slice(o);
  return {
    res,
    upstream: hitA.length ? 'anthropic' : hitO.length ? 'openai' : 'none',
    seen: hitA[0] ?? hitO[0],
  };
}

describe.each(FIDELITY_MODES)('$mode', ({ options: fidelity }) => {
  beforeAll(async () => {
    anthropic = await startTestUpstream();
    openai = await startTestUpstream();
    core = await startCore(
      makeTestConfig({ ...fidelity, anthropicUrl: anthropic.url, openaiUrl: openai.url + '/v1' }),
      silent(),
    );
  });
  afterAll(async () => {
    await core.stop();
    await anthropic.close();
    await openai.close();
  });

  describe('routing by dialect', () => {
    it.each([
      ['/v1/messages', {}, 'anthropic', '/v1/messages'],
      ['/v1/messages?beta=true', {}, 'anthropic', '/v1/messages?beta=true'],
      ['/v1/messages/count_tokens?beta=true', {}, 'anthropic', '/v1/messages/count_tokens?beta=true'],
      ['/v1/messages/batches/msgbatch_1/results', {}, 'anthropic', '/v1/messages/batches/msgbatch_1/results'],
      ['/v1/chat/completions', {}, 'openai', '/v1/chat/completions'],
      ['/v1/responses', {}, 'openai', '/v1/responses'],
      ['/responses', {}, 'openai', '/v1/responses'],
      ['/chat/completions?x=1&y=%20z', {}, 'openai', '/v1/chat/completions?x=1&y=%20z'],
      ['/v1/embeddings', {}, 'openai', '/v1/embeddings'],
      ['/v1/files/abc', {}, 'openai', '/v1/files/abc'],
      ['/v1/files/abc', { 'anthropic-version': '2023-06-01' }, 'anthropic', '/v1/files/abc'],
    ] as const)('POST %s %j reaches the %s upstream as %s', async (path, headers, expected, upstreamUrl) => {
      const { upstream, seen } = await via(path, {
        headers: { ...headers, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(upstream).toBe(expected);
      expect(seen?.url).toBe(upstreamUrl);
    });

    it('sends GET /v1/models to Anthropic when the request carries x-api-key or anthropic-version, else to OpenAI', async () => {
      expect((await via('/v1/models', { method: 'GET', headers: { 'x-api-key': 'k' } })).upstream).toBe(
        'anthropic',
      );
      expect(
        (await via('/v1/models?limit=5', { method: 'GET', headers: { 'anthropic-version': '2023-06-01' } }))
          .seen?.url,
      ).toBe('/v1/models?limit=5');
      const o = await via('/v1/models', { method: 'GET', headers: { authorization: 'Bearer sk-test' } });
      expect(o.upstream).toBe('openai');
      expect(o.seen?.url).toBe('/v1/models');
    });

    it('answers HEAD / and GET / locally with 200 (Claude Code probes them)', async () => {
      const head = await via('/', { method: 'HEAD' });
      expect(head.res.status).toBe(200);
      expect(head.upstream).toBe('none');
      const get = await via('/', { method: 'GET' });
      expect(get.res.status).toBe(200);
      expect(get.res.body.toString()).toContain('LunaRoute');
    });

    it('answers unknown paths with a 404 in the dialect shape, without contacting any upstream', async () => {
      const { res, upstream } = await via('/nowhere', { body: 'x' });
      expect(upstream).toBe('none');
      expect(res.status).toBe(404);
      expect(res.headers['x-lunaroute-error']).toBe('not_found');
      const json = JSON.parse(res.body.toString()) as { error: { message: string; code: string } };
      expect(json.error.code).toBe('not_found');
      expect(json.error.message).toContain('/nowhere');
      const a = await via('/nowhere', { headers: { 'anthropic-version': '2023-06-01' } });
      expect(JSON.parse(a.res.body.toString())).toMatchObject({
        type: 'error',
        error: { type: 'not_found_error' },
      });
    });
  });

  describe('byte fidelity', () => {
    it('delivers a 2 MB binary request body upstream byte for byte, and the response back byte for byte', async () => {
      const body = randomBytes(2 * 1024 * 1024);
      const reply = randomBytes(3 * 1024 * 1024 + 7);
      anthropic.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(reply);
      });
      const { res, seen } = await via('/v1/messages', {
        headers: { 'content-type': 'application/octet-stream' },
        body,
      });
      expect(seen?.sha256).toBe(sha256(body));
      expect(sha256(res.body)).toBe(sha256(reply));
      anthropic.handle((_req, r, s) => r.end(JSON.stringify({ url: s.url })));
    });

    it('keeps JSON bodies exactly as sent: key order, whitespace and number formatting', async () => {
      const body = '{ "z": 1.50, "a": [1e3, -0.0],\n  "model":"claude-x" , "unicode":"\\u00e9é" }';
      const { seen } = await via('/v1/messages', { headers: { 'content-type': 'application/json' }, body });
      expect(seen?.body.toString()).toBe(body);
    });

    it('forwards a chunked request body (no content-length) intact', async () => {
      const parts = ['{"a":', '"b",', '"c":[1,2,3]}'];
      const seenP = anthropic.nextRequest();
      await new Promise<void>((resolve, reject) => {
        const req = http.request(core.proxyUrl + '/v1/messages', { method: 'POST', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        for (const p of parts) req.write(p);
        req.end();
      });
      expect((await seenP).body.toString()).toBe(parts.join(''));
    });

    it('passes a gzip response through still compressed, with its content-encoding', async () => {
      const plain = JSON.stringify({ id: 'msg_1', content: [{ type: 'text', text: 'x'.repeat(5000) }] });
      const gz = zlib.gzipSync(plain);
      openai.handle((_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': gz.length,
        });
        res.end(gz);
      });
      const { res } = await via('/v1/chat/completions', {
        headers: { 'accept-encoding': 'gzip, br' },
        body: '{}',
      });
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(sha256(res.body)).toBe(sha256(gz));
      expect(zlib.gunzipSync(res.body).toString()).toBe(plain);
      openai.handle((_req, r, s) => r.end(JSON.stringify({ url: s.url })));
    });
  });

  describe('headers', () => {
    it('drops hop-by-hop request headers, keeps the rest, and rewrites Host to the upstream', async () => {
      const { seen } = await via('/v1/messages', {
        headers: {
          'x-api-key': 'sk-ant-client',
          'anthropic-beta': 'tools-2024',
          'x-claude-code-session-id': 'sess-1',
          'proxy-authorization': 'Basic Zm9vOmJhcg==',
          te: 'trailers',
          'keep-alive': 'timeout=5',
          connection: 'keep-alive, x-drop-me',
          'x-drop-me': 'gone',
          trailer: 'x-foo',
        },
        body: '{}',
      });
      const h = seen!.headers;
      expect(h['x-api-key']).toBe('sk-ant-client');
      expect(h['anthropic-beta']).toBe('tools-2024');
      expect(h['x-claude-code-session-id']).toBe('sess-1');
      for (const gone of ['proxy-authorization', 'te', 'keep-alive', 'x-drop-me', 'trailer'])
        expect(h[gone]).toBeUndefined();
      expect(h.host).toBe(`127.0.0.1:${anthropic.port}`);
      expect(h['x-forwarded-for']).toBeUndefined();
    });

    it('passes upstream error statuses, bodies and rate-limit headers through unchanged on both dialects', async () => {
      for (const status of [400, 401, 403, 404, 413, 429, 500, 529]) {
        const body = JSON.stringify({
          type: 'error',
          error: { type: 'rate_limit_error', message: `status ${status}` },
        });
        const h = {
          'content-type': 'application/json',
          'retry-after': '17',
          'request-id': `req_${status}`,
          'anthropic-ratelimit-requests-remaining': '0',
          'x-ratelimit-remaining-tokens': '12',
          'keep-alive': 'timeout=4',
        };
        anthropic.handle((_req, res) => {
          res.writeHead(status, h);
          res.end(body);
        });
        openai.handle((_req, res) => {
          res.writeHead(status, h);
          res.end(body);
        });
        for (const path of ['/v1/messages', '/v1/chat/completions', '/v1/responses']) {
          const { res } = await via(path, { body: '{"stream":true}' });
          expect(res.status).toBe(status);
          expect(res.body.toString()).toBe(body);
          expect(res.headers['retry-after']).toBe('17');
          expect(res.headers['request-id']).toBe(`req_${status}`);
          expect(res.headers['anthropic-ratelimit-requests-remaining']).toBe('0');
          expect(res.headers['x-ratelimit-remaining-tokens']).toBe('12');
          expect(res.headers['keep-alive']).not.toBe('timeout=4');
        }
      }
      // A retry on the proxy side would show as a second upstream request.
      const before = anthropic.requests.length;
      await via('/v1/messages', { body: '{}' });
      expect(anthropic.requests.length - before).toBe(1);
      anthropic.handle((_req, r, s) => r.end(JSON.stringify({ url: s.url })));
      openai.handle((_req, r, s) => r.end(JSON.stringify({ url: s.url })));
    });
  });

  describe('local endpoints', () => {
    it('GET /healthz identifies the service', async () => {
      const res = await rawRequest(core.proxyUrl + '/healthz');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString())).toMatchObject({
        status: 'ok',
        service: 'lunaroute',
        pid: process.pid,
      });
    });

    it('GET /readyz is 200 when both upstreams accept connections', async () => {
      const res = await rawRequest(core.proxyUrl + '/readyz');
      expect(res.status).toBe(200);
      const json = JSON.parse(res.body.toString()) as { upstreams: Record<string, { ok: boolean }> };
      expect(json.upstreams['anthropic']?.ok).toBe(true);
      expect(json.upstreams['openai']?.ok).toBe(true);
    });

    it('GET /metrics exposes request counts by dialect/endpoint/status and the overhead histogram', async () => {
      await via('/v1/messages/count_tokens', { body: '{}' });
      const text = (await rawRequest(core.proxyUrl + '/metrics')).body.toString();
      expect(text).toMatch(
        /lunaroute_requests_total\{dialect="anthropic",endpoint="count_tokens",status="200"\} [1-9]/,
      );
      expect(text).toMatch(/lunaroute_proxy_overhead_seconds_count\{dialect="anthropic"\} [1-9]/);
      expect(text).toMatch(/lunaroute_time_to_first_byte_seconds_bucket/);
      expect(text).toMatch(/lunaroute_inflight_streams/);
    });
  });
});
