// RFC 6455 frame decoder for the recording tap on a Codex WebSocket: the proxy passes the socket's bytes through
// untouched and hands copies of each direction (after the HTTP upgrade) to one decoder per direction. Decodes
// incrementally from any chunk split (header bytes gathered in a small buffer, payload copied straight into its
// final buffer and unmasked on the way), reassembles fragmented messages, reports control frames, and inflates
// permessage-deflate (RFC 7692) messages. A protocol error stops that direction's decoding (reported once); it
// never throws into the proxy.
import { Buffer } from 'node:buffer';
import { constants as zc, inflateRawSync } from 'node:zlib';

/** `client` = bytes the client sent (masked frames); `server` = bytes the upstream sent (unmasked). */
export type WsDirection = 'client' | 'server';

export interface PerMessageDeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  /** LZ77 window the server compresses with (8–15; 15 when not negotiated). */
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export interface WsMessage {
  direction: WsDirection;
  type: 'text' | 'binary';
  /** The (inflated) payload. */
  data: Buffer;
  /** UTF-8 decoded payload for text messages; null for binary. */
  text: string | null;
  /** The message was sent compressed (RSV1). */
  compressed: boolean;
}

export interface WsControl {
  direction: WsDirection;
  type: 'ping' | 'pong' | 'close';
  payload: Buffer;
  /** Close frames: the status code (1000, 1001…) when present. */
  closeCode: number | null;
  closeReason: string | null;
}

export interface WsFrameDecoderOptions {
  direction: WsDirection;
  /** The negotiated extension (from the upgrade response), or null when messages are not compressed. */
  deflate: PerMessageDeflateParams | null;
  onMessage: (m: WsMessage) => void;
  onControl?: (c: WsControl) => void;
  /** A protocol error (decoding of this direction stops) or a message that could not be inflated (skipped). */
  onError?: (reason: string, fatal: boolean) => void;
  /** Largest message kept (bytes, after inflation). Larger ones are skipped with an error. Default 64 MiB. */
  maxMessageBytes?: number;
}

const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;
/** RFC 7692 §7.2.2: the sender strips this empty stored block's tail; the receiver appends it back. */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const HISTORY = 32 * 1024;

const enum State {
  Header,
  Payload,
  Dead,
}

export class WsFrameDecoder {
  /** Complete messages emitted. */
  messages = 0;
  frames = 0;
  /** Why decoding stopped, if it did. */
  failed: string | null = null;
  /** A close frame was seen; later bytes are ignored. */
  closed = false;

  private state = State.Header;
  private readonly hdr = Buffer.alloc(14);
  private hdrLen = 0;
  private fin = false;
  private rsv1 = false;
  private opcode = 0;
  private masked = false;
  private mask = Buffer.alloc(4);
  private payload: Buffer = Buffer.alloc(0);
  private payloadLen = 0;
  private payloadPos = 0;
  /** Payload bytes of an oversized frame are counted, not kept. */
  private discard = false;

  // Message in progress (fragments of a data message).
  private msgOpcode = 0;
  private msgCompressed = false;
  private msgParts: Buffer[] = [];
  private msgSize = 0;
  private msgTooBig = false;
  /** Uncompressed tail of earlier messages: the shared LZ77 window when context takeover is on. */
  private history: Buffer | null = null;

  private readonly maxMessage: number;
  private readonly noContextTakeover: boolean;

  constructor(private readonly o: WsFrameDecoderOptions) {
    this.maxMessage = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
    this.noContextTakeover =
      o.deflate === null
        ? true
        : o.direction === 'client'
          ? o.deflate.clientNoContextTakeover
          : o.deflate.serverNoContextTakeover;
  }

  push(input: Uint8Array): void {
    if (this.state === State.Dead || this.closed) return;
    const chunk = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    let i = 0;
    const n = chunk.length;
    while (i < n && this.failed === null && !this.closed) {
      if (this.state === State.Header) {
        i = this.readHeader(chunk, i);
      } else {
        const take = Math.min(n - i, this.payloadLen - this.payloadPos);
        if (!this.discard) {
          chunk.copy(this.payload, this.payloadPos, i, i + take);
          if (this.masked) {
            const p = this.payload;
            const m = this.mask;
            for (let k = this.payloadPos, end = this.payloadPos + take; k < end; k++) p[k]! ^= m[k & 3]!;
          }
        }
        this.payloadPos += take;
        i += take;
        if (this.payloadPos === this.payloadLen) this.frameDone();
      }
    }
  }

  /** Consumes header bytes from chunk[i..]; returns the new offset. */
  private readHeader(chunk: Buffer, i: number): number {
    const h = this.hdr;
    while (this.hdrLen < 2 && i < chunk.length) h[this.hdrLen++] = chunk[i++]!;
    if (this.hdrLen < 2) return i;
    const len7 = h[1]! & 0x7f;
    const masked = (h[1]! & 0x80) !== 0;
    const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
    while (this.hdrLen < need && i < chunk.length) h[this.hdrLen++] = chunk[i++]!;
    if (this.hdrLen < need) return i;

    this.fin = (h[0]! & 0x80) !== 0;
    this.rsv1 = (h[0]! & 0x40) !== 0;
    this.opcode = h[0]! & 0x0f;
    this.masked = masked;
    let len: number;
    let off = 2;
    if (len7 === 126) {
      len = h.readUInt16BE(2);
      off = 4;
    } else if (len7 === 127) {
      const big = h.readBigUInt64BE(2);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return (this.fail('frame length exceeds 2^53'), i);
      len = Number(big);
      off = 10;
    } else len = len7;
    if (masked) h.copy(this.mask, 0, off, off + 4);
    this.hdrLen = 0;

    if ((h[0]! & 0x30) !== 0) return (this.fail('RSV2/RSV3 set without a negotiated extension'), i);
    if (this.rsv1 && this.o.deflate === null)
      return (this.fail('RSV1 set but permessage-deflate was not negotiated'), i);
    const control = this.opcode >= 0x8;
    if (control && (!this.fin || len > 125)) return (this.fail('fragmented or oversized control frame'), i);

    // Oversized data frames are skipped (counted), keeping the decoder in sync with the stream.
    this.discard = !control && this.msgSize + len > this.maxMessage;
    this.payload = this.discard ? Buffer.alloc(0) : Buffer.allocUnsafe(len);
    this.payloadLen = len;
    this.payloadPos = 0;
    this.state = State.Payload;
    if (len === 0) this.frameDone();
    return i;
  }

  private frameDone(): void {
    this.state = State.Header;
    this.frames++;
    const payload = this.payload;
    const discarded = this.discard;
    this.payload = Buffer.alloc(0);
    this.discard = false;
    switch (this.opcode) {
      case 0x8:
      case 0x9:
      case 0xa:
        this.control(payload);
        return;
      case 0x1:
      case 0x2:
        if (this.msgOpcode !== 0) return this.fail('new data frame while a fragmented message is open');
        this.msgOpcode = this.opcode;
        this.msgCompressed = this.rsv1;
        break;
      case 0x0:
        if (this.msgOpcode === 0) return this.fail('continuation frame without a message');
        if (this.rsv1) return this.fail('RSV1 set on a continuation frame');
        break;
      default:
        return this.fail(`reserved opcode 0x${this.opcode.toString(16)}`);
    }
    if (discarded) this.msgTooBig = true;
    else {
      this.msgParts.push(payload);
      this.msgSize += payload.length;
    }
    if (this.fin) this.messageDone();
  }

  private control(payload: Buffer): void {
    const type = this.opcode === 0x8 ? 'close' : this.opcode === 0x9 ? 'ping' : 'pong';
    let closeCode: number | null = null;
    let closeReason: string | null = null;
    if (type === 'close') {
      this.closed = true;
      if (payload.length >= 2) {
        closeCode = payload.readUInt16BE(0);
        closeReason = payload.toString('utf8', 2);
      }
    }
    this.o.onControl?.({ direction: this.o.direction, type, payload, closeCode, closeReason });
  }

  private messageDone(): void {
    const opcode = this.msgOpcode;
    const compressed = this.msgCompressed;
    const parts = this.msgParts;
    const size = this.msgSize;
    const tooBig = this.msgTooBig;
    this.msgOpcode = 0;
    this.msgParts = [];
    this.msgSize = 0;
    this.msgTooBig = false;
    if (tooBig) {
      // The compression window is now unknown; forget it (later messages may fail to inflate, and say so).
      this.history = null;
      this.o.onError?.(`message larger than ${this.maxMessage} bytes skipped`, false);
      return;
    }
    let data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
    if (compressed) {
      const inflated = this.inflate(data);
      if (inflated === null) return;
      data = inflated;
    }
    this.messages++;
    this.o.onMessage({
      direction: this.o.direction,
      type: opcode === 0x1 ? 'text' : 'binary',
      data,
      text: opcode === 0x1 ? data.toString('utf8') : null,
      compressed,
    });
  }

  /**
   * Inflates one message. Context takeover means the sender's LZ77 window spans messages: back-references may
   * point into earlier messages' plaintext. Seeding a fresh raw inflater with that plaintext as its dictionary
   * is equivalent to keeping one inflater alive, and keeps this synchronous.
   */
  private inflate(data: Buffer): Buffer | null {
    try {
      const out = inflateRawSync(Buffer.concat([data, DEFLATE_TAIL]), {
        windowBits: 15,
        finishFlush: zc.Z_SYNC_FLUSH,
        maxOutputLength: this.maxMessage,
        ...(this.history !== null && this.history.length > 0 ? { dictionary: this.history } : {}),
      });
      if (!this.noContextTakeover) {
        const joined = this.history === null ? out : Buffer.concat([this.history, out]);
        // Copy the tail so the history never pins a large message buffer.
        this.history = Buffer.from(joined.subarray(Math.max(0, joined.length - HISTORY)));
      }
      return out;
    } catch (e) {
      this.history = null;
      this.o.onError?.(`cannot inflate message: ${e instanceof Error ? e.message : String(e)}`, false);
      return null;
    }
  }

  private fail(reason: string): void {
    if (this.state === State.Dead) return;
    this.state = State.Dead;
    this.failed = reason;
    this.o.onError?.(reason, true);
  }
}

/**
 * Parses a `sec-websocket-extensions` header (the server's 101 response: the negotiated set) and returns the
 * permessage-deflate parameters, or null when it was not negotiated. Accepts a comma-joined string or an array.
 */
export function parsePerMessageDeflate(
  header: string | readonly string[] | null | undefined,
): PerMessageDeflateParams | null {
  if (header == null) return null;
  const text = typeof header === 'string' ? header : header.join(',');
  for (const ext of text.split(',')) {
    const [name, ...params] = ext.split(';').map((s) => s.trim());
    if (name?.toLowerCase() !== 'permessage-deflate') continue;
    const r: PerMessageDeflateParams = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    for (const p of params) {
      const eq = p.indexOf('=');
      const key = (eq === -1 ? p : p.slice(0, eq)).trim().toLowerCase();
      const value =
        eq === -1
          ? null
          : p
              .slice(eq + 1)
              .trim()
              .replace(/^"(.*)"$/, '$1');
      const bits = value === null ? 15 : Number(value);
      const validBits = Number.isInteger(bits) && bits >= 8 && bits <= 15 ? bits : 15;
      if (key === 'server_no_context_takeover') r.serverNoContextTakeover = true;
      else if (key === 'client_no_context_takeover') r.clientNoContextTakeover = true;
      else if (key === 'server_max_window_bits') r.serverMaxWindowBits = validBits;
      else if (key === 'client_max_window_bits') r.clientMaxWindowBits = validBits;
    }
    return r;
  }
  return null;
}

export interface WsTapOptions {
  /** The upgrade response's `sec-websocket-extensions` header. */
  extensions: string | readonly string[] | null | undefined;
  onMessage: (m: WsMessage) => void;
  onControl?: (c: WsControl) => void;
  onError?: (direction: WsDirection, reason: string, fatal: boolean) => void;
  maxMessageBytes?: number;
}

/** Two decoders sharing one negotiated extension: feed `client` the client's bytes and `server` the upstream's. */
export function createWsTap(o: WsTapOptions): { client: WsFrameDecoder; server: WsFrameDecoder } {
  const deflate = parsePerMessageDeflate(o.extensions);
  const make = (direction: WsDirection): WsFrameDecoder =>
    new WsFrameDecoder({
      direction,
      deflate,
      onMessage: o.onMessage,
      ...(o.onControl !== undefined ? { onControl: o.onControl } : {}),
      onError: (reason, fatal) => o.onError?.(direction, reason, fatal),
      ...(o.maxMessageBytes !== undefined ? { maxMessageBytes: o.maxMessageBytes } : {}),
    });
  return { client: make('client'), server: make('server') };
}
