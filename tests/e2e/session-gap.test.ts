// What a user sees after a disk-full spell: the session view says how many requests were answered but not
// recorded, and when. The gap line is the one the writer puts into the session file when space returns (the
// disk-full path itself is tested for real in tests/integration/recorder-disk-full.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORD_VERSION, type GapLine } from '../../src-shared/records.js';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';
import { anthropicRequest, chromiumMissing, launch, newPage, screenshot, serve } from './harness.js';

const missing = chromiumMissing();
if (missing) console.warn(`Session gap e2e skipped: ${missing}`);

describe.skipIf(missing !== null)('a session with requests lost to a full disk, in Chromium', () => {
  let browser: Browser;
  let provider: FakeProvider;
  let dataDir: string;
  beforeAll(async () => {
    provider = await startFakeProvider();
    dataDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'lr-gap-'));
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await provider?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('says how many requests were answered but not recorded, and when', async () => {
    const first = await serve({ dataDir, provider });
    const res = await anthropicRequest(first.proxyUrl, 'before the disk filled', {
      stream: false,
      sessionId: 'gap-session',
    });
    await res.text();
    await first.stop();
    const day = fs.readdirSync(path.join(dataDir, 'sessions'))[0]!;
    const file = path.join(dataDir, 'sessions', day, 'gap-session.jsonl');
    const at = Date.now();
    const gap: GapLine = {
      type: 'gap',
      v: RECORD_VERSION,
      at,
      dropped: 9,
      reason: 'write_error',
      first_at: at - 60_000,
      requests: ['lost-1', 'lost-2', 'lost-3'],
      requests_lost: 3,
    };
    fs.appendFileSync(file, JSON.stringify(gap) + '\n');

    const s = await serve({ dataDir, provider });
    try {
      const { page, errors } = await newPage(browser);
      await page.goto(`${s.uiUrl}/#/session/gap-session`);
      const banner = page.getByTestId('session-gap');
      await banner.waitFor({ timeout: 10_000 });
      expect(await banner.innerText()).toMatch(/3 requests were answered but not recorded/);
      expect(await banner.innerText()).toMatch(/last at \d/);
      await screenshot(page, 'session-gap-light');
      expect(errors).toEqual([]);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
