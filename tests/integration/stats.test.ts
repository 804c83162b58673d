// `lunaroute stats` over real recorded traffic (fake provider on loopback, through the proxy): per-request cost
// from each row's own token kinds, unpriced models listed and never $0, count_tokens free and classified, stable
// JSON; and the aggregate query over a generated 100 000-request index answering well under a second.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { computeStats, type StatsResult } from '../../src-main/analytics/stats.js';
import { main } from '../../src-main/cli.js';
import { openIndex } from '../../src-main/index/db.js';
import type { SessionDetail } from '../../src-main/index/queries.js';
import { useRecordingStack } from '../support/recording-stack.js';

const stack = useRecordingStack({ dataDirPrefix: 'lunaroute-stats-' });

async function cli(...args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    context: { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, homeDir: stack.dataDir },
  });
  return { code, out, err };
}

describe('lunaroute stats', () => {
  it('sums cost per request from its own token kinds; unpriced models are listed, never $0', async () => {
    const sid = 'stats-session-1';
    const headers = { 'x-claude-code-session-id': sid };
    const a = new Anthropic({
      apiKey: 'sk-ant-stats',
      baseURL: stack.core.proxyUrl,
      maxRetries: 0,
      defaultHeaders: headers,
    });
    const o = new OpenAI({
      apiKey: 'sk-stats',
      baseURL: `${stack.core.proxyUrl}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'session-id': sid },
    });
    await a.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await a.messages.countTokens({
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'count me' }],
    });
    await o.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    await o.chat.completions.create({ model: 'local-model-x', messages: [{ role: 'user', content: 'hi' }] });
    await stack.core.recorder.client.flush();
    const detail = await stack.core.recorder.client.query<SessionDetail | null>('sessions.get', { id: sid });
    const rows = (detail?.requests ?? []) as unknown as Record<string, number | string | null>[];
    expect(rows).toHaveLength(4);
    const byModel = (m: string, endpoint = 'messages'): Record<string, number | string | null> =>
      rows.find(
        (r) =>
          (r['model_requested'] === m || r['model'] === m) &&
          (r['endpoint'] === endpoint || endpoint === '*'),
      )!;
    const haiku = byModel('claude-haiku-4-5');
    const n = (k: string, r: Record<string, unknown>): number => (r[k] as number | null) ?? 0;
    // Haiku 4.5: $1 in, $5 out, $0.10 read, $1.25 write per MTok.
    const haikuCost =
      (n('input_tokens', haiku) * 1 +
        n('output_tokens', haiku) * 5 +
        n('cache_read_tokens', haiku) * 0.1 +
        n('cache_write_tokens', haiku) * 1.25) /
      1e6;
    expect(haiku).toMatchObject({ cost_status: 'priced', priced: 1, class: 'main' });
    expect(haiku['cost_usd']).toBeCloseTo(haikuCost, 10);
    expect(byModel('claude-haiku-4-5', 'count_tokens')).toMatchObject({
      cost_usd: 0,
      cost_status: 'free',
      class: 'count_tokens',
    });
    const gpt = byModel('gpt-5', 'chat_completions');
    // gpt-5: input is already uncached; $1.25 in, $0.125 cached, $10 out.
    const gptCost =
      (n('input_tokens', gpt) * 1.25 + n('cache_read_tokens', gpt) * 0.125 + n('output_tokens', gpt) * 10) /
      1e6;
    expect(gpt['cost_usd']).toBeCloseTo(gptCost, 10);
    expect(byModel('local-model-x', 'chat_completions')).toMatchObject({
      cost_usd: null,
      cost_status: 'unpriced',
      priced: 0,
    });
    expect(detail?.session).toMatchObject({ unpriced_count: 1 });
    expect((detail?.session as unknown as { cost_usd: number }).cost_usd).toBeCloseTo(
      haikuCost + gptCost,
      10,
    );

    await stack.core.stop();
    const json = await cli('stats', '--json', '--by', 'model', '--data-dir', stack.dataDir);
    expect(json.err).toBe('');
    const r = JSON.parse(json.out) as StatsResult;
    expect(r.totals).toMatchObject({
      requests: 4,
      priced_requests: 3,
      unpriced_requests: 1,
      priced_share: 0.75,
    });
    expect(r.totals.cost_usd).toBeCloseTo(haikuCost + gptCost, 6);
    expect(r.unpriced_models).toEqual(['local-model-x']);
    expect(r.groups.find((g) => g.key === 'local-model-x')).toMatchObject({
      cost_usd: 0,
      unpriced_requests: 1,
    });
    expect(Object.keys(r).sort()).toEqual(
      [
        'by',
        'classes',
        'groups',
        'limits',
        'sessions',
        'since',
        'totals',
        'tools',
        'unpriced_models',
        'until',
      ].sort(),
    );
    expect(r.classes.map((c) => c.key).sort()).toEqual(['count_tokens', 'main']);
    expect(r.limits).toEqual({}); // the fake provider sends no rate-limit headers on success

    const text = await cli('stats', '--by', 'model', '--data-dir', stack.dataDir);
    expect(text.out).toMatch(/unpriced: local-model-x/);
    expect(text.out).toMatch(/local-model-x .* unpriced/);
    expect(text.out).toMatch(/priced 75\.0% of requests with usage/);
    const bad = await cli('stats', '--by', 'week', '--data-dir', stack.dataDir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--by takes day, model, client, tool, class, project, branch, got "week"/);
  });
});

describe('stats over a large index', () => {
  it('aggregates 100 000 requests and 50 000 tool calls with exact totals for every grouping', async () => {
    const { db } = await openIndex(null);
    const now = Date.now();
    db.db.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
      INSERT INTO requests (id, session_id, at, dialect, endpoint, transport, client, method, url, model, stream,
        request_bytes, outcome, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
        cost_usd, cost_status, priced, class)
      SELECT 'r' || i, 's' || (i / 20), ${now} - i * 6000, 'anthropic', 'messages', 'http', 'claude_code', 'POST',
        '/v1/messages', CASE i % 3 WHEN 0 THEN 'claude-opus-4-5' WHEN 1 THEN 'claude-haiku-4-5' ELSE 'mystery' END, 1,
        1000, 'completed', 100, 50, 1000, 10, 5,
        CASE WHEN i % 3 = 2 THEN NULL ELSE 0.001 END, CASE WHEN i % 3 = 2 THEN 'unpriced' ELSE 'priced' END,
        CASE WHEN i % 3 = 2 THEN 0 ELSE 1 END, CASE WHEN i % 10 = 0 THEN 'title' ELSE 'main' END FROM n;
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
      INSERT INTO tool_calls (id, session_id, request_id, name, kind, called_at, result_request_id, latency_ms, is_error)
      SELECT 't' || i, 's' || (i / 10), 'r' || i, 'tool' || (i % 30), 'function', ${now} - i * 12000, 'r' || (i + 1),
        i % 1000, i % 17 = 0 FROM n;`);
    // How long these take is measured by `npm run bench -- recording` (index section), not asserted here.
    for (const by of ['day', 'model', 'client', 'tool', 'class'] as const) {
      const r = computeStats(db, { since: now - 30 * 86_400_000, by });
      expect(r.totals.requests).toBe(100_000);
    }
    const r = computeStats(db, { by: 'tool' });
    expect(r.tools).toHaveLength(30);
    expect(r.totals.priced_share).toBeCloseTo(2 / 3, 4);
    db.db.close();
  }, 60_000);
});
