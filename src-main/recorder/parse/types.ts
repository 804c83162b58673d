// The contract of the recorder's response parsers: what the proxy-side recorder creates per exchange and feeds
// with copies of the upstream bytes. Parsers are pure (no I/O, no clock): the caller supplies the clock through
// `onFirstContent`. They never throw on provider input.
import type { Dialect, Endpoint } from '../../../src-shared/dialects.js';
import type { ReassembledResponse } from '../../../src-shared/exchange.js';

export type Transport = 'http' | 'websocket';

export interface ResponseParserOptions {
  dialect: Dialect;
  endpoint: Endpoint;
  /** The response `content-type` header (any case, parameters allowed); decides SSE vs JSON on HTTP. */
  contentType: string | null | undefined;
  transport: Transport;
  /**
   * Called once, synchronously, when the first model-generated content arrives (a non-empty text, thinking,
   * refusal or tool-argument delta, or the start of a tool call). If it returns a number, that number is stored
   * as `firstContentAtMs` (e.g. `() => performance.now() - startedAt`). Exceptions it throws are swallowed.
   */
  onFirstContent?: () => number | void;
}

/**
 * An incremental parser for one response.
 * - HTTP: `push` raw body bytes (already content-decoded) in chunks of any size and split.
 * - WebSocket: `push` one complete message per call (a string, or the message's UTF-8 bytes), server → client
 *   only, for one response (from `response.create` to its terminal event).
 */
export interface ResponseParser {
  push(chunk: Uint8Array | string): void;
  /** What has been seen so far, without ending the parse (for interrupted requests and live views). */
  snapshot(): ReassembledResponse;
  /** End of input: flushes a trailing unterminated event, returns the final result. Further pushes are ignored. */
  finish(): ReassembledResponse;
}
