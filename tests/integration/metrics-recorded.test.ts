// The per-request series of /metrics (tokens, cost, tool calls and latency, time to first token, outcomes,
// redactions), computed in the recorder worker from what it recorded: real SDK traffic through the proxy to the
// fake provider, then /metrics parsed with a strict text-format parser and every value checked against what the
// fake provider sent (its usage numbers, in each provider's semantics) and what the test did.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { requestCost } from '../../src-main/analytics/cost.js';
import type { RecordedRequest } from '../support/fake-provider/index.js';
import { useRecordingStack } from '../support/recording-stack.js';
import { parsePrometheus, sampleValue, type Family } from '../support/prom-parse.js';
import { rawRequest } from '../support/http.js';

const stack = useRecordingStack({ dataDirPrefix: 'lunaroute-metrics-' });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function scrape(): Promise<Map<string, Family>> {
  const res = await rawRequest(stack.core.proxyUrl + '/metrics');
  expect(res.status).toBe(200);
  return parsePrometheus(res.body.toString());
}

function total(f: Map<string, Family>, name: string): number {
  return (f.get(name)?.samples ?? []).reduce((a, s) => a + s.value, 0);
}

describe('recorded-request metrics', () => {
  it('exports tokens, cost, tool calls and latency, TTFT, outcomes and redactions with bounded labels', async () => {
    const anthropic = new Anthropic({
      apiKey: 'sk-ant-metrics',
      baseURL: stack.core.proxyUrl,
      maxRetries: 0,
    });
    const openai = new OpenAI({ apiKey: 'sk-metrics', baseURL: `${stack.core.proxyUrl}/v1`, maxRetries: 0 });
    const claude = 'claude-sonnet-4-5-20250929';
    const cc = { headers: { 'x-claude-code-session-id': 'metrics-session-1' } };
    const tools: Anthropic.Tool[] = [
      {
        name: 'Bash',
        description: 'run',
        input_schema: { type: 'object', properties: { command: { type: 'string' } } },
      },
    ];
    // 1-2. A tool loop (Claude Code, streamed): a Bash call, a measurable pause, then its result.
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'SCENARIO:tool metrics loop' }];
    const call = await anthropic.messages
      .stream({ model: claude, max_tokens: 50, tools, messages }, cc)
      .finalMessage();
    const use = call.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use.name).toBe('Bash');
    await sleep(120);
    messages.push({ role: 'assistant', content: call.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'ok' }] });
    await anthropic.messages.stream({ model: claude, max_tokens: 50, tools, messages }, cc).finalMessage();
    // 3. A plain SDK request carrying an email (redacted by the default mask policy).
    const email = ['metrics.person', 'example-corp.io'].join('@');
    await anthropic.messages.create({
      model: claude,
      max_tokens: 50,
      messages: [{ role: 'user', content: `please write to ${email}` }],
    });
    // 4. OpenAI Chat, streamed with usage, a priced model.
    const chunks = await openai.chat.completions.create({
      model: 'gpt-5.4-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hello metrics' }],
    });
    for await (const _c of chunks) void _c;
    // 5. An unpriced model.
    await openai.chat.completions.create({
      model: 'metrics-unpriced-model',
      messages: [{ role: 'user', content: 'x' }],
    });
    // 6. A failed request.
    await expect(
      openai.chat.completions.create({
        model: 'gpt-5.4-mini',
        messages: [{ role: 'user', content: 'SCENARIO:error-500' }],
      }),
    ).rejects.toThrow();

    // Wait for the recorder's numbers to reach /metrics (flush, then poll; bounded).
    let f = await scrape();
    const deadline = Date.now() + 10_000;
    while (total(f, 'lunaroute_recorded_requests_total') < 6) {
      if (Date.now() > deadline) throw new Error('the recorded-request metrics did not arrive');
      await stack.core.recorder.client.flush();
      await sleep(50);
      f = await scrape();
    }

    // Every family is typed, documented and follows the naming conventions.
    for (const [name, type] of [
      ['lunaroute_tokens_total', 'counter'],
      ['lunaroute_cost_usd_total', 'counter'],
      ['lunaroute_requests_unpriced_total', 'counter'],
      ['lunaroute_tool_calls_total', 'counter'],
      ['lunaroute_tool_latency_seconds', 'histogram'],
      ['lunaroute_time_to_first_token_seconds', 'histogram'],
      ['lunaroute_recorded_requests_total', 'counter'],
      ['lunaroute_redactions_total', 'counter'],
    ] as const) {
      expect(f.get(name)?.type, name).toBe(type);
      expect(f.get(name)?.help, name).toBeTruthy();
    }
    // No session ids (nor any other unbounded value) as labels.
    const labelNames = new Set<string>();
    for (const fam of f.values())
      if (fam.name.startsWith('lunaroute_'))
        for (const s of fam.samples) for (const l of Object.keys(s.labels)) labelNames.add(l);
    expect(labelNames.has('session_id')).toBe(false);
    expect(JSON.stringify([...f.values()].flatMap((x) => x.samples))).not.toContain('metrics-session-1');

    // Outcomes.
    expect(
      sampleValue(f, 'lunaroute_recorded_requests_total', { dialect: 'anthropic', outcome: 'completed' }),
    ).toBe(3);
    expect(
      sampleValue(f, 'lunaroute_recorded_requests_total', { dialect: 'openai', outcome: 'completed' }),
    ).toBe(2);
    expect(
      sampleValue(f, 'lunaroute_recorded_requests_total', { dialect: 'openai', outcome: 'failed' }),
    ).toBe(1);

    // Tokens, from what the fake sent. Anthropic input excludes cache; the fake's OpenAI prompt_tokens are
    // input + cacheRead + cacheWrite with cached_tokens = cacheRead, so the uncached input is input + cacheWrite.
    const sent = stack.fake.requests.filter((r) => r.usageSent);
    const byModel = (m: string): RecordedRequest[] =>
      sent.filter((r) => (r.json as { model?: string }).model === m);
    const sum = (
      rs: RecordedRequest[],
      k: 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning',
    ): number => rs.reduce((a, r) => a + r.usageSent![k], 0);
    const anth = byModel(claude);
    expect(anth).toHaveLength(3);
    const tok = (client: string, family: string, kind: string, dialect = 'anthropic'): number =>
      sampleValue(f, 'lunaroute_tokens_total', { dialect, client, model_family: family, kind }) ?? 0;
    const cc2 = anth.slice(0, 2);
    const sdk1 = anth.slice(2);
    for (const [client, rs] of [
      ['claude_code', cc2],
      ['sdk', sdk1],
    ] as const) {
      expect(tok(client, 'claude-sonnet-4-5', 'input')).toBe(sum(rs, 'input'));
      expect(tok(client, 'claude-sonnet-4-5', 'output')).toBe(sum(rs, 'output'));
      expect(tok(client, 'claude-sonnet-4-5', 'cache_read')).toBe(sum(rs, 'cacheRead'));
      expect(tok(client, 'claude-sonnet-4-5', 'cache_write')).toBe(sum(rs, 'cacheWrite'));
    }
    const gpt = byModel('gpt-5.4-mini').filter((r) => r.status === 200);
    expect(gpt).toHaveLength(1);
    expect(tok('sdk', 'gpt-5.4-mini', 'input', 'openai')).toBe(sum(gpt, 'input') + sum(gpt, 'cacheWrite'));
    expect(tok('sdk', 'gpt-5.4-mini', 'output', 'openai')).toBe(sum(gpt, 'output'));
    expect(tok('sdk', 'gpt-5.4-mini', 'cache_read', 'openai')).toBe(sum(gpt, 'cacheRead'));
    expect(tok('sdk', 'gpt-5.4-mini', 'reasoning', 'openai')).toBe(sum(gpt, 'reasoning'));

    // Cost: priced requests only, at the bundled rates; the unpriced model is counted, never $0.
    const costOf = (model: string, rs: RecordedRequest[], openaiSemantics: boolean): number =>
      rs.reduce((a, r) => {
        const u = r.usageSent!;
        const usage = {
          input: openaiSemantics ? u.input + u.cacheWrite : u.input,
          output: u.output,
          cacheRead: u.cacheRead || null,
          cacheWrite: openaiSemantics ? null : u.cacheWrite || null,
        };
        return a + requestCost({ model, usage }).usd!;
      }, 0);
    const cost = (dialect: string, client: string, family: string): number | undefined =>
      sampleValue(f, 'lunaroute_cost_usd_total', { dialect, client, model_family: family });
    expect(cost('anthropic', 'claude_code', 'claude-sonnet-4-5')).toBeCloseTo(costOf(claude, cc2, false), 8);
    expect(cost('anthropic', 'sdk', 'claude-sonnet-4-5')).toBeCloseTo(costOf(claude, sdk1, false), 8);
    expect(cost('openai', 'sdk', 'gpt-5.4-mini')).toBeCloseTo(costOf('gpt-5.4-mini', gpt, true), 8);
    expect(cost('openai', 'sdk', 'metrics-unpriced-model')).toBeUndefined();
    expect(sampleValue(f, 'lunaroute_requests_unpriced_total')).toBe(1);

    // Tool calls and their latency (the pause of ≥120 ms is inside the observation).
    expect(sampleValue(f, 'lunaroute_tool_calls_total', { tool: 'Bash' })).toBe(1);
    expect(sampleValue(f, 'lunaroute_tool_latency_seconds_count', { tool: 'Bash' })).toBe(1);
    expect(sampleValue(f, 'lunaroute_tool_latency_seconds_sum', { tool: 'Bash' })).toBeGreaterThanOrEqual(
      0.1,
    );
    expect(sampleValue(f, 'lunaroute_tool_latency_seconds_bucket', { tool: 'Bash', le: '0.05' })).toBe(0);

    // Time to first token: one observation per request with content.
    expect(sampleValue(f, 'lunaroute_time_to_first_token_seconds_count', { dialect: 'anthropic' })).toBe(3);
    expect(sampleValue(f, 'lunaroute_time_to_first_token_seconds_count', { dialect: 'openai' })).toBe(2);

    // Redactions: the email, by detector.
    expect(sampleValue(f, 'lunaroute_redactions_total', { detector: 'email' })).toBeGreaterThanOrEqual(1);
  });
});
