// Client drift in the window: real Chromium against `lunaroute serve`, whose upstream answers a Claude Code
// request with a stream holding an event type and a block type this version does not know. The problem bar shows
// one notice for that client version (not one per response), the session's transcript names what was not
// understood, and Dismiss hides the bar. Screenshots: test-artifacts/ui/drift-*.png.
import type { ServerResponse } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anthropicRequest,
  chromiumMissing,
  launch,
  newPage,
  screenshot,
  serve,
  type Served,
} from './harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`drift e2e skipped: ${missing}`);

const sse = (events: Record<string, unknown>[]): string =>
  events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');

/** A stream with two `message_annotation` events and a `hologram` block among known events. */
const DRIFTING = sse([
  {
    type: 'message_start',
    message: {
      id: 'msg_e2e_drift',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 1 },
    },
  },
  { type: 'message_annotation', note: 'one' },
  { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Here is a hologram.' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'hologram', frames: ['A', 'B'] } },
  { type: 'content_block_stop', index: 1 },
  { type: 'message_annotation', note: 'two' },
  {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: 6 },
  },
  { type: 'message_stop' },
]);

describe.skipIf(missing !== null)('client drift in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    s = await serve();
    browser = await launch();
    ({ page, errors } = await newPage(browser));
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  async function drift(sessionId: string): Promise<void> {
    s.provider.enqueue((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(DRIFTING);
    });
    const r = await anthropicRequest(s.proxyUrl, 'show me a hologram', { sessionId });
    expect(r.status).toBe(200);
    expect(await r.text()).toBe(DRIFTING);
  }

  it('shows one notice per client version in the problem bar, names the items in the transcript, dismisses', async () => {
    await page.goto(s.uiUrl);
    await page.getByTestId('empty-state').waitFor();

    await drift('sess-drift-1');
    const notices = page.locator('[data-testid=problems] li[data-kind=client_drift]');
    await notices.first().waitFor();
    const text = await notices.first().innerText();
    expect(text).toContain('Client update');
    expect(text).toContain(
      'Claude Code 2.1.0 sent 1 kind of event and 1 kind of content block this version of LunaRoute does not ' +
        'understand (message_annotation, hologram) — recorded as received.',
    );
    await screenshot(page, 'drift-notice');

    // The same client version again: its request finishes, and still one notice. (The notice would be pushed
    // before the request's outcome, so once the row shows the outcome a second notice would be there.)
    await drift('sess-drift-2');
    const row = page.locator('[data-testid=session-row][data-session-id="sess-drift-2"]');
    await expect.poll(() => row.getByTestId('row-status').getAttribute('data-status')).toBe('ok');
    expect(await notices.count()).toBe(1);

    // The session view: a one-line "unknown: …" item in the transcript, and the unknown block kept.
    await page.goto(`${s.uiUrl}/#/session/sess-drift-1`);
    const transcript = page.getByTestId('transcript');
    await transcript.getByText('unknown: event message_annotation ×2, block hologram').waitFor();
    await transcript.getByText('hologram', { exact: true }).waitFor();
    await screenshot(page, 'drift-session');

    await page.getByTestId('problems').getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByTestId('problems').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
