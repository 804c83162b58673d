// Plan and rate limits read from response headers: each provider's header family, the window names, the
// phrasing the tray and the window header share, and the watch that notifies once per window and reset.
import { describe, expect, it } from 'vitest';
import { LimitWatch, goDurationMs, readLimitHeaders, windowName } from '../../src-main/analytics/limits.js';
import { formatLimit, headlineLimits, type Limits } from '../../src-shared/limits.js';
import { statementsFor } from '../../src-main/index/indexer.js';
import { openIndex } from '../../src-main/index/db.js';
import { readLimits } from '../../src-main/analytics/limits.js';
import type { ResponseLine } from '../../src-shared/records.js';

const SEEN = Date.UTC(2026, 11, 7, 12, 0, 0);
const RESET_5H = Math.floor(SEEN / 1000) + 4 * 3600;
const RESET_7D = Math.floor(SEEN / 1000) + 3 * 86400;

const UNIFIED = {
  'anthropic-ratelimit-unified-status': 'allowed',
  'anthropic-ratelimit-unified-5h-utilization': '0.42',
  'anthropic-ratelimit-unified-5h-reset': String(RESET_5H),
  'anthropic-ratelimit-unified-7d-utilization': '0.12',
  'anthropic-ratelimit-unified-7d-reset': String(RESET_7D),
  'anthropic-ratelimit-unified-representative-claim': 'five_hour',
};

describe('reading limits from response headers', () => {
  it('reads a Claude subscription’s 5-hour and 7-day windows, their resets and the binding one', () => {
    const r = readLimitHeaders(UNIFIED, SEEN);
    expect(r).toEqual([
      {
        provider: 'anthropic',
        window: '5h',
        utilization: 0.42,
        reset_at: RESET_5H * 1000,
        seen_at: SEEN,
        limit: null,
        remaining: null,
        status: 'allowed',
        binding: true,
      },
      {
        provider: 'anthropic',
        window: '7d',
        utilization: 0.12,
        reset_at: RESET_7D * 1000,
        seen_at: SEEN,
        limit: null,
        remaining: null,
        status: 'allowed',
        binding: false,
      },
    ]);
  });

  it('reads an Anthropic API key’s request and token limits (RFC 3339 resets), header names in any case', () => {
    const r = readLimitHeaders(
      {
        'Anthropic-RateLimit-Requests-Limit': '50',
        'anthropic-ratelimit-requests-remaining': '40',
        'anthropic-ratelimit-requests-reset': '2026-12-07T12:00:30Z',
        'anthropic-ratelimit-input-tokens-limit': '40000',
        'anthropic-ratelimit-input-tokens-remaining': '10000',
        'anthropic-ratelimit-input-tokens-reset': 'not a date',
      },
      SEEN,
    );
    expect(r.map((w) => [w.window, w.utilization, w.reset_at, w.limit, w.remaining])).toEqual([
      ['requests', 0.2, SEEN + 30_000, 50, 40],
      ['input_tokens', 0.75, null, 40000, 10000],
    ]);
  });

  it('reads OpenAI’s x-ratelimit headers with Go-duration resets', () => {
    const r = readLimitHeaders(
      {
        'x-ratelimit-limit-requests': '5000',
        'x-ratelimit-remaining-requests': '4999',
        'x-ratelimit-reset-requests': '12ms',
        'x-ratelimit-limit-tokens': '800000',
        'x-ratelimit-remaining-tokens': '200000',
        'x-ratelimit-reset-tokens': '6m0s',
      },
      SEEN,
    );
    expect(r.map((w) => [w.provider, w.window, w.utilization, w.reset_at])).toEqual([
      ['openai', 'requests', expect.closeTo(0.0002, 6), SEEN + 12],
      ['openai', 'tokens', 0.75, SEEN + 360_000],
    ]);
  });

  it('reads Codex’s primary and secondary windows, named by their length', () => {
    const r = readLimitHeaders(
      {
        'x-codex-primary-used-percent': '63.5',
        'x-codex-primary-window-minutes': '300',
        'x-codex-primary-reset-after-seconds': '600',
        'x-codex-secondary-used-percent': '20',
        'x-codex-secondary-window-minutes': '10080',
        'x-codex-secondary-reset-at': String(RESET_7D),
        'x-codex-active-limit': 'primary',
      },
      SEEN,
    );
    expect(r.map((w) => [w.provider, w.window, w.utilization, w.reset_at, w.binding])).toEqual([
      ['codex', '5h', 0.635, SEEN + 600_000, true],
      ['codex', '7d', 0.2, RESET_7D * 1000, false],
    ]);
  });

  it('skips what does not parse rather than guessing, and reads nothing from unrelated headers', () => {
    expect(readLimitHeaders({ 'content-type': 'application/json' }, SEEN)).toEqual([]);
    expect(readLimitHeaders(null, SEEN)).toEqual([]);
    expect(
      readLimitHeaders(
        { 'anthropic-ratelimit-unified-5h-utilization': 'high', 'x-codex-primary-used-percent': '' },
        SEEN,
      ),
    ).toEqual([]);
    expect(goDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(goDurationMs('soon')).toBeNull();
    expect(goDurationMs('5s later')).toBeNull();
    expect([windowName(300), windowName(10080), windowName(45)]).toEqual(['5h', '7d', '45m']);
  });
});

describe('showing limits', () => {
  const limits = (): Limits => {
    const out: Limits = {};
    for (const w of readLimitHeaders(
      { ...UNIFIED, 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '1' },
      SEEN,
    )) {
      const { provider, window, ...rest } = w;
      (out[provider] ??= {})[window] = rest;
    }
    return out;
  };

  it('phrases a window as "5 h: 42 % · resets HH:MM" in local time, with the weekday when a day or more away', () => {
    const l = limits();
    const hm = (t: number): string =>
      `${String(new Date(t).getHours()).padStart(2, '0')}:${String(new Date(t).getMinutes()).padStart(2, '0')}`;
    expect(formatLimit('5h', l['anthropic']!['5h']!, SEEN)).toBe(`5 h: 42 % · resets ${hm(RESET_5H * 1000)}`);
    expect(formatLimit('7d', l['anthropic']!['7d']!, SEEN)).toMatch(
      /^7 d: 12 % · resets [A-Z][a-z]{2} \d\d:\d\d$/,
    );
    expect(formatLimit('5h', l['anthropic']!['5h']!, RESET_5H * 1000 + 1)).toBe('5 h: 42 % · reset since');
  });

  it('headlines the plan windows first, most used first, and drops windows whose reset has passed', () => {
    const l = limits();
    expect(headlineLimits(l, SEEN).map((h) => `${h.provider}/${h.window}`)).toEqual([
      'anthropic/5h',
      'anthropic/7d',
    ]);
    expect(headlineLimits(l, RESET_5H * 1000 + 1, 3).map((h) => `${h.provider}/${h.window}`)).toEqual([
      'anthropic/7d',
      'openai/requests',
    ]);
  });
});

describe('the limit watch', () => {
  it('notifies once per window and reset at the threshold; a new reset window notifies again; 0 % is off', async () => {
    let current = readLimitHeaders(UNIFIED, SEEN);
    const toLimits = (): Limits => {
      const out: Limits = {};
      for (const { provider, window, ...rest } of current) (out[provider] ??= {})[window] = rest;
      return out;
    };
    let threshold: number | null = 40;
    const alerts: string[] = [];
    const w = new LimitWatch(
      () => threshold,
      async () => toLimits(),
      (m) => alerts.push(m),
      () => SEEN,
    );
    await w.check();
    await w.check();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatch(/^Anthropic limit at 40 % or more: 5 h: 42 % · resets \d\d:\d\d\.$/);
    current = readLimitHeaders(
      { ...UNIFIED, 'anthropic-ratelimit-unified-5h-reset': String(RESET_5H + 5 * 3600) },
      SEEN,
    );
    await w.check();
    expect(alerts).toHaveLength(2);
    threshold = null;
    current = readLimitHeaders({ ...UNIFIED, 'anthropic-ratelimit-unified-7d-utilization': '0.99' }, SEEN);
    await w.check();
    expect(alerts).toHaveLength(2);
  });
});

describe('limits in the index', () => {
  const response = (at: number, headers: Record<string, string>): ResponseLine =>
    ({
      type: 'response',
      v: 1,
      id: `r${at}`,
      session_id: 's1',
      at,
      status: 200,
      headers,
      outcome: 'completed',
      reason: null,
      error: null,
      response: null,
      body_text: null,
      model: null,
      usage: { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null },
      stop_reason: null,
      timings: { ttfb_ms: 1, first_content_ms: null, duration_ms: 2, provider_ms: 1, overhead_ms: 0 },
      response_bytes: 0,
      chunks: 0,
      truncated: false,
    }) as ResponseLine;

  it('keeps the newest reading per window, whatever order the lines are indexed in (reindex)', async () => {
    const { db } = await openIndex(null);
    const newer = response(SEEN + 1000, { ...UNIFIED, 'anthropic-ratelimit-unified-5h-utilization': '0.5' });
    const older = response(SEEN, UNIFIED);
    db.runSync([...statementsFor(newer, 'f'), ...statementsFor(older, 'f')]);
    const l = readLimits(db);
    expect(l['anthropic']!['5h']!.utilization).toBe(0.5);
    expect(l['anthropic']!['5h']!.seen_at).toBe(SEEN + 1000);
    expect(l['anthropic']!['7d']!.utilization).toBe(0.12);
    await db.close();
  });
});
