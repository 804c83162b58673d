// Headless `lunaroute serve` applies edits of config.yaml while it runs, like the desktop app: a valid edit of the
// redaction mode changes what the next request's recording holds; keys that need a restart are named; a broken
// edit is reported and the running config stays.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.js';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EMAIL = ['reload.check', 'example-corp.io'].join('@');

let fake: FakeProvider;
let child: ChildProcess | null = null;
let stderr = '';
const home = makeTempDir('lr-reload-');
const dataDir = path.join(home, 'data');
const configFile = path.join(dataDir, 'config.yaml');

beforeAll(async () => {
  fake = await startFakeProvider();
});
afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await fake.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function writeConfig(mode: string, extra = ''): void {
  fs.writeFileSync(
    configFile,
    `upstreams:\n  anthropic:\n    url: ${fake.url}\nredaction:\n  mode: ${mode}\n${extra}`,
  );
}

/** Resolves when stderr (from `from` on) matches; rejects if the server exits first or after 20 s. */
function stderrMatch(re: RegExp, from: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${re} in stderr: ${stderr.slice(from)}`)), 20_000);
    const check = (): void => {
      const m = stderr.slice(from).match(re);
      if (!m) return;
      clearTimeout(timer);
      child!.stderr!.off('data', check);
      resolve(m[0]);
    };
    child!.stderr!.on('data', check);
    child!.once('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
    check();
  });
}

async function ask(proxyUrl: string, session: string): Promise<void> {
  const res = await fetch(`${proxyUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-test',
      'x-claude-code-session-id': session,
    },
    body: JSON.stringify({
      model: 'claude-test',
      max_tokens: 5,
      messages: [{ role: 'user', content: `mail ${EMAIL}` }],
    }),
  });
  expect(res.status).toBe(200);
  await res.text();
}

function sessionText(session: string): string {
  const sessions = path.join(dataDir, 'sessions');
  const day = fs.readdirSync(sessions).find((d) => fs.existsSync(path.join(sessions, d, `${session}.jsonl`)));
  return day ? fs.readFileSync(path.join(sessions, day, `${session}.jsonl`), 'utf8') : '';
}

async function untilRecorded(session: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = sessionText(session);
    if (text.includes('"type":"response"')) return text;
    if (Date.now() > deadline) throw new Error(`session ${session} not recorded`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('lunaroute serve and config.yaml edits', () => {
  it('applies a new redaction mode live, names restart-only keys, and keeps running on a broken edit', async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    writeConfig('mask');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: home,
      ELECTRON_OVERRIDE_DIST_PATH: path.join(home, 'x'),
    };
    for (const k of Object.keys(env)) if (k.startsWith('LUNAROUTE_')) delete env[k];
    child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin/lunaroute.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--ui-port', '0'],
      { cwd: home, env },
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const [ready] = (await once(child.stdout!, 'data')) as [Buffer];
    const proxyUrl = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(ready.toString() + stdout)![1]!;

    await ask(proxyUrl, 'before-edit');
    expect(await untilRecorded('before-edit')).not.toContain(EMAIL);

    let mark = stderr.length;
    writeConfig('off');
    await stderrMatch(/changed: applied redaction/, mark);
    await ask(proxyUrl, 'after-edit');
    expect(await untilRecorded('after-edit')).toContain(EMAIL);

    mark = stderr.length;
    writeConfig('off', 'timeouts:\n  idle_ms: 123456\n');
    expect(await stderrMatch(/restart lunaroute to apply: timeouts/, mark)).toBeTruthy();

    mark = stderr.length;
    fs.writeFileSync(configFile, 'redaction:\n  mode: [not, a, mode\n');
    await stderrMatch(/not applied \(the running config stays\)/, mark);
    const health = await fetch(`${proxyUrl}/healthz`);
    expect(health.status).toBe(200);
  }, 60_000);
});
