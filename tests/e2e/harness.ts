// End-to-end harness: the real `lunaroute serve` (compiled bin) against the fake provider on loopback, with a
// temp data dir, plus real Chromium (Debian's /usr/bin/chromium via playwright-core, no background networking).
// Parses the ready line for the proxy and UI URLs; waits on events, never sleeps. Screenshots go to
// test-artifacts/ui/.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'ui');
export const CHROMIUM = process.env.LUNAROUTE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const READY = /^LunaRoute listening on (http:\/\/127\.0\.0\.1:\d+) — .* — UI (http:\/\/127\.0\.0\.1:\d+)$/m;

export interface Served {
  provider: FakeProvider;
  proxyUrl: string;
  uiUrl: string;
  dataDir: string;
  home: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export function chromiumMissing(): string | null {
  return fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install -y chromium)`;
}

export async function serve(
  opts: { dataDir?: string; provider?: FakeProvider; extraArgs?: string[] } = {},
): Promise<Served> {
  const provider = opts.provider ?? (await startFakeProvider({ slowDelayMs: 150 }));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-e2e-'));
  const dataDir = opts.dataDir ?? path.join(home, '.lunaroute');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LUNAROUTE_')) env[k] = v;
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'lunaroute.js'),
      'serve',
      '--port=0',
      '--ui-port=0',
      `--data-dir=${dataDir}`,
      `--anthropic-upstream=${provider.url}`,
      `--openai-upstream=${provider.url}/v1`,
      ...(opts.extraArgs ?? []),
    ],
    { cwd: home, env: { ...env, HOME: home, ELECTRON_OVERRIDE_DIST_PATH: path.join(home, 'no-electron') } },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const m = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const r = READY.exec(out);
      if (r) resolve(r);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before it was ready:\n${err}`)));
  });
  return {
    provider,
    proxyUrl: m[1]!,
    uiUrl: m[2]!,
    dataDir,
    home,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!opts.provider) await provider.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function newPage(
  browser: Browser,
  opts: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 860 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** An Anthropic Messages request through the proxy (streaming unless told otherwise). */
export function anthropicRequest(
  proxyUrl: string,
  text: string,
  opts: { stream?: boolean; sessionId?: string; tools?: unknown[]; messages?: unknown[] } = {},
): Promise<Response> {
  return fetch(`${proxyUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-test-key',
      'anthropic-version': '2023-06-01',
      'user-agent': 'claude-cli/2.1.0 (external, cli)',
      ...(opts.sessionId ? { 'x-claude-code-session-id': opts.sessionId } : {}),
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      stream: opts.stream ?? true,
      system: 'You are a careful coding assistant.',
      ...(opts.tools ? { tools: opts.tools } : {}),
      messages: opts.messages ?? [{ role: 'user', content: text }],
    }),
  });
}
