// The real clients (Claude Code, Codex CLI, OpenCode, pinned in tests/clients/package.json) run headless THROUGH
// the LunaRoute proxy to the local fake provider. Each case asserts that the client printed the fake answer (or
// the output of a tool it really ran) and that the fake provider received the client's requests, identified by
// the client's own session-id header. Every client runs in a throw-away HOME; anything proxy-aware that tries to
// leave 127.0.0.1 lands in an egress trap, which must stay empty.
import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecordLine } from '../../src-shared/records.js';
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
import { FAKE_ANSWER, FAKE_TOOL_OUTPUT, type RecordedRequest } from '../support/fake-provider/index.js';
import { recordedSession, useRecordingStack, type RecordedSession } from '../support/recording-stack.js';

const CLIENT_TIMEOUT = 120_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const stack = useRecordingStack();
let trap: EgressTrap;
const homes: string[] = [];

function home(): ReturnType<typeof makeClientHome> {
  const h = makeClientHome(trap.url);
  homes.push(h.dir);
  return h;
}

const recorded = (sid: string, count: number): Promise<RecordedSession> =>
  recordedSession(stack.core, sid, count);

/** Every session the recorder knows, with its requests' client kinds (to explain stray requests). */
async function allSessions(): Promise<{ id: string; client: string; request_count: number }[]> {
  await stack.core.recorder.client.flush();
  const r = await stack.core.recorder.client.query<{
    sessions: { id: string; client: string; request_count: number }[];
  }>('sessions.list', { limit: 1000 });
  return r.sessions;
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
  trap = await startEgressTrap();
}, 660_000);

afterAll(async () => {
  await trap?.close();
  for (const d of homes) fs.rmSync(d, { recursive: true, force: true });
});

beforeEach(() => {
  stack.fake.clear();
});

describe(`Claude Code ${safeVersion('claude')}`, () => {
  const env = (): NodeJS.ProcessEnv => ({
    ANTHROPIC_BASE_URL: stack.core.proxyUrl,
    ANTHROPIC_API_KEY: 'sk-ant-lunaroute-test-key',
  });

  it(
    'claude -p prints the fake answer; the provider saw /v1/messages with its session id',
    async () => {
      const before = new Set((await allSessions()).map((x) => x.id));
      const r = await runClient('claude', ['-p', 'Say hello'], home(), env());
      expectPrinted(r, FAKE_ANSWER);
      const msgs = stack.fake.requests.filter((q) => q.path === '/v1/messages' && q.method === 'POST');
      expect(msgs.length).toBeGreaterThan(0);
      const sid = header(msgs[0]!, 'x-claude-code-session-id');
      expect(sid).toMatch(UUID);
      expect(msgs[0]!.url).toContain('beta=true');
      expect(header(msgs[0]!, 'x-api-key')).toBe('sk-ant-lunaroute-test-key');
      const userId = (msgs[0]!.json as { metadata?: { user_id?: string } }).metadata?.user_id ?? '';
      expect(userId).toContain(sid!);
      expect(trap.attempts).toEqual([]);
      // Recorded: every request Claude Code sent upstream (main turn and any background request) carries its
      // session id, and all of them are in that one session, recognised as Claude Code.
      const upstream = stack.fake.requests.filter((q) => q.method === 'POST');
      expect(new Set(upstream.map((q) => header(q, 'x-claude-code-session-id')))).toEqual(new Set([sid]));
      const rec = await recorded(sid!, upstream.length);
      expect(rec.detail.session).toMatchObject({ client: 'claude_code', request_count: upstream.length });
      expect(rec.detail.requests.every((q) => q.client === 'claude_code' && q.outcome === 'completed')).toBe(
        true,
      );
      expect(rec.requests.some((q) => q.prompt?.includes('Say hello'))).toBe(true);
      expect(rec.detail.session.client_version).toMatch(/^\d+\.\d+/);
      // Nothing else Claude Code sent (its `HEAD /` probe goes to the raw pass-through) became a session.
      const others = (await allSessions()).filter((x) => x.id !== sid && !before.has(x.id));
      expect(others).toEqual([]);
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
      const msgs = stack.fake.requests.filter((q) => q.path === '/v1/messages');
      const first = msgs.find((q) => q.body.includes('SCENARIO:tool') && !q.body.includes('tool_result'));
      const followUp = msgs.find(
        (q) => q.body.includes('"tool_result"') && q.body.includes(FAKE_TOOL_OUTPUT),
      );
      expect(first, 'the request that asked for the tool').toBeDefined();
      expect(followUp, 'the request carrying the tool result').toBeDefined();
      const sid = header(followUp!, 'x-claude-code-session-id')!;
      expect(sid).toBe(header(first!, 'x-claude-code-session-id'));
      expect(trap.attempts).toEqual([]);
      // Recorded: one Bash call, answered once (by the follow-up), with a measured latency.
      const upstream = stack.fake.requests.filter((q) => q.method === 'POST');
      const rec = await recorded(sid, upstream.length);
      expect(rec.detail.session).toMatchObject({ client: 'claude_code', request_count: upstream.length });
      expect(rec.detail.toolCalls).toHaveLength(1);
      const call = rec.detail.toolCalls[0]!;
      expect(call).toMatchObject({ name: 'Bash', kind: 'function', is_error: 0 });
      expect(call.arguments_preview).toContain('lunaroute-tool');
      expect(call.latency_ms).toBeGreaterThan(0);
      const results = rec.requests.flatMap((q) => q.tool_results);
      expect(results).toEqual([
        expect.objectContaining({
          id: call.id,
          call_request_id: call.request_id,
          latency_ms: call.latency_ms,
        }),
      ]);
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
          `openai_base_url="${stack.core.proxyUrl}/v1"`,
          ...CODEX_QUIET_ARGS,
          'Say hello',
        ],
        home(),
        env,
      );
      expectPrinted(r, FAKE_ANSWER);
      const sid = sessionOf(r);
      expect(sid).not.toBe('');
      const ws = stack.fake.requests.filter(
        (q) => q.transport === 'websocket' && header(q, 'session-id') === sid,
      );
      expect(ws.length, 'response.create frames that reached the provider').toBeGreaterThan(0);
      expect(ws.some((q) => q.body.includes('Say hello'))).toBe(true);
      const httpFallback = stack.fake.requests.filter(
        (q) => q.transport === 'http' && q.path === '/v1/responses',
      );
      expect(httpFallback, 'Codex fell back to HTTP: the WebSocket route failed').toEqual([]);
      expect(trap.attempts).toEqual([]);
      // Recorded: each response.create frame is one request of the Codex session.
      const rec = await recorded(sid, ws.length);
      expect(rec.detail.session).toMatchObject({ client: 'codex', request_count: ws.length });
      expect(rec.detail.requests.every((q) => q.transport === 'websocket' && q.outcome === 'completed')).toBe(
        true,
      );
      expect(rec.requests.some((q) => q.prompt?.includes('Say hello'))).toBe(true);
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
          `openai_base_url="${stack.core.proxyUrl}/v1"`,
          ...CODEX_QUIET_ARGS,
          'SCENARIO:tool run the marker',
        ],
        home(),
        env,
      );
      expectPrinted(r, FAKE_TOOL_OUTPUT);
      const sid = sessionOf(r);
      const withResult = stack.fake.requests.filter(
        (q) => header(q, 'session-id') === sid && q.body.includes('custom_tool_call_output'),
      );
      expect(withResult.length).toBeGreaterThan(0);
      expect(trap.attempts).toEqual([]);
      // Recorded: the exec call once, its result matched with a latency.
      const frames = stack.fake.requests.filter(
        (q) => q.transport === 'websocket' && header(q, 'session-id') === sid,
      );
      const rec = await recorded(sid, frames.length);
      expect(rec.detail.session).toMatchObject({ client: 'codex', request_count: frames.length });
      expect(rec.detail.toolCalls).toHaveLength(1);
      const call = rec.detail.toolCalls[0]!;
      expect(call.name).toBe('exec');
      expect(call.result_request_id).not.toBeNull();
      expect(call.latency_ms).toBeGreaterThan(0);
      expect(rec.requests.flatMap((q) => q.tool_results).map((t) => t.id)).toEqual([call.id]);
    },
    CLIENT_TIMEOUT,
  );

  it(
    'over a custom HTTP provider (wire_api=responses): prints the fake answer, the provider saw POST /v1/responses',
    async () => {
      const provider = `model_providers.lr={name="lr",base_url="${stack.core.proxyUrl}/v1",env_key="OPENAI_API_KEY",wire_api="responses"}`;
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
      const posts = stack.fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/responses');
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((q) => header(q, 'session-id') === sid)).toBe(true);
      expect(header(posts[0]!, 'authorization')).toBe('Bearer sk-lunaroute-test-key');
      expect(stack.fake.wsConnections).toEqual([]);
      expect(trap.attempts).toEqual([]);
      const rec = await recorded(sid, posts.length);
      expect(rec.detail.session).toMatchObject({ client: 'codex', request_count: posts.length });
      expect(rec.detail.requests.every((q) => q.transport === 'http' && q.outcome === 'completed')).toBe(
        true,
      );
    },
    CLIENT_TIMEOUT,
  );
});

describe(`OpenCode ${safeVersion('opencode')}`, () => {
  it(
    'opencode run with the anthropic provider prints the fake answer; the provider saw its x-session-id',
    async () => {
      const h = home();
      writeOpencodeConfig(h, `${stack.core.proxyUrl}/v1`, 'sk-ant-lunaroute-test-key');
      const r = await runClient(
        'opencode',
        ['run', '--model', 'anthropic/claude-sonnet-4-5', 'Say hello'],
        h,
      );
      expectPrinted(r, FAKE_ANSWER);
      const msgs = stack.fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/messages');
      expect(msgs.length).toBeGreaterThan(0);
      const sids = new Set(msgs.map((q) => header(q, 'x-session-id')));
      expect(sids.size).toBe(1);
      expect([...sids][0]).toMatch(/^ses_/);
      expect(msgs.some((q) => q.body.includes('Say hello'))).toBe(true);
      expect(trap.attempts).toEqual([]);
      const sid = [...sids][0]!;
      const rec = await recorded(sid, msgs.length);
      expect(rec.detail.session).toMatchObject({ client: 'opencode', request_count: msgs.length });
      expect(rec.requests.some((q) => q.prompt?.includes('Say hello'))).toBe(true);
    },
    CLIENT_TIMEOUT,
  );
});

describe('client drift', () => {
  it('traffic of the real clients raises no unknown item (no false alarm) in any recorded response', async () => {
    const sessions = await allSessions();
    expect(sessions.length).toBeGreaterThan(0);
    let responses = 0;
    for (const s of sessions) {
      const file = await stack.core.recorder.client.query<{ lines: RecordLine[] } | null>('sessions.lines', {
        id: s.id,
      });
      for (const l of file?.lines ?? []) {
        if (l.type !== 'response') continue;
        responses++;
        expect(l.unknown, `${s.client} session ${s.id}: ${JSON.stringify(l.unknown)}`).toBeUndefined();
      }
    }
    expect(responses).toBeGreaterThan(0);
  });
});

/** The version for the suite title, without failing collection when tests/clients is not installed yet. */
function safeVersion(name: 'claude' | 'codex' | 'opencode'): string {
  try {
    return resolveClient(name).version;
  } catch {
    return '(not installed yet)';
  }
}
