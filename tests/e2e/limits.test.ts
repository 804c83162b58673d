// The window's header shows the plan windows as the last response said ("Claude 5 h: 42 % · resets 16:00"),
// updated when a new response arrives, with every window in its tooltip; a window used past 80 % stands out.
import fs from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';
import { anthropicRequest, chromiumMissing, launch, newPage, screenshot, serve } from './harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`Limits e2e skipped: ${missing}`);

function answerWithLimits(provider: FakeProvider, fiveHour: string, reset5h: number, reset7d: number): void {
  provider.enqueue((_req, res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'anthropic-ratelimit-unified-status': 'allowed',
      'anthropic-ratelimit-unified-5h-utilization': fiveHour,
      'anthropic-ratelimit-unified-5h-reset': String(reset5h),
      'anthropic-ratelimit-unified-7d-utilization': '0.12',
      'anthropic-ratelimit-unified-7d-reset': String(reset7d),
      'anthropic-ratelimit-unified-representative-claim': 'five_hour',
    });
    res.end(
      JSON.stringify({
        id: 'msg_l',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: 'ok' }],
        stop_reason: 'end_turn',
        usage: { input_tokens: 10, output_tokens: 2 },
      }),
    );
  });
}

describe.skipIf(missing !== null)('plan limits in the window header, in Chromium', () => {
  let browser: Browser;
  let provider: FakeProvider;
  let dataDir: string;
  beforeAll(async () => {
    provider = await startFakeProvider();
    dataDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'lr-limits-'));
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await provider?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows "Claude 5 h: 42 % · resets HH:MM", then the new reading after the next response', async () => {
    const s = await serve({ dataDir, provider });
    try {
      const nowS = Math.floor(Date.now() / 1000);
      const reset5h = nowS + 3 * 3600;
      const hm = (t: number): string =>
        `${String(new Date(t).getHours()).padStart(2, '0')}:${String(new Date(t).getMinutes()).padStart(2, '0')}`;
      answerWithLimits(provider, '0.42', reset5h, nowS + 4 * 86400);
      await (await anthropicRequest(s.proxyUrl, 'hello', { stream: false, sessionId: 'limits-1' })).text();
      const { page, errors } = await newPage(browser);
      await page.goto(`${s.uiUrl}/#/`);
      const limits = page.getByTestId('limits');
      await expect
        .poll(async () => ((await limits.count()) > 0 ? await limits.innerText() : ''), { timeout: 15_000 })
        .toMatch(
          new RegExp(
            `^Claude 5 h: 42 % · resets ${hm(reset5h * 1000)} · 7 d: 12 % · resets \\w{3} \\d\\d:\\d\\d$`,
          ),
        );
      expect(await limits.getAttribute('title')).toMatch(/Claude 5 h: 42 %.*\(seen .+\)\nClaude 7 d: 12 %/);
      await screenshot(page, 'limits-header');

      answerWithLimits(provider, '0.87', reset5h, nowS + 4 * 86400);
      await (await anthropicRequest(s.proxyUrl, 'again', { stream: false, sessionId: 'limits-1' })).text();
      await expect.poll(() => limits.innerText(), { timeout: 15_000 }).toMatch(/^Claude 5 h: 87 %/);
      expect(await limits.locator('.high').count()).toBe(1);
      await screenshot(page, 'limits-header-high');
      expect(errors).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
