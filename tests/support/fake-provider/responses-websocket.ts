// Codex's Responses-over-WebSocket transport on /v1/responses: each `response.create` text frame is one recorded
// exchange, answered with the same events as the SSE stream, one JSON text frame each. The connection keeps each
// response's input and output so `previous_response_id` continues a conversation; `generate: false` only warms
// it up. Errors come as `{type: 'error', status, error}` frames; the connection stays open.
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import { responseObject, responsesEvents, responsesItems } from './openai-responses.js';
import { makePlan, readConversation, scenarioNames, scriptedPlan, scriptView } from './scenarios.js';
import { errorReply, type Exchange, type ExchangeInit } from './transport.js';
import type { FakeProviderOptions, FakeScript, RecordedRequest, WsConnectionRecord } from './types.js';
import { arr, delay, id, isObj, type Json } from './util.js';

/** What the WebSocket side shares with the HTTP server. */
export interface WsContext {
  opts: Required<FakeProviderOptions>;
  wsConnections: WsConnectionRecord[];
  events: EventEmitter;
  newExchange(init: ExchangeInit): Exchange;
  publish(rec: RecordedRequest): void;
  /** True once close() was called. */
  closing(): boolean;
  /** The script set with setScript(), if any. */
  script(): FakeScript | undefined;
}

/** Answer WebSocket upgrades on `server` (426 when opts.websocket is off, 404 off /v1/responses). */
export function serveResponsesWebSocket(server: Server, ctx: WsContext): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/responses' || !ctx.opts.websocket) {
      const status = path === '/v1/responses' ? '426 Upgrade Required' : '404 Not Found';
      socket.end(
        `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onWsConnection(ws, req, ctx));
  });
  return wss;
}

function onWsConnection(ws: WebSocket, req: IncomingMessage, ctx: WsContext): void {
  let resolveClosed!: (t: number) => void;
  const conn: WsConnectionRecord = {
    url: req.url ?? '/',
    headers: req.headers,
    openedAt: Date.now(),
    closed: new Promise<number>((r) => (resolveClosed = r)),
  };
  ctx.wsConnections.push(conn);
  ctx.events.emit('wsConnection', conn);
  /** Conversation state per response id: the full input and output so far (for previous_response_id). */
  const history = new Map<string, unknown[]>();
  let current: Exchange | undefined;
  let chain = Promise.resolve();
  const send = (ex: Exchange, payload: Json): void => {
    const text = JSON.stringify(payload);
    ex.sent(Buffer.from(`${text}\n`));
    ws.send(text);
  };
  ws.on('close', () => {
    resolveClosed(Date.now());
    current?.finish('closed-early');
  });
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const raw = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const ex = ctx.newExchange({
      transport: 'websocket',
      method: 'WS',
      url: conn.url,
      headers: conn.headers,
      body: raw,
    });
    ex.rec.status = 101;
    ctx.publish(ex.rec);
    chain = chain.then(() => handleFrame(ex, isBinary)).catch(() => ws.terminate());
  });

  async function handleFrame(ex: Exchange, isBinary: boolean): Promise<void> {
    if (ws.readyState !== ws.OPEN) return ex.finish('closed-early');
    current = ex;
    const body = isObj(ex.rec.json) ? ex.rec.json : undefined;
    const fail = (status: number, code: string, message: string): void => {
      send(ex, {
        type: 'error',
        status,
        error: { type: 'invalid_request_error', code, message, param: null },
      });
      ex.finish('finished');
    };
    if (isBinary) return fail(400, 'invalid_request_error', 'Binary frames are not supported.');
    if (!body || body.type !== 'response.create') {
      return fail(400, 'invalid_request_error', `Unsupported event type ${String(body?.type)}`);
    }
    const prev = typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined;
    const prior = prev === undefined ? [] : history.get(prev);
    if (prior === undefined) {
      return fail(400, 'previous_response_not_found', `Previous response with id '${prev}' not found.`);
    }
    const ownInput =
      typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : arr(body.input);
    const fullInput = [...prior, ...ownInput];
    const respId = id('resp_');
    if (body.generate === false) {
      history.set(respId, fullInput);
      const usage = {
        input_tokens: 0,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 0,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 0,
      };
      send(ex, {
        type: 'response.created',
        sequence_number: 0,
        response: responseObject(body, respId, 'in_progress', [], null),
      });
      send(ex, {
        type: 'response.completed',
        sequence_number: 1,
        response: responseObject(body, respId, 'completed', [], usage),
      });
      ex.finish('finished');
      return;
    }
    const conv = readConversation('openai-responses', body, fullInput);
    ex.rec.scenarios = scenarioNames(conv);
    const planned = makePlan(conv, ex.rec.scenarios, ctx.opts);
    const { delivery } = planned;
    const reply = ctx.script()?.(ex.rec, scriptView(conv));
    const plan = reply ? scriptedPlan(planned.plan, conv, reply) : planned.plan;
    if (delivery.unknown.length > 0)
      return fail(
        400,
        'invalid_request_error',
        `Fake provider: unknown scenario ${delivery.unknown.join(', ')}`,
      );
    if (delivery.errorStatus !== undefined) {
      const e = errorReply('openai-responses', delivery.errorStatus);
      send(ex, { type: 'error', status: e.status, error: e.body.error, headers: e.headers });
      ex.finish('finished');
      return;
    }
    if (delivery.hang) return;
    ex.rec.usageSent = plan.usage;
    const evs = responsesEvents(plan, body, respId, delivery.streamError);
    for (let i = 0; i < evs.length; i++) {
      if (ws.readyState !== ws.OPEN || ctx.closing()) return ex.finish('closed-early');
      if (delivery.resetAfter !== undefined && i >= delivery.resetAfter) {
        ex.cutByServer = true;
        ws.terminate();
        return;
      }
      if (delivery.delayMs > 0) await delay(delivery.delayMs);
      if (ws.readyState !== ws.OPEN) return ex.finish('closed-early');
      send(ex, evs[i]!.data as Json);
    }
    history.set(respId, [...fullInput, ...responsesItems(plan).output]);
    current = undefined;
    ex.finish('finished');
  }
}
