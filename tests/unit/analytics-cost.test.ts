// Cost and token arithmetic per provider against hand-computed fixtures: Anthropic (input excludes cache; 5m and
// 1h writes; thinking inside output), OpenAI (input already uncached, cached tokens at the cached rate, reasoning
// inside output), long-context tiers, unknown counts and unpriced models.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { requestCost } from '../../src-main/analytics/cost.js';
import {
  BUNDLED_PRICES,
  buildPrices,
  bundledPrices,
  normalizeModel,
} from '../../src-main/analytics/prices.js';

const usage = (
  input: number | null,
  output: number | null,
  cacheRead: number | null = null,
  cacheWrite: number | null = null,
  raw: unknown = null,
): Parameters<typeof requestCost>[0]['usage'] => ({
  input,
  output,
  cacheRead,
  cacheWrite,
  raw: raw as never,
});

describe('requestCost', () => {
  it('Anthropic: input, output, cache read and 5-minute write each at their own rate', () => {
    // claude-sonnet-4-5: $3 in, $15 out, $0.30 read, $3.75 write (per MTok).
    // 1 000·3 + 500·15 + 20 000·0.30 + 4 000·3.75 = 3 000 + 7 500 + 6 000 + 15 000 = 31 500 µ$ → $0.0315
    const c = requestCost({ model: 'claude-sonnet-4-5-20250929', usage: usage(1_000, 500, 20_000, 4_000) });
    expect(c).toMatchObject({ status: 'priced', priceModel: 'claude-sonnet-4-5', tier: 'standard' });
    expect(c.usd).toBeCloseTo(0.0315, 10);
    expect(c.parts).toEqual({ input: 0.003, output: 0.0075, cacheRead: 0.006, cacheWrite: 0.015 });
  });

  it('Anthropic: 1-hour cache writes from the raw usage are billed at the 1-hour rate', () => {
    // claude-opus-4-5: write 5m $6.25, 1h $10. 4 000 writes of which 1 000 are 1-hour:
    // 3 000·6.25 + 1 000·10 = 28 750 µ$; plus 100 input·5 + 10 output·25 = 750 µ$ → $0.0295
    const raw = { cache_creation: { ephemeral_5m_input_tokens: 3_000, ephemeral_1h_input_tokens: 1_000 } };
    const c = requestCost({ model: 'claude-opus-4-5', usage: usage(100, 10, 0, 4_000, raw) });
    expect(c.usd).toBeCloseTo(0.0295, 10);
  });

  it('thinking/reasoning tokens are part of output and never billed twice', () => {
    // The fake provider's usage: input 25, output 80 (of which reasoning 30), read 100, write 50 on Haiku 4.5:
    // 25·1 + 80·5 + 100·0.10 + 50·1.25 = 25 + 400 + 10 + 62.5 = 497.5 µ$
    const c = requestCost({ model: 'claude-haiku-4-5', usage: { ...usage(25, 80, 100, 50) } });
    expect(c.usd).toBeCloseTo(0.0004975, 12);
  });

  it('OpenAI: input is already uncached; cached tokens at the cached rate; no cache write', () => {
    // Chat: prompt_tokens 10 000 with cached 8 000 → Usage.input 2 000, cacheRead 8 000; completion 1 000
    // (reasoning 600 inside). gpt-5: $1.25 in, $0.125 cached, $10 out.
    // 2 000·1.25 + 8 000·0.125 + 1 000·10 = 2 500 + 1 000 + 10 000 = 13 500 µ$
    const c = requestCost({ model: 'gpt-5-2025-08-07', usage: usage(2_000, 1_000, 8_000, null) });
    expect(c).toMatchObject({ status: 'priced', priceModel: 'gpt-5' });
    expect(c.usd).toBeCloseTo(0.0135, 10);
  });

  it('a long-context tier reprices every token of the request once the prompt passes its threshold', () => {
    // claude-sonnet-4-5 over 200K prompt tokens: $6 in, $22.50 out, $0.60 read, $7.50 write.
    // prompt = 150 000 + 60 000 read = 210 000 > 200 000.
    // 150 000·6 + 1 000·22.5 + 60 000·0.6 = 900 000 + 22 500 + 36 000 = 958 500 µ$
    const c = requestCost({ model: 'claude-sonnet-4-5', usage: usage(150_000, 1_000, 60_000, 0) });
    expect(c.tier).toBe('long_context');
    expect(c.usd).toBeCloseTo(0.9585, 10);
    // Exactly at the threshold it is still the standard tier.
    expect(requestCost({ model: 'claude-sonnet-4-5', usage: usage(200_000, 0) }).tier).toBe('standard');
    // gpt-5.4 over 272K: $5 in, $0.50 cached, $22.50 out.
    const g = requestCost({ model: 'gpt-5.4', usage: usage(100_000, 2_000, 200_000) });
    expect(g.usd).toBeCloseTo((100_000 * 5 + 2_000 * 22.5 + 200_000 * 0.5) / 1e6, 10);
  });

  it('an unpriced model is null and "unpriced", never $0', () => {
    const c = requestCost({ model: 'some-local-model', usage: usage(1_000, 100) });
    expect(c).toMatchObject({ usd: null, status: 'unpriced', priceModel: null });
  });

  it('unknown usage is null ("no_usage"); one unknown count gives a flagged partial lower bound', () => {
    expect(requestCost({ model: 'gpt-5', usage: usage(null, null) })).toMatchObject({
      usd: null,
      status: 'no_usage',
    });
    const p = requestCost({ model: 'gpt-5', usage: usage(1_000, null) });
    expect(p.status).toBe('partial');
    expect(p.usd).toBeCloseTo(0.00125, 12);
    expect(p.parts.output).toBeNull();
  });

  it('count_tokens and models are free', () => {
    expect(
      requestCost({ model: 'claude-opus-4-5', usage: usage(5_000, null), endpoint: 'count_tokens' }),
    ).toMatchObject({ usd: 0, status: 'free' });
  });
});

describe('prices', () => {
  it('every bundled entry has a source and the table an as_of date', () => {
    expect(BUNDLED_PRICES.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const m of BUNDLED_PRICES.models) {
      expect(m.source, m.model).toMatch(/^https:\/\//);
      expect(m.input, m.model).toBeGreaterThan(0);
      expect(m.output, m.model).toBeGreaterThan(m.input);
    }
  });

  it('matches dated ids, aliases, provider prefixes and dotted versions — never by prefix', () => {
    const p = bundledPrices();
    expect(p.lookup('claude-3-5-haiku-20241022')?.model).toBe('claude-haiku-3-5');
    expect(p.lookup('anthropic/claude-opus-4.5')?.model).toBe('claude-opus-4-5');
    expect(p.lookup('us.anthropic.claude-sonnet-4-5-20250929-v1:0')?.model).toBe('claude-sonnet-4-5');
    expect(p.lookup('claude-sonnet-4-5[1m]')?.model).toBe('claude-sonnet-4-5');
    expect(p.lookup('claude-sonnet-4-0')?.model).toBe('claude-sonnet-4');
    expect(p.lookup('gpt-4o-mini-2024-07-18')?.model).toBe('gpt-4o-mini');
    expect(p.lookup('gpt-5-mini')?.model).toBe('gpt-5-mini');
    expect(p.lookup('gpt-5-nano')).toBeNull();
    expect(p.lookup('gpt-5.1-codex-max')).toBeNull();
    expect(normalizeModel('GPT-5.1')).toBe('gpt-5.1');
  });

  it('a price file adds and replaces entries; config overrides win over both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-prices-'));
    const file = path.join(dir, 'prices.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        source: 'my team sheet',
        as_of: '2026-12-01',
        models: [
          { model: 'local-llm', provider: 'other', input: 0.1, output: 0.2, source: 'https://example.test/' },
          { model: 'gpt-5', provider: 'openai', input: 1, output: 8, cache_read: 0.1 },
        ],
      }),
    );
    const p = buildPrices({
      file,
      overrides: { 'claude-3-5-haiku': { output: 3 }, 'my-model': { input: 1, output: 2 } },
    });
    expect(p.table.as_of).toBe('2026-12-01');
    expect(p.lookup('local-llm')).toMatchObject({ input: 0.1, output: 0.2 });
    expect(p.lookup('gpt-5')).toMatchObject({ input: 1, output: 8, cacheRead: 0.1 });
    expect(p.lookup('claude-haiku-3-5-20241022')).toMatchObject({ input: 0.8, output: 3, cacheRead: 0.08 });
    expect(p.lookup('my-model')).toMatchObject({
      input: 1,
      output: 2,
      source: 'pricing.overrides in the config',
    });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rejects invalid prices with a message naming the key', () => {
    expect(() => buildPrices({ overrides: { 'new-model': { input: 1 } } })).toThrow(
      'pricing.overrides.new-model.output must be a price in USD per million tokens (a number ≥ 0)',
    );
    expect(() => buildPrices({ overrides: { 'gpt-5': { input: -1 } } })).toThrow(
      'pricing.overrides.gpt-5.input',
    );
    expect(() => buildPrices({ file: '/nonexistent/prices.json' })).toThrow(
      'pricing.file /nonexistent/prices.json',
    );
  });
});
