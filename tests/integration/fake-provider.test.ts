// Drives the fake provider directly (no proxy) with the official Anthropic and OpenAI SDKs and a raw WebSocket
// client, so every other suite can trust it: if the SDKs parse its JSON, SSE and errors, so will the real clients.
// Also checks its own bookkeeping: recorded bodies and hashes, scenarios, client-abort detection, enqueue.
import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  FAKE_ANSWER,
  FAKE_TOOL_COMMAND,
  FAKE_TOOL_OUTPUT,
  FAKE_USAGE,
  startFakeProvider,
  type FakeProvider,
} from '../support/fake-provider/index.js';

let provider: FakeProvider;
let anthropic: Anthropic;
let openai: OpenAI;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: {
    type: 'object' as const,
    properties: { command: { type: 'string' }, description: { type: 'string' } },
    required: ['command'],
  },
};
const CHAT_TOOL = {
  type: 'function' as const,
  function: {
    name: 'shell',
    parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } } },
  },
};

beforeAll(async () => {
  provider = await startFakeProvider({ slowDelayMs: 20 });
  anthropic = new Anthropic({ baseURL: provider.url, apiKey: 'sk-ant-test', maxRetries: 0 });
  openai = new OpenAI({ baseURL: `${provider.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
});
afterAll(async () => {
  await provider.close();
});

describe('Anthropic Messages', () => {
  it('answers JSON with the fake phrase and records the request bytes', async () => {
    const msg = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi there' }],
    });
    expect(msg.content).toEqual([{ type: 'text', text: FAKE_ANSWER }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({
      input_tokens: FAKE_USAGE.input,
      cache_read_input_tokens: FAKE_USAGE.cacheRead,
      cache_creation_input_tokens: FAKE_USAGE.cacheWrite,
    });
    const rec = await provider.waitForRequest((r) => r.body.toString().includes('hi there'));
    expect(rec.method).toBe('POST');
    expect(rec.path).toBe('/v1/messages');
    expect(rec.dialect).toBe('anthropic');
    expect(rec.headers.authorization ?? rec.headers['x-api-key']).toMatch(/sk-ant-test$/);
    expect(rec.bodySha256).toBe(sha(rec.body));
    expect(await rec.done).toBe('finished');
    expect(rec.status).toBe(200);
    expect(rec.responseSha256).toBe(sha(rec.responseBody));
    expect(JSON.parse(rec.responseBody.toString())).toMatchObject({ id: msg.id });
  });

  it('streams thinking (with signature), text and a tool_use whose JSON arrives in several deltas', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-test',
      max_tokens: 500,
      tools: [BASH_TOOL],
      messages: [{ role: 'user', content: 'SCENARIO:thinking SCENARIO:tool please' }],
    });
    const types: string[] = [];
    let jsonDeltas = 0;
    stream.on('streamEvent', (ev) => {
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'input_json_delta') jsonDeltas++;
    });
    const msg = await stream.finalMessage();
    expect(types[0]).toBe('message_start');
    const rec = await provider.waitForRequest((r) =>
      r.body.toString().includes('SCENARIO:thinking SCENARIO:tool'),
    );
    await rec.done;
    expect(rec.responseBody.toString()).toContain('event: ping\ndata: {"type":"ping"}\n\n');
    expect(types.at(-2)).toBe('message_delta');
    expect(types.at(-1)).toBe('message_stop');
    expect(jsonDeltas).toBeGreaterThan(2);
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    const thinking = msg.content[0];
    expect(thinking?.type === 'thinking' && thinking.signature.length > 20).toBe(true);
    const tool = msg.content[2];
    expect(tool?.type === 'tool_use' && tool.name).toBe('Bash');
    expect(tool?.type === 'tool_use' && tool.input).toMatchObject({ command: FAKE_TOOL_COMMAND });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage.output_tokens).toBe(30 + FAKE_USAGE.reasoning);
    expect(msg.usage.cache_read_input_tokens).toBe(FAKE_USAGE.cacheRead);
  });

  it('answers a tool result with text that quotes it', async () => {
    const msg = await anthropic.messages.create({
      model: 'claude-test',
      max_tokens: 50,
      tools: [BASH_TOOL],
      messages: [
        { role: 'user', content: 'SCENARIO:tool' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: FAKE_TOOL_OUTPUT }],
        },
      ],
    });
    expect(msg.content).toEqual([{ type: 'text', text: `${FAKE_ANSWER} Tool output: ${FAKE_TOOL_OUTPUT}` }]);
  });

  it('returns a real 429 with retry-after, request-id and rate-limit headers, also for streaming requests', async () => {
    const err = await anthropic.messages
      .create({
        model: 'c',
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'SCENARIO:error-429' }],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.headers.get('retry-after')).toBe('7');
    expect(e.headers.get('request-id')).toMatch(/^req_/);
    expect(e.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
  });

  it('returns 529 overloaded_error and rejects unknown scenarios with a 400', async () => {
    await expect(
      anthropic.messages.create({
        model: 'c',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'SCENARIO:error-529' }],
      }),
    ).rejects.toMatchObject({ status: 529, error: { error: { type: 'overloaded_error' } } });
    await expect(
      anthropic.messages.create({
        model: 'c',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'SCENARIO:nope' }],
      }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('signals an in-stream error event', async () => {
    const stream = anthropic.messages.stream({
      model: 'c',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'SCENARIO:stream-error' }],
    });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
  });

  it('serves count_tokens, models and batches', async () => {
    const count = await anthropic.messages.countTokens({
      model: 'c',
      messages: [{ role: 'user', content: 'count me' }],
    });
    expect(count.input_tokens).toBeGreaterThan(0);
    const models = await anthropic.models.list();
    expect(models.data[0]?.type).toBe('model');
    const batch = await anthropic.messages.batches.create({
      requests: [
        { custom_id: 'a', params: { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] } },
      ],
    });
    expect(batch.type).toBe('message_batch');
    const again = await anthropic.messages.batches.retrieve(batch.id);
    expect(again.processing_status).toBe('ended');
    const results = [];
    for await (const r of await anthropic.messages.batches.results(batch.id)) results.push(r);
    expect(results).toHaveLength(1);
    expect(results[0]?.result.type).toBe('succeeded');
  });
});

describe('OpenAI Chat Completions', () => {
  it('answers JSON with usage that includes cached and reasoning tokens', async () => {
    const c = await openai.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(c.choices[0]?.message.content).toBe(FAKE_ANSWER);
    expect(c.choices[0]?.finish_reason).toBe('stop');
    expect(c.usage?.prompt_tokens_details?.cached_tokens).toBe(FAKE_USAGE.cacheRead);
    expect(c.usage?.prompt_tokens).toBeGreaterThanOrEqual(FAKE_USAGE.cacheRead);
  });

  it('streams tool_calls by index and sends usage only when include_usage was asked', async () => {
    const stream = openai.chat.completions.stream({
      model: 'gpt-test',
      tools: [CHAT_TOOL],
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'SCENARIO:tool' }],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function.name).toBe('shell');
    const args =
      call?.type === 'function' ? (JSON.parse(call.function.arguments) as { command: string[] }) : undefined;
    expect(args?.command).toEqual(['bash', '-lc', FAKE_TOOL_COMMAND]);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.usage?.completion_tokens).toBe(30);

    const plain = await openai.chat.completions.create({
      model: 'gpt-test',
      stream: true,
      messages: [{ role: 'user', content: 'no usage please' }],
    });
    let text = '';
    let sawUsage = false;
    for await (const chunk of plain) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
    }
    expect(text).toBe(FAKE_ANSWER);
    expect(sawUsage).toBe(false);
    const rec = await provider.waitForRequest((r) => r.body.toString().includes('no usage please'));
    await rec.done;
    expect(rec.responseBody.toString()).toMatch(/data: \[DONE\]\n\n$/);
    expect(rec.usageSent).toBeUndefined();
  });

  it('returns OpenAI-shaped 429 and 500 errors with x-ratelimit headers', async () => {
    const err = await openai.chat.completions
      .create({ model: 'g', messages: [{ role: 'user', content: 'SCENARIO:error-429' }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.headers.get('retry-after')).toBe('7');
    await expect(
      openai.chat.completions.create({
        model: 'g',
        messages: [{ role: 'user', content: 'SCENARIO:error-500' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.InternalServerError);
  });

  it('serves embeddings (base64 by default in the SDK) and models', async () => {
    const emb = await openai.embeddings.create({ model: 'text-embedding-test', input: ['a', 'b'] });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding).toHaveLength(8);
    const models = await openai.models.list();
    expect(models.data[0]?.object).toBe('model');
  });
});

describe('OpenAI Responses over HTTP', () => {
  it('answers JSON', async () => {
    const r = await openai.responses.create({ model: 'gpt-test', input: 'hello' });
    expect(r.output_text).toBe(FAKE_ANSWER);
    expect(r.usage?.input_tokens_details.cached_tokens).toBe(FAKE_USAGE.cacheRead);
  });

  it('streams reasoning, text and a function call with usage details in response.completed', async () => {
    const stream = openai.responses.stream({
      model: 'gpt-test',
      input: [{ role: 'user', content: 'SCENARIO:thinking SCENARIO:tool' }],
      tools: [
        {
          type: 'function',
          name: 'exec_command',
          parameters: { type: 'object', properties: { cmd: { type: 'string' } } },
          strict: false,
        },
      ],
    });
    const types = new Set<string>();
    stream.on('event', (ev) => types.add(ev.type));
    const final = await stream.finalResponse();
    for (const t of [
      'response.created',
      'response.output_item.added',
      'response.reasoning_summary_text.delta',
      'response.output_text.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.completed',
    ]) {
      expect(types, t).toContain(t);
    }
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call?.type === 'function_call' && JSON.parse(call.arguments)).toEqual({ cmd: FAKE_TOOL_COMMAND });
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBe(FAKE_USAGE.reasoning);
  });

  it('follows up a function_call_output with text', async () => {
    const r = await openai.responses.create({
      model: 'gpt-test',
      input: [
        { role: 'user', content: 'SCENARIO:tool' },
        { type: 'function_call', call_id: 'call_1', name: 'exec_command', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: FAKE_TOOL_OUTPUT },
      ],
    });
    expect(r.output_text).toBe(`${FAKE_ANSWER} Tool output: ${FAKE_TOOL_OUTPUT}`);
  });
});

describe('delivery scenarios', () => {
  it('notices when the client goes away mid-stream (slow stream, abort after the first event)', async () => {
    const ac = new AbortController();
    const stream = await anthropic.messages.create(
      {
        model: 'c',
        max_tokens: 5,
        stream: true,
        messages: [{ role: 'user', content: 'SCENARIO:slow abort-me' }],
      },
      { signal: ac.signal },
    );
    const rec = await provider.waitForRequest((r) => r.body.toString().includes('abort-me'));
    const consumed = (async () => {
      for await (const _ev of stream) ac.abort();
    })();
    await consumed.catch(() => undefined);
    const at = await rec.closedEarly;
    expect(at).toBeGreaterThanOrEqual(rec.receivedAt);
    expect(await rec.done).toBe('closed-early');
  });

  it('resets the connection mid-stream without calling it a client abort', async () => {
    const stream = openai.responses.stream({ model: 'g', input: 'SCENARIO:reset-4 reset-me' });
    await expect(stream.finalResponse()).rejects.toThrow();
    const rec = await provider.waitForRequest((r) => r.body.toString().includes('reset-me'));
    expect(await rec.done).toBe('closed-early');
    expect(rec.closedEarlyAt).toBeUndefined();
    expect(rec.responseBody.toString().match(/^event: /gm)).toHaveLength(4);
  });

  it('hangs after the headers until the client gives up', async () => {
    const ac = new AbortController();
    const res = await fetch(`${provider.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'c',
        stream: true,
        messages: [{ role: 'user', content: 'SCENARIO:hang' }],
      }),
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    const rec = await provider.waitForRequest((r) => r.scenarios.includes('hang'));
    ac.abort();
    await rec.closedEarly;
    expect(rec.responseBody.length).toBe(0);
  });

  it('gzips when asked and allowed; the hash covers the compressed bytes', async () => {
    const body = JSON.stringify({
      model: 'c',
      stream: true,
      messages: [{ role: 'user', content: 'SCENARIO:gzip zipped' }],
    });
    const res = await fetch(`${provider.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' },
      body,
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.text()).toContain('Hello ');
    const rec = await provider.waitForRequest((r) => r.body.toString().includes('zipped'));
    await rec.done;
    expect(rec.responseBody.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const plain = await anthropic.messages.create({
      model: 'c',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'SCENARIO:gzip via sdk' }],
    });
    expect(plain.content).toEqual([{ type: 'text', text: FAKE_ANSWER }]);
  });

  it('streams many events for big', async () => {
    const stream = openai.chat.completions.stream({
      model: 'g',
      messages: [{ role: 'user', content: 'SCENARIO:big-3000' }],
    });
    let deltas = 0;
    stream.on('content', () => deltas++);
    const final = await stream.finalChatCompletion();
    expect(deltas).toBe(3000);
    expect(final.choices[0]?.message.content).toMatch(/chunk 2999$/);
  });

  it('drops bodies but keeps hashes and sizes when keepBodies is false (benchmark mode)', async () => {
    const lean = await startFakeProvider({ keepBodies: false });
    try {
      const body = JSON.stringify({
        model: 'c',
        stream: true,
        messages: [{ role: 'user', content: 'lean' }],
      });
      const res = await fetch(`${lean.url}/v1/messages`, { method: 'POST', body });
      const received = Buffer.from(await res.arrayBuffer());
      const rec = await lean.waitForRequest();
      expect(await rec.done).toBe('finished');
      expect(rec.bodySha256).toBe(sha(Buffer.from(body)));
      expect(rec.responseSha256).toBe(sha(received));
      expect(rec.responseBytes).toBe(received.length);
      expect(rec.body.length).toBe(0);
      expect(rec.responseBody.length).toBe(0);
    } finally {
      await lean.close();
    }
  });

  it('lets a test take over the next request', async () => {
    provider.enqueue((_req, res, body) => {
      res.writeHead(418, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ teapot: true, length: body.length }));
    });
    const res = await fetch(`${provider.url}/anything?x=1`, { method: 'POST', body: 'abc' });
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ teapot: true, length: 3 });
    const rec = await provider.waitForRequest((r) => r.url === '/anything?x=1');
    expect(rec.body.toString()).toBe('abc');
  });
});

describe('Responses over WebSocket (Codex transport)', () => {
  function connect(): Promise<{ ws: WebSocket; next: () => Promise<Record<string, unknown>> }> {
    const ws = new WebSocket(`${provider.url.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: 'Bearer sk-test', 'session-id': 'ws-session-1' },
    });
    const inbox: Record<string, unknown>[] = [];
    const waiters: ((m: Record<string, unknown>) => void)[] = [];
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      const w = waiters.shift();
      if (w) w(m);
      else inbox.push(m);
    });
    const next = (): Promise<Record<string, unknown>> => {
      const m = inbox.shift();
      return m ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
    };
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, next }));
      ws.once('error', reject);
    });
  }
  async function untilTerminal(
    next: () => Promise<Record<string, unknown>>,
  ): Promise<Record<string, unknown>[]> {
    const seen: Record<string, unknown>[] = [];
    for (;;) {
      const m = await next();
      seen.push(m);
      if (m.type === 'response.completed' || m.type === 'response.failed' || m.type === 'error') return seen;
    }
  }

  it('answers a generate:false warm-up, then a turn chained to it, then rejects an unknown previous id', async () => {
    const { ws, next } = await connect();
    ws.send(JSON.stringify({ type: 'response.create', model: 'g', input: [], generate: false }));
    const warm = await untilTerminal(next);
    expect(warm.map((m) => m.type)).toEqual(['response.created', 'response.completed']);
    const warmId = (warm[1]?.response as { id: string }).id;

    ws.send(
      JSON.stringify({
        type: 'response.create',
        model: 'g',
        previous_response_id: warmId,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'over ws' }] }],
      }),
    );
    const turn = await untilTerminal(next);
    const text = turn
      .filter((m) => m.type === 'response.output_text.delta')
      .map((m) => String(m.delta))
      .join('');
    expect(text).toBe(FAKE_ANSWER);
    expect(turn.at(-1)?.type).toBe('response.completed');

    ws.send(
      JSON.stringify({
        type: 'response.create',
        model: 'g',
        previous_response_id: 'resp_unknown',
        input: [],
      }),
    );
    const [err] = await untilTerminal(next);
    expect(err).toMatchObject({ type: 'error', status: 400, error: { code: 'previous_response_not_found' } });

    const recs = provider.requests.filter(
      (r) => r.transport === 'websocket' && r.headers['session-id'] === 'ws-session-1',
    );
    expect(recs).toHaveLength(3);
    expect(recs.every((r) => r.method === 'WS' && r.path === '/v1/responses')).toBe(true);
    ws.close();
  });

  it('reports an abort when the socket closes mid-response', async () => {
    const { ws, next } = await connect();
    ws.send(JSON.stringify({ type: 'response.create', model: 'g', input: 'SCENARIO:slow ws-abort' }));
    await next();
    const rec = await provider.waitForRequest(
      (r) => r.transport === 'websocket' && r.scenarios.includes('slow'),
    );
    ws.terminate();
    await rec.closedEarly;
    expect(await rec.done).toBe('closed-early');
  });
});
