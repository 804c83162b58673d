// The live window end to end: real Chromium against `lunaroute serve` with the fake provider. Asserts what a
// user sees — the empty state, a streaming request appearing and growing, outcomes arriving, the session view
// (transcript, tool call, tokens, raw JSON), search, the three exports (HAR checked against the HAR 1.2 schema),
// settings changed live — and that the UI server refuses foreign Origins/Hosts and token-less calls, that the
// CSP holds (no violations) and that recorded markup renders as text. Screenshots: test-artifacts/ui/.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAR_SCHEMA } from './har-schema.js';
import {
  ARTIFACTS,
  anthropicRequest,
  chromiumMissing,
  launch,
  newPage,
  screenshot,
  serve,
  type Served,
} from './harness.js';
import { FAKE_TOOL_OUTPUT, type RecordedRequest } from '../support/fake-provider/index.js';

const missing = chromiumMissing();
if (missing) console.warn(`UI e2e skipped: ${missing}`);

const require = createRequire(import.meta.url);
const BASH_TOOL = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
};

/** The browser globals the page-side functions below use (this tsconfig has no DOM lib). */
interface BrowserLike {
  document: {
    querySelector(s: string): { getAttribute(n: string): string | null } | null;
    addEventListener(t: string, f: (e: { violatedDirective: string; blockedURI: string }) => void): void;
    body: unknown;
  };
  MutationObserver: new (cb: () => void) => { observe(t: unknown, o: object): void; disconnect(): void };
  __csp: string[];
  __xss?: number;
}

interface ClipboardLike {
  navigator: { clipboard: { readText(): Promise<string> } };
}

/** Record CSP violations from the start of every page. */
async function trackCsp(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = globalThis as unknown as BrowserLike;
    w.__csp = [];
    w.document.addEventListener('securitypolicyviolation', (e) =>
      w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
}
const cspViolations = (page: Page): Promise<string[]> =>
  page.evaluate(() => (globalThis as unknown as BrowserLike).__csp);

function nextRequest(s: Served): Promise<RecordedRequest> {
  return new Promise((resolve) => s.provider.events.once('request', resolve));
}

function rawRequest(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        headers: opts.headers ?? {},
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe.skipIf(missing !== null)('the live window in Chromium', () => {
  let s: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let token: string;

  beforeAll(async () => {
    // Clear this suite's own artifacts (screenshots, exports), not the measurements other suites left there.
    if (fs.existsSync(ARTIFACTS)) {
      for (const f of fs.readdirSync(ARTIFACTS)) {
        if (/^\d\d-.*\.png$/.test(f) || f === 'exports')
          fs.rmSync(path.join(ARTIFACTS, f), { recursive: true, force: true });
      }
    }
    s = await serve();
    browser = await launch();
    ({ page, errors } = await newPage(browser));
    await trackCsp(page);
  });

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
  });

  it('an install without traffic shows how to point Claude Code, Codex and OpenCode at the proxy', async () => {
    await page.goto(s.uiUrl);
    const empty = page.getByTestId('empty-state');
    await empty.waitFor();
    const text = await empty.innerText();
    expect(text).toContain(`export ANTHROPIC_BASE_URL=${s.proxyUrl}`);
    expect(text).toContain(`openai_base_url='"${s.proxyUrl}/v1"'`);
    expect(text).toContain('opencode.json');
    token = (await page.locator('meta[name="lunaroute-token"]').getAttribute('content'))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    await screenshot(page, '01-empty-light');
    const dark = await newPage(browser, { colorScheme: 'dark' });
    await dark.page.goto(s.uiUrl);
    await dark.page.getByTestId('empty-state').waitFor();
    await screenshot(dark.page, '02-empty-dark');
    await dark.context.close();
  });

  it('a streamed request appears in the live list while it is still streaming, and its text grows', async () => {
    const arrived = nextRequest(s);
    const response = anthropicRequest(
      s.proxyUrl,
      'Explain closures in JavaScript SCENARIO:slow SCENARIO:big-25',
      {
        sessionId: 'sess-stream-1',
      },
    );
    const rec = await arrived;
    const row = page.locator('[data-testid=session-row][data-session-id="sess-stream-1"]');
    await row.waitFor({ timeout: 5000 });
    // How fast it appears is measured by `npm run bench -- ui` (new_session_visible_ms), not asserted here.
    const appearedMs = Date.now() - rec.receivedAt;
    await expect.poll(() => row.getByTestId('row-status').getAttribute('data-status')).toBe('streaming');
    const preview = row.getByTestId('row-preview');
    await expect.poll(() => preview.innerText(), { timeout: 3000 }).toContain('chunk');
    const first = await preview.innerText();
    await expect.poll(async () => (await preview.innerText()) !== first, { timeout: 5000 }).toBe(true);
    await screenshot(page, '03-live-streaming-light');
    await (await response).text();
    await expect.poll(() => row.getByTestId('row-status').getAttribute('data-status')).toBe('ok');
    console.info(`streamed request visible ${appearedMs} ms after it arrived`);
  });

  it("a request's outcome reaches the UI (the lag is measured for npm run bench -- ui)", async () => {
    const lags: number[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `sess-outcome-${i}`;
      const arrived = nextRequest(s);
      const response = anthropicRequest(s.proxyUrl, `outcome ${i} SCENARIO:slow-80`, { sessionId: id });
      const rec = await arrived;
      const row = page.locator(`[data-testid=session-row][data-session-id="${id}"]`);
      await row.waitFor();
      await expect.poll(() => row.getByTestId('row-status').getAttribute('data-status')).toBe('streaming');
      // Stamp (in the page) the moment the row's status turns ok.
      const seen = page.evaluate(
        (sid) =>
          new Promise<number>((resolve) => {
            const w = globalThis as unknown as BrowserLike;
            const check = (): boolean => {
              const el = w.document.querySelector(`[data-session-id="${sid}"] [data-testid=row-status]`);
              if (el?.getAttribute('data-status') === 'ok') {
                resolve(Date.now());
                return true;
              }
              return false;
            };
            if (check()) return;
            const mo = new w.MutationObserver(() => check() && mo.disconnect());
            mo.observe(w.document.body, { subtree: true, attributes: true, childList: true });
          }),
        id,
      );
      await rec.done;
      const finishedAt = Date.now();
      await (await response).text();
      lags.push((await seen) - finishedAt);
    }
    lags.sort((a, b) => a - b);
    console.info(`outcome → UI lag (ms): ${lags.join(', ')}`);
    // Speed is a benchmark figure (target 100 ms, median of 5), not a test assertion: record it.
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(
      path.join(ARTIFACTS, 'outcome-lag.json'),
      JSON.stringify({ lags_ms: lags, median_ms: lags[2] }) + '\n',
    );
    expect(lags).toHaveLength(5);
  });

  it('the session view shows the transcript, the tool call, tokens, the waterfall and raw JSON', async () => {
    const sid = 'sess-tools-1';
    const prompt = 'List the files, my email is alice.smith@acme-corp.io SCENARIO:tool';
    const first = await anthropicRequest(s.proxyUrl, prompt, {
      sessionId: sid,
      tools: [BASH_TOOL],
      stream: false,
    });
    const answer = (await first.json()) as {
      content: { type: string; id?: string; name?: string; input?: unknown }[];
    };
    const call = answer.content.find((b) => b.type === 'tool_use')!;
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
    await page.goto(`${s.uiUrl}/#/`);
    const row = page.locator(`[data-testid=session-row][data-session-id="${sid}"]`);
    await row.click();
    const view = page.getByTestId('session-view');
    await view.waitFor();
    const transcript = page.getByTestId('transcript');
    await expect.poll(() => transcript.innerText()).toContain('Tool output');
    const text = await transcript.innerText();
    expect(text).toContain('List the files, my email is [EMAIL]');
    expect(text).not.toContain('alice.smith@acme-corp.io');
    expect(await page.getByTestId('tool-call').first().innerText()).toContain('Bash');
    expect(await page.getByTestId('tool-call').first().innerText()).toContain('echo lunaroute-tool');
    expect(text).toContain(FAKE_TOOL_OUTPUT);
    expect(text).toContain('System prompt');
    expect(await page.getByTestId('tokens-input').innerText()).toMatch(/\d/);
    // claude-sonnet-4-5 has a price: the session shows dollars computed from its token kinds, not "unpriced".
    expect(await page.getByTestId('session-cost').innerText()).toMatch(/^\$\d/);
    expect(await page.getByTestId('tokens-output').innerText()).toMatch(/\d/);
    await screenshot(page, '04-session-transcript-light');

    await page.getByTestId('tab-timeline').click();
    await page.getByTestId('waterfall').waitFor();
    expect(await page.getByTestId('waterfall').innerText()).toContain('Tool time');
    await screenshot(page, '05-session-timeline-light');

    await page.getByTestId('tab-requests').click();
    await page.getByTestId('raw-toggle').first().click();
    const raw = page.getByTestId('raw-json');
    await raw.waitFor();
    expect(await raw.innerText()).toContain('"messages"');
    await screenshot(page, '06-session-requests-raw-light');

    await page.getByTestId('tab-tools').click();
    expect(await page.getByTestId('tool-stats').innerText()).toContain('Bash');
    await page.getByTestId('tab-redaction').click();
    expect(await page.getByTestId('redaction-report').innerText()).toMatch(/email\s+\d+/);
    await screenshot(page, '07-session-redaction-light');

    const dark = await newPage(browser, { colorScheme: 'dark' });
    await dark.page.goto(`${s.uiUrl}/#/session/${sid}`);
    await dark.page.getByTestId('transcript').waitFor();
    await screenshot(dark.page, '08-session-transcript-dark');
    await dark.page.goto(`${s.uiUrl}/#/`);
    await dark.page.getByTestId('session-row').first().waitFor();
    await screenshot(dark.page, '09-live-dark');
    await dark.context.close();
  });

  it('search finds a word that only a response contains, and marks it', async () => {
    await page.goto(`${s.uiUrl}/#/`);
    await page.locator('#search').fill('lunaroute');
    const rows = page.getByTestId('session-row');
    await expect.poll(() => page.getByTestId('session-count').innerText()).toBe('1 session');
    expect(await rows.first().getAttribute('data-session-id')).toBe('sess-tools-1');
    expect(await rows.first().locator('mark').first().innerText()).toMatch(/lunaroute/i);
    await screenshot(page, '10-live-search-light');
    await page.locator('#search').fill('');
    await expect.poll(() => page.getByTestId('session-count').innerText()).not.toBe('1 session');
  });

  it('each export downloads a valid file: JSONL parses, HAR passes the HAR 1.2 schema, Markdown has the turns', async () => {
    await page.goto(`${s.uiUrl}/#/session/sess-tools-1`);
    await page.getByTestId('transcript').waitFor();
    const download = async (format: string): Promise<{ name: string; text: string }> => {
      const [d] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`export-${format}`).click(),
      ]);
      const file = path.join(ARTIFACTS, 'exports', d.suggestedFilename());
      await d.saveAs(file);
      return { name: d.suggestedFilename(), text: fs.readFileSync(file, 'utf8') };
    };

    const jsonl = await download('jsonl');
    expect(jsonl.name).toBe('lunaroute-sess-tools-1.jsonl');
    const lines = jsonl.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).toEqual(
      expect.arrayContaining(['session', 'block', 'request', 'response']),
    );
    expect(jsonl.text).not.toContain('alice.smith@acme-corp.io');
    expect(jsonl.text).not.toContain('sk-ant-test-key');

    const har = await download('har');
    expect(har.name).toBe('lunaroute-sess-tools-1.har');
    const harJson = JSON.parse(har.text) as {
      log: {
        entries: {
          _lunaroute: { session_id: string; tokens: { output: number } };
          response: { content: { text: string } };
        }[];
      };
    };
    const Ajv = (require('ajv') as { default: typeof AjvClass }).default;
    const addFormats = (require('ajv-formats') as { default: FormatsPlugin }).default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(HAR_SCHEMA);
    expect(validate(harJson), JSON.stringify(validate.errors)).toBe(true);
    expect(harJson.log.entries).toHaveLength(2);
    expect(harJson.log.entries[0]!._lunaroute.session_id).toBe('sess-tools-1');
    expect(harJson.log.entries[1]!._lunaroute.tokens.output).toBeGreaterThan(0);
    expect(harJson.log.entries[1]!.response.content.text).toContain('Tool output');
    expect(har.text).not.toContain('alice.smith@acme-corp.io');

    const md = await download('md');
    expect(md.name).toBe('lunaroute-sess-tools-1.md');
    expect(md.text).toContain('# LunaRoute session sess-tools-1');
    expect(md.text).toContain('### User');
    expect(md.text).toContain('### Assistant');
    expect(md.text).toContain('**Tool call** Bash');
    expect(md.text).toContain('[EMAIL]');
  });

  it('recorded markup is rendered as text (a tool named like an <img> tag runs nothing)', async () => {
    const sid = 'sess-xss';
    const evil = '<img src=x onerror=window.__xss=1>';
    await (
      await anthropicRequest(s.proxyUrl, `<script>window.__xss=2</script> ${evil} SCENARIO:tool`, {
        sessionId: sid,
        tools: [{ name: evil, description: evil, input_schema: { type: 'object', properties: {} } }],
      })
    ).text();
    await page.goto(`${s.uiUrl}/#/session/${sid}`);
    const call = page.getByTestId('tool-call').first();
    await call.waitFor();
    expect(await call.innerText()).toContain(evil);
    expect(await page.getByTestId('transcript').innerText()).toContain('<script>window.__xss=2</script>');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserLike).__xss)).toBeUndefined();
    expect(await page.locator('[data-testid=transcript] img, [data-testid=transcript] script').count()).toBe(
      0,
    );
  });

  it('settings change live: recording off shows Paused and the redaction mode switches', async () => {
    await page.goto(`${s.uiUrl}/#/settings`);
    const rec = page.getByTestId('setting-recording');
    await rec.waitFor();
    expect(await rec.isChecked()).toBe(true);
    await rec.uncheck();
    await expect.poll(() => page.getByTestId('recording-toggle').innerText()).toContain('Paused');
    await page.locator('input[type=radio][value=tokenize]').check();
    const res = await rawRequest(s.uiUrl, {
      method: 'POST',
      path: '/api/call/settings.get',
      headers: { 'content-type': 'application/json', 'x-lunaroute-token': token },
      body: '{}',
    });
    const settings = (JSON.parse(res.body) as { value: { recording: boolean; redaction_mode: string } })
      .value;
    expect(settings).toMatchObject({ recording: false, redaction_mode: 'tokenize' });
    await screenshot(page, '11-settings-light');
    const dark = await newPage(browser, { colorScheme: 'dark' });
    await dark.page.goto(`${s.uiUrl}/#/settings`);
    await dark.page.getByTestId('setting-recording').waitFor();
    await screenshot(dark.page, '12-settings-dark');
    await dark.context.close();
    await rec.check();
    await page.locator('input[type=radio][value=mask]').check();
    await expect.poll(() => page.getByTestId('recording-toggle').innerText()).toContain('Recording');
  });

  it('Settings copies the exports of either mode; the forward-proxy ones create the CA and name it', async () => {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.goto(`${s.uiUrl}/#/settings`);
    const section = page.getByTestId('setup-modes');
    await section.waitFor();
    const cert = path.join(s.dataDir, 'ca', 'lunaroute-ca.pem');
    expect(fs.existsSync(cert)).toBe(false); // created on first use, not by opening Settings
    await section.getByRole('button', { name: 'Copy exports' }).first().click();
    await expect
      .poll(() =>
        page.evaluate(() => (globalThis as unknown as ClipboardLike).navigator.clipboard.readText()),
      )
      .toContain(`export ANTHROPIC_BASE_URL=${s.proxyUrl}`);
    await page.getByTestId('copy-forward').click();
    await expect.poll(() => section.innerText()).toContain(cert);
    const copied = await page.evaluate(() =>
      (globalThis as unknown as ClipboardLike).navigator.clipboard.readText(),
    );
    expect(copied).toContain(`export HTTPS_PROXY=${s.proxyUrl};`);
    expect(copied).toContain(`export NODE_EXTRA_CA_CERTS=${cert};`);
    expect(copied).not.toMatch(/export \w*BASE_URL/);
    expect(fs.readFileSync(cert, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('a budget typed in Settings applies at once (banner), survives a reload, and a bad amount is refused', async () => {
    await page.goto(`${s.uiUrl}/#/settings`);
    const daily = page.getByTestId('budget-daily');
    await daily.waitFor();
    expect(await daily.inputValue()).toBe('');
    await daily.fill('-2');
    await daily.blur();
    const formError = page.getByTestId('settings-view').getByRole('alert');
    await expect.poll(() => formError.innerText(), { timeout: 5000 }).toMatch(/daily_usd/);
    // Earlier tests sent priced claude-sonnet-4-5 traffic today: a tiny budget is already reached.
    await daily.fill('0.000001');
    await daily.blur();
    const banner = page.getByTestId('problems');
    await expect
      .poll(() => banner.innerText(), { timeout: 5000 })
      .toMatch(/Budget reached.*Daily budget of \$0\.0000010 reached: \$0\.\d+ spent today/s);
    await screenshot(page, '13-settings-budget-reached');
    await page.reload();
    await page.getByTestId('budget-daily').waitFor();
    expect(await page.getByTestId('budget-daily').inputValue()).toBe('0.000001');
    await page.getByTestId('budget-daily').fill('');
    await page.getByTestId('budget-daily').blur();
    await expect
      .poll(async () => {
        const res = await rawRequest(s.uiUrl, {
          method: 'POST',
          path: '/api/call/settings.get',
          headers: { 'content-type': 'application/json', 'x-lunaroute-token': token },
          body: '{}',
        });
        return (JSON.parse(res.body) as { value: { budgets: unknown } }).value.budgets;
      })
      .toEqual({ daily_usd: null, weekly_usd: null, limit_percent: 80 }); // limit_percent: the default
    await banner.getByRole('button', { name: 'Dismiss' }).click();
  });

  it('the UI server refuses a foreign Host, a foreign Origin, cross-site fetches and calls without the token', async () => {
    const port = new URL(s.uiUrl).port;
    const call = (headers: Record<string, string>) =>
      rawRequest(s.uiUrl, {
        method: 'POST',
        path: '/api/call/stats.get',
        headers: { 'content-type': 'application/json', 'x-lunaroute-token': token, ...headers },
        body: '{}',
      });
    expect((await call({})).status).toBe(200);
    expect((await call({ origin: s.uiUrl })).status).toBe(200);
    expect((await call({ host: `evil.example:${port}` })).status).toBe(403); // DNS rebinding
    expect((await rawRequest(s.uiUrl, { path: '/', headers: { host: `evil.example:${port}` } })).status).toBe(
      403,
    );
    expect((await call({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await call({ origin: `http://127.0.0.1:${Number(port) + 1}` })).status).toBe(403);
    expect((await call({ origin: 'null' })).status).toBe(403);
    expect((await call({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await call({ 'x-lunaroute-token': 'wrong' })).status).toBe(403);
    expect((await rawRequest(s.uiUrl, { path: '/api/events' })).status).toBe(403);
    const bad = await call({ 'content-type': 'text/plain' });
    expect(bad.status).toBe(415);
    const badArgs = await rawRequest(s.uiUrl, {
      method: 'POST',
      path: '/api/call/sessions.list',
      headers: { 'content-type': 'application/json', 'x-lunaroute-token': token },
      body: '{"limit":"all"}',
    });
    expect(badArgs.status).toBe(400);
    expect(JSON.parse(badArgs.body)).toMatchObject({ ok: false, error: { code: 'bad_args' } });
    expect(JSON.parse(badArgs.body).error.message).toContain('limit: expected an integer');
    const page1 = await rawRequest(s.uiUrl, { path: '/' });
    expect(page1.status).toBe(200);
    // A page from another origin cannot read the API: the browser sends its Origin and gets a 403.
    const other = http.createServer((_q, r) => r.end('<!doctype html><title>other</title>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    try {
      const foreign = await newPage(browser);
      await foreign.page.goto(`http://127.0.0.1:${(other.address() as { port: number }).port}/`);
      const result = await foreign.page.evaluate(async (url) => {
        try {
          const r = await fetch(`${url}/api/call/stats.get`, { method: 'POST', body: '{}' });
          return `status ${r.status}`;
        } catch (e) {
          return `blocked: ${(e as Error).message}`;
        }
      }, s.uiUrl);
      expect(result).toMatch(/^blocked|^status 403/);
      await foreign.context.close();
    } finally {
      other.close();
    }
  });

  it('ran without CSP violations or page errors', async () => {
    expect(await cspViolations(page)).toEqual([]);
    expect(errors.filter((e) => !e.includes('403'))).toEqual([]);
  });
});
