// Plan and rate limits end to end: a provider's response headers pass through the proxy (recording + mask
// redaction on), land in the index as the latest reading per window, and come back as `limits` in `stats.get`,
// `lunaroute stats --json` and the text output; the watch raises one `limit_near` problem at the threshold, and
// a reindex from the JSONL alone gives the same limits.
import type { ServerResponse } from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli.js';
import type { StatsResult } from '../../src-main/analytics/stats.js';
import { startRecordingStack, type RecordingStack } from '../support/recording-stack.js';

let stack: RecordingStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

async function cli(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...args, '--data-dir', dataDir], {
    context: { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, homeDir: dataDir },
  });
  return { code, out, err };
}

const NOW_S = Math.floor(Date.now() / 1000);
const RESET_5H = NOW_S + 3 * 3600;
const RESET_7D = NOW_S + 4 * 86400;

function answerAnthropic(s: RecordingStack, utilization5h: string): void {
  s.fake.enqueue((_req, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'request-id': 'req_limits',
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-5h-utilization': utilization5h,
      'anthropic-ratelimit-unified-5h-reset': String(RESET_5H),
      'anthropic-ratelimit-unified-7d-utilization': '0.12',
      'anthropic-ratelimit-unified-7d-reset': String(RESET_7D),
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    });
    res.end(
      JSON.stringify({
        id: 'msg_limits',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'ok' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 2 },
      }),
    );
  });
}

describe('plan and rate limits', () => {
  it('come from the last response headers into stats.get, stats --json and the text output, and survive a reindex', async () => {
    stack = await startRecordingStack({ dataDirPrefix: 'lunaroute-limits-', redaction: { mode: 'mask' } });
    const core = stack.core;
    const a = new Anthropic({ apiKey: 'sk-ant-limits', baseURL: core.proxyUrl, maxRetries: 0 });
    const ask = (): Promise<unknown> =>
      a.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'hi' }],
      });
    answerAnthropic(stack, '0.30');
    await ask();
    answerAnthropic(stack, '0.42');
    await ask();
    // Codex's plan windows come on the Responses API.
    stack.fake.enqueue((_req, res: ServerResponse) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-codex-primary-used-percent': '63',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-after-seconds': '1200',
        'x-codex-secondary-used-percent': '20',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-at': String(RESET_7D),
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '75',
        'x-ratelimit-reset-requests': '30s',
      });
      res.end(
        JSON.stringify({
          id: 'resp_1',
          object: 'response',
          status: 'completed',
          model: 'gpt-5-codex',
          output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] }],
          usage: { input_tokens: 5, output_tokens: 1, total_tokens: 6 },
        }),
      );
    });
    const o = new OpenAI({ apiKey: 'sk-limits', baseURL: `${core.proxyUrl}/v1`, maxRetries: 0 });
    await o.responses.create({ model: 'gpt-5-codex', input: 'hi' });
    await core.recorder.client.flush();

    const stats = await core.uiState.handlers()['stats.get']({});
    expect(stats.limits['anthropic']!['5h']).toMatchObject({
      utilization: 0.42,
      reset_at: RESET_5H * 1000,
      status: 'allowed',
      binding: true,
    });
    expect(stats.limits['anthropic']!['7d']).toMatchObject({ utilization: 0.12, reset_at: RESET_7D * 1000 });
    expect(stats.limits['codex']!['5h']!.utilization).toBe(0.63);
    expect(stats.limits['codex']!['7d']).toMatchObject({ utilization: 0.2, reset_at: RESET_7D * 1000 });
    expect(stats.limits['openai']!['requests']).toMatchObject({
      utilization: 0.25,
      limit: 100,
      remaining: 75,
    });
    const seen = stats.limits['anthropic']!['5h']!.seen_at;
    expect(Math.abs(seen - Date.now())).toBeLessThan(60_000);

    await core.stop();
    const json = await cli(stack.dataDir, 'stats', '--json');
    expect(json.err).toBe('');
    const r = JSON.parse(json.out) as StatsResult;
    expect(r.limits).toEqual(stats.limits);
    const text = await cli(stack.dataDir, 'stats');
    expect(text.out).toMatch(
      /^Limits {4}Anthropic 5 h: 42 % · resets \d\d:\d\d · 7 d: 12 % · resets \w{3} \d\d:\d\d \(seen \d\d:\d\d\)$/m,
    );
    expect(text.out).toMatch(/^ {10}Codex 5 h: 63 % · resets \d\d:\d\d · 7 d: 20 %/m);

    const re = await cli(stack.dataDir, 'reindex');
    expect(re.code).toBe(0);
    const after = JSON.parse((await cli(stack.dataDir, 'stats', '--json')).out) as StatsResult;
    expect(after.limits).toEqual(stats.limits);
  });

  it('raises one limit_near problem when a window crosses the threshold set in Settings, and none below it', async () => {
    stack = await startRecordingStack({ dataDirPrefix: 'lunaroute-limits-' });
    const core = stack.core;
    const a = new Anthropic({ apiKey: 'sk-ant-limits', baseURL: core.proxyUrl, maxRetries: 0 });
    answerAnthropic(stack, '0.42');
    await a.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await core.recorder.client.flush();
    const near = (): string[] =>
      core.uiState
        .recentProblems()
        .filter((p) => p.kind === 'limit_near')
        .map((p) => p.message);
    await core.limits.check();
    expect(near()).toEqual([]); // tests default to 0 = never
    const set = core.uiState.handlers()['settings.set'];
    const next = await set({ budgets: { limit_percent: 50 } });
    expect(next.budgets.limit_percent).toBe(50);
    await core.limits.check();
    expect(near()).toEqual([]);
    await set({ budgets: { limit_percent: 40 } });
    await core.limits.check();
    await core.limits.check();
    expect(near()).toEqual([
      expect.stringMatching(/^Anthropic limit at 40 % or more: 5 h: 42 % · resets \d\d:\d\d\.$/),
    ]);
  });
});
