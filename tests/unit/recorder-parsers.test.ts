// Response parsers per dialect: golden SSE/JSON/WebSocket fixtures, identical results under any chunk split,
// token semantics, truncated streams, no event cap, and garbage tolerance.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { ReassembledResponse, ToolCallBlock } from '../../src-shared/exchange.js';
import { createResponseParser } from '../../src-main/recorder/parse/parser.js';
import type { ResponseParserOptions } from '../../src-main/recorder/parse/types.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/recorder');
const fixture = (name: string): Buffer => readFileSync(join(FIX, name));

const SSE = 'text/event-stream; charset=utf-8';
const JSON_CT = 'application/json';

interface Kind {
  dialect: Dialect;
  endpoint: Endpoint;
}
const ANTHROPIC: Kind = { dialect: 'anthropic', endpoint: 'messages' };
const CHAT: Kind = { dialect: 'openai', endpoint: 'chat_completions' };
const RESPONSES: Kind = { dialect: 'openai', endpoint: 'responses' };

function opts(
  k: Kind,
  contentType: string,
  extra: Partial<ResponseParserOptions> = {},
): ResponseParserOptions {
  return { ...k, contentType, transport: 'http', ...extra };
}

function parse(k: Kind, chunks: Buffer[], contentType = SSE): ReassembledResponse {
  const p = createResponseParser(opts(k, contentType));
  for (const c of chunks) p.push(c);
  return p.finish();
}

/** Deterministic PRNG so a failing split can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSplit(b: Buffer, seed: number, max: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = 1 + Math.floor(r() * max);
    out.push(Buffer.from(b.subarray(i, i + n))); // copies: the parser must not depend on shared memory
    i += n;
  }
  return out;
}

/** Results that must not depend on framing: everything except the chunk count. */
function stable(r: ReassembledResponse): unknown {
  return { ...r, counts: { ...r.counts, chunks: 0 } };
}

const tool = (r: ReassembledResponse, i = 0): ToolCallBlock =>
  r.content.filter((b): b is ToolCallBlock => b.type === 'tool_call')[i]!;

const SSE_FIXTURES: [string, Kind][] = [
  ['anthropic-tool-use.sse', ANTHROPIC],
  ['anthropic-tool-use-crlf.sse', ANTHROPIC],
  ['anthropic-zeros-first.sse', ANTHROPIC],
  ['anthropic-error.sse', ANTHROPIC],
  ['anthropic-refusal.sse', ANTHROPIC],
  ['anthropic-server-tools.sse', ANTHROPIC],
  ['chat-tool-calls.sse', CHAT],
  ['chat-no-usage.sse', CHAT],
  ['chat-refusal.sse', CHAT],
  ['chat-content-filter.sse', CHAT],
  ['chat-error.sse', CHAT],
  ['responses-tool-call.sse', RESPONSES],
  ['responses-incomplete.sse', RESPONSES],
  ['responses-failed.sse', RESPONSES],
  ['responses-refusal.sse', RESPONSES],
  ['responses-error-event.sse', RESPONSES],
];

describe('split invariance', () => {
  it.each(SSE_FIXTURES)('%s: byte-by-byte and random splits give the identical result', (name, kind) => {
    const b = fixture(name);
    const whole = stable(parse(kind, [b]));
    expect(
      stable(
        parse(
          kind,
          [...b].map((x) => Buffer.from([x])),
        ),
      ),
    ).toEqual(whole);
    for (let seed = 1; seed <= 25; seed++) {
      expect(stable(parse(kind, randomSplit(b, seed, seed % 5 === 0 ? 4096 : 64))), `seed ${seed}`).toEqual(
        whole,
      );
    }
  });
});

describe('Anthropic Messages stream', () => {
  it('reassembles thinking (+signature), text and tool_use blocks in index order with complete JSON args', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-tool-use.sse')]);
    expect(r).toMatchObject({
      complete: true,
      streamed: true,
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      model: 'claude-sonnet-4-5-20250929',
      role: 'assistant',
      stopReason: 'tool_use',
      finishReason: 'tool_calls',
      hasRefusal: false,
      error: null,
    });
    expect(r.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_call', 'tool_call']);
    expect(r.content[0]).toEqual({
      type: 'thinking',
      thinking: "The user wants the test suite run. I'll use Bash — npm test — and report “failures” ✅.",
      signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDYn5ybGFzdC1wYXJ0LW9mLXNpZw==',
    });
    expect(r.content[1]).toEqual({ type: 'text', text: "I'll run the tests now — 日本語も大丈夫 🚀" });
    expect(tool(r)).toEqual({
      type: 'tool_call',
      kind: 'function',
      id: 'toolu_01A09q90qw90lq917835lq9',
      name: 'Bash',
      arguments: '{"command": "npm test", "description": "Run the test suite ✓"}',
      input: { command: 'npm test', description: 'Run the test suite ✓' },
      parseError: null,
    });
    expect(tool(r, 1).input).toEqual({ file_path: '/repo/package.json' });
    expect(r.counts.keepalives).toBe(1); // the ping
  });

  it('reads usage from message_start and message_delta without summing (cache fields kept apart)', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-tool-use.sse')]);
    expect(r.usage).toMatchObject({
      input: 12,
      cacheRead: 21004,
      cacheWrite: 1843,
      output: 187,
      reasoning: null,
    });
    expect(r.usage.raw).toMatchObject({ input_tokens: 12, output_tokens: 187, service_tier: 'standard' });
  });

  it('takes the real numbers when a gateway sends zeros in message_start', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-zeros-first.sse')]);
    expect(r.usage).toMatchObject({ input: 2095, cacheRead: 14000, cacheWrite: 0, output: 503 });
    expect(r.finishReason).toBe('stop');
    expect(r.content).toEqual([{ type: 'text', text: 'Hello there.' }]);
  });

  it('records an in-stream error with the partial text and the usage seen', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-error.sse')]);
    expect(r.error).toEqual({ type: 'overloaded_error', code: null, message: 'Overloaded' });
    expect(r.finishReason).toBe('error');
    expect(r.complete).toBe(true);
    expect(r.content).toEqual([{ type: 'text', text: 'Partial answer' }]);
    expect(r.usage.input).toBe(310);
  });

  it('flags a refusal only for stop_reason "refusal"', () => {
    expect(parse(ANTHROPIC, [fixture('anthropic-refusal.sse')])).toMatchObject({
      hasRefusal: true,
      finishReason: 'refusal',
      stopReason: 'refusal',
    });
    expect(parse(ANTHROPIC, [fixture('anthropic-zeros-first.sse')]).hasRefusal).toBe(false);
  });

  it('keeps redacted thinking, server tool use and unknown blocks; skips a malformed event and counts it', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-server-tools.sse')]);
    expect(r.content.map((b) => b.type)).toEqual(['redacted_thinking', 'tool_call', 'other', 'text']);
    expect(tool(r)).toMatchObject({ kind: 'server', name: 'web_search', input: { query: 'node 22 zstd' } });
    expect(r.content[2]).toMatchObject({ type: 'other', rawType: 'web_search_tool_result' });
    expect(r.counts.parseErrors).toBe(1);
    expect(r.usage.raw).toMatchObject({ server_tool_use: { web_search_requests: 1 } });
    expect(r.complete).toBe(true);
  });

  it('calls onFirstContent once, at the first content delta, and stores the returned offset', () => {
    const b = fixture('anthropic-tool-use.sse');
    let calls = 0;
    let eventsAtCall = -1;
    const p = createResponseParser(
      opts(ANTHROPIC, SSE, {
        onFirstContent: () => {
          calls++;
          eventsAtCall = p.snapshot().counts.events;
          return 0; // 0 ms is a real value, not "unknown"
        },
      }),
    );
    for (const c of randomSplit(b, 7, 30)) p.push(c);
    const r = p.finish();
    expect(calls).toBe(1);
    // message_start, content_block_start, ping, then the first thinking_delta
    expect(eventsAtCall).toBe(4);
    expect(r.firstContentAtMs).toBe(0);
  });

  it('swallows an exception thrown by the onFirstContent hook', () => {
    const p = createResponseParser(
      opts(ANTHROPIC, SSE, {
        onFirstContent: () => {
          throw new Error('caller bug');
        },
      }),
    );
    p.push(fixture('anthropic-zeros-first.sse'));
    expect(p.finish().content).toEqual([{ type: 'text', text: 'Hello there.' }]);
  });
});

describe('truncated streams and snapshots', () => {
  it('a snapshot of a stream cut mid-way has the partial text, partial tool args and the usage seen', () => {
    const b = fixture('anthropic-tool-use.sse').toString('utf8');
    const cut = b.indexOf('iption'); // inside the Bash tool's input_json_delta
    const p = createResponseParser(opts(ANTHROPIC, SSE));
    p.push(Buffer.from(b.slice(0, cut)));
    const s = p.snapshot();
    expect(s.complete).toBe(false);
    expect(s.content[1]).toEqual({ type: 'text', text: "I'll run the tests now — 日本語も大丈夫 🚀" });
    const t = tool(s);
    expect(t.arguments).toBe('{"command": "npm test", "descr');
    expect(t.input).toBeUndefined();
    expect(t.parseError).toMatch(/JSON|Unterminated|position/i);
    expect(s.usage).toMatchObject({ input: 12, cacheRead: 21004, cacheWrite: 1843, output: 2 });
    expect(s.stopReason).toBeNull();
    // snapshot does not end the parse
    p.push(Buffer.from(b.slice(cut)));
    expect(p.finish()).toMatchObject({ complete: true, usage: { output: 187 } });
  });

  it('a Responses stream cut inside a function call: reasoning and text kept, args partial, usage unknown', () => {
    const b = fixture('responses-tool-call.sse').toString('utf8');
    const cut = b.indexOf('\\"ls\\"],\\"workdir'); // inside the second function_call_arguments.delta
    const p = createResponseParser(opts(RESPONSES, 'Text/Event-Stream'));
    p.push(Buffer.from(b.slice(0, cut)));
    const s = p.snapshot();
    expect(s.complete).toBe(false);
    expect(s.content.map((c) => c.type)).toEqual(['thinking', 'text', 'tool_call']);
    expect(tool(s)).toMatchObject({ id: 'call_Zx9shell', arguments: '{"command":["bash","-lc",' });
    expect(tool(s).input).toBeUndefined();
    expect(tool(s).parseError).not.toBeNull();
    expect(s.usage).toMatchObject({ input: null, output: null, reasoning: null });
    expect(s.finishReason).toBeNull();
  });

  it('snapshots are independent copies', () => {
    const p = createResponseParser(opts(ANTHROPIC, SSE));
    const b = fixture('anthropic-zeros-first.sse').toString('utf8');
    p.push(Buffer.from(b.slice(0, b.indexOf(' there'))));
    const s1 = p.snapshot();
    p.push(Buffer.from(b.slice(b.indexOf(' there'))));
    p.finish();
    expect(s1.content).toEqual([{ type: 'text', text: 'Hello' }]);
    expect(s1.usage.output).toBe(0);
  });

  it('a Chat stream cut before [DONE] has no usage (null) and is not complete', () => {
    const b = fixture('chat-tool-calls.sse').toString('utf8');
    const p = createResponseParser(opts(CHAT, SSE));
    p.push(Buffer.from(b.slice(0, b.indexOf('"usage":{"prompt_tokens"'))));
    const s = p.finish();
    expect(s.complete).toBe(false);
    expect(s.usage.input).toBeNull();
    expect(s.usage.output).toBeNull();
    expect(tool(s).input).toEqual({ path: 'src/ü.ts' });
  });
});

describe('no event cap', () => {
  it('a 50 000-event Anthropic stream still records its final message_delta usage', () => {
    const parts: string[] = [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_big","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":5,"cache_read_input_tokens":0,"cache_creation_input_tokens":0,"output_tokens":1}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n',
    ];
    for (let i = 0; i < 50_000; i++) {
      parts.push(
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"}}\n\n',
      );
    }
    parts.push(
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":50001}}\n\n',
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
    const b = Buffer.from(parts.join(''));
    const r = parse(ANTHROPIC, randomSplit(b, 3, 1500));
    expect(r.counts.events).toBe(50_005);
    expect(r.usage.output).toBe(50_001);
    expect(r.complete).toBe(true);
    expect((r.content[0] as { text: string }).text.length).toBe(100_000);
  });
});

describe('OpenAI Chat Completions stream', () => {
  it('accumulates parallel tool calls by index and normalises usage (cached and reasoning are subsets)', () => {
    const r = parse(CHAT, [fixture('chat-tool-calls.sse')]);
    expect(r).toMatchObject({
      complete: true,
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      model: 'gpt-4.1-2025-04-14',
      role: 'assistant',
      stopReason: 'tool_calls',
      finishReason: 'tool_calls',
    });
    expect(r.content).toEqual([
      {
        type: 'tool_call',
        kind: 'function',
        id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA',
        name: 'read_file',
        arguments: '{"path": "src/ü.ts"}',
        input: { path: 'src/ü.ts' },
        parseError: null,
      },
      {
        type: 'tool_call',
        kind: 'function',
        id: 'call_ABCsecond',
        name: 'bash',
        arguments: '{"cmd":"ls -la"}',
        input: { cmd: 'ls -la' },
        parseError: null,
      },
    ]);
    // prompt 2006 incl. 1920 cached → 86 uncached; completion 300 incl. 256 reasoning
    expect(r.usage).toMatchObject({
      input: 86,
      cacheRead: 1920,
      cacheWrite: null,
      output: 300,
      reasoning: 256,
    });
    expect(r.usage.raw).toMatchObject({ total_tokens: 2306 });
  });

  it('leaves every usage field null when the stream had no include_usage chunk', () => {
    const r = parse(CHAT, [fixture('chat-no-usage.sse')]);
    expect(r.usage).toEqual({
      input: null,
      cacheRead: null,
      cacheWrite: null,
      output: null,
      reasoning: null,
      raw: null,
    });
    expect(r.content).toEqual([{ type: 'text', text: "Sure! Here's a haiku: 古池や" }]);
    expect(r).toMatchObject({ finishReason: 'stop', complete: true, hasRefusal: false });
  });

  it('records refusal deltas as a refusal block and content_filter as a refusal', () => {
    const r = parse(CHAT, [fixture('chat-refusal.sse')]);
    expect(r.content).toEqual([{ type: 'refusal', refusal: "I'm sorry, I can't assist with that." }]);
    expect(r.hasRefusal).toBe(true);
    expect(r.usage).toMatchObject({ input: 50, cacheRead: null, output: 10, reasoning: null });
    expect(parse(CHAT, [fixture('chat-content-filter.sse')])).toMatchObject({
      hasRefusal: true,
      finishReason: 'content_filter',
    });
  });

  it('keeps calls apart when a compatible server omits tool_calls[].index and sends each call whole', () => {
    const chunk = (id: string, name: string, args: string): string =>
      `data: ${JSON.stringify({ id: 'c1', model: 'gemini-2.5-pro', choices: [{ index: 0, delta: { tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] } }] })}\n\n`;
    const b = Buffer.from(
      chunk('call_a', 'read', '{"p":1}') + chunk('call_b', 'write', '{"p":2}') + 'data: [DONE]\n\n',
    );
    const r = parse(CHAT, [b]);
    expect(r.content.map((c) => [(c as ToolCallBlock).id, (c as ToolCallBlock).input])).toEqual([
      ['call_a', { p: 1 }],
      ['call_b', { p: 2 }],
    ]);
  });

  it('records a mid-stream error object', () => {
    const r = parse(CHAT, [fixture('chat-error.sse')]);
    expect(r.error).toEqual({
      type: 'server_error',
      code: null,
      message: 'The server had an error while processing your request.',
    });
    expect(r.finishReason).toBe('error');
    expect(r.content).toEqual([{ type: 'text', text: 'Working' }]);
  });
});

describe('OpenAI Responses stream', () => {
  it('reassembles reasoning summary, text, function call and custom tool call in output order', () => {
    const r = parse(RESPONSES, [fixture('responses-tool-call.sse')]);
    expect(r).toMatchObject({
      complete: true,
      id: 'resp_68af4030592c81938ec0a5fbab4a3e9f05438e46b5f69a3b',
      model: 'gpt-5-codex',
      stopReason: 'completed',
      finishReason: 'tool_calls',
      hasRefusal: false,
    });
    expect(r.content).toEqual([
      {
        type: 'thinking',
        thinking: '**Inspecting repo**\n\nLooking at files.\n\n**Planning patch**',
        signature: 'gAAAAABor0A6encrypted',
      },
      { type: 'text', text: "I'll list the files — ✓ 完了" },
      {
        type: 'tool_call',
        kind: 'function',
        id: 'call_Zx9shell',
        name: 'shell',
        arguments: '{"command":["bash","-lc","ls"],"workdir":"/repo"}',
        input: { command: ['bash', '-lc', 'ls'], workdir: '/repo' },
        parseError: null,
      },
      {
        type: 'tool_call',
        kind: 'custom',
        id: 'call_patch1',
        name: 'apply_patch',
        arguments: '*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n',
        parseError: null,
      },
    ]);
    // 12000 input incl. 11264 cached; 640 output incl. 384 reasoning
    expect(r.usage).toMatchObject({
      input: 736,
      cacheRead: 11264,
      cacheWrite: null,
      output: 640,
      reasoning: 384,
    });
  });

  it('maps incomplete(max_output_tokens) to length, failed to error, refusal parts to hasRefusal', () => {
    expect(parse(RESPONSES, [fixture('responses-incomplete.sse')])).toMatchObject({
      stopReason: 'incomplete',
      stopDetail: 'max_output_tokens',
      finishReason: 'length',
      content: [{ type: 'text', text: 'A very long essay' }],
      usage: { input: 20, cacheRead: 0, output: 16, reasoning: 0 },
    });
    expect(parse(RESPONSES, [fixture('responses-failed.sse')])).toMatchObject({
      finishReason: 'error',
      error: { code: 'server_error', message: 'The model produced invalid content.' },
      usage: { input: null, output: null },
      complete: true,
    });
    expect(parse(RESPONSES, [fixture('responses-refusal.sse')])).toMatchObject({
      hasRefusal: true,
      finishReason: 'stop',
      content: [{ type: 'refusal', refusal: "I can't help with that." }],
    });
  });

  it('records a top-level error event', () => {
    expect(parse(RESPONSES, [fixture('responses-error-event.sse')])).toMatchObject({
      error: { type: null, code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5-codex' },
      finishReason: 'error',
      id: 'resp_errev',
    });
  });

  it('over a WebSocket (one JSON message per push) gives the same result as over SSE', () => {
    const lines = fixture('responses-ws.jsonl').toString('utf8').trim().split('\n');
    const p = createResponseParser({ ...RESPONSES, contentType: null, transport: 'websocket' });
    lines.forEach((l, i) => p.push(i % 2 === 0 ? l : Buffer.from(l)));
    const ws = p.finish();
    const sse = parse(RESPONSES, [fixture('responses-tool-call.sse')]);
    expect({ ...ws, counts: null }).toEqual({ ...sse, counts: null });
    expect(ws.counts.events).toBe(lines.length);
  });

  it('records a Codex WebSocket error frame {type:"error", status, error:{…}}', () => {
    const p = createResponseParser({ ...RESPONSES, contentType: null, transport: 'websocket' });
    for (const l of fixture('responses-ws-error.jsonl').toString('utf8').trim().split('\n')) p.push(l);
    expect(p.finish()).toMatchObject({
      complete: true,
      finishReason: 'error',
      error: {
        type: 'usage_limit_reached',
        code: 'rate_limit_exceeded',
        message: 'The usage limit has been reached',
      },
    });
  });

  it('back-fills output items from response.completed when their events were missed', () => {
    const all = fixture('responses-tool-call.sse').toString('utf8').split('\n\n');
    const kept = all.filter((e) => e.includes('response.created') || e.includes('response.completed'));
    const r = parse(RESPONSES, [Buffer.from(kept.join('\n\n') + '\n\n')]);
    const full = parse(RESPONSES, [fixture('responses-tool-call.sse')]);
    expect(r.content).toEqual(full.content);
  });
});

describe('JSON bodies', () => {
  it('Anthropic message body: blocks, stop reason and usage incl. thinking tokens', () => {
    const r = parse(ANTHROPIC, [fixture('anthropic-message.json')], JSON_CT);
    expect(r).toMatchObject({
      streamed: false,
      complete: true,
      id: 'msg_01Body',
      finishReason: 'tool_calls',
    });
    expect(r.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_call']);
    expect(tool(r).input).toEqual({ file_path: '/tmp/a.txt', content: 'héllo' });
    expect(r.usage).toMatchObject({
      input: 1520,
      cacheRead: 9000,
      cacheWrite: 200,
      output: 120,
      reasoning: 40,
    });
  });

  it('Anthropic error body', () => {
    expect(parse(ANTHROPIC, [fixture('anthropic-error.json')], JSON_CT)).toMatchObject({
      error: { type: 'rate_limit_error' },
      finishReason: 'error',
      content: [],
    });
  });

  it('count_tokens: input only, the rest null', () => {
    const r = parse(
      { dialect: 'anthropic', endpoint: 'count_tokens' },
      [Buffer.from('{"input_tokens":2095}')],
      JSON_CT,
    );
    expect(r.usage).toEqual({
      input: 2095,
      cacheRead: null,
      cacheWrite: null,
      output: null,
      reasoning: null,
      raw: { input_tokens: 2095 },
    });
  });

  it('Chat completion body and Responses body', () => {
    const c = parse(CHAT, [fixture('chat-completion.json')], JSON_CT);
    expect(tool(c)).toMatchObject({ id: 'call_x1', name: 'get_weather', input: { city: 'Paris' } });
    expect(c.usage).toMatchObject({ input: 82, cacheRead: 0, output: 17, reasoning: 0 });
    const r = parse(RESPONSES, [fixture('responses.json')], JSON_CT);
    expect(r.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_call']);
    expect(r).toMatchObject({ finishReason: 'tool_calls', usage: { input: 736, reasoning: 384 } });
  });

  it('models and embeddings: no content; embeddings usage is input only', () => {
    const m = parse(
      { dialect: 'openai', endpoint: 'models' },
      [Buffer.from('{"object":"list","data":[{"id":"gpt-5"}]}')],
      JSON_CT,
    );
    expect(m).toMatchObject({ content: [], complete: true, usage: { input: null } });
    const e = parse(
      { dialect: 'openai', endpoint: 'embeddings' },
      [
        Buffer.from(
          '{"object":"list","data":[],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}',
        ),
      ],
      JSON_CT,
    );
    expect(e.usage).toMatchObject({ input: 8, output: null });
  });

  it('a JSON body split anywhere (incl. inside a multibyte char) parses the same; its snapshot before the end is empty', () => {
    const b = fixture('anthropic-message.json');
    const p = createResponseParser(opts(ANTHROPIC, JSON_CT));
    const chunks = [...b].map((x) => Buffer.from([x]));
    chunks.forEach((c) => p.push(c));
    expect(p.snapshot().content).toEqual([]);
    expect(stable(p.finish())).toEqual(stable(parse(ANTHROPIC, [b], JSON_CT)));
  });
});

describe('garbage in, no throw', () => {
  it.each([
    [ANTHROPIC, SSE],
    [CHAT, SSE],
    [RESPONSES, SSE],
    [ANTHROPIC, JSON_CT],
    [RESPONSES, JSON_CT],
  ])('%o %s survives random bytes and hostile JSON', (kind, ct) => {
    const r = rng(42);
    const p = createResponseParser(opts(kind, ct));
    for (let i = 0; i < 200; i++) {
      const len = Math.floor(r() * 50);
      p.push(Buffer.from(Array.from({ length: len }, () => Math.floor(r() * 256))));
    }
    const hostile = [
      'data: null\n\n',
      'data: 123\n\n',
      'data: {"type":"content_block_delta","index":"x","delta":null}\n\n',
      'data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":5}}\n\n',
      'data: {"type":"message_start","message":{"usage":"lots"}}\n\n',
      'data: {"choices":[null,{"index":0,"delta":{"tool_calls":[null,{"index":"a"}]}}],"usage":[1]}\n\n',
      'data: {"type":"response.output_item.added","item":{"type":"function_call"}}\n\n',
      'data: {"type":"response.completed","response":{"output":[1,null,{"type":"reasoning","summary":"x"}],"usage":{"input_tokens":"9"}}}\n\n',
      'data: {"__proto__":{"polluted":true},"type":"ping"}\n\n',
    ];
    for (const h of hostile) p.push(Buffer.from(h));
    expect(() => p.snapshot()).not.toThrow();
    const res = p.finish();
    expect(res.counts.parseErrors).toBeGreaterThanOrEqual(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('ignores pushes after finish', () => {
    const p = createResponseParser(opts(CHAT, SSE));
    p.push(fixture('chat-no-usage.sse'));
    const a = p.finish();
    p.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"late"}}]}\n\n'));
    expect(p.finish()).toEqual(a);
  });
});
