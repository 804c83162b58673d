// The engine against a sink that refuses lines (its queue is full): a refused line is counted as dropped, never
// as written, and neither indexed nor shown to line observers (metrics, OpenTelemetry), so the index and the
// counters never claim a request the session file does not hold.
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src-main/redaction/index.js';
import { RecorderEngine, type LineSink } from '../../src-main/recorder/engine.js';
import { openIndex } from '../../src-main/index/db.js';
import type { RecordLine } from '../../src-shared/records.js';
import type { LineAck } from '../../src-main/storage/jsonl-writer.js';
import { feedJsonExchange } from '../support/exchange-messages.js';

class RefusingSink implements LineSink {
  readonly accepted: RecordLine[] = [];
  constructor(private readonly refuse: (line: RecordLine) => boolean) {}
  append(_file: string, text: string, ack: LineAck): boolean {
    const line = JSON.parse(text) as RecordLine;
    if (this.refuse(line)) return false;
    this.accepted.push(line);
    ack.written();
    return true;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

const BODY = { model: 'claude-test', messages: [{ role: 'user', content: 'hello' }] };
const REPLY = {
  type: 'message',
  model: 'claude-test',
  content: [],
  usage: { input_tokens: 1, output_tokens: 1 },
};

/** An engine writing to `sink`, indexing in memory, recording which line types its observers saw. */
async function engineWith(sink: LineSink) {
  const { db } = await openIndex(null);
  const observed: string[] = [];
  const engine = new RecorderEngine({
    sessionsDir: '/nonexistent',
    sink,
    index: db,
    redactor: compilePolicy({ mode: 'off' }),
    maxBodyBytes: 1 << 20,
    indexIntervalMs: 1,
    onLine: (l) => observed.push(l.type),
  });
  return { engine, db, observed };
}

describe('recorder engine and a sink that refuses lines', () => {
  it('counts refused lines as dropped, and neither indexes nor observes them', async () => {
    const sink = new RefusingSink((l) => l.type === 'response');
    const { engine, db, observed } = await engineWith(sink);
    feedJsonExchange(engine, 'A', 'refused', BODY, REPLY);
    await engine.close();

    const written = sink.accepted.map((l) => l.type);
    expect(written).toContain('request');
    expect(written).not.toContain('response');
    expect(engine.stats.linesWritten).toBe(sink.accepted.length);
    expect(engine.stats.linesDropped).toBe(1);
    expect(observed).toEqual(written);
    const rows = await db.query<{ outcome: string | null }>('SELECT outcome FROM requests WHERE id = ?', [
      'A',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.outcome).not.toBe('completed');
    const files = await db.query<{ lines: number }>('SELECT lines FROM files');
    expect(files[0]!.lines).toBe(sink.accepted.length);
  });

  it('does not observe a response as recorded when its request line was lost to a write error', async () => {
    // The disk filled under the request line, then the response line fit: the exchange is counted lost once, and
    // the metrics must not also count it as a recorded completion.
    const accepted: RecordLine[] = [];
    const sink: LineSink = {
      append(_file: string, text: string, ack: LineAck): boolean {
        const line = JSON.parse(text) as RecordLine;
        queueMicrotask(() => {
          if (line.type === 'request') ack.lost('ENOSPC');
          else {
            accepted.push(line);
            ack.written();
          }
        });
        return true;
      },
      flush: () => Promise.resolve(),
    };
    const { engine, observed } = await engineWith(sink);
    for (const id of ['A', 'B']) {
      feedJsonExchange(engine, id, 'torn', BODY, REPLY);
      await engine.settle();
    }
    await engine.close();

    expect(accepted.filter((l) => l.type === 'response')).toHaveLength(2);
    expect(engine.stats.exchangesLost).toBe(2);
    expect(observed).not.toContain('response');
  });
});
