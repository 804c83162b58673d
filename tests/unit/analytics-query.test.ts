// The `analytics` query's arithmetic over a hand-built index: series buckets, priced cost (unpriced never $0),
// cache hit ratio and money saved (input rate minus cache-read rate, priced rows only), priced shares, tools, the
// time split and class shares — every expectation computed by hand from the bundled prices.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAnalytics, type AnalyticsResult } from '../../src-main/analytics/analytics.js';
import { openIndex } from '../../src-main/index/db.js';
import type { IndexStore } from '../../src-main/index/db.js';
import { statementsFor } from '../../src-main/index/indexer.js';
import { QUERIES } from '../../src-main/index/queries.js';
import { parseResult } from '../../src-shared/contract.js';
import type { Usage } from '../../src-shared/exchange.js';
import type {
  RecordLine,
  RequestLine,
  ResponseLine,
  SessionLine,
  ToolResultLine,
} from '../../src-shared/records.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const D0 = Date.UTC(2026, 10, 25);
const D1 = D0 + DAY;

const session = (id: string, client: SessionLine['client'], at: number): SessionLine => ({
  type: 'session',
  v: 1,
  session_id: id,
  at,
  client,
  client_version: null,
  user_agent: null,
  id_source: 'session-id',
});

const request = (
  id: string,
  sid: string,
  at: number,
  model: string,
  client: RequestLine['client'],
  tool_results: ToolResultLine[] = [],
): RequestLine => ({
  type: 'request',
  v: 1,
  id,
  session_id: sid,
  at,
  dialect: client === 'codex' ? 'openai' : 'anthropic',
  endpoint: client === 'codex' ? 'chat_completions' : 'messages',
  transport: 'http',
  method: 'POST',
  url: '/v1/x',
  upstream_url: 'http://127.0.0.1/v1/x',
  client,
  headers_ref: null,
  credential_source: 'client',
  body: { model, max_tokens: 1000 },
  body_text: null,
  body_bytes: 10,
  body_truncated: false,
  body_encoding: null,
  model,
  stream: false,
  prompt: 'hi',
  message_count: 1,
  tool_count: 2,
  system_chars: 0,
  tool_results,
});

const usage = (
  input: number | null,
  cacheRead: number | null,
  cacheWrite: number | null,
  output: number | null,
) => ({ input, cacheRead, cacheWrite, output, reasoning: null, raw: null }) satisfies Usage;

const response = (
  req: RequestLine,
  u: Usage,
  duration: number,
  outcome: ResponseLine['outcome'] = 'completed',
  toolCall?: { id: string; name: string },
): ResponseLine => ({
  type: 'response',
  v: 1,
  id: req.id,
  session_id: req.session_id,
  at: req.at + duration,
  status: outcome === 'failed' ? 500 : 200,
  headers: null,
  outcome,
  reason: outcome === 'failed' ? 'upstream_status' : outcome === 'interrupted' ? 'client_abort' : null,
  error: null,
  response: {
    content: toolCall ? [{ type: 'tool_call', kind: 'function', arguments: '{}', ...toolCall }] : [],
  } as never,
  body_text: null,
  model: req.model,
  usage: u,
  stop_reason: null,
  timings: {
    ttfb_ms: 100,
    first_content_ms: 150,
    duration_ms: duration,
    provider_ms: null,
    overhead_ms: null,
  },
  response_bytes: 10,
  chunks: 1,
  truncated: false,
});

let index: IndexStore;

beforeAll(async () => {
  index = (await openIndex(null)).db;
  const r1 = request('r1', 's1', D0 + HOUR, 'claude-haiku-4-5', 'claude_code');
  const r2 = request('r2', 's1', D0 + HOUR + 5_000, 'claude-haiku-4-5', 'claude_code', [
    { id: 't1', is_error: true, call_request_id: 'r1', latency_ms: 3_000 },
  ]);
  const r3 = request('r3', 's1', D0 + HOUR + 10_000, 'claude-haiku-4-5', 'claude_code');
  const r4 = request('r4', 's2', D1 + 2 * HOUR, 'gpt-5', 'codex');
  const r5 = request('r5', 's2', D1 + 3 * HOUR, 'local-model-x', 'codex');
  const lines: { line: RecordLine; file: string }[] = [
    session('s1', 'claude_code', D0 + HOUR),
    r1,
    response(r1, usage(1_000, 9_000, 500, 200), 2_000, 'completed', { id: 't1', name: 'Bash' }),
    r2,
    response(r2, usage(100, 10_000, 0, 50), 1_000),
    r3,
    response(r3, usage(null, null, null, null), 500, 'failed'),
    session('s2', 'codex', D1 + 2 * HOUR),
    r4,
    response(r4, usage(2_000, 1_000, null, 100), 1_500),
    r5,
    response(r5, usage(400, 600, null, 40), 800, 'interrupted'),
  ].map((line) => ({ line, file: `x/${'session_id' in line ? line.session_id : ''}.jsonl` }));
  index.runSync(lines.flatMap(({ line, file }) => statementsFor(line, file)));
});

afterAll(() => index.db.close());

// Haiku 4.5: $1 in, $5 out, $1.25 write, $0.10 read; gpt-5: $1.25 in, $0.125 cached, $10 out (per MTok).
const COST_R1 = (1_000 * 1 + 200 * 5 + 9_000 * 0.1 + 500 * 1.25) / 1e6; // 0.003525
const COST_R2 = (100 * 1 + 50 * 5 + 10_000 * 0.1) / 1e6; // 0.00135
const COST_R4 = (2_000 * 1.25 + 1_000 * 0.125 + 100 * 10) / 1e6; // 0.003625

describe('analytics query', () => {
  let r: AnalyticsResult;
  beforeAll(() => {
    r = computeAnalytics(index, { bucket: 'day', tzOffsetMinutes: 0 });
  });

  it('totals: priced cost only, errors and interruptions counted', () => {
    expect(r.totals).toMatchObject({
      requests: 5,
      errors: 1,
      interruptions: 1,
      input_tokens: 3_500,
      cache_read_tokens: 20_600,
      cache_write_tokens: 500,
      output_tokens: 390,
      priced_requests: 3,
      unpriced_requests: 1,
    });
    expect(r.totals.cost_usd).toBeCloseTo(COST_R1 + COST_R2 + COST_R4, 10);
    expect(r.totals.cost_usd).toBeCloseTo(0.0085, 10);
    expect(r.sessions).toBe(2);
  });

  it('series by day: one point per day with its own sums', () => {
    expect(r.bucket_ms).toBe(DAY);
    expect(r.series.map((p) => p.t)).toEqual([D0, D1]);
    expect(r.series[0]).toMatchObject({ requests: 3, errors: 1, interruptions: 0, input_tokens: 1_100 });
    expect(r.series[0]!.cost_usd).toBeCloseTo(COST_R1 + COST_R2, 10);
    expect(r.series[1]).toMatchObject({
      requests: 2,
      interruptions: 1,
      priced_requests: 1,
      unpriced_requests: 1,
    });
    expect(r.series[1]!.cost_usd).toBeCloseTo(COST_R4, 10);
  });

  it('tokens and cost over time split by model and by client (aligned with the series buckets)', () => {
    // Day 0: haiku r1 (1000 + 9000 + 500 + 200) and r2 (100 + 10000 + 50); day 1: gpt-5 r4 (2000 + 1000 + 100),
    // local-model-x r5 (400 + 600 + 40, unpriced).
    expect(r.split_by_model.keys).toEqual(['claude-haiku-4-5', 'gpt-5', 'local-model-x']);
    expect(r.split_by_model.points.map((p) => p.t)).toEqual([D0, D1]);
    expect(r.split_by_model.points.map((p) => p.tokens)).toEqual([
      [20_850, 0, 0],
      [0, 3_100, 1_040],
    ]);
    expect(r.split_by_model.points[0]!.cost_usd[0]).toBeCloseTo(COST_R1 + COST_R2, 10);
    expect(r.split_by_model.points[1]!.cost_usd[1]).toBeCloseTo(COST_R4, 10);
    expect(r.split_by_model.points[1]!.cost_usd[2]).toBe(0); // unpriced: no cost counted, flagged in `series`
    expect(r.split_by_client.keys).toEqual(['claude_code', 'codex']);
    expect(r.split_by_client.points.map((p) => p.tokens)).toEqual([
      [20_850, 0],
      [0, 4_140],
    ]);
  });

  it('series by hour from `since`: empty hours are filled with zeros', () => {
    const h = computeAnalytics(index, { since: D0, bucket: 'hour', tzOffsetMinutes: 0 });
    expect(h.series).toHaveLength(28); // D0 00:00 … D1 03:00
    expect(h.series[0]).toMatchObject({ t: D0, requests: 0, cost_usd: 0 });
    expect(h.series[1]).toMatchObject({ t: D0 + HOUR, requests: 3 });
    expect(h.series[27]).toMatchObject({ t: D1 + 3 * HOUR, requests: 1, unpriced_requests: 1, cost_usd: 0 });
    // `since` filters requests: from D1 on only s2 remains.
    const later = computeAnalytics(index, { since: D1, bucket: 'hour', tzOffsetMinutes: 0 });
    expect(later.totals.requests).toBe(2);
    expect(later.tools).toEqual([]);
  });

  it('cache: hit ratio over all usage, savings from priced reads only', () => {
    expect(r.cache.hit_ratio).toBeCloseTo(20_600 / (3_500 + 20_600), 6);
    // Saved = reads × (input rate − read rate): haiku (9000 + 10000) × 0.9, gpt-5 1000 × 1.125 (per MTok).
    expect(r.cache.saved_usd).toBeCloseTo((19_000 * 0.9 + 1_000 * 1.125) / 1e6, 10);
    expect(r.cache.saved_usd).toBeCloseTo(0.018225, 10);
    expect(r.cache.unpriced_cache_read_tokens).toBe(600);
  });

  it('priced share of requests and of tokens; unpriced models named', () => {
    expect(r.priced.requests_share).toBe(0.75);
    expect(r.priced.tokens_share).toBeCloseTo(
      (10_700 + 10_150 + 3_100) / (10_700 + 10_150 + 3_100 + 1_040),
      6,
    );
    expect(r.priced.unpriced_models).toEqual(['local-model-x']);
  });

  it('by model and client, with shares of tokens and cost', () => {
    const m = Object.fromEntries(r.by_model.map((g) => [g.key, g]));
    expect(m['claude-haiku-4-5']).toMatchObject({ requests: 3, failed: 1 });
    expect(m['claude-haiku-4-5']!.cost_share).toBeCloseTo((COST_R1 + COST_R2) / 0.0085, 6);
    expect(m['local-model-x']).toMatchObject({ cost_usd: 0, unpriced_requests: 1, cost_share: 0 });
    const c = Object.fromEntries(r.by_client.map((g) => [g.key, g]));
    expect(c['codex']!.token_share).toBeCloseTo((3_100 + 1_040) / 24_990, 6);
    expect(c['claude_code']!.cost_usd).toBeCloseTo(0.004875, 10);
    expect(r.classes).toHaveLength(1);
    expect(r.classes[0]).toMatchObject({ key: 'main', requests: 5, token_share: 1, cost_share: 1 });
  });

  it('tools and the slowest calls with their sessions', () => {
    expect(r.tools).toEqual([
      { name: 'Bash', calls: 1, errors: 1, error_rate: 1, latency_p50_ms: 3_000, latency_p95_ms: 3_000 },
    ]);
    expect(r.slowest_tools).toEqual([
      {
        name: 'Bash',
        session_id: 's1',
        request_id: 'r1',
        called_at: D0 + HOUR + 2_000,
        latency_ms: 3_000,
        is_error: true,
      },
    ]);
  });

  it('time split: model = request durations, tools = tool latencies, idle = the rest of each span', () => {
    // s1: span 10 500 (r1 at → r3 end), model 3 500, tool 3 000. s2: span 1 h + 800, model 2 300.
    expect(r.time_split).toEqual({
      sessions: 2,
      span_ms: 10_500 + HOUR + 800,
      model_ms: 3_500 + 2_300,
      tool_ms: 3_000,
      idle_ms: 10_500 - 3_500 - 3_000 + HOUR + 800 - 2_300,
    });
  });

  it('is a named query whose result passes the contract schema', () => {
    const q = QUERIES.analytics({ index, sessionsDir: '/nonexistent' }, { bucket: 'hour' });
    expect(() => parseResult('analytics.get', q)).not.toThrow();
    expect(q.totals.requests).toBe(5);
  });

  it('an empty index gives nulls for ratios, never NaN', async () => {
    const empty = (await openIndex(null)).db;
    const e = computeAnalytics(empty, {});
    expect(e.series).toEqual([]);
    expect(e.cache).toMatchObject({ hit_ratio: null, saved_usd: 0 });
    expect(e.priced).toMatchObject({ requests_share: null, tokens_share: null });
    expect(e.time_split).toMatchObject({ sessions: 0, span_ms: 0 });
    expect(() => parseResult('analytics.get', e)).not.toThrow();
    empty.db.close();
  });
});
