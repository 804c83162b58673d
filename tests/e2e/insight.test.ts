// The session view's insight in Chromium: the context-growth chart with its largest parts, the waterfall's lanes
// (the subagent under the request that spawned it) and the cache-break and compaction markers, on a session file
// in the recorder's format (tests/support/insight-session.ts) that the real `lunaroute serve` indexes at start-up.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installClientFixture, loadClientFixture } from '../support/client-fixtures.js';
import { INSIGHT_SESSION_ID, writeInsightSession } from '../support/insight-session.js';
import { chromiumMissing, launch, newPage, screenshot, serve, type Served } from './harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`Insight e2e skipped: ${missing}`);

describe.skipIf(missing !== null)('why a session is expensive, in Chromium', () => {
  let browser: Browser;
  let s: Served;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'lr-insight-'));
    writeInsightSession(dataDir);
    installClientFixture(dataDir, 'claude-code-subagent-compact');
    s = await serve({ dataDir });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`shows context growth, lanes and cache breaks with their cost (${scheme})`, async () => {
      const { page, errors } = await newPage(browser, { colorScheme: scheme, height: 1300 });
      await page.goto(`${s.uiUrl}/#/session/${INSIGHT_SESSION_ID}`);
      await page.getByTestId('tab-timeline').click();
      await page.getByTestId('context-chart').waitFor({ timeout: 10_000 });
      expect(await page.getByTestId('largest-parts').innerText()).toMatch(
        /^Largest parts: Read results: \d+ %/,
      );
      expect(await page.getByTestId('context-break').count()).toBe(3);
      expect(await page.getByTestId('context-compaction').count()).toBe(1);
      const lanes = await page.getByTestId('lane').allInnerTexts();
      expect(lanes).toHaveLength(2);
      expect(lanes[0]).toMatch(/^Main thread/);
      expect(lanes[1]).toMatch(/Explore: Find proxy routes\s+3 requests/);
      expect(await page.getByTestId('cache-break').count()).toBe(3);
      const title = await page.getByTestId('cache-break').first().getAttribute('title');
      expect(title).toMatch(/^Cache break: tools changed — added mcp__github__create_issue.*\$0\.04/);
      expect(await page.getByTestId('insight-breaks').innerText()).toMatch(/3\s+\$0\.10 extra/);
      expect(await page.getByTestId('insight-subagents').innerText()).toMatch(/Subagents \(1\)/);
      await screenshot(page, `insight-timeline-${scheme}`);
      expect(errors).toEqual([]);
    });
  }

  it("lanes real Claude Code's subagent under its Agent call and marks its /compact (captured session)", async () => {
    const id = loadClientFixture('claude-code-subagent-compact').session.session_id;
    const { page, errors } = await newPage(browser, { height: 1000 });
    await page.goto(`${s.uiUrl}/#/session/${id}`);
    await page.getByTestId('tab-timeline').click();
    await page.getByTestId('context-chart').waitFor({ timeout: 10_000 });
    const lanes = await page.getByTestId('lane').allInnerTexts();
    expect(lanes).toHaveLength(2);
    expect(lanes[1]).toMatch(/↳ general-purpose: .*\s+2 requests/);
    expect(await page.getByTestId('compaction').count()).toBe(1);
    expect(await page.getByTestId('context-compaction').count()).toBe(1);
    await screenshot(page, 'insight-claude-code-captured');
    expect(errors).toEqual([]);
  });
});
