// Cost and tokens by project and branch, end to end: `lunaroute serve` starts on a data dir holding the three
// captured real-client sessions (tests/fixtures/clients: Claude Code in moon-base on feature/orbit-math, Codex in
// tide-tables, OpenCode in star-chart — Codex and OpenCode name no branch), then records live Claude-Code-shaped
// turns in two more projects and branches. Real Chromium opens the session list (titles, project names) and
// Analytics split by project and by project and branch. Screenshots: test-artifacts/ui/project-*.png (and
// /work/screens/ when that folder exists, for review).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launch, newPage, screenshot, serve, type Served } from './harness.js';
import { CLIENT_FIXTURES, installClientFixture, loadClientFixture } from '../support/client-fixtures.js';
import { makeTempDir } from '../support/config.js';

const missing = chromiumMissing();
if (missing) console.warn(`Project analytics e2e skipped: ${missing}`);
const REVIEW_DIR = '/work/screens';

/** A Claude Code 2.1-shaped turn: the `# Environment` list in the system prompt, gitStatus in a reminder. */
function claudeTurn(proxyUrl: string, sessionId: string, dir: string, branch: string, prompt: string) {
  return fetch(`${proxyUrl}/v1/messages?beta=true`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-test-key',
      'anthropic-version': '2023-06-01',
      'user-agent': 'claude-cli/2.1.332 (external, cli)',
      'x-claude-code-session-id': sessionId,
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: true,
      system: [
        { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
        {
          type: 'text',
          text: `# Environment\n - Primary working directory: ${dir}\n - Is a git repository: true\n - Platform: linux`,
        },
      ],
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'text',
              text: `<system-reminder>\n# gitStatus\nCurrent branch: ${branch}\n\nMain branch: main\n</system-reminder>`,
            },
            { type: 'text', text: prompt },
          ],
        },
      ],
    }),
  });
}

async function shot(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, name);
  if (fs.existsSync(REVIEW_DIR)) fs.copyFileSync(file, path.join(REVIEW_DIR, `${name}.png`));
}

describe.skipIf(missing !== null)('cost and tokens by project and branch in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dataDir: string;

  beforeAll(async () => {
    dataDir = makeTempDir('lr-projects-');
    for (const n of CLIENT_FIXTURES) installClientFixture(dataDir, n);
    s = await serve({ dataDir });
    const turns: [string, string, string, string, number][] = [
      ['lander-main', '/home/dev/src/lunar-lander', 'main', 'Tune the descent controller', 3],
      ['lander-thrust', '/home/dev/src/lunar-lander', 'feature/thrust', 'Add a thrust curve test', 2],
      ['orbit-api', '/home/dev/src/orbit-api', 'main', 'Document the orbit endpoints', 1],
    ];
    for (const [sid, dir, branch, prompt, n] of turns) {
      for (let i = 0; i < n; i++) await (await claudeTurn(s.proxyUrl, sid, dir, branch, prompt)).text();
    }
    browser = await launch();
    ({ page, errors } = await newPage(browser, { height: 1000 }));
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('the session list names each session by its first prompt and shows its project and branch', async () => {
    await page.goto(`${s.uiUrl}/#/`);
    const claude = loadClientFixture('claude-code-subagent-compact').manifest;
    const row = page.locator(`[data-testid=session-row][data-session-id="${claude.session_id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getByTestId('row-preview').innerText()).toBe(claude.title);
    expect(await row.getByTestId('row-project').innerText()).toBe('moon-base');
    expect(await row.getByTestId('row-project').getAttribute('title')).toBe(claude.project);
    expect(await row.getByTestId('row-branch').innerText()).toBe('feature/orbit-math');
    const lander = page.locator('[data-testid=session-row][data-session-id="lander-thrust"]');
    await lander.waitFor();
    expect(await lander.getByTestId('row-preview').innerText()).toBe('Add a thrust curve test');
    expect(await lander.getByTestId('row-branch').innerText()).toBe('feature/thrust');
    await shot(page, 'project-session-list');
    expect(errors).toEqual([]);
  });

  it('Analytics ranks and splits cost and tokens by project, and by project and branch', async () => {
    await page.goto(`${s.uiUrl}/#/analytics`);
    await page.getByTestId('analytics-view').waitFor();
    await page.getByTestId('project-panel').waitFor({ timeout: 10_000 });
    const projects = await page
      .getByTestId('projects-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    // Five projects: the three captured clients' and two live ones.
    expect(projects).toHaveLength(5);
    for (const name of ['moon-base', 'tide-tables', 'star-chart', 'lunar-lander', 'orbit-api'])
      expect(
        projects.some((p) => p.startsWith(`${name}:`)),
        `${name} in ${projects.join(' | ')}`,
      ).toBe(true);
    const branches = await page
      .getByTestId('branches-row')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    for (const name of [
      'lunar-lander@main',
      'lunar-lander@feature/thrust',
      'orbit-api@main',
      'moon-base@feature/orbit-math',
      'tide-tables', // Codex names no branch
    ])
      expect(
        branches.some((b) => b.startsWith(`${name}:`)),
        `${name} in ${branches.join(' | ')}`,
      ).toBe(true);
    // Three lander turns on main against two on feature/thrust: main carries more tokens.
    const tok = (label: string): string => /: ([^,]+) tokens/.exec(label)?.[1] ?? '';
    const main = branches.find((b) => b.startsWith('lunar-lander@main:'))!;
    const thrust = branches.find((b) => b.startsWith('lunar-lander@feature/thrust:'))!;
    expect(main).toContain('3 requests');
    expect(thrust).toContain('2 requests');
    expect(tok(main)).not.toBe(tok(thrust));

    // Over time: the token and cost charts split by project name, then by project and branch.
    await page.getByTestId('split-by').selectOption('project');
    await expect.poll(() => page.getByTestId('tokens-legend').innerText()).toContain('lunar-lander');
    const legend = await page.getByTestId('tokens-legend').innerText();
    expect(legend).toContain('moon-base');
    expect(legend).not.toContain('/home/dev');
    await page.getByTestId('chart-tokens').scrollIntoViewIfNeeded();
    await shot(page, 'project-analytics-split');
    await page.getByTestId('split-by').selectOption('branch');
    await expect
      .poll(() => page.getByTestId('tokens-legend').innerText())
      .toContain('lunar-lander@feature/thrust');
    await shot(page, 'project-analytics-branch-split');
    await page.getByTestId('project-panel').scrollIntoViewIfNeeded();
    await shot(page, 'project-analytics-ranked');
    expect(errors).toEqual([]);
  });
});
