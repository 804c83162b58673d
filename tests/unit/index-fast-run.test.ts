// The index's write statements bind their values through sql.js's C API (fast-run.ts), not its Statement#bind:
// every value must read back exactly as sql.js's own binding stores it, errors must be SQLite's, and a
// statement of another sql.js instance, a freed one or an oversized one must go through sql.js itself.
import initSqlJs from 'sql.js';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { openIndex } from '../../src-main/index/db.js';
import { FAST_RUN_MAX_BYTES, fastRunCounts, runStatement } from '../../src-main/index/fast-run.js';
import type { SqlValue } from '../../src-main/index/types.js';

const TABLE = 'CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v, u TEXT UNIQUE)';
// The index's own schema (its meta table) plus the test's table.
const SCHEMA = `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); ${TABLE}`;
const INSERT = 'INSERT INTO t (k, v, u) VALUES (?, ?, ?)';

const VALUES: SqlValue[] = [
  '',
  'plain ascii',
  'naïve café — “quotes” 日本語 한국어',
  'emoji 🦊🚀 and a flag 🇫🇷',
  'a\u0000nul inside',
  'x'.repeat(100_000),
  'é'.repeat(70_000), // two bytes each: 140 KB of UTF-8
  0,
  -0,
  1,
  -1,
  2 ** 31 - 1,
  2 ** 31, // past int32: bound as a double, read back as the same number
  -(2 ** 31),
  2 ** 53 - 1,
  0.1234,
  -1e-300,
  1e308,
  null,
];

async function store() {
  const { db } = await openIndex(null, { schema: SCHEMA });
  return db;
}

describe('index statements bound through the C API', () => {
  it('stores every value exactly as sql.js binding does, and is the path taken', async () => {
    const db = await store();
    const SQL = await initSqlJs();
    const ref = new SQL.Database();
    ref.run(TABLE);
    const before = fastRunCounts.fast;
    await db.run(VALUES.map((v, i) => ({ sql: INSERT, params: [i, v, `u${i}`] })));
    expect(fastRunCounts.fast - before).toBe(VALUES.length);
    const st = ref.prepare(INSERT);
    VALUES.forEach((v, i) => st.run([i, v, `u${i}`]));
    st.free();
    const ours = await db.query<{ k: number; v: unknown; type: string }>(
      'SELECT k, v, typeof(v) AS type FROM t ORDER BY k',
    );
    const theirs = ref.exec('SELECT k, v, typeof(v) FROM t ORDER BY k')[0]!.values;
    expect(ours.length).toBe(VALUES.length);
    ours.forEach((row, i) => {
      expect([row.k, row.v, row.type]).toEqual(theirs[i]);
      // And the value itself (−0 is stored as the integer 0, as by sql.js).
      expect(row.v).toEqual(Object.is(VALUES[i], -0) ? 0 : VALUES[i]);
    });
    ref.close();
  });

  it('throws SQLite error, rolls the batch back, and leaves the statement usable', async () => {
    const db = await store();
    await db.run([{ sql: INSERT, params: [1, 'a', 'same'] }]);
    await expect(
      db.run([
        { sql: INSERT, params: [2, 'b', 'other'] },
        { sql: INSERT, params: [3, 'c', 'same'] },
      ]),
    ).rejects.toThrow('UNIQUE constraint failed: t.u');
    expect(await db.query('SELECT k FROM t ORDER BY k')).toEqual([{ k: 1 }]);
    await db.run([{ sql: INSERT, params: [2, 'b', 'other'] }]);
    expect(await db.query('SELECT k, v FROM t ORDER BY k')).toEqual([
      { k: 1, v: 'a' },
      { k: 2, v: 'b' },
    ]);
    // More values than placeholders: sql.js's own error.
    await expect(db.run([{ sql: INSERT, params: [4, 'd', 'e', 'extra'] }])).rejects.toThrow(/range/i);
  });

  it('leaves no value bound after a run: a later bare step inserts NULLs, not stale bytes', async () => {
    const db = await store();
    await db.run([{ sql: INSERT, params: [1, 'kept?', 'u1'] }]);
    const st = db.db.prepare(INSERT);
    runStatement(st, INSERT, [2, 'first', 'u2']);
    st.step(); // no bind: every parameter is NULL again
    st.free();
    expect(await db.query('SELECT k, v, u FROM t ORDER BY k')).toEqual([
      { k: 1, v: 'kept?', u: 'u1' },
      { k: 2, v: 'first', u: 'u2' },
      { k: 3, v: null, u: null },
    ]);
  });

  it('hands to sql.js what it does not bind itself: oversized, odd values, freed or foreign statements', async () => {
    const db = await store();
    const fallback = (): number => fastRunCounts.fallback;
    let n = fallback();
    const big = 'y'.repeat(FAST_RUN_MAX_BYTES / 3 + 1);
    runStatement(db.db.prepare(INSERT), INSERT, [1, big, 'big']);
    expect(fallback()).toBe(n + 1);
    n = fallback();
    const bytes = new Uint8Array([1, 2, 3]);
    runStatement(db.db.prepare(INSERT), INSERT, [2, bytes as unknown as SqlValue, 'blob']);
    expect(fallback()).toBe(n + 1);
    expect(await db.query('SELECT k, length(v) AS n, typeof(v) AS type FROM t ORDER BY k')).toEqual([
      { k: 1, n: big.length, type: 'text' },
      { k: 2, n: 3, type: 'blob' },
    ]);
    // A freed statement: sql.js's error, never a call on a finalized pointer.
    const st = db.db.prepare(INSERT);
    runStatement(st, INSERT, [3, 'ok', 'u3']);
    st.free();
    expect(() => runStatement(st, INSERT, [4, 'no', 'u4'])).toThrow('Statement closed');
    // A statement of another sql.js instance (another heap) runs through that instance. (sql.js hands every
    // initSqlJs() call its first instance: a second one needs a second copy of the module.)
    const req = createRequire(import.meta.url);
    delete req.cache[req.resolve('sql.js')];
    const SQL = await (req('sql.js') as typeof initSqlJs)();
    const other = new SQL.Database();
    other.run(TABLE);
    n = fallback();
    runStatement(other.prepare(INSERT), INSERT, [7, 'elsewhere', 'u7']);
    expect(fallback()).toBe(n + 1);
    expect(other.exec('SELECT v FROM t')[0]!.values).toEqual([['elsewhere']]);
    other.close();
    expect(await db.query('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: 3 }]);
  });
});
