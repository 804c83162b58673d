// The real clients (Claude Code, Codex CLI, OpenCode) in forward-proxy mode: each gets ONLY the exports printed
// by `lunaroute env --mode forward` (HTTPS_PROXY, NODE_EXTRA_CA_CERTS, CODEX_CA_CERTIFICATE, NO_PROXY) plus its
// API key — no base URL anywhere — so it talks to its official host through the proxy, which decrypts it with a
// leaf from the local CA and routes it to the local fake provider configured as that host's upstream. Nothing
// leaves 127.0.0.1: the test config tunnels loopback targets only (any other CONNECT is refused and logged, and
// must not happen), and plain-HTTP proxy traffic lands in the egress trap, which must stay empty.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import type { Logger } from '../../src-main/log.js';
import { makeTestConfig } from '../support/config.js';
import {
  CODEX_QUIET_ARGS,
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  runClient,
  startEgressTrap,
  type EgressTrap,
  type RunResult,
} from '../support/clients.js';
import { recordedSession, type RecordedSession } from '../support/recording-stack.js';
import {
  FAKE_ANSWER,
  FAKE_TOOL_OUTPUT,
  startFakeProvider,
  type FakeProvider,
  type RecordedRequest,
} from '../support/fake-provider/index.js';

const CLIENT_TIMEOUT = 120_000;
const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'lunaroute.js');

let fake: FakeProvider;
let core: CoreHandle;
let trap: EgressTrap;
/** The exports `lunaroute env --mode forward` printed, as variables. */
let exportsEnv: Record<string, string>;
const homes: string[] = [];
const proxyLog: string[] = [];

const logger: Logger = {
  debug: () => undefined,
  info: (m) => proxyLog.push(m),
  warn: (m) => proxyLog.push(m),
  error: (m) => proxyLog.push(m),
};

/** `export K=V;` lines (values bare or single-quoted) → variables; `unset` and comments are skipped. */
function parseExports(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*?);?$/.exec(line);
    if (!m) continue;
    const v = m[2]!;
    vars[m[1]!] = v.startsWith("'") ? v.slice(1, -1).replace(/'\\''/g, "'") : v;
  }
  return vars;
}

function runEnvForward(port: number, dataDir: string, home: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
    const child = spawn(
      process.execPath,
      [BIN, 'env', '--mode', 'forward', '--port', String(port), '--data-dir', dataDir],
      { env, cwd: home },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`env exited ${code}: ${err}`)),
    );
  });
}

/** The client's environment: its throw-away HOME, the forward exports and nothing else proxy-related. */
function forwardHome(extra: Record<string, string>): ReturnType<typeof makeClientHome> {
  const h = makeClientHome(trap.url);
  homes.push(h.dir);
  // makeClientHome points every proxy variable at the trap; forward mode replaces the HTTPS ones (the lower-case
  // variants would win over HTTPS_PROXY in some stacks) and keeps plain HTTP in the trap.
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'])
    delete h.env[k];
  Object.assign(h.env, exportsEnv, extra);
  return h;
}

const recorded = (sid: string, count: number): Promise<RecordedSession> => recordedSession(core, sid, count);

function expectPrinted(r: RunResult, text: string): void {
  const all = `exit ${String(r.code)} ${String(r.signal)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- proxy log\n${proxyLog.join('\n')}`;
  expect(r.code, all).toBe(0);
  expect(r.stdout, all).toContain(text);
}

function header(r: RecordedRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Nothing went anywhere but the intercepted hosts: no refused tunnel, no trust failure, the trap empty. */
function expectNoEscape(): void {
  expect(proxyLog.filter((l) => /refused|rejected|failed/.test(l))).toEqual([]);
  expect(trap.attempts).toEqual([]);
}

beforeAll(async () => {
  await ensureClientsInstalled();
  fake = await startFakeProvider();
  trap = await startEgressTrap();
  core = await startCore(
    makeTestConfig({
      anthropicUrl: fake.url,
      openaiUrl: `${fake.url}/v1`,
      chatgptUrl: `${fake.url}/backend-api/codex`,
      recording: true,
    }),
    logger,
  );
  const envHome = fs.mkdtempSync(path.join(core.config.dataDir, 'env-home-'));
  exportsEnv = parseExports(await runEnvForward(core.port, core.config.dataDir, envHome));
}, 660_000);

afterAll(async () => {
  await core?.stop();
  await fake?.close();
  await trap?.close();
  for (const d of homes) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  fake.clear();
  proxyLog.length = 0;
});

describe('lunaroute env --mode forward', () => {
  it('exports only HTTPS_PROXY, the CA for Node and Codex, and a loopback NO_PROXY — no base URL', () => {
    expect(Object.keys(exportsEnv).sort()).toEqual([
      'CODEX_CA_CERTIFICATE',
      'HTTPS_PROXY',
      'NODE_EXTRA_CA_CERTS',
      'NO_PROXY',
    ]);
    expect(exportsEnv.HTTPS_PROXY).toBe(core.proxyUrl);
    expect(exportsEnv.NODE_EXTRA_CA_CERTS).toBe(path.join(core.config.dataDir, 'ca', 'lunaroute-ca.pem'));
    expect(exportsEnv.CODEX_CA_CERTIFICATE).toBe(exportsEnv.NODE_EXTRA_CA_CERTS);
    expect(fs.readFileSync(exportsEnv.NODE_EXTRA_CA_CERTS!, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});

describe(`Claude Code ${safeVersion('claude')} in forward mode`, () => {
  it(
    'keeps its official base URL, runs a real Bash tool call through the proxy, and is recorded as Claude Code over forward_http',
    async () => {
      const h = forwardHome({ ANTHROPIC_API_KEY: 'sk-ant-lunaroute-test-key' });
      const r = await runClient(
        'claude',
        ['-p', 'SCENARIO:tool run the marker command', '--allowedTools', 'Bash'],
        h,
      );
      expectPrinted(r, `Tool output: ${FAKE_TOOL_OUTPUT}`);
      const msgs = fake.requests.filter((q) => q.path === '/v1/messages');
      const first = msgs.find((q) => q.body.includes('SCENARIO:tool') && !q.body.includes('tool_result'));
      const followUp = msgs.find(
        (q) => q.body.includes('"tool_result"') && q.body.includes(FAKE_TOOL_OUTPUT),
      );
      expect(first, 'the request that asked for the tool').toBeDefined();
      expect(followUp, 'the request carrying the tool result').toBeDefined();
      expect(header(first!, 'x-api-key')).toBe('sk-ant-lunaroute-test-key');
      const sid = header(followUp!, 'x-claude-code-session-id')!;
      expect(sid).toBe(header(first!, 'x-claude-code-session-id'));
      expectNoEscape();
      const upstream = fake.requests.filter((q) => q.method === 'POST');
      const rec = await recorded(sid, upstream.length);
      expect(rec.detail.session).toMatchObject({ client: 'claude_code', request_count: upstream.length });
      expect(rec.requests.every((q) => q.transport === 'forward_http')).toBe(true);
      expect(rec.detail.toolCalls).toHaveLength(1);
      expect(rec.detail.toolCalls[0]).toMatchObject({ name: 'Bash', is_error: 0 });
      expect(rec.requests.flatMap((q) => q.tool_results).map((t) => t.id)).toEqual([
        rec.detail.toolCalls[0]!.id,
      ]);
    },
    CLIENT_TIMEOUT,
  );
});

describe(`Codex CLI ${safeVersion('codex')} in forward mode`, () => {
  it(
    'reaches api.openai.com over its WebSocket through the proxy, prints the fake answer, and is recorded as Codex over forward_websocket',
    async () => {
      const h = forwardHome({ CODEX_API_KEY: 'sk-lunaroute-test-key' });
      const r = await runClient(
        'codex',
        ['exec', '--skip-git-repo-check', ...CODEX_QUIET_ARGS, 'Say hello'],
        h,
      );
      expectPrinted(r, FAKE_ANSWER);
      const sid = /session id: ([0-9a-f-]{36})/.exec(r.stderr + r.stdout)?.[1] ?? '';
      expect(sid).not.toBe('');
      const frames = fake.requests.filter(
        (q) => q.transport === 'websocket' && header(q, 'session-id') === sid,
      );
      expect(frames.length, 'response.create frames that reached the provider').toBeGreaterThan(0);
      expect(frames.some((q) => q.body.includes('Say hello'))).toBe(true);
      expect(header(frames[0]!, 'authorization')).toBe('Bearer sk-lunaroute-test-key');
      expect(fake.requests.filter((q) => q.transport === 'http' && q.path === '/v1/responses')).toEqual([]);
      expectNoEscape();
      const rec = await recorded(sid, frames.length);
      expect(rec.detail.session).toMatchObject({ client: 'codex', request_count: frames.length });
      expect(rec.requests.every((q) => q.transport === 'forward_websocket')).toBe(true);
      expect(rec.requests.some((q) => q.prompt?.includes('Say hello'))).toBe(true);
    },
    CLIENT_TIMEOUT,
  );
});

describe(`OpenCode ${safeVersion('opencode')} in forward mode`, () => {
  it(
    'uses its built-in Anthropic provider through the proxy, prints the fake answer, and is recorded as OpenCode over forward_http',
    async () => {
      const h = forwardHome({ ANTHROPIC_API_KEY: 'sk-ant-lunaroute-test-key' });
      const r = await runClient(
        'opencode',
        ['run', '--model', 'anthropic/claude-sonnet-4-5', 'Say hello'],
        h,
      );
      expectPrinted(r, FAKE_ANSWER);
      const msgs = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/messages');
      expect(msgs.length).toBeGreaterThan(0);
      const sids = new Set(msgs.map((q) => header(q, 'x-session-id')));
      expect(sids.size).toBe(1);
      const sid = [...sids][0]!;
      expect(sid).toMatch(/^ses_/);
      expectNoEscape();
      const rec = await recorded(sid, msgs.length);
      expect(rec.detail.session).toMatchObject({ client: 'opencode', request_count: msgs.length });
      expect(rec.requests.every((q) => q.transport === 'forward_http')).toBe(true);
    },
    CLIENT_TIMEOUT,
  );
});

function safeVersion(name: 'claude' | 'codex' | 'opencode'): string {
  try {
    return resolveClient(name).version;
  } catch {
    return '(not installed yet)';
  }
}
