// The fake provider's server: one HTTP server on 127.0.0.1:0 that records every exchange (request bytes, response
// bytes as written, hashes, usage sent, early closes by the client), routes generation to the dialects' renderers
// (anthropic.ts, openai-chat.ts, openai-responses.ts) with the scenarios' plan and delivery (scenarios.ts), serves
// the side endpoints, and hands WebSocket upgrades to responses-websocket.ts. `provider.enqueue(handler)`
// overrides the next HTTP request (optionally the next one matching a predicate).
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicEvents, anthropicJson, handleBatches } from './anthropic.js';
import { handleEmbeddings, handleModels } from './endpoints.js';
import { chatEvents, chatJson } from './openai-chat.js';
import { responseObject, responsesEvents, responsesItems, responsesUsage } from './openai-responses.js';
import { serveResponsesWebSocket } from './responses-websocket.js';
import { makePlan, readConversation, scenarioNames, scriptedPlan, scriptView } from './scenarios.js';
import {
  acceptsGzip,
  dialectOf,
  errorReply,
  parseJson,
  pumpSse,
  type Exchange,
  type ExchangeInit,
} from './transport.js';
import type {
  FakeHandler,
  FakeScript,
  FakeProvider,
  FakeProviderOptions,
  RecordedRequest,
  WsConnectionRecord,
} from './types.js';
import { delay, id, isObj, sendJson, sha256, type Json } from './util.js';

export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const opts: Required<FakeProviderOptions> = {
    slowDelayMs: options.slowDelayMs ?? 100,
    bigEvents: options.bigEvents ?? 2000,
    resetAfterEvents: options.resetAfterEvents ?? 3,
    websocket: options.websocket ?? true,
    models: options.models ?? ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5', 'gpt-5-codex'],
    keepBodies: options.keepBodies ?? true,
  };
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const requests: RecordedRequest[] = [];
  const wsConnections: WsConnectionRecord[] = [];
  const queue: { handler: FakeHandler; match?: (r: RecordedRequest) => boolean }[] = [];
  const sockets = new Set<Socket>();
  const batches = new Map<string, Json>();
  const live = new Set<Exchange>();
  let closing = false;
  let seq = 0;
  let script: FakeScript | undefined;

  function newExchange(init: ExchangeInit): Exchange {
    let resolveDone!: (o: 'finished' | 'closed-early') => void;
    let resolveEarly!: (t: number) => void;
    const done = new Promise<'finished' | 'closed-early'>((r) => (resolveDone = r));
    const closedEarly = new Promise<number>((r) => (resolveEarly = r));
    const json = parseJson(init.body, init.headers['content-encoding'] as string | undefined);
    const path = init.url.split('?')[0] ?? init.url;
    const rec: RecordedRequest = {
      ...init,
      seq: ++seq,
      path,
      bodySha256: sha256(init.body),
      json,
      dialect:
        init.transport === 'websocket' ? 'openai-responses' : dialectOf(init.method, path, init.headers),
      scenarios: [],
      receivedAt: Date.now(),
      status: undefined,
      responseBody: Buffer.alloc(0),
      responseBytes: 0,
      responseSha256: undefined,
      usageSent: undefined,
      done,
      closedEarly,
      closedEarlyAt: undefined,
    };
    // Response bytes: hashed as they go, kept as a chunk list and joined only when read (big streams stay O(n)).
    const respHash = createHash('sha256');
    const respChunks: Buffer[] = [];
    let joined: Buffer | undefined;
    Object.defineProperty(rec, 'responseBody', {
      enumerable: true,
      get: () => (joined ??= Buffer.concat(respChunks)),
    });
    let settled = false;
    const ex: Exchange = {
      rec,
      cutByServer: false,
      sent(chunk) {
        rec.responseBytes += chunk.length;
        if (settled) return;
        respHash.update(chunk);
        if (opts.keepBodies) {
          respChunks.push(chunk);
          joined = undefined;
        }
      },
      finish(outcome) {
        if (settled) return;
        settled = true;
        live.delete(ex);
        rec.responseSha256 = respHash.digest('hex');
        if (!opts.keepBodies) {
          rec.body = Buffer.alloc(0);
          rec.json = undefined;
        }
        if (outcome === 'closed-early' && !ex.cutByServer) {
          rec.closedEarlyAt = Date.now();
          resolveEarly(rec.closedEarlyAt);
          events.emit('closedEarly', rec);
        }
        resolveDone(outcome);
      },
    };
    live.add(ex);
    return ex;
  }

  function publish(rec: RecordedRequest): void {
    requests.push(rec);
    events.emit('request', rec);
  }

  /** Record everything written to `res` (after compression) into the exchange. */
  function tapResponse(ex: Exchange, res: ServerResponse): void {
    const capture = (chunk: unknown, enc?: unknown): void => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
      const buf =
        typeof chunk === 'string'
          ? Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8')
          : Buffer.from(chunk as Uint8Array);
      ex.sent(buf);
    };
    const origWrite = res.write.bind(res) as (...a: unknown[]) => boolean;
    const origEnd = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
    res.write = ((...a: unknown[]) => {
      capture(a[0], a[1]);
      return origWrite(...a);
    }) as typeof res.write;
    res.end = ((...a: unknown[]) => {
      capture(a[0], a[1]);
      return origEnd(...a);
    }) as typeof res.end;
    const origWriteHead = res.writeHead.bind(res) as (...a: unknown[]) => ServerResponse;
    res.writeHead = ((...a: unknown[]) => {
      ex.rec.status = a[0] as number;
      return origWriteHead(...a);
    }) as typeof res.writeHead;
    res.on('finish', () => {
      ex.rec.status ??= res.statusCode;
      ex.finish('finished');
    });
    res.on('close', () => ex.finish(res.writableFinished ? 'finished' : 'closed-early'));
  }

  async function handleGeneration(ex: Exchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rec = ex.rec;
    const body = isObj(rec.json) ? rec.json : undefined;
    if (!body) {
      const e = errorReply(rec.dialect, 400, 'Fake provider: the request body is not a JSON object.');
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    const conv = readConversation(rec.dialect, body);
    rec.scenarios = scenarioNames(conv);
    const planned = makePlan(conv, rec.scenarios, opts);
    const { delivery } = planned;
    const reply = script?.(rec, scriptView(conv));
    const plan = reply ? scriptedPlan(planned.plan, conv, reply) : planned.plan;
    const stream = body.stream === true;
    if (delivery.unknown.length > 0) {
      const e = errorReply(
        rec.dialect,
        400,
        `Fake provider: unknown scenario ${delivery.unknown.join(', ')}`,
      );
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    if (delivery.errorStatus !== undefined) {
      const e = errorReply(rec.dialect, delivery.errorStatus);
      sendJson(res, e.status, e.body, e.headers);
      return;
    }
    if (delivery.hang) {
      // Status line and headers, then nothing until the client goes away or close() is called.
      res.writeHead(200, {
        'content-type': stream ? 'text/event-stream; charset=utf-8' : 'application/json',
      });
      res.flushHeaders();
      return;
    }
    delivery.gzip = delivery.gzip && acceptsGzip(req.headers);
    const model = typeof body.model === 'string' ? body.model : 'fake-model';
    rec.usageSent = plan.usage;
    const reqIdHeader: Record<string, string> =
      rec.dialect === 'anthropic' ? { 'request-id': id('req_') } : { 'x-request-id': id('req_') };
    if (!stream) {
      if (delivery.resetAfter !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json', ...reqIdHeader });
        res.flushHeaders();
        ex.cutByServer = true;
        res.socket?.destroy();
        return;
      }
      if (delivery.delayMs > 0) await delay(delivery.delayMs);
      const json =
        rec.dialect === 'anthropic'
          ? anthropicJson(plan, model)
          : rec.dialect === 'openai-chat'
            ? chatJson(plan, model)
            : responseObject(
                body,
                id('resp_'),
                'completed',
                responsesItems(plan).output,
                responsesUsage(plan.usage),
              );
      sendJson(res, 200, json, reqIdHeader, delivery.gzip);
      return;
    }
    const evs =
      rec.dialect === 'anthropic'
        ? anthropicEvents(plan, model, delivery.streamError)
        : rec.dialect === 'openai-chat'
          ? chatEvents(
              plan,
              model,
              isObj(body.stream_options) && body.stream_options.include_usage === true,
              delivery.streamError,
            )
          : responsesEvents(plan, body, id('resp_'), delivery.streamError);
    if (
      rec.dialect === 'openai-chat' &&
      !(isObj(body.stream_options) && body.stream_options.include_usage === true)
    ) {
      rec.usageSent = undefined;
    }
    await pumpSse(ex, res, evs, delivery, reqIdHeader, () => closing);
  }

  async function route(ex: Exchange, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { method, path, dialect } = ex.rec;
    if ((method === 'HEAD' || method === 'GET') && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(method === 'HEAD' ? undefined : 'fake provider\n');
      return;
    }
    if (
      method === 'POST' &&
      (path === '/v1/messages' || path === '/v1/chat/completions' || path === '/v1/responses')
    ) {
      return handleGeneration(ex, req, res);
    }
    if (method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.max(1, Math.ceil(ex.rec.body.length / 4)) });
      return;
    }
    if (path === '/v1/messages/batches' || path.startsWith('/v1/messages/batches/'))
      return handleBatches(ex.rec, res, batches, opts);
    if (method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/')))
      return handleModels(ex.rec, res, opts);
    if (method === 'POST' && path === '/v1/embeddings') return handleEmbeddings(ex.rec, res);
    const e = errorReply(
      dialect === 'anthropic' ? 'anthropic' : 'openai-chat',
      404,
      `Fake provider: no route for ${method} ${path}`,
    );
    sendJson(res, 404, e.body, e.headers);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ex = newExchange({
        transport: 'http',
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      tapResponse(ex, res);
      const qi = queue.findIndex((q) => !q.match || q.match(ex.rec));
      const queued = qi >= 0 ? queue.splice(qi, 1)[0] : undefined;
      publish(ex.rec);
      const run = queued ? Promise.resolve(queued.handler(req, res, ex.rec.body)) : route(ex, req, res);
      run.catch((err: unknown) => {
        if (!res.headersSent) {
          const e = errorReply(ex.rec.dialect, 500, `Fake provider crashed: ${String(err)}`);
          sendJson(res, 500, e.body, e.headers);
        } else res.destroy();
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const wss = serveResponsesWebSocket(server, {
    opts,
    wsConnections,
    events,
    newExchange,
    publish,
    closing: () => closing,
    script: () => script,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    wsConnections,
    events,
    enqueue(handler, match) {
      queue.push(match ? { handler, match } : { handler });
    },
    waitForRequest(predicate = () => true, timeoutMs = 15_000) {
      const found = requests.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          events.off('request', onReq);
          const seen = requests.map((r) => `${r.method} ${r.url}`).join(', ') || 'none';
          reject(new Error(`fake provider: no matching request within ${timeoutMs} ms (seen: ${seen})`));
        }, timeoutMs);
        const onReq = (r: RecordedRequest): void => {
          if (!predicate(r)) return;
          clearTimeout(timer);
          events.off('request', onReq);
          resolve(r);
        };
        events.on('request', onReq);
      });
    },
    setScript(s) {
      script = s;
    },
    clear() {
      requests.length = 0;
      wsConnections.length = 0;
      queue.length = 0;
    },
    async close() {
      closing = true;
      for (const ex of live) ex.cutByServer = true;
      for (const c of wss.clients) c.terminate();
      for (const s of sockets) s.destroy();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
