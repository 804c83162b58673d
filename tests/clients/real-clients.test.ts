// The real clients (Claude Code, Codex CLI, OpenCode, pinned in tests/clients/package.json) run headless THROUGH
// the LunaRoute proxy to the local fake provider. Each case asserts that the client printed the fake answer (or
// the output of a tool it really ran) and that the fake provider received the client's requests, identified by
// the client's own session-id header. Every client runs in a throw-away HOME; anything proxy-aware that tries to
// leave 127.0.0.1 lands in an egress trap, which must stay empty.
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { silentLogger } from '../../src-main/log.js';
import { makeTestConfig } from '../support/config.js';
import {
  CODEX_QUIET_ARGS,
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  runClient,
  startEgressTrap,
  writeOpencodeConfig,
  type EgressTrap,
  type RunResult,
} from '../support/clients.js';
import {
  FAKE_ANSWER,
  FAKE_TOOL_OUTPUT,
  startFakeProvider,
  type FakeProvider,
  type RecordedRequest,
} from '../support/fake-provider.js';

const CLIENT_TIMEOUT = 120_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let fake: FakeProvider;
let core: CoreHandle;
let trap: EgressTrap;
const homes: string[] = [];

function home(): ReturnType<typeof makeClientHome> {
  const h = makeClientHome(trap.url);
  homes.push(h.dir);
  return h;
}

/** Fail with the client's output, which is what one needs to see when a real client misbehaves. */
function expectPrinted(r: RunResult, text: string): void {
  const all = `exit ${String(r.code)} ${String(r.signal)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.code, all).toBe(0);
  expect(r.stdout, all).toContain(text);
}

function header(r: RecordedRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

beforeAll(async () => {
  await ensureClientsInstalled();
  fake = await startFakeProvider();
  trap = await startEgressTrap();
  const config = makeTestConfig({ anthropicUrl: fake.url, openaiUrl: `${fake.url}/v1` });
  core = await startCore(config, silentLogger);
}, 660_000);

afterAll(async () => {
  await core?.stop();
  await fake?.close();
  await trap?.close();
  for (const d of homes) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  fake.clear();
});

describe(`Claude Code ${safeVersion('claude')}`, () => {
  const env = (): NodeJS.ProcessEnv => ({
    ANTHROPIC_BASE_URL: core.proxyUrl,
    ANTHROPIC_API_KEY: 'sk-ant-lunaroute-test-key',
  });

  it(
    'claude -p prints the fake answer; the provider saw /v1/messages with its session id',
    async () => {
      const r = await runClient('claude', ['-p', 'Say hello'], home(), env());
      expectPrinted(r, FAKE_ANSWER);
      const msgs = fake.requests.filter((q) => q.path === '/v1/messages' && q.method === 'POST');
      expect(msgs.length).toBeGreaterThan(0);
      const sid = header(msgs[0]!, 'x-claude-code-session-id');
      expect(sid).toMatch(UUID);
      expect(msgs[0]!.url).toContain('beta=true');
      expect(header(msgs[0]!, 'x-api-key')).toBe('sk-ant-lunaroute-test-key');
      const userId = (msgs[0]!.json as { metadata?: { user_id?: string } }).metadata?.user_id ?? '';
      expect(userId).toContain(sid!);
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );

  it(
    'runs a real Bash tool call and sends its output back',
    async () => {
      const r = await runClient(
        'claude',
        ['-p', 'SCENARIO:tool run the marker command', '--allowedTools', 'Bash'],
        home(),
        env(),
      );
      expectPrinted(r, `Tool output: ${FAKE_TOOL_OUTPUT}`);
      const msgs = fake.requests.filter((q) => q.path === '/v1/messages');
      const first = msgs.find((q) => q.body.includes('SCENARIO:tool') && !q.body.includes('tool_result'));
      const followUp = msgs.find(
        (q) => q.body.includes('"tool_result"') && q.body.includes(FAKE_TOOL_OUTPUT),
      );
      expect(first, 'the request that asked for the tool').toBeDefined();
      expect(followUp, 'the request carrying the tool result').toBeDefined();
      expect(header(followUp!, 'x-claude-code-session-id')).toBe(header(first!, 'x-claude-code-session-id'));
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );
});

describe(`Codex CLI ${safeVersion('codex')}`, () => {
  const env = { OPENAI_API_KEY: 'sk-lunaroute-test-key' };
  const sessionOf = (r: RunResult): string =>
    /session id: ([0-9a-f-]{36})/.exec(r.stderr + r.stdout)?.[1] ?? '';

  it(
    'over the WebSocket route (openai_base_url): prints the fake answer, the provider saw WebSocket turns',
    async () => {
      const r = await runClient(
        'codex',
        [
          'exec',
          '--skip-git-repo-check',
          '-c',
          `openai_base_url="${core.proxyUrl}/v1"`,
          ...CODEX_QUIET_ARGS,
          'Say hello',
        ],
        home(),
        env,
      );
      expectPrinted(r, FAKE_ANSWER);
      const sid = sessionOf(r);
      expect(sid).not.toBe('');
      const ws = fake.requests.filter((q) => q.transport === 'websocket' && header(q, 'session-id') === sid);
      expect(ws.length, 'response.create frames that reached the provider').toBeGreaterThan(0);
      expect(ws.some((q) => q.body.includes('Say hello'))).toBe(true);
      const httpFallback = fake.requests.filter((q) => q.transport === 'http' && q.path === '/v1/responses');
      expect(httpFallback, 'Codex fell back to HTTP: the WebSocket route failed').toEqual([]);
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );

  it(
    'over the WebSocket route runs its exec tool and sends the result back',
    async () => {
      const r = await runClient(
        'codex',
        [
          'exec',
          '--skip-git-repo-check',
          '-c',
          `openai_base_url="${core.proxyUrl}/v1"`,
          ...CODEX_QUIET_ARGS,
          'SCENARIO:tool run the marker',
        ],
        home(),
        env,
      );
      expectPrinted(r, FAKE_TOOL_OUTPUT);
      const sid = sessionOf(r);
      const withResult = fake.requests.filter(
        (q) => header(q, 'session-id') === sid && q.body.includes('custom_tool_call_output'),
      );
      expect(withResult.length).toBeGreaterThan(0);
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );

  it(
    'over a custom HTTP provider (wire_api=responses): prints the fake answer, the provider saw POST /v1/responses',
    async () => {
      const provider = `model_providers.lr={name="lr",base_url="${core.proxyUrl}/v1",env_key="OPENAI_API_KEY",wire_api="responses"}`;
      const r = await runClient(
        'codex',
        [
          'exec',
          '--skip-git-repo-check',
          '-c',
          'model_provider=lr',
          '-c',
          provider,
          ...CODEX_QUIET_ARGS,
          'Say hello',
        ],
        home(),
        env,
      );
      expectPrinted(r, FAKE_ANSWER);
      const sid = sessionOf(r);
      const posts = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/responses');
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((q) => header(q, 'session-id') === sid)).toBe(true);
      expect(header(posts[0]!, 'authorization')).toBe('Bearer sk-lunaroute-test-key');
      expect(fake.wsConnections).toEqual([]);
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );
});

describe(`OpenCode ${safeVersion('opencode')}`, () => {
  it(
    'opencode run with the anthropic provider prints the fake answer; the provider saw its x-session-id',
    async () => {
      const h = home();
      writeOpencodeConfig(h, `${core.proxyUrl}/v1`, 'sk-ant-lunaroute-test-key');
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
      expect([...sids][0]).toMatch(/^ses_/);
      expect(msgs.some((q) => q.body.includes('Say hello'))).toBe(true);
      expect(trap.attempts).toEqual([]);
    },
    CLIENT_TIMEOUT,
  );
});

/** The version for the suite title, without failing collection when tests/clients is not installed yet. */
function safeVersion(name: 'claude' | 'codex' | 'opencode'): string {
  try {
    return resolveClient(name).version;
  } catch {
    return '(not installed yet)';
  }
}
