// One HTTP exchange as the recorder worker sees it: the request bytes (up to a cap), the response head, and the
// response bytes decoded (for this copy only) and fed to the dialect's incremental parser. It stamps the time
// of the first content delta from the arrival time of the chunk that carried it.
import type { ReassembledResponse } from '../../src-shared/exchange.js';
import type { OutcomeReason, Outcome } from '../../src-shared/records.js';
import type { ExchangeEnd } from '../proxy/tap.js';
import { createResponseParser } from './parse/parser.js';
import type { ResponseParser } from './parse/types.js';
import { createDecoder, type StreamDecoder } from './decode.js';
import type { HeaderRecord, OpenMsg } from './protocol.js';

/** Non-JSON, non-SSE bodies (an HTML error page…) are kept as text up to this many bytes. */
export const BODY_TEXT_CAP = 16 * 1024;

function first(h: HeaderRecord | null, name: string): string | null {
  const v = h?.[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}

export class HttpExchange {
  private readonly reqParts: Buffer[] = [];
  reqBytes = 0;
  reqTruncated = false;
  requestEnded = false;
  status: number | null = null;
  resHeaders: HeaderRecord | null = null;
  headMs: number | null = null;
  resBytes = 0;
  chunks = 0;
  resTruncated = false;
  firstChunkMs: number | null = null;
  lastChunkMs: number | null = null;
  decodeError: string | null = null;
  /** Set when the proxy thread stopped copying (queue full). */
  dropped = false;
  /** Known once the request line is written. */
  sessionId: string | null = null;
  /** Epoch ms of the last message about this exchange (for stale detection). */
  lastSeenAt = Date.now();
  private parser: ResponseParser | null = null;
  private decoder: StreamDecoder | null = null;
  private textParts: Buffer[] | null = null;
  private textBytes = 0;
  private currentMs = 0;
  private parsedBytes = 0;

  constructor(
    readonly open: OpenMsg,
    private readonly maxBodyBytes: number,
  ) {}

  requestData(c: Uint8Array): void {
    this.reqBytes += c.byteLength;
    if (this.reqTruncated) return;
    const room = this.maxBodyBytes - (this.reqBytes - c.byteLength);
    if (c.byteLength > room) {
      this.reqTruncated = true;
      if (room > 0) this.reqParts.push(Buffer.from(c.buffer, c.byteOffset, room));
      return;
    }
    this.reqParts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }

  /** The proxy's thread stopped copying: if before the request ended, the body held is only its start. */
  drop(): void {
    this.dropped = true;
    if (!this.requestEnded) this.reqTruncated = true;
  }

  /** The request body, handed over once: the parts are let go (they may share a batch buffer with others). */
  requestBody(): Buffer {
    const body = joined(this.reqParts);
    this.reqParts.length = 0;
    return body;
  }

  requestEncoding(): string | null {
    const e = first(this.open.headers, 'content-encoding');
    return e && e !== 'identity' ? e.toLowerCase() : null;
  }

  responseHead(status: number, headers: HeaderRecord, ms: number): void {
    this.status = status;
    this.resHeaders = headers;
    this.headMs = ms;
    const contentType = first(headers, 'content-type');
    const ct = (contentType ?? '').toLowerCase();
    const parseable = ct.includes('json') || ct.includes('text/event-stream') || ct === '';
    if (parseable) {
      this.parser = createResponseParser({
        dialect: this.open.dialect,
        endpoint: this.open.endpoint,
        contentType,
        transport: 'http',
        onFirstContent: () => this.currentMs,
      });
    }
    if (!parseable || status >= 400) this.textParts = [];
    const encoding = first(headers, 'content-encoding');
    if (encoding && encoding !== 'identity') {
      this.decoder = createDecoder(encoding.toLowerCase(), (c) => this.feed(c));
      if (!this.decoder) this.decodeError = `content-encoding ${encoding} is not decoded for recording`;
    }
  }

  responseData(c: Uint8Array, ms: number): void {
    this.chunks++;
    this.resBytes += c.byteLength;
    this.firstChunkMs ??= ms;
    this.lastChunkMs = ms;
    this.currentMs = ms;
    if (this.resTruncated) return;
    if (this.resBytes > this.maxBodyBytes) {
      this.resTruncated = true;
      return;
    }
    const buf = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    if (this.decoder) this.decoder.write(buf);
    else if (!this.decodeError) this.feed(buf);
  }

  private feed(c: Buffer): void {
    this.parsedBytes += c.length;
    this.parser?.push(c);
    if (this.textParts && this.textBytes < BODY_TEXT_CAP) {
      this.textParts.push(c);
      this.textBytes += c.length;
    }
  }

  /** What the response looks like so far (live progress). */
  snapshot(): ReassembledResponse | null {
    return this.parser?.snapshot() ?? null;
  }

  /** End of the exchange: drain the decoder, then finish (or snapshot, when cut) the parse. */
  async finish(): Promise<{ response: ReassembledResponse | null; bodyText: string | null }> {
    if (this.decoder) {
      await this.decoder.end();
      if (this.decoder.error) this.decodeError = this.decoder.error;
    }
    const response = this.parser ? this.parser.finish() : null;
    let bodyText: string | null = null;
    if (this.textParts && this.textParts.length > 0) {
      const usefulParse =
        response && (response.content.length > 0 || response.error !== null || response.complete);
      if (!usefulParse) bodyText = Buffer.concat(this.textParts).subarray(0, BODY_TEXT_CAP).toString('utf8');
    }
    return { response, bodyText };
  }
}

export interface OutcomeFacts {
  outcome: Outcome;
  reason: OutcomeReason | null;
  errorMessage: string | null;
  errorStatus: number | null;
}

/**
 * Exactly one outcome per request. The proxy's view of how the exchange ended comes first (cut, unreachable),
 * then the upstream's status, then what the stream itself said (an in-stream error, or no terminal event).
 */
export function decideOutcome(
  end: ExchangeEnd,
  status: number | null,
  response: ReassembledResponse | null,
  /** The proxy's thread stopped copying this exchange (the recorder fell behind): what it holds is partial. */
  dropped = false,
): OutcomeFacts {
  if (dropped && end.kind === 'completed') {
    return {
      outcome: 'interrupted',
      reason: 'recording_dropped',
      errorMessage: 'the recorder fell behind and did not receive this exchange in full',
      errorStatus: null,
    };
  }
  switch (end.kind) {
    case 'client_abort':
      return { outcome: 'interrupted', reason: 'client_abort', errorMessage: null, errorStatus: null };
    case 'shutdown':
      return { outcome: 'interrupted', reason: 'shutdown', errorMessage: null, errorStatus: null };
    case 'stale':
      return {
        outcome: 'interrupted',
        reason: 'stale',
        errorMessage: 'no end of this exchange was seen in time',
        errorStatus: null,
      };
    case 'upstream_reset':
      return {
        outcome: 'interrupted',
        reason: 'upstream_reset',
        errorMessage: `upstream connection ended early (${end.code})`,
        errorStatus: null,
      };
    case 'upstream_error':
      return {
        outcome: 'failed',
        reason: 'upstream_error',
        errorMessage: end.message,
        errorStatus: end.status,
      };
    case 'completed':
      break;
  }
  if (status !== null && status >= 400) {
    return {
      outcome: 'failed',
      reason: 'upstream_status',
      errorMessage: response?.error?.message ?? null,
      errorStatus: status,
    };
  }
  if (response?.error || response?.finishReason === 'error') {
    return {
      outcome: 'failed',
      reason: 'stream_error',
      errorMessage: response.error?.message ?? null,
      errorStatus: status,
    };
  }
  if (response && response.streamed && !response.complete) {
    return {
      outcome: 'interrupted',
      reason: 'upstream_reset',
      errorMessage: 'the stream ended without its final event',
      errorStatus: null,
    };
  }
  return { outcome: 'completed', reason: null, errorMessage: null, errorStatus: null };
}

/**
 * The parts as one buffer. Parts that lie back to back in one batch buffer (a body that came in one hand-off,
 * the common case) are viewed in place: copying an 80 KB body cost more than parsing its new parts.
 */
export function joined(parts: readonly Buffer[]): Buffer {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0];
  if (!first) return Buffer.alloc(0);
  let end = first.byteOffset + first.byteLength;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.buffer !== first.buffer || p.byteOffset !== end) return Buffer.concat(parts);
    end += p.byteLength;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}
