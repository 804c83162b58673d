// Streams and failures through the real proxy: SSE forwarded event by event (no buffering), client aborts
// reaching upstream, upstream resets and silence reaching the client, unreachable upstreams answered in the
// client's dialect, WebSocket upgrades, credentials, logs, and shutdown.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';
import { startCore } from '../../src-main/app/core.js';
import { createLogger } from '../../src-main/log.js';
import { makeTestConfig, makeTempDir, type TestConfigOptions } from '../support/config.js';
import { startTestUpstream, deferred } from '../support/upstream.js';
import { rawRequest } from '../support/http.js';
import { FIDELITY_MODES, type FidelityMode } from '../support/fidelity.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** The mode of the describe.each block running (set by its beforeAll): each test runs under both. */
let fidelity: FidelityMode['options'] = {};

async function setup(opts: TestConfigOptions & { logLines?: string[] } = {}) {
  const up = await startTestUpstream();
  const logLines = opts.logLines;
  const logger = logLines ? createLogger('debug', (l) => logLines.push(l)) : createLogger('silent');
  const core = await startCore(
    makeTestConfig({ ...fidelity, anthropicUrl: up.url, openaiUrl: up.url + '/v1', ...opts }),
    logger,
  );
  cleanups.push(
    () => up.close(),
    () => core.stop(),
  );
  return { up, core };
}

/** Opens a streaming request and hands back the response as soon as its headers arrive. */
function openStream(url: string, body = '{"stream":true}', headers: http.OutgoingHttpHeaders = {}) {
  return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => resolve({ req, res }),
    );
    req.on('error', reject);
    req.end(body);
  });
}

function nextChunk(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => res.once('data', (c: Buffer) => resolve(c.toString())));
}

/**
 * A loopback port nothing listens on, below the ephemeral range: a port freed by a listener of ours could be handed
 * to the next server started with port 0 (the core under test's own UI server, which then answered 405 for the
 * "unreachable" upstream). Checked to refuse a connection.
 */
async function closedPort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const refused = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(false);
      });
      c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
    if (refused) return port;
  }
  throw new Error('no closed port found below the ephemeral range');
}

describe.each(FIDELITY_MODES)('$mode', ({ options }) => {
  beforeAll(() => {
    fidelity = options;
  });

  describe('streaming', () => {
    it('forwards each SSE event as soon as upstream writes it (the next one is written only after the client saw the previous)', async () => {
      const { up, core } = await setup();
      const events = [
        'event: message_start\ndata: {"n":0}\n\n',
        'event: content_block_delta\ndata: {"n":1}\n\n',
        'event: message_stop\ndata: {"n":2}\n\n',
      ];
      const gates = events.map(() => deferred());
      up.handle(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (let i = 0; i < events.length; i++) {
          res.write(events[i]);
          await gates[i]!.promise;
        }
        res.end();
      });
      const { res } = await openStream(core.proxyUrl + '/v1/messages');
      expect(res.headers['content-type']).toBe('text/event-stream');
      let got = '';
      for (let i = 0; i < events.length; i++) {
        // If the proxy buffered, this would never resolve: upstream waits for us before writing more.
        while (!got.includes(events[i]!)) got += await nextChunk(res);
        gates[i]!.resolve();
      }
      expect(got).toBe(events.join(''));
    });

    it('cancels the upstream request within a second when the client aborts mid-stream', async () => {
      const { up, core } = await setup();
      up.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"first":true}\n\n');
        // …and then keeps the stream open, like a model still thinking.
      });
      const seenP = up.nextRequest();
      const { req, res } = await openStream(core.proxyUrl + '/v1/chat/completions');
      await nextChunk(res);
      const seen = await seenP;
      const abortedAt = Date.now();
      req.destroy();
      const upstreamClosedAt = await seen.closedEarly;
      expect(upstreamClosedAt - abortedAt).toBeLessThan(1000);
    });

    it('ends the client response with an error (not a hang) when upstream resets mid-stream', async () => {
      const { up, core } = await setup();
      up.handle((req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"partial":true}\n\n', () => setImmediate(() => req.socket.destroy()));
      });
      const { res } = await openStream(core.proxyUrl + '/v1/messages');
      const outcome = await new Promise<string>((resolve) => {
        res.on('data', () => {});
        res.on('end', () => resolve('end'));
        res.on('error', () => resolve('error'));
        res.on('aborted', () => resolve('aborted'));
      });
      expect(['error', 'aborted']).toContain(outcome);
      expect(res.complete).toBe(false);
      // The server is still fine afterwards.
      expect((await rawRequest(core.proxyUrl + '/healthz')).status).toBe(200);
    });

    it('cuts a stream that goes silent for longer than the idle timeout, and answers 504 when no headers came', async () => {
      const { up, core } = await setup({ idleMs: 300 });
      up.handle(() => {
        /* never answers */
      });
      const res = await rawRequest(core.proxyUrl + '/v1/messages', { method: 'POST', body: '{}' });
      expect(res.status).toBe(504);
      expect(res.headers['x-lunaroute-error']).toBe('upstream_timeout');
      expect(JSON.parse(res.body.toString())).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it('does not cut a long stream that keeps sending (no total timeout)', async () => {
      const { up, core } = await setup({ idleMs: 200 });
      up.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let n = 0;
        const t = setInterval(() => {
          res.write(`data: {"n":${n}}\n\n`);
          if (++n === 12) {
            clearInterval(t);
            res.end('data: [DONE]\n\n');
          }
        }, 60); // 12 × 60 ms ≈ 720 ms total, far beyond the 200 ms idle timeout, never idle for long
      });
      const res = await rawRequest(core.proxyUrl + '/v1/chat/completions', {
        method: 'POST',
        body: '{"stream":true}',
      });
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('data: [DONE]');
      expect(res.body.toString().match(/"n":/g)).toHaveLength(12);
    });
  });

  describe('unreachable upstreams', () => {
    it('answers 502 in the Anthropic shape, naming the upstream and the cause', async () => {
      const port = await closedPort();
      const { core } = await setup({ anthropicUrl: `http://127.0.0.1:${port}` });
      const res = await rawRequest(core.proxyUrl + '/v1/messages', { method: 'POST', body: '{}' });
      expect(res.status).toBe(502);
      const json = JSON.parse(res.body.toString()) as {
        type: string;
        error: { type: string; message: string };
      };
      expect(json.type).toBe('error');
      expect(json.error.type).toBe('api_error');
      expect(json.error.message).toContain(`Anthropic upstream http://127.0.0.1:${port}`);
      expect(json.error.message).toContain('ECONNREFUSED');
    });

    it('answers 502 in the OpenAI shape, and keeps serving other requests', async () => {
      const port = await closedPort();
      const { core } = await setup({ openaiUrl: `http://127.0.0.1:${port}/v1` });
      const res = await rawRequest(core.proxyUrl + '/v1/chat/completions', {
        method: 'POST',
        body: '{"stream":true}',
      });
      expect(res.status).toBe(502);
      const json = JSON.parse(res.body.toString()) as {
        error: { message: string; type: string; code: string };
      };
      expect(json.error).toMatchObject({ type: 'server_error', code: 'upstream_unreachable' });
      expect(json.error.message).toContain('OpenAI upstream');
      const ok = await rawRequest(core.proxyUrl + '/v1/messages', { method: 'POST', body: '{}' });
      expect(ok.status).toBe(200);
    });

    it('survives a malformed HTTP request and keeps serving', async () => {
      const { core } = await setup();
      const reply = await new Promise<string>((resolve) => {
        const s = net.connect(core.port, '127.0.0.1', () => s.write('GARBAGE \x00\x01 NOT HTTP\r\n\r\n'));
        let got = '';
        s.on('data', (d) => (got += d.toString()));
        s.on('close', () => resolve(got));
      });
      expect(reply).toMatch(/^HTTP\/1\.1 400/);
      expect((await rawRequest(core.proxyUrl + '/healthz')).status).toBe(200);
    });
  });

  describe('credentials', () => {
    it("forwards the client's own x-api-key and Bearer token untouched, even when a config key exists", async () => {
      const { up, core } = await setup({ anthropicKey: 'sk-ant-config-key', openaiKey: 'sk-config-openai' });
      await rawRequest(core.proxyUrl + '/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': 'sk-ant-client' },
        body: '{}',
      });
      expect(up.requests.at(-1)!.headers['x-api-key']).toBe('sk-ant-client');
      await rawRequest(core.proxyUrl + '/v1/messages', {
        method: 'POST',
        headers: { authorization: 'Bearer oauth-token-abc' },
        body: '{}',
      });
      expect(up.requests.at(-1)!.headers['authorization']).toBe('Bearer oauth-token-abc');
      expect(up.requests.at(-1)!.headers['x-api-key']).toBeUndefined();
      await rawRequest(core.proxyUrl + '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: 'Bearer sk-client' },
        body: '{}',
      });
      expect(up.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-client');
    });

    it('uses the configured key only when the client sent none', async () => {
      const { up, core } = await setup({ anthropicKey: 'sk-ant-config-key', openaiKey: 'sk-config-openai' });
      await rawRequest(core.proxyUrl + '/v1/messages', { method: 'POST', body: '{}' });
      expect(up.requests.at(-1)!.headers['x-api-key']).toBe('sk-ant-config-key');
      await rawRequest(core.proxyUrl + '/v1/chat/completions', { method: 'POST', body: '{}' });
      expect(up.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-config-openai');
    });

    it('uses ~/.codex/auth.json for Responses requests without Authorization, and re-reads it when Codex rewrites it', async () => {
      const chatgpt = await startTestUpstream();
      cleanups.push(() => chatgpt.close());
      const dir = makeTempDir();
      const authFile = path.join(dir, '.codex', 'auth.json');
      fs.mkdirSync(path.dirname(authFile), { recursive: true });
      fs.writeFileSync(authFile, JSON.stringify({ OPENAI_API_KEY: 'sk-from-codex-file', tokens: null }));
      const { up, core } = await setup({
        codexAuthFile: authFile,
        chatgptUrl: chatgpt.url + '/backend-api/codex',
      });

      await rawRequest(core.proxyUrl + '/v1/responses', { method: 'POST', body: '{}' });
      expect(up.requests.at(-1)!.headers['authorization']).toBe('Bearer sk-from-codex-file');
      // Not for other OpenAI endpoints.
      await rawRequest(core.proxyUrl + '/v1/chat/completions', { method: 'POST', body: '{}' });
      expect(up.requests.at(-1)!.headers['authorization']).toBeUndefined();

      // Codex logs in with ChatGPT: tokens go to the ChatGPT Codex backend with chatgpt-account-id.
      const tmp = authFile + '.tmp';
      fs.writeFileSync(
        tmp,
        JSON.stringify({
          auth_mode: 'chatgpt',
          OPENAI_API_KEY: null,
          tokens: { access_token: 'chatgpt-access-1', account_id: 'acct-42' },
        }),
      );
      fs.renameSync(tmp, authFile);
      const deadline = Date.now() + 5000;
      let seen = chatgpt.requests.length;
      while (chatgpt.requests.length === seen && Date.now() < deadline) {
        await rawRequest(core.proxyUrl + '/responses', { method: 'POST', body: '{}' });
        if (chatgpt.requests.length === seen) await new Promise((r) => setTimeout(r, 25));
      }
      const last = chatgpt.requests.at(-1)!;
      expect(last.url).toBe('/backend-api/codex/responses');
      expect(last.headers['authorization']).toBe('Bearer chatgpt-access-1');
      expect(last.headers['chatgpt-account-id']).toBe('acct-42');
      seen = chatgpt.requests.length;
      // The client's own Authorization still wins.
      await rawRequest(core.proxyUrl + '/v1/responses', {
        method: 'POST',
        headers: { authorization: 'Bearer mine' },
        body: '{}',
      });
      expect(up.requests.at(-1)!.headers['authorization']).toBe('Bearer mine');
      expect(chatgpt.requests.length).toBe(seen);
    });

    it('never writes a credential into a log line, even when a request fails', async () => {
      const lines: string[] = [];
      const port = await closedPort();
      const { core } = await setup({
        logLines: lines,
        anthropicUrl: `http://127.0.0.1:${port}`,
        anthropicKey: 'sk-ant-api03-CONFIGSECRET0123456789',
      });
      await rawRequest(core.proxyUrl + '/v1/messages?key=sk-ant-api03-QUERYSECRET0123456789', {
        method: 'POST',
        headers: {
          'x-api-key': 'sk-ant-api03-CLIENTSECRET0123456789',
          authorization: 'Bearer BEARERSECRET0123456789',
        },
        body: '{}',
      });
      await core.stop();
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('\n');
      for (const secret of ['CONFIGSECRET', 'QUERYSECRET', 'CLIENTSECRET', 'BEARERSECRET'])
        expect(all).not.toContain(secret);
    });
  });

  describe('WebSocket (Codex Responses over WebSocket)', () => {
    async function wsUpstream() {
      const server = http.createServer((_req, res) => res.end());
      const wss = new WebSocketServer({ server, path: '/v1/responses' });
      const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];
      wss.on('connection', (ws, req) => {
        seen.push({ url: req.url ?? '', headers: req.headers });
        ws.on('message', (data) => {
          const msg = JSON.parse(data.toString()) as { type: string };
          ws.send(JSON.stringify({ type: 'response.created', echo: msg.type }));
          ws.send(JSON.stringify({ type: 'response.completed', response: { id: 'resp_1' } }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      cleanups.push(
        () =>
          new Promise<void>((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => r());
          }),
      );
      return { url: `http://127.0.0.1:${port}`, seen };
    }

    it('upgrades /v1/responses and relays frames both ways with the client headers', async () => {
      const ws = await wsUpstream();
      const { core } = await setup({ openaiUrl: ws.url + '/v1' });
      const client = new WebSocket(core.proxyUrl.replace('http', 'ws') + '/v1/responses', {
        headers: { authorization: 'Bearer sk-ws-client', 'session-id': 'codex-sess-1' },
      });
      const frames: string[] = [];
      await new Promise<void>((resolve, reject) => {
        client.on('open', () => client.send(JSON.stringify({ type: 'response.create', model: 'gpt-x' })));
        client.on('message', (d) => {
          frames.push(d.toString());
          if (frames.length === 2) resolve();
        });
        client.on('error', reject);
      });
      client.close();
      expect(frames.map((f) => (JSON.parse(f) as { type: string }).type)).toEqual([
        'response.created',
        'response.completed',
      ]);
      expect(ws.seen[0]?.headers['authorization']).toBe('Bearer sk-ws-client');
      expect(ws.seen[0]?.headers['session-id']).toBe('codex-sess-1');
    });

    it('upgrades /responses (no /v1) too, and refuses upgrades elsewhere with 404', async () => {
      const ws = await wsUpstream();
      const { core } = await setup({ openaiUrl: ws.url + '/v1' });
      const ok = new WebSocket(core.proxyUrl.replace('http', 'ws') + '/responses');
      await new Promise<void>((resolve, reject) => {
        ok.on('open', () => resolve());
        ok.on('error', reject);
      });
      ok.close();
      const bad = new WebSocket(core.proxyUrl.replace('http', 'ws') + '/v1/chat/completions');
      const status = await new Promise<number>((resolve) => {
        bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        bad.on('error', () => resolve(-1));
      });
      expect(status).toBe(404);
    });

    it('answers a failed upgrade with 502 when the upstream is unreachable', async () => {
      const { core } = await setup({ openaiUrl: 'http://127.0.0.1:9/v1' });
      const ws = new WebSocket(core.proxyUrl.replace('http', 'ws') + '/v1/responses');
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
      });
      expect(status).toBe(502);
    });
  });

  describe('shutdown', () => {
    it('lets an in-flight stream finish within the grace period, refusing new connections meanwhile', async () => {
      const { up, core } = await setup({ shutdownGraceMs: 5_000 });
      const release = deferred();
      up.handle(async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        await release.promise;
        res.end('data: 2\n\n');
      });
      const { res } = await openStream(core.proxyUrl + '/v1/messages');
      let body = await nextChunk(res);
      const stopped = core.stop();
      await expect(rawRequest(core.proxyUrl + '/healthz')).rejects.toThrow();
      release.resolve();
      await new Promise<void>((r) => {
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => r());
      });
      await stopped;
      expect(body).toBe('data: 1\n\ndata: 2\n\n');
    });

    it('cuts streams still open when the grace period ends', async () => {
      const { up, core } = await setup({ shutdownGraceMs: 100 });
      up.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
      });
      const { res } = await openStream(core.proxyUrl + '/v1/messages');
      await nextChunk(res);
      const closed = new Promise<boolean>((r) => res.on('close', () => r(res.complete)));
      const t0 = Date.now();
      await core.stop();
      expect(await closed).toBe(false);
      expect(Date.now() - t0).toBeLessThan(2000);
    });
  });

  describe('logs and metrics of the recorder', () => {
    it('passes log lines through the redaction policy (an email in a failing request path never reaches the log)', async () => {
      const lines: string[] = [];
      const { core } = await setup({ logLines: lines, anthropicUrl: 'http://127.0.0.1:9' });
      const email = ['ops.team', 'acme-corp.io'].join('@');
      await rawRequest(core.proxyUrl + `/v1/messages?notify=${email}`, { method: 'POST', body: '{}' });
      await rawRequest(core.proxyUrl + `/v1/${email}/x`, {
        method: 'POST',
        headers: { 'anthropic-version': '1' },
        body: '{}',
      });
      await core.stop();
      expect(lines.some((l) => l.includes('could not reach'))).toBe(true);
      expect(lines.join('\n')).not.toContain(email);
    });

    it('exposes recorder queue, drops and redaction failures in /metrics', async () => {
      const { core } = await setup({ recording: true });
      const text = (await rawRequest(core.proxyUrl + '/metrics')).body.toString();
      expect(text).toMatch(/^lunaroute_recorder_dropped_exchanges_total 0$/m);
      expect(text).toMatch(/^lunaroute_recorder_queue_bytes \d+$/m);
      expect(text).toMatch(/^lunaroute_recorder_lines_dropped_total 0$/m);
      expect(text).toMatch(/^lunaroute_redaction_failures_total 0$/m);
    });
  });
});
