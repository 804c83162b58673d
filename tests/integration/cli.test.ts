// The real `lunaroute` bin (and `npm start`'s script) as child processes, against the real proxy on loopback:
// version/help, the ready line and /healthz, graceful SIGTERM, one-line errors with the right exit codes,
// `env` starting and reusing a background server. HOME and the data dir are temp dirs; no LUNAROUTE_* variable
// of the developer leaks in. Needs `npm run build` (the bin runs dist/); waits on events, never sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, get, request, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'lunaroute.js');
const START = join(ROOT, 'scripts', 'start.js');
const READY =
  /^LunaRoute listening on (http:\/\/127\.0\.0\.1:(\d+)) — Anthropic → (\S+), OpenAI → (\S+)(?: — UI (\S+))?$/;
const STACK_LINE = /^\s+at /m;

let home: string;
let dataDir: string;
const children = new Set<ChildProcess>();
const backgroundPids = new Set<number>();

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist', 'src-main', 'cli.js'))) {
    throw new Error('dist/src-main/cli.js is missing: run `npm run build` before the CLI tests');
  }
});

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lr-cli-'));
  dataDir = join(home, '.lunaroute');
});

afterEach(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  children.clear();
  for (const pid of backgroundPids) killQuietly(pid);
  backgroundPids.clear();
  rmSync(home, { recursive: true, force: true });
});

afterAll(() => {
  for (const pid of backgroundPids) killQuietly(pid);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LUNAROUTE_')) env[k] = v;
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    ELECTRON_OVERRIDE_DIST_PATH: join(home, 'no-electron-here'),
    ...extra,
  };
}

function spawnNode(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [script, ...args], { cwd: home, env: childEnv(env) });
  children.add(child);
  return child;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function collect(child: ChildProcess): () => { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return () => ({ stdout, stderr });
}

async function run(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = spawnNode(BIN, args, env);
  const output = collect(child);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, ...output() };
}

/** Resolves once `ready(output)` holds, checked on every chunk of output; rejects if the process exits first. */
function waitForOutput<T>(
  child: ChildProcess,
  output: () => { stdout: string; stderr: string },
  ready: (o: { stdout: string; stderr: string }) => T | undefined,
): Promise<T> {
  return new Promise((resolveWait, reject) => {
    const check = (): void => {
      const value = ready(output());
      if (value !== undefined) {
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        resolveWait(value);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code} first; stderr: ${output().stderr}`)));
    check();
  });
}

/** The first stdout line. */
function firstLine(child: ChildProcess, output: () => { stdout: string; stderr: string }): Promise<string> {
  return waitForOutput(child, output, ({ stdout }) =>
    stdout.includes('\n') ? stdout.split('\n')[0] : undefined,
  );
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolveGet, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolveGet({ status: res.statusCode ?? 0, body: JSON.parse(body) as Record<string, unknown> }),
      );
    }).on('error', reject);
  });
}

/** A port that was free a moment ago (env needs a fixed one). */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Poll until nothing accepts connections on the port, within a bounded deadline. */
async function waitUntilRefused(port: number, deadlineMs = 10_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const refused = await new Promise<boolean>((r) => {
      get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        r(false);
      }).on('error', (err: NodeJS.ErrnoException) => r(err.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    if (Date.now() > deadline) throw new Error(`port ${port} still answers`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('lunaroute --version / --help', () => {
  it('prints the package version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    const r = await run(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('lists the commands', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: lunaroute <command> [options]');
    expect(r.stdout).toMatch(/^ {2}serve /m);
    expect(r.stdout).toMatch(/^ {2}env /m);
  });

  it('lists every flag of serve with its environment variable and default', async () => {
    const r = await run(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const [flag, env, def] of [
      ['--host <addr>', 'LUNAROUTE_HOST', '127.0.0.1'],
      ['--port <n>', 'LUNAROUTE_PORT', '8081'],
      ['--ui-port <n>', 'LUNAROUTE_UI_PORT', '8082'],
      ['--data-dir <dir>', 'LUNAROUTE_DATA_DIR', '~/.lunaroute'],
      ['--config <file>', 'LUNAROUTE_CONFIG', '<data dir>/config.yaml'],
      ['--anthropic-upstream <url>', 'LUNAROUTE_ANTHROPIC_UPSTREAM', 'https://api.anthropic.com'],
      ['--openai-upstream <url>', 'LUNAROUTE_OPENAI_UPSTREAM', 'https://api.openai.com/v1'],
      ['--log-level <level>', 'LUNAROUTE_LOG_LEVEL', 'info'],
    ]) {
      expect(r.stdout).toContain(flag);
      expect(r.stdout).toContain(`(env ${env}, default ${def})`);
    }
  });
});

describe('usage errors exit 2 with one line', () => {
  it('rejects an unknown flag', async () => {
    const r = await run(['serve', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("lunaroute: serve: unknown option '--bogus' — see lunaroute serve --help\n");
    expect(r.stdout).toBe('');
  });

  it('rejects an unknown command and shows the usage', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("lunaroute: unknown command 'frobnicate' — see lunaroute --help");
    expect(r.stderr).toContain('Usage: lunaroute <command>');
  });

  it('reports an invalid config value in one line', async () => {
    const r = await run(['serve', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lunaroute: port must be an integer from 0 to 65535, got "abc" (flag --port)\n');
  });

  it('reports a missing --config file in one line', async () => {
    const missing = join(home, 'nope.yaml');
    const r = await run(['serve', '--config', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`lunaroute: config file ${missing} does not exist\n`);
  });
});

describe('lunaroute serve', () => {
  it('prints one ready line, answers /healthz through that URL, and exits 0 on SIGTERM', async () => {
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'config.yaml'), 'prot: 1\n');
    const child = spawnNode(BIN, [
      'serve',
      '--port',
      '0',
      '--ui-port',
      '0',
      '--anthropic-upstream',
      'http://127.0.0.1:9/',
    ]);
    const output = collect(child);
    const line = await firstLine(child, output);
    const m = READY.exec(line);
    expect(m, line).not.toBeNull();
    expect(m![3]).toBe('http://127.0.0.1:9');
    expect(m![4]).toBe('https://api.openai.com/v1');
    expect(output().stderr).toContain(
      `lunaroute: warning: unknown key 'prot' in ${join(dataDir, 'config.yaml')}`, // printed before startCore
    );

    const health = await getJson(`${m![1]}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', service: 'lunaroute', pid: child.pid });

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
    expect(output().stdout).toBe(line + '\n'); // exactly one line on stdout
  });

  it('exits at once on a second signal while the first one waits for an in-flight request', async () => {
    // An upstream that accepts a request and never answers keeps the graceful stop waiting (60 s grace).
    let sawRequest!: () => void;
    const requestArrived = new Promise<void>((r) => (sawRequest = r));
    const upstream = createServer(() => sawRequest());
    const upstreamPort = await listen(upstream);
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'config.yaml'), 'timeouts:\n  shutdown_grace_ms: 60000\n');
    const child = spawnNode(BIN, [
      'serve',
      '--port=0',
      '--ui-port=0',
      `--anthropic-upstream=http://127.0.0.1:${upstreamPort}`,
    ]);
    const output = collect(child);
    const url = new URL(READY.exec(await firstLine(child, output))![1]!);
    const pending = request({
      host: '127.0.0.1',
      port: Number(url.port),
      path: '/v1/messages',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'x-api-key': 'test' },
    });
    pending.on('error', () => {}); // cut when the server exits
    pending.end('{"model":"m","messages":[]}');
    try {
      await requestArrived;
      child.kill('SIGTERM');
      await waitForOutput(child, output, ({ stderr }) => (stderr.includes('stopping') ? true : undefined));
      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(143);
      expect(output().stderr).toContain('again — exiting now');
    } finally {
      pending.destroy();
      upstream.closeAllConnections();
      upstream.close();
    }
  });

  it('exits 1 with one line and no stack trace when the port is taken', async () => {
    const blocker = createTcpServer();
    const port = await listen(blocker);
    try {
      const r = await run(['serve', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `lunaroute: 127.0.0.1:${port} is already in use by another program (is LunaRoute already running? try --port)\n`,
      );
      expect(r.stderr).not.toMatch(STACK_LINE);
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  });
});

describe('lunaroute env', () => {
  it('starts a background server, prints the exports, and reuses it on the next call', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const first = await run(['env', '--port', String(port), '--ui-port', '0']);
    expect(first.code, first.stderr).toBe(0);

    const health = await getJson(`${origin}/healthz`);
    expect(health.body.service).toBe('lunaroute');
    const pid = health.body.pid as number;
    backgroundPids.add(pid);

    const lines = first.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      `export ANTHROPIC_BASE_URL=${origin}`,
      `export OPENAI_BASE_URL=${origin}/v1`,
    ]);
    expect(lines.slice(2).every((l) => l.startsWith('#'))).toBe(true);
    expect(first.stdout).toContain(`codex -c openai_base_url='"${origin}/v1"'`);
    expect(first.stdout).toContain(`openai_base_url = "${origin}/v1"`);
    expect(first.stdout).toContain(`{"provider":{"anthropic":{"options":{"baseURL":"${origin}/v1"}}}}`);
    expect(first.stderr).toContain('starting LunaRoute in the background');

    const log = join(dataDir, 'lunaroute.log');
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);

    const second = await run(['env', '--port', String(port)]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toContain(`already running on ${origin}`);
    expect(second.stderr).toContain(`(pid ${pid})`);
    expect(second.stderr).not.toContain('starting');

    process.kill(pid, 'SIGTERM');
    await waitUntilRefused(port);
    backgroundPids.delete(pid);
  });

  it('works with an unquoted eval in a shell', async () => {
    const port = await freePort();
    const script = `eval $("${process.execPath}" "${BIN}" env --port ${port} 2>/dev/null); echo "$ANTHROPIC_BASE_URL|$OPENAI_BASE_URL"`;
    const child = spawn('sh', ['-c', script], { cwd: home, env: childEnv() });
    children.add(child);
    const output = collect(child);
    await once(child, 'close');
    const health = await getJson(`http://127.0.0.1:${port}/healthz`);
    backgroundPids.add(health.body.pid as number);
    expect(output().stdout).toBe(`http://127.0.0.1:${port}|http://127.0.0.1:${port}/v1\n`);
  });

  it('refuses a port held by another program', async () => {
    const other = createServer((_req, res) => res.writeHead(404).end('not here'));
    const port = await listen(other);
    try {
      const r = await run(['env', '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `lunaroute: 127.0.0.1:${port} is busy with another program (not LunaRoute: HTTP 404); choose another port with --port\n`,
      );
      expect(r.stdout).toBe('');
    } finally {
      other.close();
    }
  });

  it('needs a fixed port', async () => {
    const r = await run(['env', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lunaroute: env: needs a fixed port .* — see lunaroute env --help\n$/);
  });

  it('--mode forward, even with an unquoted eval, sets HTTPS_PROXY, the CA variables and NO_PROXY, and unsets base URLs', async () => {
    const port = await freePort();
    const script =
      `export ANTHROPIC_BASE_URL=stale; eval $("${process.execPath}" "${BIN}" env --mode forward --port ${port} 2>/dev/null); ` +
      `echo "$HTTPS_PROXY|$NODE_EXTRA_CA_CERTS|$CODEX_CA_CERTIFICATE|$NO_PROXY|\${ANTHROPIC_BASE_URL-unset}"`;
    const child = spawn('sh', ['-c', script], { cwd: home, env: childEnv() });
    children.add(child);
    const output = collect(child);
    await once(child, 'close');
    const health = await getJson(`http://127.0.0.1:${port}/healthz`);
    backgroundPids.add(health.body.pid as number);
    const cert = join(dataDir, 'ca', 'lunaroute-ca.pem');
    expect(output().stdout).toBe(`http://127.0.0.1:${port}|${cert}|${cert}|localhost,127.0.0.1,::1|unset\n`);
    expect(statSync(cert).mode & 0o777).toBe(0o644);
  });

  it('rejects an unknown --mode', async () => {
    const r = await run(['env', '--mode', 'sideways', '--port', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^lunaroute: env: --mode must be base or forward, not 'sideways'/);
  });
});

describe('lunaroute ca', () => {
  it('show creates the CA once and describes it; --pem prints the certificate; rotate replaces it; remove deletes it', async () => {
    const shown = await run(['ca', 'show']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain('created the CA');
    const cert = join(dataDir, 'ca', 'lunaroute-ca.pem');
    expect(shown.stdout).toContain(`certificate: ${cert}`);
    expect(shown.stdout).toContain('may issue for: api.anthropic.com, api.openai.com, chatgpt.com');
    const fingerprint = /sha256: +(\S+)/.exec(shown.stdout)![1];
    const again = await run(['ca', 'show']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(shown.stdout);
    const pem = await run(['ca', 'show', '--pem']);
    expect(pem.stdout).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    const rotated = await run(['ca', 'rotate']);
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toContain('Restart clients');
    expect(/sha256: +(\S+)/.exec(rotated.stdout)![1]).not.toBe(fingerprint);
    const removed = await run(['ca', 'remove']);
    expect(removed.stdout).toContain('Removed the LunaRoute CA');
    expect(existsSync(cert)).toBe(false);
    expect((await run(['ca', 'remove'])).stdout).toContain('nothing to remove');
  });

  it('asks for one of show, rotate, remove', async () => {
    const r = await run(['ca']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('lunaroute: ca: expects one of show, rotate, remove — see lunaroute ca --help\n');
  });
});

describe('npm start without Electron', () => {
  it('prints one plain line and runs serve headless in-process', async () => {
    const child = spawnNode(START, ['--port', '0', '--ui-port', '0']);
    const output = collect(child);
    const line = await firstLine(child, output);
    expect(line).toMatch(READY);
    const notice = await waitForOutput(child, output, ({ stderr }) =>
      stderr.includes('\n') ? stderr.split('\n')[0] : undefined,
    );
    expect(notice).toMatch(
      /^LunaRoute: no Electron binary on this machine \(.+\) — running headless: lunaroute serve\. The web UI will be on a free port\.$/,
    );
    expect(output().stderr).not.toMatch(STACK_LINE);
    const health = await getJson(`${READY.exec(line)![1]}/healthz`);
    expect(health.body.pid).toBe(child.pid);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
  });
});
