// The sql.js index in its worker: files Debian's sqlite3 CLI can read, atomic debounced saves (0600, no tmp
// leftovers), corrupt-file handling, one-transaction batches, FTS4 yes / FTS5 no, and list-query speed at 100 k rows.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { IndexError, SqliteIndex } from '../../src-main/storage/sqlite-index.js';
import { ManualTimers } from '../support/timers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lr-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDb = (): string => path.join(root, `case-${++n}`, 'index.sqlite');

const cli = (file: string, sql: string): string =>
  execFileSync('sqlite3', [file, sql], { encoding: 'utf8' }).trim();
const SCHEMA =
  'CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, client TEXT, started_at INTEGER, tokens INTEGER)';

describe('SqliteIndex', () => {
  it('creates a 0600 file in a 0700 directory that the sqlite3 CLI reads', async () => {
    const file = freshDb();
    const idx = await SqliteIndex.open({ file, timers: new ManualTimers() });
    expect(idx.openInfo).toEqual({ state: 'created' });
    await idx.exec(SCHEMA);
    await idx.run([
      { sql: 'INSERT INTO sessions VALUES (?, ?, ?, ?)', params: ['s1', 'claude-cli', 1, 10] },
      { sql: 'INSERT INTO sessions VALUES (?, ?, ?, ?)', params: ['s2', 'codex', 2, 20] },
      {
        sql: 'INSERT INTO sessions VALUES ($id, $c, $t, $k)',
        params: { $id: 's3', $c: "o'hara", $t: 3, $k: null },
      },
    ]);
    expect(await idx.query('SELECT id, tokens FROM sessions ORDER BY id')).toEqual([
      { id: 's1', tokens: 10 },
      { id: 's2', tokens: 20 },
      { id: 's3', tokens: null },
    ]);
    await idx.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(cli(file, 'SELECT id, client FROM sessions ORDER BY id')).toBe(
      "s1|claude-cli\ns2|codex\ns3|o'hara",
    );
    expect(cli(file, 'PRAGMA integrity_check')).toBe('ok');

    const again = await SqliteIndex.open({ file, timers: new ManualTimers() });
    expect(again.openInfo).toEqual({ state: 'opened' });
    expect(await again.query('SELECT count(*) AS n FROM sessions')).toEqual([{ n: 3 }]);
    await again.close();
  });

  it('reads a database written by the sqlite3 CLI', async () => {
    const file = freshDb();
    execFileSync('mkdir', ['-p', path.dirname(file)]);
    cli(file, "CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y');");
    const idx = await SqliteIndex.open({ file, timers: new ManualTimers() });
    expect(await idx.query('SELECT b FROM t WHERE a = ?', [2])).toEqual([{ b: 'y' }]);
    await idx.close();
  });

  it('moves a corrupt file aside, opens an empty index and says so (or throws INDEX_CORRUPT if asked)', async () => {
    const file = freshDb();
    execFileSync('mkdir', ['-p', path.dirname(file)]);
    writeFileSync(file, 'this is not a database, it is just some text'.repeat(200));
    await expect(SqliteIndex.open({ file, onCorrupt: 'fail' })).rejects.toMatchObject({
      code: 'INDEX_CORRUPT',
    });
    expect(existsSync(file)).toBe(true);

    const idx = await SqliteIndex.open({ file, timers: new ManualTimers() });
    expect(idx.openInfo.state).toBe('recreated');
    expect(idx.openInfo.reason).toMatch(/not a database/);
    expect(readFileSync(idx.openInfo.corruptBackup!, 'utf8')).toMatch(/^this is not a database/);
    await idx.exec(SCHEMA);
    await idx.close();
    expect(cli(file, 'SELECT count(*) FROM sessions')).toBe('0');
  });

  it('runs a batch as one transaction: a failing statement rolls back the whole batch', async () => {
    const idx = await SqliteIndex.open({ file: null });
    await idx.exec(SCHEMA);
    const err = await idx
      .run([
        { sql: 'INSERT INTO sessions (id) VALUES (?)', params: ['a'] },
        { sql: 'INSERT INTO sessions (id) VALUES (?)', params: ['a'] },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexError);
    expect((err as IndexError).message).toMatch(/UNIQUE/);
    expect(await idx.query('SELECT count(*) AS n FROM sessions')).toEqual([{ n: 0 }]);
    expect(await idx.run([{ sql: 'INSERT INTO sessions (id) VALUES (?)', params: ['b'] }])).toEqual({
      changes: 1,
    });
    await idx.close();
  });

  it('refuses transaction statements in exec() so a save can never land inside a transaction', async () => {
    const idx = await SqliteIndex.open({ file: null });
    await expect(idx.exec('BEGIN')).rejects.toMatchObject({ code: 'INDEX_TX_FORBIDDEN' });
    await expect(idx.exec('  commit')).rejects.toMatchObject({ code: 'INDEX_TX_FORBIDDEN' });
    await idx.close();
    await expect(idx.query('SELECT 1')).rejects.toMatchObject({ code: 'INDEX_CLOSED' });
  });

  it('saves on the debounce timer only when dirty, atomically and without tmp leftovers', async () => {
    const timers = new ManualTimers();
    const file = freshDb();
    const idx = await SqliteIndex.open({ file, timers, saveIntervalMs: 2500 });
    await idx.query('SELECT 1');
    expect(timers.pending.size).toBe(0); // reads never schedule a save
    await idx.exec(SCHEMA);
    await idx.exec('INSERT INTO sessions (id) VALUES (?)', ['x']);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([2500]); // one timer for many changes
    expect(existsSync(file)).toBe(false);
    for (let round = 0; round < 5; round++) {
      timers.fireAll();
      await idx.save(); // waits for the save the timer started
      expect(cli(file, 'PRAGMA integrity_check')).toBe('ok');
      expect(Number(cli(file, 'SELECT count(*) FROM sessions'))).toBe(round + 1);
      expect(readdirSync(path.dirname(file))).toEqual(['index.sqlite']);
      await idx.exec('INSERT INTO sessions (id) VALUES (?)', [`y${round}`]);
    }
    expect(idx.stats()).toMatchObject({ saves: 5, dirty: true, saveErrors: 0 });
    await idx.close(); // saves the last change
    expect(cli(file, 'SELECT count(*) FROM sessions')).toBe('6');
  });

  it('removes tmp files left by a save that crashed', async () => {
    const file = freshDb();
    execFileSync('mkdir', ['-p', path.dirname(file)]);
    const stale = `${file}.4242-deadbeef.tmp`;
    writeFileSync(stale, 'half a database');
    const idx = await SqliteIndex.open({ file, timers: new ManualTimers() });
    expect(existsSync(stale)).toBe(false);
    await idx.close();
  });

  it('re-applies connectionSql after each save (sql.js reopens the connection to export)', async () => {
    const idx = await SqliteIndex.open({ file: freshDb(), connectionSql: 'PRAGMA foreign_keys = ON' });
    expect(await idx.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    await idx.exec(SCHEMA);
    await idx.save();
    expect(await idx.query('PRAGMA foreign_keys')).toEqual([{ foreign_keys: 1 }]);
    await idx.close();
  });

  it('has FTS4 and JSON functions, and no FTS5', async () => {
    const idx = await SqliteIndex.open({ file: null });
    await idx.exec('CREATE VIRTUAL TABLE docs USING fts4(body)');
    await idx.run([
      { sql: 'INSERT INTO docs (body) VALUES (?)', params: ['refactor the proxy adapter'] },
      { sql: 'INSERT INTO docs (body) VALUES (?)', params: ['write unit tests'] },
    ]);
    expect(await idx.query("SELECT body FROM docs WHERE docs MATCH 'proxy'")).toEqual([
      { body: 'refactor the proxy adapter' },
    ]);
    expect(await idx.query(`SELECT json_extract('{"a":{"b":7}}', '$.a.b') AS v`)).toEqual([{ v: 7 }]);
    await expect(idx.exec('CREATE VIRTUAL TABLE d5 USING fts5(body)')).rejects.toThrow(
      /no such module: fts5/,
    );
    await idx.close();
  });

  it('uses an injected wasm path and fails clearly when it is wrong', async () => {
    const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    const copy = path.join(root, 'elsewhere.wasm');
    copyFileSync(wasm, copy);
    const idx = await SqliteIndex.open({ file: null, wasmPath: copy });
    expect(await idx.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await idx.close();
    await expect(
      SqliteIndex.open({ file: null, wasmPath: path.join(root, 'missing.wasm') }),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('answers a list query over 100 k rows in milliseconds and saves without blocking the event loop', async () => {
    const file = freshDb();
    const idx = await SqliteIndex.open({ file, timers: new ManualTimers() });
    await idx.exec(SCHEMA);
    await idx.exec('CREATE INDEX sessions_client_started ON sessions (client, started_at DESC)');
    await idx.exec('CREATE INDEX sessions_started ON sessions (started_at DESC)');
    const clients = ['claude-cli', 'codex', 'opencode'];
    const t0 = performance.now();
    for (let b = 0; b < 10; b++) {
      const batch = Array.from({ length: 10_000 }, (_, j) => {
        const i = b * 10_000 + j;
        return {
          sql: 'INSERT INTO sessions VALUES (?, ?, ?, ?)',
          params: [`s${i}`, clients[i % 3]!, i, i % 997],
        };
      });
      await idx.run(batch);
    }
    const insertMs = performance.now() - t0;
    const q = async (sql: string, params: (string | number)[]): Promise<number> => {
      const s = performance.now();
      for (let k = 0; k < 20; k++) await idx.query(sql, params);
      return (performance.now() - s) / 20;
    };
    const listMs = await q(
      'SELECT id, client, started_at, tokens FROM sessions WHERE client = ? ORDER BY started_at DESC LIMIT 50 OFFSET ?',
      ['codex', 1000],
    );
    const allMs = await q('SELECT id, started_at FROM sessions ORDER BY started_at DESC LIMIT 100', []);
    const aggMs = await q('SELECT client, count(*) AS n, sum(tokens) AS t FROM sessions GROUP BY client', []);
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    await idx.save();
    h.disable();
    const { lastSaveMs, lastSaveBytes } = idx.stats();
    console.log(
      `[sqlite] 100k inserts (10 batches) ${insertMs.toFixed(0)} ms; list query ${listMs.toFixed(2)} ms, ` +
        `newest-100 ${allMs.toFixed(2)} ms, group-by ${aggMs.toFixed(1)} ms; save ${(lastSaveBytes! / 1e6).toFixed(1)} MB ` +
        `in ${lastSaveMs!.toFixed(0)} ms, event-loop max ${(h.max / 1e6).toFixed(1)} ms`,
    );
    expect(listMs).toBeLessThan(50);
    expect(allMs).toBeLessThan(50);
    expect(cli(file, 'SELECT count(*) FROM sessions')).toBe('100000');
    await idx.close();
  });
});
