// The messages the proxy's thread sends the recorder for one Anthropic /v1/messages exchange, for tests that drive a
// RecorderEngine (or a RecorderClient) directly: the open message (or the tap's ExchangeStart) and a whole JSON
// exchange fed in order.
import type { ExchangeStart } from '../../src-main/proxy/tap.js';
import type { OpenMsg, ToWorker } from '../../src-main/recorder/protocol.js';

const BASE = {
  dialect: 'anthropic',
  endpoint: 'messages',
  transport: 'http',
  method: 'POST',
  url: '/v1/messages',
  upstreamUrl: 'http://127.0.0.1:9/v1/messages',
  credentialSource: 'client',
} as const;

export function openMessage(id: string, headers: Record<string, string>, startedAt = Date.now()): OpenMsg {
  return { t: 'open', id, ...BASE, headers, startedAt };
}

export function exchangeStart(id: string): ExchangeStart {
  return {
    id,
    ...BASE,
    headers: { 'content-type': 'application/json' },
    startedAt: Date.now(),
    startHr: process.hrtime.bigint(),
  };
}

/** Feed a completed JSON exchange: open, the request body, the 200 head, the reply, the end. */
export function feedJsonExchange(
  engine: { handle(m: ToWorker): void },
  id: string,
  session: string,
  body: unknown,
  reply: unknown,
): void {
  engine.handle(openMessage(id, { 'x-claude-code-session-id': session, 'content-type': 'application/json' }));
  engine.handle({ t: 'rq', id, c: Buffer.from(JSON.stringify(body)) });
  engine.handle({ t: 'rqEnd', id, ms: 1 });
  engine.handle({ t: 'head', id, status: 200, headers: { 'content-type': 'application/json' }, ms: 2 });
  engine.handle({ t: 'rs', id, c: Buffer.from(JSON.stringify(reply)), ms: 3 });
  engine.handle({ t: 'end', id, end: { kind: 'completed' }, ms: 4, dispatchMs: 1, overheadMs: 0 });
}
