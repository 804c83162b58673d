// The live row's text in real Chromium while a slow answer streams: it grows as the deltas arrive (not only when
// the stream ends), and the e-mail address in the answer shows only as [EMAIL], never in part. Screenshots of the
// growing row go to test-artifacts/ui/live-text-*.png.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  anthropicRequest,
  chromiumMissing,
  launch,
  newPage,
  screenshot,
  serve,
  type Served,
} from './harness.js';

const SECRET = 'ops.lead@acme-c0rp.io';
const ANSWER =
  `Sure. Send the report to ${SECRET} by Friday; I will review it and reply with the final numbers ` +
  'before the weekly stand-up.';
const FINAL = ANSWER.replace(SECRET, '[EMAIL]');
const GAP_MS = 150;

const sse = (type: string, data: object): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

interface PageLike {
  document: { querySelector(s: string): { textContent: string | null } | null; body: unknown };
  MutationObserver: new (cb: () => void) => { observe(t: unknown, o: object): void };
  __seen: string[];
}

const missing = chromiumMissing();

describe.skipIf(missing !== null)('live text of a streaming answer in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    s = await serve();
    browser = await launch();
    ({ page } = await newPage(browser));
    await page.goto(s.uiUrl);
    await page.getByTestId('empty-state').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('grows word by word while the answer streams, and shows the e-mail in it only as [EMAIL]', async () => {
    let ended!: () => void;
    const streamEnded = new Promise<void>((resolve) => (ended = resolve));
    s.provider.enqueue(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.write(
        sse('message_start', {
          message: {
            id: 'msg_live_text',
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 12, output_tokens: 1 },
          },
        }) + sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      );
      for (let i = 0; i < ANSWER.length; i += 5) {
        await new Promise((r) => setTimeout(r, GAP_MS));
        res.write(
          sse('content_block_delta', {
            index: 0,
            delta: { type: 'text_delta', text: ANSWER.slice(i, i + 5) },
          }),
        );
      }
      ended();
      res.end(
        sse('content_block_stop', { index: 0 }) +
          sse('message_delta', {
            delta: { stop_reason: 'end_turn', stop_sequence: null },
            usage: { output_tokens: 40 },
          }) +
          sse('message_stop', {}),
      );
    });
    const response = anthropicRequest(s.proxyUrl, 'Where do I send the report?', {
      sessionId: 'sess-live-text',
    });
    const row = page.locator('[data-testid=session-row][data-session-id="sess-live-text"]');
    await row.waitFor({ timeout: 5000 });
    // Every text the row's streaming preview renders, recorded in the page as it changes (no polling gaps).
    await page.evaluate((sid) => {
      const w = globalThis as unknown as PageLike;
      w.__seen = [];
      const sel = `[data-session-id="${sid}"] [data-testid=row-preview].streaming .tail > span`;
      const record = (): void => {
        const t = (w.document.querySelector(sel)?.textContent ?? '').trim();
        if (t !== '' && !t.startsWith('Waiting') && t !== w.__seen[w.__seen.length - 1]) w.__seen.push(t);
      };
      record();
      new w.MutationObserver(record).observe(w.document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    }, 'sess-live-text');
    const seenNow = (): Promise<string[]> => page.evaluate(() => (globalThis as unknown as PageLike).__seen);
    let shots = 0;
    for (const n of [3, 8, 13]) {
      await expect.poll(async () => (await seenNow()).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(n);
      await screenshot(page, `live-text-${++shots}`);
    }
    await streamEnded;
    const seen = await seenNow();
    await (await response).text();

    expect(seen.length).toBeGreaterThanOrEqual(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.length).toBeGreaterThan(seen[i - 1]!.length);
    for (const text of seen) {
      expect(FINAL.startsWith(text)).toBe(true);
      expect(text).not.toContain('@');
      expect(text).not.toContain('ops.');
    }
    expect(seen.some((t) => t.includes('[EMAIL] by'))).toBe(true);
  });
});
