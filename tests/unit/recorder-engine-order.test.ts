// The engine, driven directly with the messages the proxy posts: a response that ended before the next request
// of its session arrived is written (and its tool calls known) before that request is recorded, even when the
// response needs asynchronous work first (a gzip body being decoded). Otherwise a fast tool's result would not
// be matched to its call, and the index would never link them.
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src-main/redaction/index.js';
import { RecorderEngine } from '../../src-main/recorder/engine.js';
import { MemorySink } from '../support/memory-sink.js';
import { openIndex } from '../../src-main/index/db.js';
import type { OpenMsg } from '../../src-main/recorder/protocol.js';
import { openMessage } from '../support/exchange-messages.js';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';

function open(id: string, startedAt: number): OpenMsg {
  return openMessage(
    id,
    { 'x-claude-code-session-id': 'order-session', 'content-type': 'application/json' },
    startedAt,
  );
}

const TOOL_USE = { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'true' } };

function toolCallResponse(): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-test',
      content: [TOOL_USE],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 2 },
    }),
  );
}

async function run(gzip: boolean): Promise<RecordLine[]> {
  const sink = new MemorySink();
  const { db } = await openIndex(null);
  const engine = new RecorderEngine({
    sessionsDir: '/nonexistent',
    sink,
    index: db,
    redactor: compilePolicy({ mode: 'off' }),
    maxBodyBytes: 1 << 20,
    indexIntervalMs: 1,
  });
  const t0 = Date.now();
  const first = { model: 'claude-test', messages: [{ role: 'user', content: 'run it' }] };
  const second = {
    model: 'claude-test',
    messages: [
      ...first.messages,
      { role: 'assistant', content: [TOOL_USE] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
    ],
  };
  const body = toolCallResponse();
  // All in one batch, as when the client runs a fast tool: A ends, B (carrying A's tool result) arrives.
  engine.handle(open('A', t0));
  engine.handle({ t: 'rq', id: 'A', c: Buffer.from(JSON.stringify(first)) });
  engine.handle({ t: 'rqEnd', id: 'A', ms: 1 });
  engine.handle({
    t: 'head',
    id: 'A',
    status: 200,
    headers: { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
    ms: 5,
  });
  engine.handle({ t: 'rs', id: 'A', c: gzip ? zlib.gzipSync(body) : body, ms: 6 });
  engine.handle({ t: 'end', id: 'A', end: { kind: 'completed' }, ms: 7, dispatchMs: 1, overheadMs: 0 });
  engine.handle(open('B', t0 + 20));
  engine.handle({ t: 'rq', id: 'B', c: Buffer.from(JSON.stringify(second)) });
  engine.handle({ t: 'rqEnd', id: 'B', ms: 1 });
  engine.handle({ t: 'head', id: 'B', status: 200, headers: { 'content-type': 'application/json' }, ms: 2 });
  engine.handle({ t: 'end', id: 'B', end: { kind: 'completed' }, ms: 3, dispatchMs: 1, overheadMs: 0 });
  await engine.close();
  const rows = db.querySync<{ result_request_id: string | null; latency_ms: number | null }>(
    'SELECT result_request_id, latency_ms FROM tool_calls',
  );
  expect(rows).toEqual([{ result_request_id: 'B', latency_ms: 13 }]);
  return sink.lines;
}

describe('recorder engine ordering', () => {
  for (const gzip of [false, true]) {
    it(`matches a tool result that arrives right after its call's response ended (${gzip ? 'gzip' : 'identity'})`, async () => {
      const lines = await run(gzip);
      const order = lines
        .filter((l): l is RequestLine | ResponseLine => l.type === 'request' || l.type === 'response')
        .map((l) => `${l.type}:${l.id}`);
      expect(order).toEqual(['request:A', 'response:A', 'request:B', 'response:B']);
      const b = lines.find((l): l is RequestLine => l.type === 'request' && l.id === 'B')!;
      expect(b.tool_results).toEqual([
        { id: 'toolu_1', is_error: false, call_request_id: 'A', latency_ms: 13 },
      ]);
    });
  }
});
