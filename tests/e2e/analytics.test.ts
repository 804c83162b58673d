// The Analytics view end to end: real Chromium against `lunaroute serve` with the fake provider. Drives a tool
// loop and a plain turn (Anthropic, with cache reads and writes), OpenAI Chat on a priced and an unpriced model,
// and an upstream error; then opens Analytics and checks the numbers the charts carry in their labels (requests,
// errors, cache hit ratio, money saved, unpriced models shown as unpriced, tools, time split, classes) in light
// and dark. Screenshots: test-artifacts/ui/analytics-*.png.
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
import { FAKE_TOOL_OUTPUT, FAKE_USAGE } from '../support/fake-provider/index.js';

const missing = chromiumMissing();
if (missing) console.warn(`Analytics e2e skipped: ${missing}`);

const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

function openaiChat(proxyUrl: string, model: string, sessionId: string): Promise<Response> {
  return fetch(`${proxyUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer sk-test-openai',
      'session-id': sessionId,
    },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }] }),
  });
}

describe.skipIf(missing !== null)('the Analytics view in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    s = await serve();
    browser = await launch();
    ({ page, errors } = await newPage(browser));
    // A tool loop: the model asks for Bash, the next request carries the result.
    const sid = 'analytics-tools';
    const prompt = 'List the files SCENARIO:tool';
    const first = await anthropicRequest(s.proxyUrl, prompt, {
      sessionId: sid,
      tools: [BASH_TOOL],
      stream: false,
    });
    const answer = (await first.json()) as { content: { type: string; id?: string }[] };
    const call = answer.content.find((b) => b.type === 'tool_use')!;
    await new Promise((r) => setTimeout(r, 120)); // the tool "runs"
    const second = await anthropicRequest(s.proxyUrl, '', {
      sessionId: sid,
      tools: [BASH_TOOL],
      messages: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: answer.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: FAKE_TOOL_OUTPUT }] },
      ],
    });
    await second.text();
    await (await anthropicRequest(s.proxyUrl, 'plain turn', { sessionId: 'analytics-plain' })).text();
    await (await openaiChat(s.proxyUrl, 'gpt-5', 'analytics-openai')).text();
    await (await openaiChat(s.proxyUrl, 'local-model-x', 'analytics-openai')).text();
    const failed = await anthropicRequest(s.proxyUrl, 'SCENARIO:error-500', {
      sessionId: 'analytics-plain',
      stream: false,
    });
    expect(failed.status).toBe(500);
    await failed.text();
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('shows totals, cost with the unpriced part, cache, tools, time split and classes', async () => {
    await page.goto(`${s.uiUrl}/#/analytics`);
    await page.getByTestId('analytics-view').waitFor();
    await expect
      .poll(() => page.getByTestId('card-requests').innerText(), { timeout: 10_000 })
      .toContain('6');
    expect(await page.getByRole('link', { name: 'Analytics' }).getAttribute('class')).toContain('active');
    expect(await page.getByTestId('card-errors').innerText()).toMatch(/^Errors\s*1\b/);

    // Cost: priced share of requests = 4 priced of 5 with usage; the unpriced model is named, not $0.
    const costCard = await page.getByTestId('card-cost').innerText();
    expect(costCard).toMatch(/\$\d/);
    expect(costCard).toContain('+'); // "$x+": an amount that leaves unpriced requests out
    expect(costCard).toContain('priced 80% of requests');
    expect(await page.getByTestId('unpriced-models').innerText()).toContain('local-model-x');
    const models = await page.getByTestId('models-row').allTextContents();
    const local = (await page.getByTestId('models-row').all()).length;
    expect(local).toBe(3);
    const localLabel = await page
      .locator('[data-testid=models-row]', { hasText: 'local-model-x' })
      .getAttribute('aria-label');
    expect(localLabel).toContain('unpriced');
    expect(localLabel).not.toContain('$0');
    expect(models.join(' ')).toContain('claude-sonnet-4-5');

    // Cache: every request reports FAKE_USAGE; Anthropic input excludes cache reads, OpenAI's prompt includes them.
    const anthropicInput = FAKE_USAGE.input;
    const openaiInput = FAKE_USAGE.input + FAKE_USAGE.cacheWrite; // prompt − cached
    const input = 3 * anthropicInput + 2 * openaiInput;
    const read = 5 * FAKE_USAGE.cacheRead;
    const ratio = `${Math.round((read / (input + read)) * 100)}%`;
    expect(await page.getByTestId('cache-hit').textContent()).toBe(ratio);
    // Saved: sonnet-4-5 reads at $0.30 instead of $3, gpt-5 at $0.125 instead of $1.25 (per MTok).
    const saved = (3 * FAKE_USAGE.cacheRead * 2.7 + FAKE_USAGE.cacheRead * 1.125) / 1e6;
    expect((await page.getByTestId('cache-saved').innerText()).trim()).toBe(`$${saved.toPrecision(2)}`);

    // Charts: one bar per bucket with a title; the aria-label carries the totals.
    expect(await page.getByTestId('chart-tokens').getAttribute('aria-label')).toMatch(
      /Tokens by kind per day/,
    );
    expect(await page.getByTestId('tokens-bar').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-testid=tokens-bar] > title').last().textContent()).toContain(
      'cache read',
    );
    expect(await page.getByTestId('chart-cost').getAttribute('aria-label')).toContain('1 unpriced requests');

    // Tools: Bash called once, no error, with a latency; the slowest call links to its session.
    const tool = await page.getByTestId('tool-row').first().innerText();
    expect(tool).toContain('Bash');
    expect(tool).toMatch(/\b1\b/);
    expect(tool).toContain('0%');
    const slow = page.getByTestId('slow-tool').first();
    expect(await slow.innerText()).toMatch(/Bash\s+\d+(\.\d)? (ms|s)/);
    expect(await slow.locator('a').getAttribute('href')).toBe('#/session/analytics-tools');

    // Time split and classes.
    expect(await page.getByTestId('split-model').innerText()).toMatch(/Model .*\d+%/);
    expect(await page.getByTestId('split-tool').innerText()).toMatch(/Tools running: \d/);
    expect(await page.getByTestId('class-main').innerText()).toContain('main: 100% of tokens');

    // Requests, errors and interruptions over time.
    expect(await page.getByTestId('chart-requests').getAttribute('aria-label')).toMatch(
      /6 in total, 1 errors, 0 interrupted/,
    );
    expect(await page.locator('[data-testid=requests-bar] > title').last().textContent()).toMatch(
      /\d+ requests — 1 errors/,
    );

    await screenshot(page, 'analytics-light');
    await page.getByTestId('chart-requests').scrollIntoViewIfNeeded();
    await screenshot(page, 'analytics-light-requests');
    // Tokens and cost over time split by model, then by client: the legend names them, the bars carry them.
    await page.getByTestId('split-by').selectOption('model');
    const legend = await page.getByTestId('tokens-legend').innerText();
    for (const m of ['claude-sonnet-4-5', 'gpt-5']) expect(legend).toContain(m);
    expect(await page.locator('[data-testid=tokens-bar] rect title').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^claude-sonnet-4-5: \d/) as unknown as string]),
    );
    await page.getByTestId('chart-tokens').scrollIntoViewIfNeeded();
    await screenshot(page, 'analytics-light-split-model');
    await page.getByTestId('split-by').selectOption('client');
    expect(await page.getByTestId('tokens-legend').innerText()).toContain('Claude Code');
    await page.getByTestId('split-by').selectOption('kind');
    await page.getByTestId('tools-panel').scrollIntoViewIfNeeded();
    await screenshot(page, 'analytics-light-tools');
    const dark = await newPage(browser, { colorScheme: 'dark' });
    await dark.page.goto(`${s.uiUrl}/#/analytics`);
    await expect.poll(() => dark.page.getByTestId('card-requests').innerText()).toContain('6');
    await screenshot(dark.page, 'analytics-dark');
    await dark.page.getByTestId('chart-requests').scrollIntoViewIfNeeded();
    await screenshot(dark.page, 'analytics-dark-requests');
    await dark.page.getByTestId('tools-panel').scrollIntoViewIfNeeded();
    await screenshot(dark.page, 'analytics-dark-tools');
    expect(dark.errors).toEqual([]);
    await dark.context.close();

    // The slowest call's link opens the session.
    await slow.locator('a').click();
    await page.getByTestId('session-view').waitFor();
    expect(errors).toEqual([]);
  });
});
