// The response-parser factory: picks the framing (SSE over HTTP, one JSON message per WebSocket message, or a
// whole JSON body) from the transport and content-type, and the dialect machine from dialect + endpoint.
// Every event's JSON is parsed independently: a malformed event is counted in `parseErrors` and skipped, and
// nothing here throws on provider input.
import { Buffer } from 'node:buffer';
import type { ReassembledResponse } from '../../../src-shared/exchange.js';
import { AnthropicStream, applyAnthropicBody, applyCountTokensBody } from './anthropic.js';
import { ResponseBuilder, readError } from './builder.js';
import { ChatStream, applyChatBody, applyEmbeddingsBody } from './chat.js';
import { asObject, type JsonObject } from './json.js';
import { ResponsesMachine, applyResponsesBody } from './responses.js';
import { SseDecoder } from './sse.js';
import type { ResponseParser, ResponseParserOptions } from './types.js';

/** Handles one parsed event/message; `name` is the SSE event name ('message' when none, '' on WebSocket). */
type EventHandler = (name: string, ev: JsonObject) => void;

function isEventStream(contentType: string | null | undefined): boolean {
  return contentType != null && contentType.toLowerCase().includes('text/event-stream');
}

function streamHandler(o: ResponseParserOptions, b: ResponseBuilder): EventHandler {
  if (o.dialect === 'anthropic') {
    const m = new AnthropicStream(b);
    return (name, ev) => m.onEvent(name, ev);
  }
  if (o.endpoint === 'chat_completions') {
    const m = new ChatStream(b);
    return (_name, ev) => m.onChunk(ev);
  }
  if (o.endpoint === 'responses' || o.transport === 'websocket') {
    const m = new ResponsesMachine(b);
    return (name, ev) => m.onEvent(name, ev);
  }
  // An event stream on an endpoint we do not reassemble: count events, keep errors.
  return (name, ev) => {
    if (name === 'error' || ev.type === 'error') {
      readError(b, asObject(ev.error) ?? { ...ev, type: null });
      b.finishReason = 'error';
    }
  };
}

function bodyHandler(o: ResponseParserOptions): (b: ResponseBuilder, body: JsonObject) => void {
  switch (o.endpoint) {
    case 'messages':
      return o.dialect === 'anthropic' ? applyAnthropicBody : applyChatBody;
    case 'count_tokens':
      return applyCountTokensBody;
    case 'chat_completions':
      return applyChatBody;
    case 'responses':
      return applyResponsesBody;
    case 'embeddings':
      return applyEmbeddingsBody;
    default:
      // models, batches, other: no content; an error body is still worth keeping.
      return (b, body) => {
        if (body.error !== undefined && typeof body.error === 'object') {
          readError(b, asObject(body.error));
          b.finishReason = 'error';
        }
      };
  }
}

/** SSE over HTTP, or one JSON message per push on a WebSocket. */
class StreamParser implements ResponseParser {
  private readonly b: ResponseBuilder;
  private readonly handle: EventHandler;
  private readonly sse: SseDecoder | null;
  private readonly chatDone: boolean;
  private done = false;

  constructor(o: ResponseParserOptions, websocket: boolean) {
    this.b = new ResponseBuilder(o.dialect, o.endpoint, true, o.onFirstContent);
    this.handle = streamHandler(o, this.b);
    this.chatDone = o.dialect === 'openai';
    this.sse = websocket ? null : new SseDecoder((name, data) => this.event(name, data));
  }

  push(chunk: Uint8Array | string): void {
    if (this.done) return;
    const c = this.b.counts;
    c.chunks++;
    if (this.sse === null) {
      // WebSocket: each push is one whole text message.
      const text =
        typeof chunk === 'string'
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
      c.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
      this.event('', text);
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    c.bytes += bytes.byteLength;
    this.sse.push(bytes);
  }

  private event(name: string, data: string): void {
    const b = this.b;
    b.counts.events++;
    // OpenAI ends Chat (and some compatible Responses) streams with a non-JSON sentinel.
    if (this.chatDone && data === '[DONE]') {
      b.complete = true;
      return;
    }
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      b.counts.parseErrors++;
      return;
    }
    const o = asObject(ev);
    if (o === null) {
      b.counts.parseErrors++;
      return;
    }
    try {
      this.handle(name, o);
    } catch {
      // Defence in depth: the machines are written not to throw, but one odd event must never end recording.
      b.counts.parseErrors++;
    }
  }

  snapshot(): ReassembledResponse {
    const r = this.b.snapshot();
    if (this.sse !== null) r.counts.keepalives += this.sse.comments;
    return r;
  }

  finish(): ReassembledResponse {
    if (!this.done) {
      this.sse?.finish();
      this.done = true;
    }
    return this.snapshot();
  }
}

/** A whole JSON body (non-streaming responses and error bodies): buffered, parsed once at the end. */
class JsonBodyParser implements ResponseParser {
  private readonly b: ResponseBuilder;
  private readonly apply: (b: ResponseBuilder, body: JsonObject) => void;
  private chunks: Buffer[] = [];
  private size = 0;
  private result: ReassembledResponse | null = null;

  constructor(o: ResponseParserOptions) {
    this.b = new ResponseBuilder(o.dialect, o.endpoint, false, o.onFirstContent);
    this.apply = bodyHandler(o);
  }

  push(chunk: Uint8Array | string): void {
    if (this.result !== null) return;
    // Copy: the caller's buffer may be reused after push returns.
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    this.chunks.push(buf);
    this.size += buf.length;
    this.b.counts.chunks++;
    this.b.counts.bytes += buf.length;
  }

  /** A body is only meaningful whole; before the end we report counts only (parsing a prefix would fail). */
  snapshot(): ReassembledResponse {
    return this.result ?? this.b.snapshot();
  }

  finish(): ReassembledResponse {
    if (this.result !== null) return this.result;
    const b = this.b;
    if (this.size > 0) {
      b.counts.events = 1;
      const text = Buffer.concat(this.chunks, this.size).toString('utf8');
      this.chunks = [];
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        b.counts.parseErrors++;
      }
      const o = asObject(body);
      if (o !== null) {
        try {
          this.apply(b, o);
          b.complete = true;
          // The whole body arrived at once: its content (if any) came with it. Stamped for every dialect, not
          // only those whose body handler marks content as it goes.
          if (b.hasBlocks()) b.content();
        } catch {
          b.counts.parseErrors++;
        }
      } else if (body !== undefined) {
        b.complete = true; // valid JSON that is not an object (e.g. a bare list): nothing to reassemble
      }
    }
    this.result = b.snapshot();
    return this.result;
  }
}

/**
 * One parser per response. Choice of framing: `transport: 'websocket'` → one JSON message per push;
 * HTTP with `text/event-stream` → SSE; anything else → a JSON body.
 */
export function createResponseParser(options: ResponseParserOptions): ResponseParser {
  if (options.transport === 'websocket') return new StreamParser(options, true);
  if (isEventStream(options.contentType)) return new StreamParser(options, false);
  return new JsonBodyParser(options);
}
