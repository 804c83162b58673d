// The recorder's index queue writes fewer statements per batch (a request's row with its response's columns,
// a session's last activity folded into its totals recount, redaction counts summed, a limit window's newest
// values kept): every table ends up exactly as when the same batches run the indexer's statements as they are, whatever
// the batch boundaries.
import { afterEach, describe, expect, it } from 'vitest';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { sessionTotals, statementsFor } from '../../src-main/index/indexer.js';
import { LAST_AT_SQL, ROW_SQL } from '../../src-main/index/row-sql.js';
import type { IndexDb, Stmt } from '../../src-main/index/types.js';
import { IndexQueue } from '../../src-main/recorder/index-queue.js';
import type { RecordLine } from '../../src-shared/records.js';
import { FILE, gap, request, response, session, T0 } from '../support/index-lines.js';

const stores: IndexStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.db.close();
});

async function memoryIndex(): Promise<IndexStore> {
  const { db } = await openIndex(null);
  stores.push(db);
  return db;
}

const TOTALS_SQL = sessionTotals('', 0).sql;

/**
 * Two sessions interleaved: responses in the same batch as their request or later, one never answered (then
 * named by a gap line as not recorded), one answered after a gap line named it, one whose request line was lost
 * (a response without a request row), a count_tokens request (free), a failure, tool calls answered by the next
 * turn, limit headers whose times go back, and redaction counts on both kinds of line.
 */
function lines(): RecordLine[] {
  const a = 'sess-a';
  const b = 'sess-b';
  const t = (s: number): number => T0 + s * 1000;
  return [
    session(a, t(0)),
    request(a, 0, t(1)),
    session(b, t(1)),
    response(a, 0, t(3)),
    request(b, 0, t(4)),
    request(a, 1, t(5)),
    response(b, 0, t(6)),
    request(a, 2, t(7)),
    response(a, 1, t(6.5)), // out of order: its time is before the previous line's
    response(a, 2, t(9)),
    request(a, 3, t(10)),
    request(b, 1, t(11)), // never answered: the gap line below names it
    response(a, 3, t(12)),
    gap(t(13), [`${b}-r1`, `${a}-r4`]),
    request(a, 4, t(14)),
    gap(t(15), [`${a}-r4`]), // names a request whose response is still to come
    response(a, 4, t(16)),
    response(b, 9, t(17)), // its request line was lost: no row to update
    request(b, 2, t(18)),
    response(b, 2, t(17), { redaction: { email: 3, phone: 1 } }), // limits seen at the same time as b9's
    request(a, 5, t(20)), // in flight at the end
  ];
}

const dump = (db: IndexStore): Record<string, unknown[]> => {
  const out: Record<string, unknown[]> = {};
  const tables = db.querySync<{ name: string }>(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'request_text_%' ORDER BY name`,
  );
  for (const { name } of tables)
    out[name] = db.querySync(
      name === 'request_text'
        ? 'SELECT docid, * FROM request_text ORDER BY docid'
        : `SELECT rowid AS _rowid, * FROM "${name}" ORDER BY rowid`,
    );
  for (const m of ['otters', 'prompt:pelicans', 'response:otters', 'walruses harbour'])
    out[`match ${m}`] = db.querySync(
      'SELECT docid FROM request_text WHERE request_text MATCH ? ORDER BY docid',
      [m],
    );
  return out;
};

/**
 * The same batches unmerged: each batch's statements in order, as the indexer makes them, with only what the
 * queue always did: its sessions' totals recounted once, at its end (so a request indexed after the last
 * response of a batch is counted, unlike line by line).
 */
async function unmerged(ls: readonly RecordLine[], cuts: ReadonlySet<number>): Promise<IndexStore> {
  const db = await memoryIndex();
  let batch: Stmt[] = [];
  const totals = new Map<string, Stmt>();
  const commit = (): void => {
    db.runSync([...batch, ...totals.values()]);
    batch = [];
    totals.clear();
  };
  for (const [i, l] of ls.entries()) {
    for (const st of statementsFor(l, FILE)) {
      if (st.sql !== TOTALS_SQL) batch.push(st);
      else if (Number(st.params[1]) >= Number(totals.get(String(st.params[0]))?.params[1] ?? -Infinity))
        totals.set(String(st.params[0]), st);
    }
    if (cuts.has(i)) commit();
  }
  commit();
  return db;
}

/** Through the queue, a batch committed after the lines whose indexes are in `cuts`. */
async function queued(
  ls: readonly RecordLine[],
  cuts: ReadonlySet<number>,
): Promise<{ db: IndexStore; stmts: Stmt[] }> {
  const db = await memoryIndex();
  const stmts: Stmt[] = [];
  const spy: IndexDb = {
    run: (batch) => {
      stmts.push(...batch);
      return db.run(batch);
    },
    query: (sql, params) => db.query(sql, params),
  };
  const q = new IndexQueue(spy, 60_000, (err) => {
    throw err;
  });
  for (const [i, l] of ls.entries()) {
    q.push(statementsFor(l, FILE));
    if (cuts.has(i)) await q.flush();
  }
  await q.flush();
  return { db, stmts };
}

describe('index queue merging', () => {
  it('writes a request and its response in one batch as one row, and leaves every table as its statements unmerged', async () => {
    const ls = lines();
    const expected = dump(await unmerged(ls, new Set()));
    const { db, stmts } = await queued(ls, new Set());
    expect(dump(db)).toEqual(expected);
    const count = (sql: string): number => stmts.filter((s) => s.sql === sql).length;
    // Answered in the batch: a0, a1, a2, a3, a4, b0, b2; b9 has no request line, so it stays an update.
    expect(count(ROW_SQL.merged)).toBe(7);
    expect(count(ROW_SQL.response)).toBe(1);
    expect(count(ROW_SQL.request)).toBe(2); // b1 (never answered) and a5 (in flight)
    // Both sessions have a totals recount in the batch, which sets their last activity.
    expect(count(LAST_AT_SQL)).toBe(0);
    expect(stmts.filter((s) => s.sql.startsWith('INSERT INTO redactions'))).toHaveLength(5);
    expect(stmts.filter((s) => s.sql.startsWith('INSERT INTO limits'))).toHaveLength(2);
    expect(expected['requests']).toHaveLength(9);
    expect(expected['match otters']!.length).toBeGreaterThan(0);
  });

  it('leaves the same tables whatever the batch boundaries (every line, every other, responses in later batches)', async () => {
    const ls = lines();
    const all = [...ls.keys()];
    const splits: number[][] = [
      all,
      all.filter((i) => i % 2 === 1),
      all.filter((i) => i % 3 === 0),
      all.filter((i) => ls[i]!.type === 'request'), // every response in a later batch than its request
      [0, 5, 13, 14],
    ];
    for (const cuts of splits) {
      const expected = dump(await unmerged(ls, new Set(cuts)));
      const { db } = await queued(ls, new Set(cuts));
      expect(dump(db), `batches cut after lines ${cuts.join(',')}`).toEqual(expected);
    }
  });

  it('updates a request row that already exists with its response, as the two statements do', async () => {
    const ls = lines();
    const twice = [...ls, request('sess-a', 5, T0 + 30_000), response('sess-a', 5, T0 + 31_000)];
    const cuts = new Set([ls.length - 1]);
    const expected = dump(await unmerged(twice, cuts));
    const { db, stmts } = await queued(twice, cuts);
    expect(dump(db)).toEqual(expected);
    expect(stmts.filter((s) => s.sql === ROW_SQL.merged).length).toBeGreaterThan(7);
    expect(expected['requests']!.find((r) => (r as { id: string }).id === 'sess-a-r5')).toMatchObject({
      outcome: 'completed',
    });
  });

  it('keeps a session’s last activity when its request lines come before its session line in a batch', async () => {
    // The first one's time is later: folded past the session line it would win.
    const ls: RecordLine[] = [
      request('sess-c', 0, T0 + 9_000),
      session('sess-c', T0),
      request('sess-c', 1, T0 + 5_000),
    ];
    const expected = dump(await unmerged(ls, new Set()));
    const { db } = await queued(ls, new Set());
    expect(dump(db)).toEqual(expected);
    expect(expected['sessions']).toMatchObject([{ id: 'sess-c', last_at: T0 + 5_000 }]);
  });
});
