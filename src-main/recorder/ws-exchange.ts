// One Codex WebSocket session as the recorder worker sees it. The raw bytes of both directions are decoded
// into messages; each client `response.create` message starts a *turn* (recorded as its own request), and the
// server's messages up to the terminal event (`response.completed|failed|incomplete|cancelled`, `error`) are its
// response. One turn is in flight at a time, as Codex does it.
import type { ReassembledResponse } from '../../src-shared/exchange.js';
import { randomUUID } from 'node:crypto';
import type { ExchangeEnd } from '../proxy/tap.js';
import { createResponseParser } from './parse/parser.js';
import type { ResponseParser } from './parse/types.js';
import { createWsTap, type WsFrameDecoder, type WsMessage } from './ws-frames.js';
import type { HeaderRecord, OpenMsg } from './protocol.js';

export type WsTurnEvent =
  | { kind: 'request'; exchange: WsExchange; requestId: string; body: Buffer; ms: number }
  | {
      kind: 'response';
      exchange: WsExchange;
      requestId: string;
      response: ReassembledResponse;
      end: ExchangeEnd;
      /** When the turn's request message arrived. */
      startMs: number;
      firstMessageMs: number | null;
      ms: number;
      bytes: number;
      messages: number;
    };

const TERMINAL = /"type"\s*:\s*"(response\.(completed|failed|incomplete|cancelled)|error)"/;

interface Turn {
  requestId: string;
  startMs: number;
  parser: ResponseParser;
  firstMessageMs: number | null;
  bytes: number;
  messages: number;
  currentMs: number;
}

export class WsExchange {
  private decoders: { client: WsFrameDecoder; server: WsFrameDecoder } | null = null;
  private turn: Turn | null = null;
  private currentMs = 0;
  private emit: ((e: WsTurnEvent) => void) | null = null;
  /** Who sent the first close frame: a turn still open when the client closed was abandoned by the client. */
  private closedBy: 'client' | 'server' | null = null;

  constructor(
    readonly open: OpenMsg,
    private readonly maxMessageBytes: number,
  ) {}

  /** 101 from upstream: the negotiated extensions decide how frames are decoded. */
  upgraded(status: number, headers: HeaderRecord): void {
    if (status !== 101) return;
    this.decoders = createWsTap({
      extensions: headers['sec-websocket-extensions'] ?? null,
      maxMessageBytes: this.maxMessageBytes,
      onMessage: (m) => this.onMessage(m),
      onControl: (c) => {
        if (c.type === 'close') this.closedBy ??= c.direction;
      },
    });
  }

  data(from: 'client' | 'upstream', c: Uint8Array, ms: number, emit: (e: WsTurnEvent) => void): void {
    this.emit = emit;
    this.currentMs = ms;
    if (!this.decoders) return;
    const buf = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    (from === 'client' ? this.decoders.client : this.decoders.server).push(buf);
  }

  private onMessage(m: WsMessage): void {
    if (m.text === null) return;
    if (m.direction === 'client') {
      if (!/"type"\s*:\s*"response\.create"/.test(m.text.slice(0, 200))) return;
      // A new request while one is open means the previous one was abandoned.
      if (this.turn) this.endTurn({ kind: 'client_abort' });
      const requestId = randomUUID();
      const turn: Turn = {
        requestId,
        startMs: this.currentMs,
        firstMessageMs: null,
        bytes: 0,
        messages: 0,
        currentMs: this.currentMs,
        parser: createResponseParser({
          dialect: 'openai',
          endpoint: 'responses',
          contentType: null,
          transport: 'websocket',
          onFirstContent: () => turn.currentMs,
        }),
      };
      this.turn = turn;
      this.emit?.({ kind: 'request', exchange: this, requestId, body: m.data, ms: this.currentMs });
      return;
    }
    const t = this.turn;
    if (!t) return;
    t.currentMs = this.currentMs;
    t.firstMessageMs ??= this.currentMs;
    t.bytes += m.data.length;
    t.messages++;
    t.parser.push(m.text);
    if (TERMINAL.test(m.text.slice(0, 200))) this.endTurn({ kind: 'completed' });
  }

  private endTurn(end: ExchangeEnd): void {
    const t = this.turn;
    if (!t) return;
    this.turn = null;
    const response = end.kind === 'completed' ? t.parser.finish() : t.parser.snapshot();
    this.emit?.({
      kind: 'response',
      exchange: this,
      requestId: t.requestId,
      response,
      end,
      startMs: t.startMs,
      firstMessageMs: t.firstMessageMs,
      ms: this.currentMs,
      bytes: t.bytes,
      messages: t.messages,
    });
  }

  /** The socket closed: a turn still open was cut. */
  close(ms: number, end: ExchangeEnd, emit: (e: WsTurnEvent) => void): void {
    this.emit = emit;
    this.currentMs = ms;
    if (!this.turn) return;
    if (end.kind !== 'completed') this.endTurn(end);
    else if (this.closedBy === 'client') this.endTurn({ kind: 'client_abort' });
    else this.endTurn({ kind: 'upstream_reset', code: 'ws_closed' });
  }
}
