// Replay of a real client's request: Claude Code (pinned in tests/clients) runs through LunaRoute to the fake
// provider; every request it sent must rebuild from the recording byte for byte (its ~70 KB bodies with system
// prompt, tools and moving cache_control markers); then `lunaroute replay` sends its main turn again — unchanged
// (the provider receives Claude Code's exact bytes) and against another model (only `model` differs). The CLI's
// comparison is kept in test-artifacts/replay/claude-code-haiku.txt.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { silentLogger } from '../../src-main/log.js';
import type { RequestBodies, SessionDetail } from '../../src-main/index/queries.js';
import { makeTestConfig } from '../support/config.js';
import {
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  runClient,
  startEgressTrap,
  type EgressTrap,
} from '../support/clients.js';
import { FAKE_ANSWER, startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/lunaroute.js');
const ARTIFACTS = path.resolve('test-artifacts', 'replay');
let fake: FakeProvider;
let core: CoreHandle;
let trap: EgressTrap;
let home: ReturnType<typeof makeClientHome>;

function version(): string {
  try {
    return resolveClient('claude').version;
  } catch {
    return '(not installed)';
  }
}

beforeAll(async () => {
  await ensureClientsInstalled();
  fake = await startFakeProvider();
  trap = await startEgressTrap();
  // Redaction off: in the default mask mode the stored text has placeholders (Claude Code's context carries
  // `noreply@anthropic.com`, stored as [EMAIL]), and a replay carries them — listed before it is sent.
  core = await startCore(
    makeTestConfig({
      anthropicUrl: fake.url,
      openaiUrl: `${fake.url}/v1`,
      recording: true,
      redaction: { mode: 'off' },
    }),
    silentLogger,
  );
  home = makeClientHome(trap.url);
}, 660_000);

afterAll(async () => {
  await core?.stop();
  await fake?.close();
  await trap?.close();
  if (home) fs.rmSync(home.dir, { recursive: true, force: true });
});

async function replay(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(LUNAROUTE_|ANTHROPIC_|OPENAI_)/.test(k)) env[k] = v;
  return run(
    'node',
    [BIN, 'replay', ...args, '--data-dir', core.config.dataDir, '--port', String(core.port)],
    { env: { ...env, HOME: home.dir, LUNAROUTE_ANTHROPIC_API_KEY: 'sk-ant-replay-key' } },
  );
}

describe(`Replay of Claude Code ${version()} traffic`, () => {
  it('rebuilds every request byte for byte, replays the main turn unchanged and against another model', async () => {
    const r = await runClient('claude', ['-p', 'Say hello'], home, {
      ANTHROPIC_BASE_URL: core.proxyUrl,
      ANTHROPIC_API_KEY: 'sk-ant-lunaroute-test-key',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(FAKE_ANSWER);
    const sent = fake.requests.filter((q) => q.method === 'POST' && q.path === '/v1/messages');
    const sid = sent[0]!.headers['x-claude-code-session-id'] as string;
    await core.recorder.client.flush();
    const detail = (await core.recorder.client.query<SessionDetail>('sessions.get', { id: sid }))!;
    const messages = detail.requests.filter((q) => q.endpoint === 'messages');
    expect(messages).toHaveLength(sent.length);
    // Each recorded request rebuilds to exactly the bytes Claude Code sent.
    const rebuilt = await Promise.all(
      messages.map((q) => core.recorder.client.query<RequestBodies>('requests.bodies', { id: q.id })),
    );
    const bytes = rebuilt.map((b) => Buffer.from(JSON.stringify(b.body)));
    for (const b of bytes) expect(sent.some((q) => q.body.equals(b))).toBe(true);
    // The main turn: the biggest request (system prompt and tools).
    const main = bytes.reduce((best, b, i) => (b.length > bytes[best]!.length ? i : best), 0);
    const original = sent.find((q) => q.body.equals(bytes[main]!))!;
    expect(original.body.length).toBeGreaterThan(20_000);

    const before = fake.requests.length;
    await replay([messages[main]!.id]);
    const same = fake.requests[before]!;
    expect(same.body.equals(original.body)).toBe(true);
    expect(same.url).toBe(original.url);
    expect(same.headers['x-api-key']).toBe('sk-ant-replay-key');
    expect(same.headers['anthropic-beta']).toBe(original.headers['anthropic-beta']);

    const other = await replay([messages[main]!.id, '--model', 'claude-haiku-4-5']);
    const changed = fake.requests[before + 1]!;
    const json = changed.json as Record<string, unknown>;
    expect(json['model']).toBe('claude-haiku-4-5');
    expect(Object.keys(json)).toEqual(Object.keys(original.json as object));
    expect({ ...json, model: null }).toEqual({ ...(original.json as object), model: null });
    expect(other.stdout).toMatch(/^model\s+\S+\s+claude-haiku-4-5\s+changed$/m);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(
      path.join(ARTIFACTS, 'claude-code-haiku.txt'),
      `$ lunaroute replay ${messages[main]!.id} --model claude-haiku-4-5\n${other.stderr}\n${other.stdout}`,
    );
    expect(trap.attempts).toEqual([]);
  }, 180_000);
});
