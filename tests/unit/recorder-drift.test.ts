// Client drift in the response parsers: event, block and delta types and fields that this version does not know
// are listed in `unknown` with their counts and kept as received (unknown blocks in the content, with their
// deltas), within a per-response budget; the known fixtures raise nothing. Also the notice text and its
// once-per-client-version rule.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { OtherBlock, ReassembledResponse, UnknownItem } from '../../src-shared/exchange.js';
import type { ResponseLine } from '../../src-shared/records.js';
import { DriftNotices, driftMessage } from '../../src-main/recorder/drift-notices.js';
import { MAX_UNKNOWN_ENTRIES, RAW_BUDGET_CHARS } from '../../src-main/recorder/parse/drift.js';
import { createResponseParser } from '../../src-main/recorder/parse/parser.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/recorder');

interface Kind {
  dialect: Dialect;
  endpoint: Endpoint;
}
const ANTHROPIC: Kind = { dialect: 'anthropic', endpoint: 'messages' };
const CHAT: Kind = { dialect: 'openai', endpoint: 'chat_completions' };
const RESPONSES: Kind = { dialect: 'openai', endpoint: 'responses' };

function parse(k: Kind, body: string, contentType = 'text/event-stream'): ReassembledResponse {
  const p = createResponseParser({ ...k, contentType, transport: 'http' });
  p.push(Buffer.from(body));
  return p.finish();
}

function parseWs(messages: unknown[]): ReassembledResponse {
  const p = createResponseParser({ ...RESPONSES, contentType: null, transport: 'websocket' });
  for (const m of messages) p.push(JSON.stringify(m));
  return p.finish();
}

/** SSE text from events (the `event:` line is the JSON `type`, as the providers send it). */
const sse = (events: Record<string, unknown>[], named = true): string =>
  events.map((e) => `${named ? `event: ${String(e.type)}\n` : ''}data: ${JSON.stringify(e)}\n\n`).join('');

const summary = (r: ReassembledResponse): [string, string, number][] =>
  (r.unknown ?? []).map((u) => [u.kind, u.name, u.count]);
const find = (r: ReassembledResponse, kind: string, name: string): UnknownItem =>
  r.unknown!.find((u) => u.kind === kind && u.name === name)!;

// --- Anthropic ----------------------------------------------------------------------------------------------

const MESSAGE = {
  id: 'msg_drift',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [],
  stop_reason: null,
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 1, brand_new_usage_field: 3 },
};

const anthropicDrift = (): string =>
  sse([
    { type: 'message_start', message: { ...MESSAGE, mood: { level: 'curious' } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello ' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: 1 } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'world' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: 2 } },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_annotation', note: 'first' },
    { type: 'content_block_start', index: 1, content_block: { type: 'hologram', frames: [] } },
    { type: 'content_block_delta', index: 1, delta: { type: 'hologram_delta', frame: 'A' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'hologram_delta', frame: 'B' } },
    { type: 'content_block_stop', index: 1 },
    {
      type: 'content_block_start',
      index: 2,
      content_block: { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {}, priority: 'high' },
    },
    { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"c":1}' } },
    { type: 'content_block_stop', index: 2 },
    { type: 'message_annotation', note: 'second' },
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null, tone: 'calm' },
      usage: { output_tokens: 9 },
      trace: 'abc',
    },
    { type: 'message_stop' },
  ]);

describe('Anthropic drift', () => {
  it('lists a made-up event, block, delta and new fields with their counts, in order of first occurrence', () => {
    const r = parse(ANTHROPIC, anthropicDrift());
    expect(summary(r)).toEqual([
      ['field', 'message.mood', 1],
      ['delta', 'sparkle_delta', 2],
      ['event', 'message_annotation', 2],
      ['block', 'hologram', 1],
      ['delta', 'hologram_delta', 2],
      ['field', 'tool_use.priority', 1],
      ['field', 'message_delta.trace', 1],
      ['field', 'message_delta.delta.tone', 1],
    ]);
  });

  it('keeps every unknown occurrence as received: events and deltas whole, field values, block deltas', () => {
    const r = parse(ANTHROPIC, anthropicDrift());
    expect(find(r, 'event', 'message_annotation').received).toEqual([
      { type: 'message_annotation', note: 'first' },
      { type: 'message_annotation', note: 'second' },
    ]);
    expect(find(r, 'delta', 'sparkle_delta').received).toEqual([
      { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: 1 } },
      { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: 2 } },
    ]);
    expect(find(r, 'field', 'message.mood').received).toEqual([{ level: 'curious' }]);
    expect(find(r, 'field', 'tool_use.priority').received).toEqual(['high']);
    // The unknown block is in the content, in its place, with its deltas; it is not duplicated in `unknown`.
    expect(r.content.map((b) => b.type)).toEqual(['text', 'other', 'tool_call']);
    const other = r.content[1] as OtherBlock;
    expect(other).toEqual({
      type: 'other',
      rawType: 'hologram',
      raw: { type: 'hologram', frames: [] },
      deltas: [
        { type: 'hologram_delta', frame: 'A' },
        { type: 'hologram_delta', frame: 'B' },
      ],
    });
    expect(find(r, 'block', 'hologram').received).toBeUndefined();
    expect(find(r, 'delta', 'hologram_delta').received).toBeUndefined();
  });

  it('still reassembles what it knows around the unknown items', () => {
    const r = parse(ANTHROPIC, anthropicDrift());
    expect(r.content[0]).toEqual({ type: 'text', text: 'Hello world' });
    expect(r.content[2]).toMatchObject({ type: 'tool_call', name: 'Bash', input: { c: 1 } });
    expect(r.stopReason).toBe('tool_use');
    expect(r.usage.output).toBe(9);
    expect(r.complete).toBe(true);
    expect(r.counts.parseErrors).toBe(0);
  });

  it('does not check usage objects, which are kept whole', () => {
    const r = parse(ANTHROPIC, anthropicDrift());
    expect(r.usage.raw).toMatchObject({ brand_new_usage_field: 3 });
    expect(r.unknown!.some((u) => u.name.includes('usage'))).toBe(false);
  });

  it('keeps the deltas of a known block kept whole (compaction) without calling them unknown', () => {
    const r = parse(
      ANTHROPIC,
      sse([
        { type: 'message_start', message: MESSAGE },
        {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'compaction', content: null, encrypted_content: null },
        },
        { type: 'content_block_delta', index: 0, delta: { type: 'compaction_delta', content: 'Summary' } },
        { type: 'content_block_stop', index: 0 },
        { type: 'message_stop' },
      ]),
    );
    expect(r.unknown).toBeUndefined();
    expect(r.content[0]).toMatchObject({
      type: 'other',
      rawType: 'compaction',
      deltas: [{ type: 'compaction_delta', content: 'Summary' }],
    });
  });

  it('lists unknown blocks and fields of a non-streaming body and keeps the block', () => {
    const body = {
      ...MESSAGE,
      content: [
        { type: 'text', text: 'Hi', sparkle: true },
        { type: 'hologram', frames: ['A'] },
      ],
      stop_reason: 'end_turn',
      verdict: 'fine',
    };
    const r = parse(ANTHROPIC, JSON.stringify(body), 'application/json');
    expect(summary(r)).toEqual([
      ['field', 'message.verdict', 1],
      ['field', 'text.sparkle', 1],
      ['block', 'hologram', 1],
    ]);
    expect(r.content[1]).toEqual({
      type: 'other',
      rawType: 'hologram',
      raw: { type: 'hologram', frames: ['A'] },
    });
  });

  it('treats an event type named like an Object property as unknown, not as a crash', () => {
    const r = parse(
      ANTHROPIC,
      sse([{ type: 'constructor' }, { type: '__proto__' }, { type: 'message_stop' }]),
    );
    expect(summary(r)).toEqual([
      ['event', 'constructor', 1],
      ['event', '__proto__', 1],
    ]);
    expect(r.counts.parseErrors).toBe(0);
  });
});

// --- OpenAI Chat ------------------------------------------------------------------------------------------

describe('OpenAI Chat drift', () => {
  const chunk = (
    delta: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: null }],
    ...extra,
  });

  it('lists new chunk and delta fields and keeps their values', () => {
    const body =
      sse(
        [
          chunk({ role: 'assistant', content: 'Hi' }),
          chunk({ content: '!', sparkle: 'x' }, { verdict: 'ok' }),
          chunk({ sparkle: 'y' }),
        ],
        false,
      ) + 'data: [DONE]\n\n';
    const r = parse(CHAT, body);
    expect(summary(r)).toEqual([
      ['field', 'chunk.verdict', 1],
      ['field', 'delta.sparkle', 2],
    ]);
    expect(find(r, 'field', 'delta.sparkle').received).toEqual(['x', 'y']);
    expect(r.content).toEqual([{ type: 'text', text: 'Hi!' }]);
  });

  it('lists new fields of a non-streaming completion and its message', () => {
    const r = parse(
      CHAT,
      JSON.stringify({
        id: 'chatcmpl-2',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4.1',
        verdict: 'ok',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'Hi', sparkle: 1 }, finish_reason: 'stop' },
        ],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
      'application/json',
    );
    expect(summary(r)).toEqual([
      ['field', 'completion.verdict', 1],
      ['field', 'message.sparkle', 1],
    ]);
  });
});

// --- OpenAI Responses -------------------------------------------------------------------------------------

const responsesDrift = (): Record<string, unknown>[] => [
  { type: 'response.created', response: { id: 'resp_d', status: 'in_progress', model: 'gpt-5', output: [] } },
  { type: 'codex.rate_limits', rate_limits: { allowed: true } },
  { type: 'response.output_item.added', output_index: 0, item: { id: 'hg_1', type: 'hologram_call' } },
  { type: 'response.hologram_call.rendering', item_id: 'hg_1', output_index: 0 },
  {
    type: 'response.output_item.done',
    output_index: 0,
    item: { id: 'hg_1', type: 'hologram_call', frames: 2 },
  },
  {
    type: 'response.output_item.added',
    output_index: 1,
    item: { id: 'msg_1', type: 'message', content: [] },
  },
  { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Hi' },
  {
    type: 'response.output_item.done',
    output_index: 1,
    item: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'output_text', text: 'Hi', annotations: [] },
        { type: 'output_sketch', strokes: 3 },
      ],
    },
  },
  {
    type: 'response.completed',
    response: {
      id: 'resp_d',
      status: 'completed',
      model: 'gpt-5',
      future_setting: true,
      output: [
        { id: 'hg_1', type: 'hologram_call', frames: 2 },
        { id: 'msg_1', type: 'message', role: 'assistant', content: [] },
      ],
      usage: { input_tokens: 5, output_tokens: 2 },
    },
  },
];

describe('OpenAI Responses drift', () => {
  it('lists an unknown event, output item type and content part type; knows Codex backend events', () => {
    for (const r of [parse(RESPONSES, sse(responsesDrift())), parseWs(responsesDrift())]) {
      expect(summary(r)).toEqual([
        ['block', 'hologram_call', 1],
        ['event', 'response.hologram_call.rendering', 1],
        ['block', 'output_sketch', 1],
      ]);
      expect(find(r, 'event', 'response.hologram_call.rendering').received).toEqual([
        { type: 'response.hologram_call.rendering', item_id: 'hg_1', output_index: 0 },
      ]);
      expect(find(r, 'block', 'output_sketch').received).toEqual([{ type: 'output_sketch', strokes: 3 }]);
      // The unknown item is kept whole in the content (its latest state), the text around it rebuilt.
      expect(r.content).toEqual([
        { type: 'other', rawType: 'hologram_call', raw: { id: 'hg_1', type: 'hologram_call', frames: 2 } },
        { type: 'text', text: 'Hi' },
      ]);
      expect(r.complete).toBe(true);
    }
  });

  it('names an event without a type as untyped', () => {
    const r = parseWs([{ chunks: [{ type: 'response.created' }] }]);
    expect(summary(r)).toEqual([['event', '(untyped)', 1]]);
  });
});

// --- known traffic ----------------------------------------------------------------------------------------

describe('known traffic', () => {
  const kindOf = (name: string): Kind =>
    name.startsWith('anthropic') ? ANTHROPIC : name.startsWith('chat') ? CHAT : RESPONSES;

  it('raises no unknown item for any golden fixture but the one with a deliberate future event', () => {
    const files = readdirSync(FIX).filter((f) => /\.(sse|json|jsonl)$/.test(f));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const text = readFileSync(join(FIX, f), 'utf8');
      const r = f.endsWith('.jsonl')
        ? parseWs(
            text
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l) as unknown),
          )
        : parse(kindOf(f), text, f.endsWith('.json') ? 'application/json' : 'text/event-stream');
      if (f === 'anthropic-server-tools.sse') {
        // This fixture carries `event: some_future_event` on purpose.
        expect(r.unknown, f).toEqual([
          {
            kind: 'event',
            name: 'some_future_event',
            count: 1,
            received: [{ type: 'some_future_event', foo: 1 }],
          },
        ]);
      } else {
        expect(r.unknown, f).toBeUndefined();
      }
    }
  });
});

// --- bounds -----------------------------------------------------------------------------------------------

describe('bounds', () => {
  it('keeps raw items within the budget and counts the rest as omitted, never more', () => {
    const n = 20_000;
    const events = [{ type: 'message_start', message: MESSAGE }];
    for (let i = 0; i < n; i++) events.push({ type: 'flood', seq: i, pad: 'x'.repeat(40) } as never);
    const r = parse(ANTHROPIC, sse(events));
    const e = find(r, 'event', 'flood');
    expect(e.count).toBe(n);
    expect(e.received!.length + e.omitted!).toBe(n);
    expect(JSON.stringify(e.received).length).toBeLessThanOrEqual(RAW_BUDGET_CHARS + e.received!.length + 2);
    expect(e.received![0]).toEqual({ type: 'flood', seq: 0, pad: 'x'.repeat(40) });
  });

  it('keeps the start of an item too big for the budget, marked as truncated', () => {
    const big = 'y'.repeat(RAW_BUDGET_CHARS * 2);
    const r = parse(
      ANTHROPIC,
      sse([
        { type: 'message_start', message: MESSAGE },
        { type: 'huge', big },
      ]),
    );
    const [kept] = find(r, 'event', 'huge').received!;
    expect(kept).toMatchObject({ $truncated: JSON.stringify({ type: 'huge', big }).length });
    expect((kept as { json: string }).json.startsWith('{"type":"huge","big":"yyy')).toBe(true);
    expect((kept as { json: string }).json.length).toBeLessThanOrEqual(RAW_BUDGET_CHARS);
  });

  it('caps the list and the names: distinct names past the cap are counted under (more)', () => {
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < MAX_UNKNOWN_ENTRIES + 10; i++) events.push({ type: `new_event_${i}` });
    events.push({ type: `long_${'z'.repeat(300)}` });
    const r = parse(ANTHROPIC, sse(events, false));
    expect(r.unknown).toHaveLength(MAX_UNKNOWN_ENTRIES + 1);
    expect(r.unknown!.at(-1)).toMatchObject({ kind: 'event', name: '(more)', count: 11 });
    for (const u of r.unknown!) expect(u.name.length).toBeLessThanOrEqual(100);
  });
});

// --- notices ----------------------------------------------------------------------------------------------

describe('drift notices', () => {
  const line = (
    client: ResponseLine['client'],
    version: string | null,
    unknown: UnknownItem[],
  ): ResponseLine =>
    ({
      type: 'response',
      at: 1,
      unknown,
      client,
      client_version: version,
      response: null,
    }) as unknown as ResponseLine;
  const items: UnknownItem[] = [
    { kind: 'event', name: 'a', count: 3 },
    { kind: 'event', name: 'b', count: 1 },
    { kind: 'field', name: 'message.c', count: 1 },
  ];

  it('words the notice after the client, its version and the kinds it sent', () => {
    expect(driftMessage('claude_code', '2.1.332', items.slice(0, 2))).toBe(
      'Claude Code 2.1.332 sent 2 kinds of event this version of LunaRoute does not understand (a, b) — recorded as received.',
    );
    expect(driftMessage('codex', null, items)).toBe(
      'Codex sent 2 kinds of event and 1 field this version of LunaRoute does not understand (a, b, message.c) — recorded as received.',
    );
  });

  it('raises one notice per client version, and none for lines without unknown items', () => {
    const d = new DriftNotices();
    expect(d.observe(line('claude_code', '2.1.332', []))).toBeNull();
    const first = d.observe(line('claude_code', '2.1.332', items));
    expect(first).toMatchObject({ type: 'client_drift', client: 'claude_code', client_version: '2.1.332' });
    expect(first!.items).toEqual(items);
    expect(d.observe(line('claude_code', '2.1.332', items))).toBeNull();
    expect(d.observe(line('claude_code', '2.1.333', items))).not.toBeNull();
    expect(d.observe(line('codex', '2.1.332', items))).not.toBeNull();
  });

  it('holds notices nobody could see and hands them over once', () => {
    const d = new DriftNotices();
    const n = d.observe(line('opencode', '1.18.0', items))!;
    d.hold(n);
    expect(d.takeHeld()).toEqual([n]);
    expect(d.takeHeld()).toEqual([]);
  });
});
