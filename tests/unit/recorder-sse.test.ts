// The SSE line decoder against the WHATWG event-stream rules, fed in every kind of split.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SseDecoder } from '../../src-main/recorder/parse/sse.js';

type Ev = [event: string, data: string, id: string];

function decode(chunks: Uint8Array[]): { events: Ev[]; comments: number } {
  const events: Ev[] = [];
  const d = new SseDecoder((e, data, id) => events.push([e, data, id]));
  for (const c of chunks) d.push(c);
  d.finish();
  return { events, comments: d.comments };
}

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');
const bytewise = (b: Buffer): Buffer[] => [...b].map((x) => Buffer.from([x]));

describe('SseDecoder', () => {
  it('dispatches event/data/id and defaults the event name to "message"', () => {
    const { events } = decode([enc('event: ping\ndata: {}\n\ndata: hello\nid: 7\n\n')]);
    expect(events).toEqual([
      ['ping', '{}', ''],
      ['message', 'hello', '7'],
    ]);
  });

  it('joins multi-line data with LF and strips only one leading space', () => {
    const { events } = decode([enc('data:  a\ndata:b\ndata\n\n')]);
    expect(events).toEqual([['message', ' a\nb\n', '']]);
  });

  it('treats CRLF, LF and CR alike, also when CR and LF arrive in different chunks', () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\rdata: 3\n\n';
    const want = [
      ['a', '1', ''],
      ['b', '2', ''],
      ['message', '3', ''],
    ];
    expect(decode([enc(text)]).events).toEqual(want);
    expect(decode(bytewise(enc(text))).events).toEqual(want);
    // split exactly between CR and LF
    const i = text.indexOf('\r\n') + 1;
    expect(decode([enc(text.slice(0, i)), enc(text.slice(i))]).events).toEqual(want);
  });

  it('counts comments and ignores retry and unknown fields; an event without data is not dispatched', () => {
    const { events, comments } = decode([
      enc(': keepalive\n\nretry: 100\nfoo: bar\n\nevent: x\n\ndata: y\n\n'),
    ]);
    expect(comments).toBe(1);
    expect(events).toEqual([['message', 'y', '']]);
  });

  it('decodes a multibyte character split across chunks', () => {
    const b = enc('data: 日本🚀\n\n');
    for (let cut = 1; cut < b.length; cut++) {
      expect(decode([b.subarray(0, cut), b.subarray(cut)]).events).toEqual([['message', '日本🚀', '']]);
    }
  });

  it('strips a UTF-8 BOM at the start of the stream, even byte by byte', () => {
    const b = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), enc('data: x\n\n')]);
    expect(decode([b]).events).toEqual([['message', 'x', '']]);
    expect(decode(bytewise(b)).events).toEqual([['message', 'x', '']]);
  });

  it('ignores an id containing NUL and keeps the last id across events', () => {
    const { events } = decode([enc('id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n')]);
    expect(events).toEqual([
      ['message', 'a', '1'],
      ['message', 'b', '1'],
    ]);
  });

  it('flushes a final event that lacks its blank line at finish (lenient, for recording)', () => {
    expect(decode([enc('data: [DONE]')]).events).toEqual([['message', '[DONE]', '']]);
    expect(decode([enc('data: a\n')]).events).toEqual([['message', 'a', '']]);
  });

  it('handles a 1 MB line fed in 1-byte-ish chunks in linear time', () => {
    const big = 'x'.repeat(1 << 20);
    const b = enc(`data: ${big}\n\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < b.length; i += 7) chunks.push(b.subarray(i, i + 7));
    const t0 = performance.now();
    const { events } = decode(chunks);
    expect(events[0]![1].length).toBe(1 << 20);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('yields the same events for any split of any stream (property)', () => {
    const line = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 12 }).map((s) => `data: ${s.replace(/[\r\n]/g, '')}`),
      fc.constantFrom('event: a', 'id: 3', ': c', '', 'data', 'retry: 5'),
    );
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(line, eol), { maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (lines, cuts) => {
          const b = enc(lines.map(([l, e]) => l + e).join(''));
          const points = [...new Set(cuts.map((c) => (b.length === 0 ? 0 : c % b.length)))].sort(
            (x, y) => x - y,
          );
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(b.subarray(prev, p));
            prev = p;
          }
          chunks.push(b.subarray(prev));
          expect(decode(chunks)).toEqual(decode([b]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
