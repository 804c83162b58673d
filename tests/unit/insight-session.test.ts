import { describe, expect, it } from 'vitest';
import { bundledPrices } from '../../src-main/analytics/prices.js';
import { analyzeSession } from '../../src-main/insight/session.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { InsightRequest } from '../../src-main/insight/types.js';
import { assistant, body, req, SYSTEM, TOOLS, user } from '../support/insight.js';

const prices = bundledPrices();
const MIN = 60_000;

/** Two turns of one thread: the first wrote 20k to the cache, the second reads only what `second` says. */
function pair(
  secondBody: ReturnType<typeof body>,
  usage: InsightRequest['usage'],
  over: Partial<InsightRequest> = {},
) {
  const h = [user('fix the bug'), assistant('looking'), user('go on')];
  const a = req({
    body: body(h),
    at: 0,
    endedAt: 3_000,
    usage: { input: 5, output: 100, cacheRead: 0, cacheWrite: 20_000 },
  });
  const b = req({ body: secondBody, at: 4_000, usage, ...over });
  return { a, b, s: analyzeSession([a, b], prices) };
}

describe('cache breaks', () => {
  const history = [
    user('fix the bug'),
    assistant('looking'),
    user('go on'),
    assistant('done'),
    user('thanks'),
  ];

  it('sees none when a request reads what the previous one left cached', () => {
    const { b, s } = pair(body(history), { input: 5, output: 10, cacheRead: 20_000, cacheWrite: 300 });
    expect(s.byRequest.get(b.id)!.cache_break).toBeNull();
    expect(s.session.cache_breaks).toEqual({ count: 0, extra_cost_usd: null });
  });

  it('blames a changed system prompt and prices the rewrite at write minus read rate', () => {
    const sys = [{ type: 'text', text: SYSTEM[0]!.text + ' Today is Tuesday.' }];
    const { b, s } = pair(body(history, { system: sys }), {
      input: 5,
      output: 10,
      cacheRead: 0,
      cacheWrite: 20_400,
    });
    const cb = s.byRequest.get(b.id)!.cache_break!;
    expect(cb.cause).toBe('system_changed');
    expect(cb.detail).toContain('Today is Tuesday');
    expect(cb.tokens_rewritten).toBe(20_000);
    // claude-sonnet-4-6: cache write $3.75/M, cache read $0.30/M.
    expect(cb.extra_cost_usd).toBeCloseTo((20_000 * (3.75 - 0.3)) / 1e6, 8);
    expect(s.session.cache_breaks.count).toBe(1);
  });

  it('names the tools added, removed and changed', () => {
    const tools: JsonValue[] = [
      { ...TOOLS[0]!, description: 'Run a command, carefully.' },
      { name: 'mcp__github__create_issue', description: 'new', input_schema: { type: 'object' } },
    ];
    const { b, s } = pair(body(history, { tools }), {
      input: 5,
      output: 10,
      cacheRead: 0,
      cacheWrite: 19_000,
    });
    expect(s.byRequest.get(b.id)!.cache_break).toMatchObject({
      cause: 'tools_changed',
      detail: 'added mcp__github__create_issue; removed Read; changed Bash',
    });
  });

  it('finds the earlier message that was edited', () => {
    const edited = [
      user('fix the bug'),
      assistant('looking (edited)'),
      user('go on'),
      assistant('done'),
      user('x'),
    ];
    const { b, s } = pair(body(edited), { input: 5, output: 10, cacheRead: 12_000, cacheWrite: 8_100 });
    expect(s.byRequest.get(b.id)!.cache_break).toMatchObject({
      cause: 'message_edited',
      detail: 'message 2 of 3 (assistant) changed',
      tokens_rewritten: 8_000,
    });
  });

  it('blames a model change before anything else', () => {
    const { b, s } = pair(
      body(history),
      { input: 5, output: 10, cacheRead: 0, cacheWrite: 20_100 },
      { model: 'claude-opus-4-5' },
    );
    expect(s.byRequest.get(b.id)!.cache_break).toMatchObject({
      cause: 'model_changed',
      detail: 'claude-sonnet-4-6 → claude-opus-4-5',
    });
  });

  it('blames the TTL when nothing changed and the gap passed 5 minutes, or 1 hour for the 1-hour cache', () => {
    const late = pair(
      body(history),
      { input: 5, output: 10, cacheRead: 0, cacheWrite: 20_100 },
      { at: 3_000 + 6 * MIN },
    );
    expect(late.s.byRequest.get(late.b.id)!.cache_break).toMatchObject({
      cause: 'ttl_expired',
      detail: '6 min since the previous request (cache TTL 5 min)',
    });
    const hour = [{ type: 'text', text: SYSTEM[0]!.text, cache_control: { type: 'ephemeral', ttl: '1h' } }];
    const h1 = [user('fix the bug'), assistant('looking'), user('go on')];
    const a = req({
      body: body(h1, { system: hour }),
      at: 0,
      endedAt: 3_000,
      usage: { input: 5, output: 9, cacheRead: 0, cacheWrite: 20_000 },
    });
    const b = req({
      body: body(history, { system: hour }),
      at: 3_000 + 20 * MIN,
      usage: { input: 5, output: 9, cacheRead: 0, cacheWrite: 20_100 },
    });
    const c = req({
      body: body([...history, assistant('ok'), user('more')], { system: hour }),
      at: 3_000 + 90 * MIN,
      usage: { input: 5, output: 9, cacheRead: 0, cacheWrite: 20_200 },
    });
    const s = analyzeSession([a, b, c], prices);
    // 20 minutes is inside the 1-hour TTL: nothing in the request explains it.
    expect(s.byRequest.get(b.id)!.cache_break!.cause).toBe('unknown');
    expect(s.byRequest.get(c.id)!.cache_break).toMatchObject({
      cause: 'ttl_expired',
      detail: expect.stringContaining('cache TTL 1 h'),
    });
    // Priced at the 1-hour write rate ($6/M for claude-sonnet-4-6).
    expect(s.byRequest.get(c.id)!.cache_break!.extra_cost_usd).toBeCloseTo((20_100 * (6 - 0.3)) / 1e6, 8);
  });

  it('compares a request with its own thread: a title call in between is not the previous request', () => {
    const a = req({
      body: body([user('fix the bug')]),
      at: 0,
      usage: { input: 5, output: 9, cacheRead: 0, cacheWrite: 20_000 },
    });
    const title = req({
      body: {
        model: 'claude-haiku-4-5',
        system: 'You are naming a coding session',
        messages: [user('<session>fix the bug</session>')],
      },
      model: 'claude-haiku-4-5',
      prompt: '<session>fix the bug</session>',
      at: 1_000,
      usage: { input: 300, output: 9, cacheRead: 0, cacheWrite: 0 },
    });
    const b = req({
      body: body([user('fix the bug'), assistant('ok'), user('next')]),
      at: 5_000,
      usage: { input: 5, output: 9, cacheRead: 20_000, cacheWrite: 200 },
    });
    const s = analyzeSession([a, title, b], prices);
    expect(s.byRequest.get(b.id)!.cache_break).toBeNull();
    expect(s.byRequest.get(title.id)!.cache_break).toBeNull();
  });
});

describe('subagents', () => {
  const prompt = 'Find the files that define the proxy routes and list them.';
  const agentSystem = [
    { type: 'text', text: "You are an agent for Claude Code, Anthropic's official CLI for Claude." },
  ];

  function session() {
    const m1 = req({
      body: body([user('where are the routes?')]),
      at: 0,
      endedAt: 2_000,
      durationMs: 2_000,
      usage: { input: 10, output: 80, cacheRead: 0, cacheWrite: 20_000 },
      calls: [
        {
          id: 'toolu_spawn',
          name: 'Agent',
          arguments: JSON.stringify({ description: 'Find routes', prompt, subagent_type: 'Explore' }),
        },
      ],
    });
    const s1 = req({
      body: { model: 'claude-haiku-4-5', system: agentSystem, tools: TOOLS, messages: [user(prompt)] },
      model: 'claude-haiku-4-5',
      at: 2_500,
      endedAt: 4_000,
      durationMs: 1_500,
      usage: { input: 3_000, output: 200, cacheRead: 0, cacheWrite: 0 },
    });
    const s2 = req({
      body: {
        model: 'claude-haiku-4-5',
        system: agentSystem,
        tools: TOOLS,
        messages: [user(prompt), assistant('grep'), user('results')],
      },
      model: 'claude-haiku-4-5',
      at: 4_500,
      endedAt: 6_000,
      durationMs: 1_500,
      usage: { input: 3_500, output: 300, cacheRead: 0, cacheWrite: 0 },
    });
    const m2 = req({
      body: body([
        user('where are the routes?'),
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_spawn', name: 'Agent', input: { prompt } }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'toolu_spawn', content: 'src/proxy/routes.ts' }],
        },
      ]),
      at: 6_500,
      endedAt: 8_000,
      durationMs: 1_500,
      usage: { input: 40, output: 60, cacheRead: 20_000, cacheWrite: 100 },
    });
    return { m1, s1, s2, m2, a: analyzeSession([m1, s1, s2, m2], prices) };
  }

  it('gives the subagent requests an agent with the spawning call and its label; the main thread has none', () => {
    const { m1, s1, s2, m2, a } = session();
    const agent = { id: 'agent-1', parent_tool_use_id: 'toolu_spawn', label: 'Explore: Find routes' };
    expect(a.byRequest.get(s1.id)!.agent).toEqual(agent);
    expect(a.byRequest.get(s2.id)!.agent).toEqual(agent);
    expect(a.byRequest.get(m1.id)!.agent).toBeNull();
    expect(a.byRequest.get(m2.id)!.agent).toBeNull();
    // The subagent's own cache starts cold: that is no break of the main thread's cache.
    expect(a.session.cache_breaks.count).toBe(0);
  });

  it('lays the session out in lanes under the spawning request and splits totals main vs subagents', () => {
    const { m1, s1, s2, m2, a } = session();
    expect(a.session.lanes.map((l) => [l.id, l.request_ids, l.parent_request_id])).toEqual([
      ['main', [m1.id, m2.id], null],
      ['agent-1', [s1.id, s2.id], m1.id],
    ]);
    expect(a.session.subagents).toMatchObject({
      requests: 2,
      input_tokens: 6_500,
      output_tokens: 500,
      duration_ms: 3_000,
    });
    expect(a.session.main).toMatchObject({
      requests: 2,
      input_tokens: 50,
      cache_read_tokens: 20_000,
      cache_write_tokens: 20_100,
    });
    expect(a.session.subagents.cost_usd).toBeGreaterThan(0);
    expect(a.session.lanes[1]!.totals).toEqual(a.session.subagents);
  });

  it('finds the spawning call in a later request history when the response was not recorded', () => {
    const { s1, m2 } = session();
    const a = analyzeSession([s1, m2], prices);
    expect(a.byRequest.get(s1.id)!.agent).toMatchObject({ id: 'agent-1', parent_tool_use_id: 'toolu_spawn' });
  });

  it('still lanes a subagent whose spawning call is unknown, by its system prompt', () => {
    const { s1, s2 } = session();
    const a = analyzeSession([s1, s2], prices);
    expect(a.byRequest.get(s1.id)!.agent).toEqual({
      id: 'agent-1',
      parent_tool_use_id: null,
      label: prompt.slice(0, 60),
    });
  });
});

describe('compaction', () => {
  it('marks the first request on a Claude Code summary with the input before and after, and its cache break', () => {
    const long = [user('build it'), assistant('a'.repeat(100)), user('more')];
    const m1 = req({
      body: body(long),
      at: 0,
      usage: { input: 10, output: 50, cacheRead: 90_000, cacheWrite: 2_000 },
    });
    const summarize = req({
      body: body([
        ...long,
        user('Your task is to create a detailed summary of the conversation so far, paying close attention'),
      ]),
      prompt: 'Your task is to create a detailed summary of the conversation so far, paying close attention',
      at: 10_000,
      usage: { input: 30, output: 3_000, cacheRead: 92_000, cacheWrite: 0 },
    });
    const after = req({
      body: body([
        user(
          'This session is being continued from a previous conversation that ran out of context. Summary: …',
        ),
      ]),
      at: 20_000,
      usage: { input: 10, output: 50, cacheRead: 0, cacheWrite: 14_000 },
    });
    const next = req({
      body: body([
        user(
          'This session is being continued from a previous conversation that ran out of context. Summary: …',
        ),
        assistant('ok'),
        user('go'),
      ]),
      at: 30_000,
      usage: { input: 10, output: 50, cacheRead: 14_000, cacheWrite: 100 },
    });
    const a = analyzeSession([m1, summarize, after, next], prices);
    expect(a.byRequest.get(after.id)!.compaction).toEqual({ tokens_before: 92_010, tokens_after: 14_010 });
    expect(a.byRequest.get(after.id)!.cache_break).toMatchObject({ cause: 'compaction' });
    expect(a.byRequest.get(next.id)!.compaction).toBeNull();
    expect(a.byRequest.get(m1.id)!.compaction).toBeNull();
    expect(a.session.compactions).toBe(1);
  });

  it('marks a Codex request whose input carries a compaction item', () => {
    const base = { model: 'gpt-5.1-codex', instructions: 'You are Codex.' };
    const r1 = req({
      dialect: 'openai',
      endpoint: 'responses',
      model: 'gpt-5.1-codex',
      body: {
        ...base,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }],
      },
      usage: { input: 50_000, output: 10, cacheRead: 40_000, cacheWrite: null },
    });
    const r2 = req({
      dialect: 'openai',
      endpoint: 'responses',
      model: 'gpt-5.1-codex',
      body: {
        ...base,
        input: [
          { type: 'compaction', encrypted_content: 'x' },
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'next' }] },
        ],
      },
      usage: { input: 3_000, output: 10, cacheRead: 0, cacheWrite: null },
    });
    const a = analyzeSession([r1, r2], prices);
    expect(a.byRequest.get(r2.id)!.compaction).toEqual({ tokens_before: 90_000, tokens_after: 3_000 });
    expect(a.byRequest.get(r2.id)!.cache_break).toMatchObject({
      cause: 'compaction',
      tokens_rewritten: 3_000,
    });
  });
});
