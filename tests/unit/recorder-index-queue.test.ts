// The recorder's index queue (src-main/recorder/index-queue.ts): a request's full-text row and its response's
// text in one batch are written by one statement, and the index ends up exactly as when each line is indexed in
// its own batch (the statements reindex runs).
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { FTS_SQL, statementsFor } from '../../src-main/index/indexer.js';
import { readSessionParts, sessionParts } from '../../src-main/index/reindex.js';
import type { IndexDb, Stmt } from '../../src-main/index/types.js';
import { INDEX_BATCH_MAX_STATEMENTS, IndexQueue } from '../../src-main/recorder/index-queue.js';
import { makeTempDir } from '../support/config.js';
import { sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const SESSION: HistorySession = { id: 'sess-fts', at: Date.UTC(2026, 10, 2, 9), turns: 4 };

const stores: IndexStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.db.close();
});

async function memoryIndex(): Promise<IndexStore> {
  const { db } = await openIndex(null);
  stores.push(db);
  return db;
}

async function sessionLines(): Promise<{ rel: string; lines: Parameters<typeof statementsFor>[0][] }> {
  const dir = makeTempDir('lr-iq-');
  writeHistory(dir, [SESSION]);
  const rel = sessionRel(SESSION);
  const { lines } = await readSessionParts(sessionParts(path.join(dir, 'sessions'), rel));
  return { rel, lines };
}

const dump = (db: IndexStore): unknown[] => [
  db.querySync('SELECT docid, request_id, session_id, prompt, response FROM request_text ORDER BY docid'),
  db.querySync('SELECT * FROM requests ORDER BY id'),
  db.querySync('SELECT * FROM sessions'),
];

describe('index queue', () => {
  it('writes a request and its response text in one batch with one full-text statement, to the same index', async () => {
    const { rel, lines } = await sessionLines();
    const perLine = await memoryIndex();
    for (const l of lines) perLine.runSync(statementsFor(l, rel));

    const queued = await memoryIndex();
    const batches: Stmt[][] = [];
    const spy: IndexDb = {
      run: (stmts) => {
        batches.push(stmts);
        return queued.run(stmts);
      },
      query: (sql, params) => queued.query(sql, params),
    };
    const q = new IndexQueue(spy, 60_000, (err) => {
      throw err;
    });
    for (const l of lines) q.push(statementsFor(l, rel));
    await q.flush();

    expect(batches).toHaveLength(1);
    const sqls = batches[0]!.map((s) => s.sql);
    const requests = lines.filter((l) => l.type === 'request').length;
    expect(requests).toBe(4);
    expect(sqls.filter((s) => s === FTS_SQL.both)).toHaveLength(requests);
    expect(sqls.filter((s) => s === FTS_SQL.response || s === FTS_SQL.responseNew)).toHaveLength(0);
    expect(dump(queued)).toEqual(dump(perLine));
    const hits = queued.querySync<{ n: number }>(
      `SELECT COUNT(*) AS n FROM request_text WHERE request_text MATCH 'response:answer'`,
    );
    expect(hits[0]!.n).toBeGreaterThan(0);
  });

  it('keeps the response text statements when the request was indexed in an earlier batch', async () => {
    const { rel, lines } = await sessionLines();
    const perLine = await memoryIndex();
    for (const l of lines) perLine.runSync(statementsFor(l, rel));

    const queued = await memoryIndex();
    const q = new IndexQueue(queued, 60_000, (err) => {
      throw err;
    });
    for (const l of lines) {
      q.push(statementsFor(l, rel));
      await q.flush(); // one line per batch: nothing to fold
    }
    expect(dump(queued)).toEqual(dump(perLine));
  });

  it('commits a batch at once when it holds INDEX_BATCH_MAX_STATEMENTS, not after its interval', async () => {
    const db = await memoryIndex();
    db.runSync([{ sql: 'CREATE TABLE t (n INTEGER)', params: [] }]);
    const sizes: number[] = [];
    const spy: IndexDb = {
      run: (stmts) => {
        sizes.push(stmts.length);
        return db.run(stmts);
      },
      query: (sql, params) => db.query(sql, params),
    };
    const q = new IndexQueue(spy, 60_000, (err) => {
      throw err;
    });
    const insert = (n: number): Stmt => ({ sql: 'INSERT INTO t (n) VALUES (?)', params: [n] });
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    for (let i = 0; i < INDEX_BATCH_MAX_STATEMENTS - 1; i++) q.push([insert(i)]);
    await turn();
    expect(sizes).toEqual([]);
    q.push([insert(INDEX_BATCH_MAX_STATEMENTS - 1), insert(INDEX_BATCH_MAX_STATEMENTS)]);
    await turn();
    // Committed on this push (the interval is a minute), the two last statements with it.
    expect(sizes).toEqual([INDEX_BATCH_MAX_STATEMENTS + 1]);
    q.push([insert(-1)]);
    await q.flush();
    expect(sizes).toEqual([INDEX_BATCH_MAX_STATEMENTS + 1, 1]);
    expect(db.querySync('SELECT COUNT(*) AS n FROM t')).toEqual([{ n: INDEX_BATCH_MAX_STATEMENTS + 2 }]);
  });
});
