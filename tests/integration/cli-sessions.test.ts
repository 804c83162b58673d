// `lunaroute sessions list|show` and `lunaroute reindex` against a real `lunaroute serve` child with recorded
// traffic from the official SDKs: what a person sees in the table, and the stable JSON.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';
import { makeTempDir } from '../support/config.js';
import { openPartitionFile } from '../support/index-file.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/lunaroute.js');
let fake: FakeProvider;
let dir: string;
let child: ChildProcess;
let url: string;

function cli(...args: string[]) {
  return run('node', [BIN, ...args, '--data-dir', dir], { env: { ...process.env, HOME: dir } });
}

beforeAll(async () => {
  fake = await startFakeProvider();
  dir = makeTempDir();
  child = spawn(
    'node',
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--anthropic-upstream',
      fake.url,
      '--openai-upstream',
      fake.url + '/v1',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: dir },
    },
  );
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(String(d));
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  const a = new Anthropic({
    apiKey: 'k',
    baseURL: url,
    maxRetries: 0,
    defaultHeaders: {
      'x-claude-code-session-id': 'cli-claude-session',
      'user-agent': 'claude-cli/2.1.332 (external, cli)',
    },
  });
  const first = await a.messages
    .stream({
      model: 'claude-test',
      max_tokens: 100,
      tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'SCENARIO:tool list the files' }],
    })
    .finalMessage();
  const tool = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
  await a.messages.create({
    model: 'claude-test',
    max_tokens: 100,
    messages: [
      { role: 'user', content: 'SCENARIO:tool list the files' },
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: tool.id, content: 'a.txt b.txt' }] },
    ],
  });
  const o = new OpenAI({
    apiKey: 'k',
    baseURL: url + '/v1',
    maxRetries: 0,
    defaultHeaders: { 'session-id': 'cli-codex-session', originator: 'codex_cli_rs' },
  });
  await o.responses.create({ model: 'gpt-codex', input: 'hello there' });
  await o.chat.completions
    .create({ model: 'gpt-codex', messages: [{ role: 'user', content: 'SCENARIO:error-429' }] })
    .catch(() => undefined);
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  await fake.close();
});

/** The server writes lines within ~100 ms; poll the CLI until it sees `n` sessions. */
async function listJson(minSessions: number): Promise<{
  sessions: {
    id: string;
    client: string;
    request_count: number;
    failed_count: number;
    input_tokens: number | null;
    tool_call_count: number;
  }[];
  total: number;
}> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = JSON.parse((await cli('sessions', 'list', '--json')).stdout) as Awaited<
      ReturnType<typeof listJson>
    >;
    if (r.total >= minSessions && r.sessions.every((s) => s.request_count === 2)) return r;
    if (Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('lunaroute sessions', () => {
  it('list --json gives each client its own session with summed tokens, while the server runs', async () => {
    const r = await listJson(2);
    const claude = r.sessions.find((s) => s.id === 'cli-claude-session')!;
    const codex = r.sessions.find((s) => s.id === 'cli-codex-session')!;
    expect(claude).toMatchObject({
      client: 'claude_code',
      request_count: 2,
      failed_count: 0,
      input_tokens: 50,
      tool_call_count: 1,
    });
    expect(codex).toMatchObject({ client: 'codex', request_count: 2, failed_count: 1 });
  });

  it('list prints an aligned table, and filters by client and time', async () => {
    const { stdout } = await cli('sessions', 'list');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^SESSION\s+CLIENT\s+STARTED\s+SPAN\s+REQS\s+IN\s+OUT\s+CACHE R\/W\s+TOOLS\s+MODELS\s+STATUS\s+PROJECT\s+TITLE$/,
    );
    expect(stdout).toMatch(/cli-codex-session\s+codex\s.*1 failed/);
    const filtered = await cli('sessions', 'list', '--client', 'codex');
    expect(filtered.stdout).toContain('cli-codex-session');
    expect(filtered.stdout).not.toContain('cli-claude-session');
    expect((await cli('sessions', 'list', '--since', '2099-01-01')).stdout).toBe('No sessions match.\n');
  });

  it('show <prefix> prints the session, its requests and the tool call with its latency', async () => {
    const { stdout } = await cli('sessions', 'show', 'cli-cla');
    expect(stdout).toContain('Session cli-claude-session');
    expect(stdout).toMatch(/client\s+claude_code 2\.1\.332/);
    expect(stdout).toMatch(/messages\s+claude-test\s+completed\s+200/);
    expect(stdout).toMatch(/Bash\s+\S+\s+\d+ms\s+ok\s+\{"command":"echo lunaroute-tool/);
    const json = JSON.parse((await cli('sessions', 'show', 'cli-claude-session', '--json')).stdout) as {
      requests: unknown[];
      toolCalls: { latency_ms: number }[];
    };
    expect(json.requests).toHaveLength(2);
    expect(json.toolCalls[0]!.latency_ms).toBeGreaterThan(0);
  });

  it('explains bad usage in one line with exit 2, and an unknown session with exit 1', async () => {
    await expect(cli('sessions', 'list', '--since', 'yesterday-ish')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--since takes a duration like 30m, 24h, 7d/) as string,
    });
    await expect(cli('sessions', 'frobnicate')).rejects.toMatchObject({ code: 2 });
    await expect(cli('sessions', 'show', 'no-such-session')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining("no session 'no-such-session'") as string,
    });
  });
});

describe('lunaroute reindex', () => {
  it('refuses while the server runs, then rebuilds the same index after it stopped', async () => {
    const port = new URL(url).port;
    await expect(cli('reindex', '--port', port)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('a LunaRoute server is running') as string,
    });
    const before = JSON.parse((await cli('sessions', 'list', '--json')).stdout) as unknown;
    child.kill('SIGTERM');
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    fs.writeFileSync(openPartitionFile(dir), 'garbage, not a database');
    const { stdout } = await cli('reindex', '--port', port);
    expect(stdout).toMatch(/^Indexed 2 file\(s\): 2 sessions, 4 requests in [\d.]+ s\n$/);
    expect(JSON.parse((await cli('sessions', 'list', '--json')).stdout)).toEqual(before);
  });
});
