// Replay in the window, end to end: real Chromium against `lunaroute serve` (a configured Anthropic key) and the
// fake provider. From a recorded request's row: "cURL" shows a command with $ANTHROPIC_API_KEY and never a key;
// "Replay" opens the replay page — model picker, prompt edit, a confirmation with the estimated cost, the
// credential's source and the redactions the replay carries — then the original and the replay side by side with
// the diff, and the replay listed under the original. Screenshots: test-artifacts/ui/replay-*.png.
import fs from 'node:fs';
import path from 'node:path';
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
import { FAKE_ANSWER, startFakeProvider } from '../support/fake-provider/index.js';
import { makeTempDir } from '../support/config.js';

const missing = chromiumMissing();
if (missing) console.warn(`Replay e2e skipped: ${missing}`);

const CONFIG_KEY = 'replay-e2e-configured-key';
const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

describe.skipIf(missing !== null)('Replay in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    const dataDir = path.join(makeTempDir('lr-replay-e2e-'), '.lunaroute');
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(
      path.join(dataDir, 'config.yaml'),
      `upstreams:\n  anthropic:\n    api_key: ${CONFIG_KEY}\n`,
      { mode: 0o600 },
    );
    s = await serve({ dataDir, provider: await startFakeProvider({ slowDelayMs: 20 }) });
    browser = await launch();
    ({ page, errors } = await newPage(browser, { height: 1300 }));
    const res = await anthropicRequest(s.proxyUrl, 'List the notes jane.doe@acme-corp.io sent me', {
      sessionId: 'replay-e2e',
      tools: [BASH_TOOL],
    });
    await res.text();
    // OpenAI traffic, for which no credential is configured.
    const chat = await fetch(`${s.proxyUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer sk-client',
        'session-id': 'replay-e2e-openai',
      },
      body: JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hello' }] }),
    });
    await chat.text();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await s?.provider.close();
  });

  async function openRequests(): Promise<void> {
    await page.goto(`${s.uiUrl}/#/session/replay-e2e`);
    await page.getByTestId('tab-requests').click();
  }

  it('"cURL" shows the request as a command with $ANTHROPIC_API_KEY and never a real key', async () => {
    await openRequests();
    await page.getByTestId('curl-toggle').first().click();
    const text = await page.getByTestId('curl-text').textContent();
    expect(text).toContain('-H "x-api-key: $ANTHROPIC_API_KEY"');
    expect(text).toContain(`curl '${s.provider.url}/v1/messages'`);
    expect(text).toContain("-H 'anthropic-version: 2023-06-01'");
    expect(text).toContain('"model":"claude-sonnet-4-5"');
    expect(text).not.toContain('sk-ant-test-key');
    expect(text).not.toContain(CONFIG_KEY);
    expect(text).not.toContain('[redacted]');
  });

  it('replays with another model and an edited prompt after a confirmation, then shows both side by side', async () => {
    await openRequests();
    await page.getByTestId('replay-link').first().click();
    await page.getByTestId('replay-form').waitFor();
    expect(await page.getByTestId('replay-model').inputValue()).toBe('claude-sonnet-4-5');
    expect(await page.getByTestId('replay-prompt').inputValue()).toBe('List the notes [EMAIL] sent me');
    await page.getByTestId('replay-model').fill('claude-haiku-4-5');
    await page.getByTestId('replay-prompt').fill('List the notes SCENARIO:tool');
    await page.getByTestId('replay-review').click();

    const confirm = page.getByTestId('replay-confirm');
    await confirm.waitFor();
    expect(await confirm.textContent()).toContain('Model: claude-haiku-4-5 (was claude-sonnet-4-5)');
    expect(await confirm.textContent()).toContain('Credential: upstreams.anthropic.api_key');
    expect(await page.getByTestId('replay-estimate').textContent()).toMatch(/^\$0\.\d+/);
    // The prompt edit replaced the only redacted value, so nothing redacted is left to carry.
    expect(await page.getByTestId('replay-redactions').count()).toBe(0);
    await screenshot(page, 'replay-confirm');
    const before = s.provider.requests.length;
    await page.getByTestId('replay-send').click();

    await page.getByTestId('replay-compare').waitFor({ timeout: 20_000 });
    const sent = s.provider.requests[before]!;
    expect(sent.headers['x-api-key']).toBe(CONFIG_KEY);
    expect((sent.json as { model: string }).model).toBe('claude-haiku-4-5');
    expect(await page.getByTestId('side-original').getByTestId('side-text').textContent()).toBe(FAKE_ANSWER);
    expect(await page.getByTestId('side-replay').getByTestId('side-text').textContent()).toBe(
      'I will run a command.',
    );
    expect(await page.getByTestId('side-replay').textContent()).toContain('Bash');
    const diff = await page.getByTestId('diff-lines').textContent();
    expect(diff).toContain(`- ${FAKE_ANSWER}`);
    expect(diff).toContain('+ I will run a command.');
    expect(await page.getByTestId('replay-facts').textContent()).toMatch(
      /Modelclaude-sonnet-4-5claude-haiku-4-5changed/,
    );
    expect(await page.getByTestId('replay-facts').textContent()).toMatch(
      /Stop reasonend_turntool_usechanged/,
    );
    expect(page.url()).toMatch(/#\/replay\/[^/]+\/[0-9a-f-]{36}$/);
    await page.getByTestId('replay-list').waitFor();
    await screenshot(page, 'replay-side-by-side');
    expect(errors).toEqual([]);
  });

  it('lists the replay under the original and opens the comparison from there', async () => {
    await openRequests();
    const row = page.getByTestId('replay-row');
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Replay .* claude-haiku-4-5 · completed 200/);
    await screenshot(page, 'replay-listed');
    await row.getByRole('link', { name: 'compare' }).click();
    await page.getByTestId('replay-compare').waitFor();
    expect(await page.getByTestId('side-replay').getByTestId('side-text').textContent()).toBe(
      'I will run a command.',
    );
  });

  it('shows the redactions the replay would carry before sending', async () => {
    await openRequests();
    await page.getByTestId('replay-link').first().click();
    await page.getByTestId('replay-review').click();
    const redactions = page.getByTestId('replay-redactions');
    await redactions.waitFor();
    expect(await redactions.textContent()).toMatch(/EMAIL ×1 at messages\[0\]\.content/);
    expect(await page.getByTestId('replay-confirm').textContent()).toContain(
      'No changes: the same request again.',
    );
  });

  it('names the ways to provide a key and does not offer to send when there is none', async () => {
    await page.goto(`${s.uiUrl}/#/session/replay-e2e-openai`);
    await page.getByTestId('tab-requests').click();
    await page.getByTestId('replay-link').first().click();
    await page.getByTestId('replay-review').click();
    const msg = await page.getByTestId('replay-no-credential').textContent();
    expect(msg).toMatch(
      /no OpenAI credential .*upstreams\.openai\.api_key.*LUNAROUTE_OPENAI_API_KEY.*OPENAI_API_KEY/,
    );
    expect(await page.getByTestId('replay-send').isDisabled()).toBe(true);
  });

  it('shows the dark theme side by side without errors', async () => {
    const dark = await newPage(browser, { colorScheme: 'dark', height: 1300 });
    await dark.page.goto(`${s.uiUrl}/#/session/replay-e2e`);
    await dark.page.getByTestId('tab-requests').click();
    await dark.page.getByRole('link', { name: 'compare' }).first().click();
    await dark.page.getByTestId('replay-compare').waitFor();
    await screenshot(dark.page, 'replay-side-by-side-dark');
    expect(dark.errors).toEqual([]);
    await dark.context.close();
  });
});
