// Incremental Server-Sent Events decoder (WHATWG HTML "event stream interpretation"), fed raw bytes split
// anywhere. Lines end in CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are
// one terminator). Lines are cut on bytes, so a multibyte UTF-8 character split across chunks is decoded only
// once its line is whole. No cap on events or line length; a line that spans chunks is kept in one growable
// buffer (no per-chunk concatenation, so byte-by-byte feeding stays linear).
import { Buffer } from 'node:buffer';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** Called for each dispatched event: `event` defaults to "message", `data` lines joined with "\n". */
export type SseEventHandler = (event: string, data: string, lastEventId: string) => void;

export class SseDecoder {
  /** Comment lines (`: keepalive`) seen. */
  comments = 0;
  lastEventId = '';

  private pend: Buffer = Buffer.alloc(0);
  private pendLen = 0;
  /** The previous chunk ended in CR: an LF opening the next chunk belongs to it. */
  private skipLF = false;
  private atStart = true;
  private eventType = '';
  private data = '';
  private hasData = false;
  private finished = false;

  constructor(private readonly onEvent: SseEventHandler) {}

  push(input: Uint8Array): void {
    if (this.finished || input.length === 0) return;
    const chunk = Buffer.isBuffer(input)
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const n = chunk.length;
    let start = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (chunk[0] === LF) start = 1;
    }
    // Native indexOf for both terminators; the CR position is cached so a CR-free stream is scanned once.
    let nextCR = chunk.indexOf(CR, start);
    while (start < n) {
      const nextLF = chunk.indexOf(LF, start);
      if (nextCR !== -1 && nextCR < start) nextCR = chunk.indexOf(CR, start);
      let end: number;
      if (nextCR !== -1 && (nextLF === -1 || nextCR < nextLF)) end = nextCR;
      else if (nextLF !== -1) end = nextLF;
      else break;
      if (this.pendLen > 0) {
        this.append(chunk, start, end);
        this.line(this.pend, 0, this.pendLen);
        this.releasePending();
      } else {
        this.line(chunk, start, end);
      }
      if (this.finished) return;
      start = end + 1;
      if (chunk[end] === CR) {
        if (start < n) {
          if (chunk[start] === LF) start++;
        } else {
          this.skipLF = true;
        }
      }
    }
    if (start < n) this.append(chunk, start, n);
  }

  /** End of stream. Unlike a browser we dispatch a final event that lacks its blank line: a recorder should
   * keep the last `data:` of a stream whose server forgot the terminator (or was cut right after it). */
  finish(): void {
    if (this.finished) return;
    if (this.pendLen > 0) {
      this.line(this.pend, 0, this.pendLen);
      this.releasePending();
    }
    this.dispatch();
    this.finished = true;
  }

  private append(src: Buffer, s: number, e: number): void {
    const need = this.pendLen + (e - s);
    if (need > this.pend.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.pend.length * 2, 256));
      this.pend.copy(grown, 0, 0, this.pendLen);
      this.pend = grown;
    }
    src.copy(this.pend, this.pendLen, s, e);
    this.pendLen = need;
  }

  private releasePending(): void {
    this.pendLen = 0;
    // Do not hold on to the buffer of one huge line for the rest of a long stream.
    if (this.pend.length > 1 << 20) this.pend = Buffer.alloc(0);
  }

  private line(buf: Buffer, s: number, e: number): void {
    if (this.atStart) {
      // A UTF-8 BOM may open the stream. It holds no CR/LF byte, so it always sits whole in the first line.
      this.atStart = false;
      if (e - s >= 3 && buf[s] === 0xef && buf[s + 1] === 0xbb && buf[s + 2] === 0xbf) s += 3;
    }
    if (s === e) {
      this.dispatch();
      return;
    }
    if (buf[s] === COLON) {
      this.comments++;
      return;
    }
    let colon = -1;
    for (let i = s; i < e; i++) {
      if (buf[i] === COLON) {
        colon = i;
        break;
      }
    }
    const nameEnd = colon === -1 ? e : colon;
    let vs = colon === -1 ? e : colon + 1;
    if (vs < e && buf[vs] === SPACE) vs++;
    const len = nameEnd - s;
    // Compare field names on bytes: no string is made for the name.
    if (len === 4 && buf[s] === 0x64 && buf[s + 1] === 0x61 && buf[s + 2] === 0x74 && buf[s + 3] === 0x61) {
      const value = buf.toString('utf8', vs, e);
      if (this.hasData) this.data += '\n' + value;
      else {
        this.data = value;
        this.hasData = true;
      }
    } else if (
      len === 5 &&
      buf[s] === 0x65 &&
      buf[s + 1] === 0x76 &&
      buf[s + 2] === 0x65 &&
      buf[s + 3] === 0x6e &&
      buf[s + 4] === 0x74
    ) {
      this.eventType = buf.toString('utf8', vs, e);
    } else if (len === 2 && buf[s] === 0x69 && buf[s + 1] === 0x64) {
      const id = buf.toString('utf8', vs, e);
      if (!id.includes('\0')) this.lastEventId = id;
    }
    // `retry:` and unknown fields are ignored, as the spec says.
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const type = this.eventType === '' ? 'message' : this.eventType;
    const data = this.data;
    this.eventType = '';
    this.data = '';
    this.hasData = false;
    this.onEvent(type, data, this.lastEventId);
  }
}
