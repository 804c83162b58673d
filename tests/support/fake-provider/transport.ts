// HTTP transport for the fake provider: one exchange's bookkeeping, request bodies decoded and parsed, the
// dialect told from the path and headers, errors in the dialect's shape, and SSE written with the scenarios'
// delivery (slow, reset, gzip flushed per event) under backpressure.
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { anthropicError } from './anthropic.js';
import { openaiError } from './openai-chat.js';
import type { Delivery } from './scenarios.js';
import type { Dialect, RecordedRequest } from './types.js';
import { delay, type ErrorReply, type Ev } from './util.js';

export type ExchangeInit = Pick<RecordedRequest, 'transport' | 'method' | 'url' | 'headers' | 'body'>;

/** One request and its response as they happen; `rec` is what tests read. */
export interface Exchange {
  rec: RecordedRequest;
  /** Account for bytes written back to the client. */
  sent(chunk: Buffer): void;
  finish(outcome: 'finished' | 'closed-early'): void;
  /** The fake itself cut the connection (reset scenario, close()): not a client abort. */
  cutByServer: boolean;
}

/** An error in the dialect's real shape (Anthropic, or OpenAI's for everything else). */
export function errorReply(dialect: Dialect, status: number, message?: string): ErrorReply {
  return dialect === 'anthropic' ? anthropicError(status, message) : openaiError(status, message);
}

export function acceptsGzip(headers: IncomingHttpHeaders): boolean {
  const ae = String(headers['accept-encoding'] ?? '');
  return /\bgzip\b/i.test(ae) && !/\bgzip\s*;\s*q=0(\.0*)?\b/i.test(ae);
}

/** Wait until `sink` drains, or the response closes. */
function drained(sink: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sink.off('drain', done);
      res.off('close', done);
      resolve();
    };
    sink.on('drain', done);
    res.on('close', done);
  });
}

function sseFrame(ev: Ev): string {
  const data = typeof ev.data === 'string' ? ev.data : JSON.stringify(ev.data);
  return ev.event ? `event: ${ev.event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

function decodeBody(body: Buffer, encoding: string | undefined): Buffer | undefined {
  try {
    if (!encoding || encoding === 'identity') return body;
    if (encoding === 'gzip') return zlib.gunzipSync(body);
    if (encoding === 'deflate') return zlib.inflateSync(body);
    if (encoding === 'br') return zlib.brotliDecompressSync(body);
  } catch {
    return undefined;
  }
  return undefined;
}

export function parseJson(body: Buffer, encoding: string | undefined): unknown {
  const plain = decodeBody(body, encoding);
  if (!plain || plain.length === 0) return undefined;
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function dialectOf(method: string, path: string, headers: IncomingHttpHeaders): Dialect {
  if (path === '/v1/messages' || path.startsWith('/v1/messages/')) return 'anthropic';
  if (path === '/v1/chat/completions') return 'openai-chat';
  if (path === '/v1/responses' || path.startsWith('/v1/responses/')) return 'openai-responses';
  if (path.startsWith('/v1/'))
    return headers['anthropic-version'] || headers['x-api-key'] ? 'anthropic' : 'other';
  void method;
  return 'other';
}

/** Write events as SSE, honouring slow / reset / gzip, with backpressure. Ends the response. */
export async function pumpSse(
  ex: Exchange,
  res: ServerResponse,
  evs: Ev[],
  d: Delivery,
  headers: Record<string, string>,
  closing: () => boolean,
): Promise<void> {
  const h: Record<string, string> = {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    ...headers,
  };
  let sink: Writable = res;
  let gz: zlib.Gzip | undefined;
  if (d.gzip) {
    h['content-encoding'] = 'gzip';
    gz = zlib.createGzip();
    gz.pipe(res);
    sink = gz;
  }
  res.writeHead(200, h);
  res.flushHeaders();
  for (let i = 0; i < evs.length; i++) {
    if (res.destroyed || closing()) return;
    if (d.resetAfter !== undefined && i >= d.resetAfter) {
      if (gz) await new Promise<void>((r) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
      ex.cutByServer = true;
      res.socket?.destroy();
      return;
    }
    if (d.delayMs > 0) await delay(d.delayMs);
    if (res.destroyed) return;
    const ok = sink.write(sseFrame(evs[i]!));
    if (gz) await new Promise<void>((r) => gz.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    else if (!ok) await drained(sink, res);
  }
  if (d.resetAfter !== undefined) {
    ex.cutByServer = true;
    res.socket?.destroy();
    return;
  }
  sink.end();
}
