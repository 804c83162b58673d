// Recorder housekeeping: an exchange whose end never arrives is recorded as interrupted/stale (nothing stays
// "in progress" forever), and idle sessions leave memory yet keep their file and pending tool calls.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LineSink } from '../../src-main/recorder/engine.js';
import { readSessionFile } from '../../src-main/index/reindex.js';
import { collectSession } from '../../src-main/export/session-data.js';
import type { LineAck } from '../../src-main/storage/jsonl-writer.js';
import { compilePolicy } from '../../src-main/redaction/index.js';
import { RecorderEngine } from '../../src-main/recorder/engine.js';
import { MemorySink } from '../support/memory-sink.js';
import { openIndex } from '../../src-main/index/db.js';
import type { OpenMsg } from '../../src-main/recorder/protocol.js';
import { openMessage } from '../support/exchange-messages.js';
import type { RecordLine, ResponseLine } from '../../src-shared/records.js';

function open(id: string, session: string): OpenMsg {
  return openMessage(id, { 'x-claude-code-session-id': session });
}

async function engine() {
  const sink = new MemorySink();
  const { db } = await openIndex(null);
  const e = new RecorderEngine({
    sessionsDir: '/tmp/lr-sessions',
    sink,
    index: db,
    redactor: compilePolicy({ mode: 'mask' }),
    maxBodyBytes: 1 << 20,
    indexIntervalMs: 1,
    staleMs: 1_000,
    sessionIdleMs: 5_000,
  });
  return { sink, db, e };
}

describe('stale exchanges', () => {
  it('records an exchange whose end never came as interrupted/stale, once, and ignores a late end', async () => {
    const { sink, db, e } = await engine();
    e.handle(open('r1', 's1'));
    e.handle({
      t: 'rq',
      id: 'r1',
      c: Buffer.from('{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}'),
    });
    e.handle({ t: 'rqEnd', id: 'r1', ms: 1 });
    e.handle({ t: 'head', id: 'r1', status: 200, headers: { 'content-type': 'text/event-stream' }, ms: 5 });
    e.handle({
      t: 'rs',
      id: 'r1',
      c: Buffer.from(
        'event: message_start\ndata: {"type":"message_start","message":{"id":"m1","model":"m","usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
      ),
      ms: 6,
    });
    e.sweep(Date.now() + 500);
    await e.settle();
    expect(sink.lines.filter((l) => l.type === 'response')).toHaveLength(0);
    e.sweep(Date.now() + 2_000);
    await e.settle();
    // A late end from the proxy (it should not happen) must not add a second outcome.
    e.handle({
      t: 'end',
      id: 'r1',
      end: { kind: 'completed' },
      ms: 3_000,
      dispatchMs: null,
      overheadMs: null,
    });
    await e.settle();
    await e.flushIndex();
    const responses = sink.lines.filter((l): l is ResponseLine => l.type === 'response');
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ outcome: 'interrupted', reason: 'stale', usage: { input: 3 } });
    expect(db.querySync('SELECT outcome, reason FROM requests')).toEqual([
      { outcome: 'interrupted', reason: 'stale' },
    ]);
  });
});

describe('idle sessions', () => {
  it('leave memory after the idle time but return to the same file with their pending tool calls', async () => {
    const { sink, e } = await engine();
    const t0 = Date.now();
    e.handle(open('a1', 'idle-session'));
    e.handle({
      t: 'rq',
      id: 'a1',
      c: Buffer.from('{"model":"m","messages":[{"role":"user","content":"run it"}]}'),
    });
    e.handle({ t: 'rqEnd', id: 'a1', ms: 1 });
    e.handle({ t: 'head', id: 'a1', status: 200, headers: { 'content-type': 'application/json' }, ms: 2 });
    e.handle({
      t: 'rs',
      id: 'a1',
      c: Buffer.from(
        JSON.stringify({
          id: 'msg',
          type: 'message',
          role: 'assistant',
          model: 'm',
          content: [{ type: 'tool_use', id: 'toolu_idle', name: 'Bash', input: {} }],
          stop_reason: 'tool_use',
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      ),
      ms: 3,
    });
    e.handle({ t: 'end', id: 'a1', end: { kind: 'completed' }, ms: 4, dispatchMs: 1, overheadMs: 0.01 });
    await e.settle();
    await e.flushIndex();
    const file = sink.entries[0]!.file;
    expect(e.isActive(file)).toBe(true);
    e.sweep(t0 + 60_000);
    expect(e.isActive(file)).toBe(false);
    // The session comes back: same file, and its tool result is matched to the call made before eviction.
    e.handle(open('a2', 'idle-session'));
    e.handle({
      t: 'rq',
      id: 'a2',
      c: Buffer.from(
        JSON.stringify({
          model: 'm',
          messages: [
            { role: 'user', content: 'run it' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_idle', name: 'Bash', input: {} }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_idle', content: 'ok' }] },
          ],
        }),
      ),
    });
    e.handle({ t: 'rqEnd', id: 'a2', ms: 1 });
    await e.settle();
    const requests = sink.entries.filter((l) => l.line.type === 'request');
    expect(requests.map((r) => r.file)).toEqual([file, file]);
    expect(sink.lines.filter((l) => l.type === 'session')).toHaveLength(1);
    // As read back (the stored line names the call by its id: the reader finds the rest in the file).
    const second = sink.lines.filter((l) => l.type === 'request')[1] as Extract<
      RecordLine,
      { type: 'request' }
    >;
    expect(second.tool_results).toEqual([
      { id: 'toolu_idle', is_error: false, call_request_id: 'a1', latency_ms: expect.any(Number) as number },
    ]);
  });
});

/** Appends each line to its real file (the blocks a returning session finds are read from it). */
class FileSink implements LineSink {
  append(file: string, line: string, ack: LineAck): boolean {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, line + '\n');
    ack.written();
    return true;
  }
  flush(): Promise<void> {
    return Promise.resolve();
  }
}

describe('a session that left memory', () => {
  async function fileEngine() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-held-'));
    const { db } = await openIndex(null);
    const e = new RecorderEngine({
      sessionsDir: dir,
      sink: new FileSink(),
      index: db,
      redactor: compilePolicy({ mode: 'mask' }),
      maxBodyBytes: 1 << 20,
      indexIntervalMs: 1,
      sessionIdleMs: 5_000,
    });
    return { dir, db, e };
  }
  const history = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `message ${i} ` + 'h'.repeat(2_000),
    }));
  async function turn(e: RecorderEngine, id: string, messages: unknown[]) {
    e.handle(open(id, 'paused-session'));
    e.handle({
      t: 'rq',
      id,
      c: Buffer.from(JSON.stringify({ model: 'm', system: 'S'.repeat(500), messages })),
    });
    e.handle({ t: 'rqEnd', id, ms: 1 });
    e.handle({ t: 'head', id, status: 200, headers: { 'content-type': 'application/json' }, ms: 2 });
    e.handle({
      t: 'rs',
      id,
      c: Buffer.from(
        JSON.stringify({
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          model: 'm',
          content: [{ type: 'text', text: 'ok' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      ),
      ms: 3,
    });
    e.handle({ t: 'end', id, end: { kind: 'completed' }, ms: 4, dispatchMs: 1, overheadMs: 0.01 });
    await e.settle();
    await e.flushIndex();
  }
  const fileOf = (dir: string) => {
    const day = fs.readdirSync(dir)[0]!;
    return path.join(dir, day, fs.readdirSync(path.join(dir, day))[0]!);
  };
  const blockLines = (file: string) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"type":"block"'));

  it('writes none of the blocks its file already holds when it comes back, and every body still reads back', async () => {
    const { dir, e } = await fileEngine();
    await turn(e, 'p1', history(9));
    const file = fileOf(dir);
    const before = blockLines(file).length;
    e.sweep(Date.now() + 60_000);
    expect(e.isActive(file)).toBe(false);
    await turn(e, 'p2', history(11));
    const added = blockLines(file).slice(before);
    // The two new messages and the new chain block; the system prompt and the nine old messages are not again.
    const kinds = added.map((l) => (JSON.parse(l) as { kind: string }).kind).sort();
    expect(kinds).toEqual(['chain', 'message', 'message']);
    const hashes = blockLines(file).map((l) => (JSON.parse(l) as { hash: string }).hash);
    expect(new Set(hashes).size).toBe(hashes.length);
    const data = collectSession((await readSessionFile(file)).lines);
    expect(data.exchanges.map((x) => (x.body as { messages: unknown[] }).messages)).toEqual([
      history(9),
      history(11),
    ]);
  });

  it('writes a block again when its line in the file is damaged', async () => {
    const { dir, e } = await fileEngine();
    await turn(e, 'd1', history(3));
    const file = fileOf(dir);
    e.sweep(Date.now() + 60_000);
    // A crash tore the system prompt's block line, and the writer ended it before the next line.
    const text = fs.readFileSync(file, 'utf8').split('\n');
    const at = text.findIndex((l) => l.includes('"kind":"system"'));
    text[at] = text[at]!.slice(0, 60);
    fs.writeFileSync(file, text.join('\n'));
    await turn(e, 'd2', history(5));
    const data = collectSession((await readSessionFile(file)).lines);
    expect(data.exchanges.at(-1)!.bodyError).toBeNull();
    expect((data.exchanges.at(-1)!.body as { system: string }).system).toBe('S'.repeat(500));
  });
});
