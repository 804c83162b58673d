// `lunaroute export` in-process against a temp data dir holding one session file: each format to stdout or a
// 0600 file, a unique id prefix is enough, and wrong usage gives one-line errors with the right exit codes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src-main/cli.js';

let home: string;
let dataDir: string;
const SID = '3f9c2a10-aaaa-bbbb-cccc-000000000001';

const lines = [
  {
    type: 'session',
    v: 1,
    session_id: SID,
    at: 1000,
    client: 'claude_code',
    client_version: '2.1',
    user_agent: null,
    id_source: 'generated',
  },
  {
    type: 'request',
    v: 1,
    id: 'r1',
    session_id: SID,
    at: 1000,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages',
    upstream_url: 'https://api.anthropic.com/v1/messages',
    client: 'claude_code',
    headers_ref: null,
    credential_source: 'client',
    body: { model: 'm', messages: [{ role: 'user', content: 'hello there' }] },
    body_text: null,
    body_bytes: 10,
    body_truncated: false,
    body_encoding: null,
    model: 'm',
    stream: false,
    prompt: 'hello there',
    message_count: 1,
    tool_count: 0,
    system_chars: 0,
    tool_results: [],
  },
];

async function run(args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    context: {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      env: {},
      homeDir: home,
      cwd: home,
    },
  });
  return { code, out, err };
}

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-export-'));
  dataDir = path.join(home, 'data');
  const day = path.join(dataDir, 'sessions', '2026-11-27');
  fs.mkdirSync(day, { recursive: true });
  fs.writeFileSync(path.join(day, `${SID}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('lunaroute export', () => {
  it('prints the JSONL records by default', async () => {
    const r = await run(['export', SID, `--data-dir=${dataDir}`]);
    expect(r.code).toBe(0);
    expect(
      r.out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(lines);
  });

  it('writes Markdown for a unique prefix to a file readable only by its owner', async () => {
    const r = await run([
      'export',
      SID.slice(0, 6),
      '--format',
      'md',
      '--out',
      'out.md',
      `--data-dir=${dataDir}`,
    ]);
    expect(r.code).toBe(0);
    const file = path.join(home, 'out.md');
    expect(fs.readFileSync(file, 'utf8')).toContain('### User\n\n```\nhello there\n```');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(r.err).toMatch(/^lunaroute: wrote .*out\.md \(\d+ bytes, md\)\n$/);
  });

  it('exports HAR with one entry per request', async () => {
    const r = await run(['export', SID, '-f', 'har', `--data-dir=${dataDir}`]);
    const har = JSON.parse(r.out) as { log: { version: string; entries: unknown[] } };
    expect(har.log.version).toBe('1.2');
    expect(har.log.entries).toHaveLength(1);
  });

  it('refuses an unknown format, a missing id and an unknown session', async () => {
    expect(await run(['export', SID, '--format', 'pdf', `--data-dir=${dataDir}`])).toMatchObject({
      code: 2,
      err: expect.stringContaining("--format must be one of jsonl, har, md (got 'pdf')") as unknown,
    });
    expect((await run(['export', `--data-dir=${dataDir}`])).code).toBe(2);
    const missing = await run(['export', 'nope-nope', `--data-dir=${dataDir}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("no session 'nope-nope'");
  });
});
