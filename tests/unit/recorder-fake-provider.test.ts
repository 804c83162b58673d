// Cross-check: the bytes the project's fake provider actually sends (Anthropic, Chat, Responses; SSE, JSON and
// the Codex WebSocket) decode, under random chunk splits, to the content and usage the fake says it sent.
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ReassembledResponse, TextBlock, ToolCallBlock } from '../../src-shared/exchange.js';
import { createResponseParser } from '../../src-main/recorder/parse/parser.js';
import type { ResponseParserOptions } from '../../src-main/recorder/parse/types.js';
import {
  FAKE_ANSWER,
  FAKE_TOOL_COMMAND,
  startFakeProvider,
  type FakeProvider,
  type RecordedRequest,
} from '../support/fake-provider/index.js';

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ bigEvents: 300 });
});
afterAll(async () => {
  await fake.close();
});

type Kind = 'anthropic' | 'chat' | 'responses';

const KIND: Record<Kind, { path: string; opts: Pick<ResponseParserOptions, 'dialect' | 'endpoint'> }> = {
  anthropic: { path: '/v1/messages', opts: { dialect: 'anthropic', endpoint: 'messages' } },
  chat: { path: '/v1/chat/completions', opts: { dialect: 'openai', endpoint: 'chat_completions' } },
  responses: { path: '/v1/responses', opts: { dialect: 'openai', endpoint: 'responses' } },
};

function requestBody(kind: Kind, prompt: string, stream: boolean): unknown {
  const schema = { type: 'object', properties: { command: { type: 'string' } } };
  if (kind === 'anthropic') {
    return {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream,
      messages: [{ role: 'user', content: prompt }],
      tools: [{ name: 'Bash', input_schema: schema }],
    };
  }
  if (kind === 'chat') {
    return {
      model: 'gpt-4.1',
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: 'user', content: prompt }],
      tools: [{ type: 'function', function: { name: 'shell', parameters: schema } }],
    };
  }
  return {
    model: 'gpt-5-codex',
    stream,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] }],
    tools: [{ type: 'function', name: 'shell', parameters: schema }],
  };
}

async function exchange(kind: Kind, prompt: string, stream: boolean): Promise<RecordedRequest> {
  const res = await fetch(fake.url + KIND[kind].path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'accept-encoding': 'identity', 'x-api-key': 'test' },
    body: JSON.stringify(requestBody(kind, prompt, stream)),
  });
  await res.arrayBuffer();
  const rec = await fake.waitForRequest((r) => r.body.toString().includes(prompt));
  await rec.done;
  return rec;
}

function parseRecorded(kind: Kind, rec: RecordedRequest, seed: number): ReassembledResponse {
  const ct =
    rec.responseBody.subarray(0, 6).toString() === 'event:' ||
    rec.responseBody.subarray(0, 5).toString() === 'data:';
  const p = createResponseParser({
    ...KIND[kind].opts,
    contentType: ct ? 'text/event-stream' : 'application/json',
    transport: 'http',
  });
  const b = rec.responseBody;
  let s = seed;
  for (let i = 0; i < b.length;) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % 97);
    p.push(b.subarray(i, i + n));
    i += n;
  }
  return p.finish();
}

const text = (r: ReassembledResponse): string =>
  r.content
    .filter((b): b is TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');

function expectUsage(kind: Kind, r: ReassembledResponse, rec: RecordedRequest): void {
  const u = rec.usageSent!;
  if (kind === 'anthropic') {
    expect(r.usage).toMatchObject({
      input: u.input,
      cacheRead: u.cacheRead,
      cacheWrite: u.cacheWrite,
      output: u.output,
    });
  } else {
    // OpenAI reports prompt/input tokens including cached ones; the recorder stores the uncached rest.
    expect(r.usage).toMatchObject({
      input: u.input + u.cacheWrite,
      cacheRead: u.cacheRead,
      cacheWrite: null,
      output: u.output,
      reasoning: u.reasoning,
    });
  }
}

let n = 0;
const prompt = (scenario: string): string => `case ${++n} ${scenario}`.trim();

describe.each(['anthropic', 'chat', 'responses'] as Kind[])('fake provider, %s', (kind) => {
  it.each([true, false])('plain answer (stream=%s): text and usage match what was sent', async (stream) => {
    const rec = await exchange(kind, prompt(''), stream);
    for (const seed of [1, 2, 3]) {
      const r = parseRecorded(kind, rec, seed);
      expect(r.complete).toBe(true);
      expect(r.streamed).toBe(stream);
      expect(text(r)).toContain(FAKE_ANSWER);
      expect(r.hasRefusal).toBe(false);
      expectUsage(kind, r, rec);
    }
  });

  it('tool call with thinking, streamed: complete JSON arguments', async () => {
    const rec = await exchange(kind, prompt('SCENARIO:tool SCENARIO:thinking'), true);
    const r = parseRecorded(kind, rec, 9);
    const call = r.content.find((b): b is ToolCallBlock => b.type === 'tool_call');
    expect(call?.parseError).toBeNull();
    expect(JSON.stringify(call?.input)).toContain(FAKE_TOOL_COMMAND.replace(/"/g, '\\"'));
    expect(r.finishReason).toBe('tool_calls');
    if (kind !== 'chat') expect(r.content.some((b) => b.type === 'thinking')).toBe(true);
    expectUsage(kind, r, rec);
  });

  it('big stream: every delta kept', async () => {
    const rec = await exchange(kind, prompt('SCENARIO:big'), true);
    const r = parseRecorded(kind, rec, 4);
    expect(r.complete).toBe(true);
    expect(r.counts.events).toBeGreaterThan(300);
    expectUsage(kind, r, rec);
  });

  it('stream-error: the error is recorded', async () => {
    const rec = await exchange(kind, prompt('SCENARIO:stream-error'), true);
    const r = parseRecorded(kind, rec, 5);
    expect(r.error).not.toBeNull();
    expect(r.finishReason).toBe('error');
  });

  it('refusal: hasRefusal', async () => {
    const rec = await exchange(kind, prompt('SCENARIO:refusal'), true);
    expect(parseRecorded(kind, rec, 6).hasRefusal).toBe(true);
  });

  it('HTTP 429 error body', async () => {
    const rec = await exchange(kind, prompt('SCENARIO:error-429'), true);
    expect(rec.status).toBe(429);
    const r = parseRecorded(kind, rec, 7);
    expect(r.error).not.toBeNull();
    expect(r.complete).toBe(true);
  });
});

describe('fake provider, Codex WebSocket', () => {
  it('each server message pushed into a websocket parser yields the streamed answer and usage', async () => {
    const ws = new WebSocket(fake.url.replace('http', 'ws') + '/v1/responses', {
      headers: { authorization: 'Bearer t' },
    });
    await once(ws, 'open');
    const p = createResponseParser({ ...KIND.responses.opts, contentType: null, transport: 'websocket' });
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        p.push(data);
        if (p.snapshot().complete) resolve();
      }),
    );
    const body = requestBody('responses', prompt('SCENARIO:tool'), true) as Record<string, unknown>;
    delete body.stream;
    ws.send(JSON.stringify({ type: 'response.create', ...body }));
    await done;
    ws.close();
    const r = p.finish();
    const rec = fake.requests.find((q) => q.transport === 'websocket')!;
    expect(r.finishReason).toBe('tool_calls');
    expect(r.usage.output).toBe(rec.usageSent!.output);
    expect(r.usage.reasoning).toBe(rec.usageSent!.reasoning);
  });
});
