// Crash safety of the recorder, on the real `lunaroute serve` process: completed requests survive a `kill -9`,
// requests cut by it are marked `interrupted` (reason `crash`) in the index AND by a response line appended to
// the JSONL, a torn last line is skipped and does not swallow the next line written after restart, and a
// missing or corrupt index partition is rebuilt from the JSONL with the same rows. The index file is read with
// Debian's `sqlite3` CLI. Waits are on process output, on the client's first chunk, or bounded polls.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openIndex } from '../../src-main/index/db.js';
import { readSessionFile } from '../../src-main/index/reindex.js';
import type { RecordLine, ResponseLine } from '../../src-shared/records.js';
import { makeTempDir } from '../support/config.js';
import { openPartitionFile } from '../support/index-file.js';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'lunaroute.js');
const READY = /LunaRoute listening on (http:\/\/\S+)/;

let fake: FakeProvider;
let home: string;
let dataDir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src-main', 'cli.js')))
    throw new Error('dist/ is missing: run `npm run build:main` first');
  fake = await startFakeProvider({ slowDelayMs: 200 });
  home = makeTempDir('lunaroute-crash-');
  dataDir = path.join(home, 'data');
});

afterEach(async () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await once(c, 'exit');
    }
  }
  children.clear();
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

interface Server {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

async function serve(): Promise<Server> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LUNAROUTE_')) env[k] = v;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--port',
      '0',
      '--ui-port',
      '0',
      '--data-dir',
      dataDir,
      '--anthropic-upstream',
      fake.url,
      '--openai-upstream',
      `${fake.url}/v1`,
      '--log-level',
      'warn',
    ],
    {
      cwd: home,
      env: {
        ...env,
        HOME: home,
        LUNAROUTE_RECORDING: 'true',
        ELECTRON_OVERRIDE_DIST_PATH: path.join(home, 'no-electron'),
      },
    },
  );
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = READY.exec(stdout);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${String(code)}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

async function stop(s: Server, signal: NodeJS.Signals): Promise<void> {
  const exited = once(s.child, 'exit');
  s.child.kill(signal);
  await exited;
}

function body(text: string, stream = false): string {
  return JSON.stringify({
    model: 'claude-crash',
    max_tokens: 50,
    stream,
    messages: [{ role: 'user', content: text }],
  });
}

/** POST to /v1/messages; resolves with the whole body. */
function complete(url: string, sid: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/v1/messages`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'sk-ant-crash',
          'anthropic-version': '2023-06-01',
          'x-claude-code-session-id': sid,
        },
        agent: false,
      },
      (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(b) : reject(new Error(`${res.statusCode}: ${b}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body(text));
  });
}

/** Start a streaming request; resolves once its first chunk reached the client. */
function streamUntilFirstChunk(url: string, sid: string, text: string): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-crash',
        'anthropic-version': '2023-06-01',
        'x-claude-code-session-id': sid,
      },
      agent: false,
    });
    req.on('response', (res) => {
      res.once('data', () => resolve(req));
      res.on('error', () => undefined);
    });
    req.on('error', (err) => reject(err));
    req.end(body(text, true));
  });
}

function fileOf(sid: string): string {
  const sessions = path.join(dataDir, 'sessions');
  for (const day of fs.readdirSync(sessions)) {
    const f = path.join(sessions, day, `${sid}.jsonl`);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`no file for session ${sid}`);
}

async function linesOf(sid: string): Promise<RecordLine[]> {
  return (await readSessionFile(fileOf(sid))).lines;
}

/** Poll until `check` holds (bounded). */
async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    let v: T | undefined;
    try {
      v = await check();
    } catch {
      v = undefined;
    }
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 25));
  }
}

const DB = (): string => openPartitionFile(dataDir);
function sql(q: string): Record<string, unknown>[] {
  if (!fs.existsSync(DB())) throw new Error('no index file yet');
  const out = execFileSync('sqlite3', ['-readonly', '-json', DB(), q], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim() === '' ? [] : (JSON.parse(out) as Record<string, unknown>[]);
}

/** What is committed to the index (file + journal), read like the CLI reads it while a server runs. */
async function committed(q: string): Promise<Record<string, unknown>[]> {
  const { db } = await openIndex(DB(), { readOnly: true });
  try {
    return db.querySync(q);
  } finally {
    db.db.close();
  }
}

const count = (lines: RecordLine[], type: RecordLine['type']): number =>
  lines.filter((l) => l.type === type).length;

describe('recorder crash safety (lunaroute serve, kill -9)', () => {
  const S = 'crash-session-cut-and-torn';
  const T = 'crash-session-cut-untouched';
  const U = 'crash-session-torn-then-continued';
  const N = 3;

  it('completed requests survive, cut requests become interrupted/crash, torn lines are skipped', async () => {
    let s = await serve();
    for (let i = 0; i < N; i++) await complete(s.url, S, `done ${i}`);
    await complete(s.url, U, 'u before');
    // On disk: every completed request has its response line in the JSONL.
    await until('completed requests on disk', async () =>
      count(await linesOf(S), 'response') === N && count(await linesOf(U), 'response') === 1
        ? true
        : undefined,
    );
    // Two slow streams (each event waits 200 ms), cut mid-way.
    const cutS = await streamUntilFirstChunk(s.url, S, 'SCENARIO:slow SCENARIO:big-200 cut in S');
    const cutT = await streamUntilFirstChunk(s.url, T, 'SCENARIO:slow SCENARIO:big-200 cut in T');
    await until('the cut requests on disk', async () =>
      count(await linesOf(S), 'request') === N + 1 && count(await linesOf(T), 'request') === 1
        ? true
        : undefined,
    );
    // Let an index save catch up with the JSONL, so T's file has exactly the size the saved index knows: the
    // restart must still find its request in flight.
    // Saves append to the index's journal while the server runs (the file is written whole at checkpoints), so
    // this reads what is committed the way the CLI does: the file plus its journal, read-only.
    await until('the index saved with both cut requests in flight', async () => {
      const [r] = await committed(
        `SELECT SUM(outcome IS NULL) AS cut, SUM(outcome = 'completed') AS done FROM requests`,
      );
      return r?.cut === 2 && r.done === N + 1 ? true : undefined;
    });
    const sizeT = fs.statSync(fileOf(T)).size;
    expect(await committed(`SELECT size FROM files WHERE path LIKE '%${T}.jsonl'`)).toEqual([
      { size: sizeT },
    ]);

    await stop(s, 'SIGKILL');
    cutS.destroy();
    cutT.destroy();
    // A line torn by the crash (half written), in S and in U.
    fs.appendFileSync(fileOf(S), '{"type":"response","v":1,"id":"torn-');
    fs.appendFileSync(fileOf(U), '{"type":"request","v":1,"id":"torn-');

    s = await serve();
    // Serving waits for the recorder only so long (1.5 s): on a loaded machine the reconcile may still run. Wait
    // for its crash markers in the files and for the index saved after them.
    await until('crash markers on disk and in the saved index', async () => {
      for (const sid of [S, T]) {
        const { lines } = await readSessionFile(fileOf(sid));
        if (!lines.some((l) => l.type === 'response' && l.reason === 'crash')) return undefined;
      }
      return (await committed(`SELECT COUNT(*) AS n FROM requests WHERE reason = 'crash'`))[0]?.n === 2
        ? true
        : undefined;
    });
    for (const sid of [S, T]) {
      const { lines, skipped } = await readSessionFile(fileOf(sid));
      expect(skipped).toBe(sid === S ? 1 : 0);
      const crash = lines.filter((l): l is ResponseLine => l.type === 'response' && l.reason === 'crash');
      expect(crash).toHaveLength(1);
      expect(crash[0]).toMatchObject({ outcome: 'interrupted', status: null });
      expect(crash[0]!.timings.duration_ms).toBeNull();
      const cutId = lines.filter((l) => l.type === 'request').at(-1)!;
      expect(crash[0]!.id).toBe((cutId as { id: string }).id);
    }
    const rows = sql(`SELECT session_id, outcome, reason FROM requests ORDER BY at`);
    expect(rows.filter((r) => r.outcome === 'completed')).toHaveLength(N + 1);
    expect(
      rows
        .filter((r) => r.outcome === 'interrupted' && r.reason === 'crash')
        .map((r) => r.session_id)
        .sort(),
    ).toEqual([S, T].sort());
    expect(rows.filter((r) => r.outcome === null)).toEqual([]);
    expect(sql(`SELECT request_count, interrupted_count FROM sessions WHERE id = '${S}'`)).toEqual([
      { request_count: N + 1, interrupted_count: 1 },
    ]);

    // The sessions go on after the restart: their new lines are not glued to a torn fragment.
    await complete(s.url, U, 'u after');
    await complete(s.url, S, 'S after');
    await stop(s, 'SIGTERM');
    for (const [sid, requests] of [
      [U, 2],
      [S, N + 2],
    ] as const) {
      const { lines, skipped } = await readSessionFile(fileOf(sid));
      expect(skipped, sid).toBe(1);
      expect(count(lines, 'request'), sid).toBe(requests);
      expect(count(lines, 'response'), sid).toBe(requests);
    }
    expect(sql(`SELECT COUNT(*) AS n FROM requests WHERE outcome = 'completed'`)).toEqual([{ n: N + 3 }]);
    expect(sql(`SELECT id, request_count FROM sessions ORDER BY id`)).toEqual(
      [
        { id: S, request_count: N + 2 },
        { id: T, request_count: 1 },
        { id: U, request_count: 2 },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  }, 60_000);

  const dump = (): unknown[] => [
    sql('SELECT * FROM sessions ORDER BY id'),
    sql('SELECT * FROM requests ORDER BY id'),
    sql('SELECT * FROM tool_calls ORDER BY session_id, id'),
    sql('SELECT request_id, prompt, response FROM request_text ORDER BY request_id'),
  ];

  it('a corrupt index partition is rebuilt from the JSONL with the same rows', async () => {
    const before = dump();
    expect((before[1] as unknown[]).length).toBe(N + 5);
    fs.writeFileSync(DB(), Buffer.from('garbage bytes, not a database \u0000\u0001\u0002'.repeat(100)));
    const s = await serve();
    // Serving does not wait for the rebuild (a loaded machine may still be at it): wait for the file it saves.
    expect(await until('the rebuilt index on disk', () => dump())).toEqual(before);
    await stop(s, 'SIGTERM');
    expect(dump()).toEqual(before);
    expect(fs.statSync(DB()).mode & 0o777).toBe(0o600);
  }, 30_000);

  it('a deleted index partition is rebuilt from the JSONL with the same rows', async () => {
    const before = dump();
    fs.rmSync(DB());
    const s = await serve();
    expect(await until('the rebuilt index on disk', () => dump())).toEqual(before);
    await stop(s, 'SIGTERM');
    expect(sql('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  }, 30_000);

  it('a response that ended 120 ms before a kill -9 is on disk (lines are written every 100 ms)', async () => {
    const W = 'crash-session-flush-window';
    const s = await serve();
    // A first request makes sure the recorder is running and the session file exists.
    await complete(s.url, W, 'warm up');
    await until('the warm-up on disk', async () =>
      count(await linesOf(W), 'response') === 1 ? true : undefined,
    );
    await complete(s.url, W, 'must survive');
    const ended = performance.now();
    await new Promise((r) => setTimeout(r, 120));
    const killedAfter = performance.now() - ended;
    await stop(s, 'SIGKILL');
    console.info(`killed ${killedAfter.toFixed(0)} ms after the response ended`);
    const lines = await linesOf(W);
    expect(count(lines, 'request')).toBe(2);
    expect(lines.filter((l): l is ResponseLine => l.type === 'response').map((l) => l.outcome)).toEqual([
      'completed',
      'completed',
    ]);
  }, 30_000);
});
