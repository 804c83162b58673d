// `lunaroute replay` end to end: a real `lunaroute serve` child records traffic from the fake provider (both
// dialects, streamed and not); the CLI then replays requests through it — unchanged (the fake receives the
// client's exact bytes), with --model, --prompt, --upstream — and the comparison, the JSON shape, the recorded
// replay_of and the credential rules are checked on both sides. Last, with the server stopped, a replay runs
// through a core the CLI starts itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import {
  startFakeProvider,
  type FakeProvider,
  type RecordedRequest,
} from '../support/fake-provider/index.js';
import { makeTempDir } from '../support/config.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/lunaroute.js');
const CLIENT_KEY = 'sk-ant-client-secret-never-replayed-0000';
const REPLAY_KEY = 'replay-key-from-the-environment';
let fake: FakeProvider;
let other: FakeProvider;
let dir: string;
let child: ChildProcess;
let url: string;

/** The machine's own provider variables must not leak in: each test says which credential exists. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(LUNAROUTE_|ANTHROPIC_|OPENAI_)/.test(k)) env[k] = v;
  return { ...env, HOME: dir, ...extra };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const port = args[0] === 'replay' || args[0] === 'reindex' ? ['--port', new URL(url).port] : [];
    const r = await run('node', [BIN, ...args, '--data-dir', dir, ...port], {
      env: cleanEnv(env),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const anthropicEnv = { LUNAROUTE_ANTHROPIC_API_KEY: REPLAY_KEY };

/** Send one request as a client would (compact JSON, the client's own key) and return the fake's record. */
async function send(p: string, body: object, headers: Record<string, string>): Promise<RecordedRequest> {
  const before = fake.requests.length;
  const res = await fetch(url + p, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return fake.requests[before]!;
}

const anthropicHeaders = {
  'x-api-key': CLIENT_KEY,
  'anthropic-version': '2023-06-01',
  'user-agent': 'claude-cli/2.1.332 (external, cli)',
  'x-claude-code-session-id': 'replay-cli-claude',
};
const openaiHeaders = {
  authorization: `Bearer ${CLIENT_KEY}`,
  'session-id': 'replay-cli-codex',
  originator: 'codex_cli_rs',
};

interface SessionJson {
  requests: {
    id: string;
    replay_of: string | null;
    outcome: string;
    status: number;
    model: string | null;
    model_requested: string | null;
  }[];
}

async function session(id: string): Promise<SessionJson> {
  const r = await cli(['sessions', 'show', id, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as SessionJson;
}

/** The recorded id of the n-th request of a session (the server writes within ~100 ms: poll briefly). */
async function requestIds(sessionId: string, n: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await cli(['sessions', 'show', sessionId, '--json']);
    if (r.code === 0) {
      const s = JSON.parse(r.stdout) as SessionJson;
      if (s.requests.length >= n && s.requests.every((q) => q.outcome)) return s.requests.map((q) => q.id);
    }
    if (Date.now() > deadline) throw new Error(`session ${sessionId} did not reach ${n} requests`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const bodies = {
  anthropicStream: {
    model: 'claude-sonnet-4-5',
    max_tokens: 200,
    stream: true,
    system: 'You are terse.',
    messages: [{ role: 'user', content: 'say hello' }],
    metadata: { user_id: 'u1' },
  },
  anthropicJson: {
    max_tokens: 100,
    model: 'claude-sonnet-4-5',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'first question' }] },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: [{ type: 'text', text: 'mail jane.doe@acme-corp.io please' }] },
    ],
  },
  chatStream: {
    messages: [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'list the files' },
    ],
    model: 'gpt-5',
    stream: true,
    stream_options: { include_usage: true },
    tools: [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }],
  },
  responses: { model: 'gpt-5-codex', input: 'hello there', stream: false },
};

let ids: { anthropicStream: string; anthropicJson: string; chatStream: string; responses: string };
let clientBytes: Buffer;

beforeAll(async () => {
  fake = await startFakeProvider();
  other = await startFakeProvider();
  dir = makeTempDir();
  child = spawn(
    'node',
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--ui-port',
      '0',
      '--data-dir',
      dir,
      '--anthropic-upstream',
      fake.url,
      '--openai-upstream',
      fake.url + '/v1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() },
  );
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(String(d));
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  clientBytes = (await send('/v1/messages', bodies.anthropicStream, anthropicHeaders)).body;
  await send('/v1/messages', bodies.anthropicJson, anthropicHeaders);
  await send('/v1/chat/completions', bodies.chatStream, openaiHeaders);
  await send('/v1/responses', bodies.responses, openaiHeaders);
  const claude = await requestIds('replay-cli-claude', 2);
  const codex = await requestIds('replay-cli-codex', 2);
  ids = {
    anthropicStream: claude[0]!,
    anthropicJson: claude[1]!,
    chatStream: codex[0]!,
    responses: codex[1]!,
  };
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  await fake.close();
  await other.close();
});

interface Comparison {
  original: { request_id: string; model: string; stream: boolean; text: string; outcome: string };
  replay: {
    request_id: string;
    session_id: string;
    replay_of: string;
    model: string;
    stream: boolean;
    outcome: string;
    status: number;
    error: string | null;
    text: string;
    tool_calls: { name: string; arguments: string }[];
    tokens: { input: number | null; output: number | null };
    cost_usd: number | null;
    sent: { credential: string; redactions: { label: string; count: number; where: string[] }[] };
  };
  diff: {
    text: { same: boolean; lines: { op: string; text: string }[] };
    tool_calls: { same: boolean; added: { name: string }[] };
    model: { same: boolean };
    outcome: { same: boolean };
  };
}

describe('lunaroute replay through a running server', () => {
  it('sends an unchanged Anthropic stream byte for byte, with the configured key, and records replay_of', async () => {
    const before = fake.requests.length;
    const r = await cli(['replay', ids.anthropicStream, '--json'], anthropicEnv);
    expect(r.code, r.stderr).toBe(0);
    const got = fake.requests.slice(before);
    expect(got).toHaveLength(1);
    // The rebuilt body is what the client sent: same keys, same order, same bytes.
    expect(got[0]!.body.equals(clientBytes)).toBe(true);
    expect(got[0]!.headers['x-api-key']).toBe(REPLAY_KEY);
    expect(got[0]!.headers['x-claude-code-session-id']).toBe('replay-cli-claude');
    expect(JSON.stringify(got[0]!.headers)).not.toContain('lunaroute');
    const c = JSON.parse(r.stdout) as Comparison;
    expect(Object.keys(c)).toEqual(['original', 'replay', 'diff']);
    expect(c.original.request_id).toBe(ids.anthropicStream);
    expect(c.replay).toMatchObject({
      replay_of: ids.anthropicStream,
      session_id: 'replay-replay-cli-claude',
      stream: true,
      outcome: 'completed',
      status: 200,
    });
    expect(c.replay.request_id).not.toBe(ids.anthropicStream);
    expect(c.replay.sent.credential).toBe('upstreams.anthropic.api_key');
    expect(c.diff.text.same).toBe(true);
    expect(r.stderr).toMatch(/Replaying .* \(anthropic messages, claude-sonnet-4-5, streamed\)/);
    const replays = await session('replay-replay-cli-claude');
    expect(replays.requests.find((q) => q.id === c.replay.request_id)).toMatchObject({
      replay_of: ids.anthropicStream,
      outcome: 'completed',
    });
  });

  it('--model asks another model and changes nothing else in the body', async () => {
    const before = fake.requests.length;
    const r = await cli(['replay', ids.anthropicJson, '--model', 'claude-haiku-4-5'], anthropicEnv);
    expect(r.code, r.stderr).toBe(0);
    const sent = fake.requests[before]!;
    expect(Object.keys(sent.json as object)).toEqual(Object.keys(bodies.anthropicJson));
    expect(sent.json).toEqual({
      ...bodies.anthropicJson,
      model: 'claude-haiku-4-5',
      messages: expect.any(Array),
    });
    expect(r.stderr).toContain('model       claude-sonnet-4-5 → claude-haiku-4-5');
    expect(r.stdout).toMatch(/^model\s+claude-sonnet-4-5\s+claude-haiku-4-5\s+changed$/m);
    expect(r.stdout).toMatch(/^outcome\s+completed 200\s+completed 200\s+=$/m);
    expect(r.stdout).toMatch(/^input tokens\s+25\s+25\s+=$/m);
    expect(r.stdout).toMatch(/^cost\s+\$0\.\d+\s+\$0\.\d+\s+-\$0\.\d+$/m);
    expect(r.stdout).toContain('Response text (the same)');
  });

  it('warns about and lists the redactions of the stored request before sending, and sends the redacted text', async () => {
    const before = fake.requests.length;
    const r = await cli(['replay', ids.anthropicJson], anthropicEnv);
    expect(r.code, r.stderr).toBe(0);
    const warning = r.stderr.indexOf('Warning: the stored request had redactions');
    expect(warning).toBeGreaterThan(-1);
    expect(r.stderr.slice(warning)).toMatch(/EMAIL ×1 at messages\[2\]\.content\[0\]\.text/);
    const text = JSON.stringify(fake.requests[before]!.json);
    expect(text).toContain('mail [EMAIL] please');
    expect(text).not.toContain('jane.doe@');
  });

  it('--prompt forks a streamed chat request at its last user message; the comparison shows the new tool call and a text diff', async () => {
    const before = fake.requests.length;
    const r = await cli(['replay', ids.chatStream, '--prompt', 'SCENARIO:tool run it', '--json'], {
      OPENAI_API_KEY: REPLAY_KEY,
    });
    expect(r.code, r.stderr).toBe(0);
    const sent = fake.requests[before]!;
    expect(sent.headers['authorization']).toBe(`Bearer ${REPLAY_KEY}`);
    expect((sent.json as typeof bodies.chatStream).messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'SCENARIO:tool run it' },
    ]);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.replay.stream).toBe(true);
    expect(c.replay.sent.credential).toBe('OPENAI_API_KEY');
    expect(c.diff.tool_calls.same).toBe(false);
    expect(c.diff.tool_calls.added.map((t) => t.name)).toEqual(['bash']);
    expect(c.replay.tool_calls[0]!.arguments).toContain('lunaroute-tool');
    expect(c.diff.text.same).toBe(false);
    expect(c.diff.text.lines).toContainEqual({ op: '-', text: c.original.text });
  });

  it('replays a Responses request with the environment key and prints the comparison table', async () => {
    const r = await cli(['replay', ids.responses.slice(0, 8)], { OPENAI_API_KEY: REPLAY_KEY });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\s+ORIGINAL\s+REPLAY\s+CHANGE$/m);
    expect(r.stdout).toMatch(/^model\s+gpt-5-codex\s+gpt-5-codex\s+=$/m);
    expect(r.stdout).toMatch(/^time to first token\s+\S+\s+\S+/m);
    expect(r.stdout).toMatch(/^cost\s+/m);
  });

  it('shows an upstream error as such, exits 1, and records the replay as failed', async () => {
    const r = await cli(
      ['replay', ids.anthropicStream, '--prompt', 'SCENARIO:error-429', '--json'],
      anthropicEnv,
    );
    expect(r.code).toBe(1);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.replay).toMatchObject({ outcome: 'failed', status: 429 });
    expect(c.replay.error).toMatch(/rate/i);
    expect(c.diff.outcome.same).toBe(false);
    const recorded = (await session(c.replay.session_id)).requests.find((q) => q.id === c.replay.request_id);
    expect(recorded).toMatchObject({ outcome: 'failed', status: 429, replay_of: ids.anthropicStream });
  });

  it('--upstream sends the replay to another upstream, with the caller’s credential only', async () => {
    const before = fake.requests.length;
    const r = await cli(['replay', ids.anthropicStream, '--upstream', other.url], anthropicEnv);
    expect(r.code, r.stderr).toBe(0);
    expect(fake.requests.length).toBe(before);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0]!.headers['x-api-key']).toBe(REPLAY_KEY);
    expect(r.stderr).toContain(`upstream    ${other.url}`);
  });

  it('fails before sending when no credential is available, naming every way to provide one', async () => {
    const before = fake.requests.length;
    const a = await cli(['replay', ids.anthropicStream]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(
      /no Anthropic credential to replay with .*upstreams\.anthropic\.api_key .*LUNAROUTE_ANTHROPIC_API_KEY.*ANTHROPIC_API_KEY/,
    );
    const o = await cli(['replay', ids.chatStream]);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/upstreams\.openai\.api_key .*LUNAROUTE_OPENAI_API_KEY.*OPENAI_API_KEY.*Codex/);
    expect(fake.requests.length).toBe(before);
    expect(a.stderr + o.stderr).not.toContain(CLIENT_KEY);
  });

  it('refuses replay headers from a web page (Origin) with 403 and forwards nothing', async () => {
    const before = fake.requests.length;
    const res = await fetch(url + '/v1/messages', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: 'https://evil.example',
        // A page that brings its own key passes the proxy's cross-site guard: the replay check must still refuse.
        'x-api-key': 'sk-ant-from-a-page',
        'x-lunaroute-replay-of': ids.anthropicStream,
        'x-lunaroute-replay-upstream': other.url,
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify(bodies.anthropicStream),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-lunaroute-error')).toBe('replay_refused');
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/local client/);
    expect(fake.requests.length).toBe(before);
  });

  it('explains bad usage with exit 2 and an unknown request with exit 1', async () => {
    expect(await cli(['replay'])).toMatchObject({ code: 2 });
    expect((await cli(['replay', ids.anthropicStream, '--upstream', 'ftp://x'])).code).toBe(2);
    const unknown = await cli(['replay', 'no-such-request'], anthropicEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("no recorded request 'no-such-request'");
    const help = await cli(['replay', '--help']);
    expect(help.stdout).toMatch(/Usage: lunaroute replay <request-id> \[options\]/);
    expect(help.stdout).toContain('--prompt <text>');
  });
});

describe('lunaroute replay without a running server', () => {
  it('starts a core for the replay, records it in the same data directory, and stops', async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const before = fake.requests.length;
    const r = await cli(
      [
        'replay',
        ids.anthropicJson,
        '--model',
        'claude-haiku-4-5',
        '--json',
        '--anthropic-upstream',
        fake.url,
        '--openai-upstream',
        fake.url + '/v1',
      ],
      anthropicEnv,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/via\s+LunaRoute at http:\/\/127\.0\.0\.1:\d+ \(started for this replay\)/);
    expect(fake.requests.length).toBe(before + 1);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.replay).toMatchObject({ replay_of: ids.anthropicJson, model: 'claude-haiku-4-5' });
    const recorded = (await session(c.replay.session_id)).requests.find((q) => q.id === c.replay.request_id);
    expect(recorded).toMatchObject({ replay_of: ids.anthropicJson, model: 'claude-haiku-4-5' });
    // replay_of lives in the JSONL: a rebuilt index has it again.
    expect((await cli(['reindex'])).code).toBe(0);
    const rebuilt = (await session(c.replay.session_id)).requests.filter((q) => q.replay_of !== null);
    expect(rebuilt.map((q) => q.replay_of)).toContain(ids.anthropicJson);
    expect(rebuilt.length).toBeGreaterThanOrEqual(2);
  });
});
