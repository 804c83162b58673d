// The partitioned index (src-main/index/partitions.ts) over real session files in a temp dir: partitions roll
// over as they fill, every query spanning them answers exactly what one database over the same JSONL answers,
// closed partitions are loaded on demand and released when idle, retention drops a whole partition, the old
// single-file lunaroute.db migrates by itself, and a corrupt partition is rebuilt alone.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeAnalytics } from '../../src-main/analytics/analytics.js';
import {
  analyticsFromRollups,
  indexStatsFromRollups,
  statsFromRollups,
} from '../../src-main/analytics/rollup-analytics.js';
import { computeStats } from '../../src-main/analytics/stats.js';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { PART_QUERIES, listSessions, partGetSession, search } from '../../src-main/index/part-queries.js';
import { LEGACY_INDEX_FILE, PartitionedIndex, partitionFile } from '../../src-main/index/partitions.js';
import * as Q from '../../src-main/index/queries.js';
import { reconcile } from '../../src-main/index/reindex.js';
import { fileProgress, sessionTotals, statementsFor } from '../../src-main/index/indexer.js';
import type { RecordLine } from '../../src-shared/records.js';
import { makeTempDir } from '../support/config.js';
import { DAY, HOUR, sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const D0 = Date.UTC(2026, 10, 2, 9);
/** The clock of the partitioned index in these tests: a month after the history. */
const NOW = D0 + 30 * DAY;
/** Six sessions of four turns, two a day over three days; one client/model pair per day parity. */
const SESSIONS: HistorySession[] = Array.from({ length: 6 }, (_, i) => ({
  id: `sess-${i}`,
  at: D0 + Math.floor(i / 2) * DAY + (i % 2) * 3 * HOUR,
  turns: 4,
  ...(i % 2 ? { client: 'codex' as const, model: 'gpt-5' } : {}),
}));

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function partitioned(dataDir: string, maxRows = 8): Promise<PartitionedIndex> {
  const pi = await PartitionedIndex.open({ dataDir, maxRows, saveIntervalMs: 60_000, now: () => NOW });
  open.push(pi);
  return pi;
}

async function build(dataDir: string, maxRows = 8): Promise<PartitionedIndex> {
  const pi = await partitioned(dataDir, maxRows);
  await reconcilePartitions(pi, path.join(dataDir, 'sessions'), { full: pi.rebuildReason !== null });
  await pi.finishBuild();
  return pi;
}

/**
 * Equal, except that money may differ in its last rounded digit: SQLite sums a column row by row, the rollups
 * sum per-hour sums, and a total that falls on a rounding boundary can round either way.
 */
function expectSame(got: unknown, want: unknown, at = '$'): void {
  if (typeof want === 'number' && typeof got === 'number' && !Number.isInteger(want)) {
    expect(Math.abs(got - want), `${at}: ${got} vs ${want}`).toBeLessThanOrEqual(
      1e-3 * Math.abs(want) + 2e-6,
    );
    return;
  }
  if (want === null || typeof want !== 'object') return void expect(got, at).toEqual(want);
  expect(got !== null && typeof got === 'object', at).toBe(true);
  const g = got as Record<string, unknown>;
  const w = want as Record<string, unknown>;
  expect(Object.keys(g).sort(), at).toEqual(Object.keys(w).sort());
  for (const k of Object.keys(w)) expectSame(g[k], w[k], `${at}.${k}`);
}

/** One database over the same session files (the layout before partitions). */
async function single(sessionsDir: string): Promise<IndexStore> {
  const { db } = await openIndex(null);
  open.push({ close: () => db.db.close() });
  await reconcile(db, sessionsDir, { markCrashed: false });
  return db;
}

describe('partitioned index', () => {
  it('rolls over after maxRows requests: three closed partitions of two sessions each, one open and empty', async () => {
    const dir = makeTempDir();
    writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    expect(pi.partitions().map((p) => [p.id, p.state, p.requests])).toEqual([
      [3, 'closed', 8],
      [2, 'closed', 8],
      [1, 'closed', 8],
      [4, 'open', 0],
    ]);
    for (const id of [1, 2, 3, 4]) expect(fs.existsSync(partitionFile(dir, id))).toBe(true);
    // Only the open partition is in memory after a build.
    expect(pi.loadedPartitions()).toEqual([]);
    expect(pi.summary.querySync('SELECT id, part FROM session_list ORDER BY id')).toEqual(
      SESSIONS.map((s, i) => ({ id: s.id, part: Math.floor(i / 2) + 1 })),
    );
  });

  it('answers list, session, search, stats and analytics across partitions exactly as one database does', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const one = await single(sessionsDir);
    const ctx = { parts: pi, sessionsDir };
    const q1 = { index: one, sessionsDir };

    expect(await listSessions(ctx, {})).toEqual(Q.listSessions(q1, {}));
    expect(await listSessions(ctx, { limit: 2, offset: 3, client: 'codex' })).toEqual(
      Q.listSessions(q1, { limit: 2, offset: 3, client: 'codex' }),
    );
    expect(await listSessions(ctx, { q: 'walrus', status: 'failed' })).toEqual(
      Q.listSessions(q1, { q: 'walrus', status: 'failed' }),
    );
    expect(await partGetSession(ctx, { id: 'sess-0' })).toEqual(Q.getSession(q1, { id: 'sess-0' }));
    expect(await PART_QUERIES['sessions.view'](ctx, { id: 'sess-2' } as never)).toEqual(
      await Q.sessionView(q1, { id: 'sess-2' }),
    );
    expect((await search(ctx, { q: 'pelicans', limit: 5 })).hits).toEqual(
      Q.search(q1, { q: 'pelicans', limit: 5 }).hits,
    );

    for (const a of [
      { bucket: 'day' as const, tzOffsetMinutes: 0 },
      { bucket: 'hour' as const, tzOffsetMinutes: 60, since: D0 + DAY + 90 * 60_000 },
      { bucket: 'day' as const, tzOffsetMinutes: 330, since: D0 + 2 * HOUR + 17 },
    ])
      expectSame(await analyticsFromRollups(pi, a), computeAnalytics(one, a));
    for (const by of ['day', 'model', 'client', 'class', 'tool'] as const)
      expectSame(
        await statsFromRollups(pi, { by, since: D0 + 5 * 60_000, tzOffsetMinutes: 0 }),
        computeStats(one, { by, since: D0 + 5 * 60_000, tzOffsetMinutes: 0 }),
      );
    expectSame(await indexStatsFromRollups(pi, { since: D0 + DAY }), Q.indexStats(q1, { since: D0 + DAY }));
  });

  it('search stops at the newest partitions once the page is full', async () => {
    const dir = makeTempDir();
    writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    // "answer 3" is in the last turn of every session: the newest two partitions hold the four newest hits.
    const hits = (await search({ parts: pi, sessionsDir: '' }, { q: 'answer 3', limit: 2 })).hits;
    expect(hits.map((h) => h.session_id)).toEqual(['sess-5', 'sess-4']);
    expect(pi.loadedPartitions()).toEqual([3]);
  });

  it('loads a closed partition for a session and releases it once idle', async () => {
    const dir = makeTempDir();
    writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    expect((await partGetSession({ parts: pi, sessionsDir: '' }, { id: 'sess-1' }))?.requests).toHaveLength(
      4,
    );
    expect(pi.loadedPartitions()).toEqual([1]);
    expect(await pi.releaseIdle(NOW + 1_000)).toBe(0);
    expect(pi.loadedPartitions()).toEqual([1]);
    expect(await pi.releaseIdle(NOW + 61_000)).toBe(1);
    expect(pi.loadedPartitions()).toEqual([]);
  });

  it('drops a whole partition when retention removed all its session files', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const firstDay = SESSIONS.slice(0, 2).map(sessionRel);
    for (const rel of firstDay) fs.rmSync(path.join(sessionsDir, rel));
    await pi.forgetFiles(firstDay);
    expect(fs.existsSync(partitionFile(dir, 1))).toBe(false);
    expect(pi.partitions().map((p) => p.id)).toEqual([3, 2, 4]);
    expect((await listSessions({ parts: pi, sessionsDir }, {})).total).toBe(4);
    expect(pi.summary.querySync('SELECT COUNT(*) AS n FROM rollups WHERE part = 1')).toEqual([{ n: 0 }]);
    // What is left still adds up as one database over the remaining files.
    const one = await single(sessionsDir);
    expectSame(
      await analyticsFromRollups(pi, { tzOffsetMinutes: 0 }),
      computeAnalytics(one, { tzOffsetMinutes: 0 }),
    );
  });

  it('migrates an old single-file lunaroute.db by itself and removes it only after the build', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const legacy = path.join(dir, LEGACY_INDEX_FILE);
    const old = (await openIndex(legacy)).db;
    await reconcile(old, sessionsDir);
    await old.close();
    const before = Q.listSessions(
      { index: (await openIndex(legacy, { readOnly: true })).db, sessionsDir },
      {},
    );

    const pi = await partitioned(dir);
    expect(pi.rebuildReason).toMatch(/migrating lunaroute\.db/);
    await reconcilePartitions(pi, sessionsDir, { full: true });
    expect(fs.existsSync(legacy)).toBe(true);
    await pi.finishBuild();
    expect(fs.existsSync(legacy)).toBe(false);
    expect(await listSessions({ parts: pi, sessionsDir }, {})).toEqual(before);

    // The next start finds the layout complete: nothing to rebuild, nothing re-read.
    await pi.close();
    open.splice(open.indexOf(pi), 1);
    const again = await partitioned(dir);
    expect(again.rebuildReason).toBeNull();
    expect((await reconcilePartitions(again, sessionsDir)).reindexed).toBe(0);
    expect(await listSessions({ parts: again, sessionsDir }, {})).toEqual(before);
  });

  it('rebuilds a corrupt closed partition alone from its session files', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const want = await partGetSession({ parts: pi, sessionsDir }, { id: 'sess-3' });
    await pi.releaseIdle(NOW + 61_000);
    fs.writeFileSync(partitionFile(dir, 2), 'garbage, not a database');
    const others = [1, 3].map((id) => fs.readFileSync(partitionFile(dir, id)));
    const logs: string[] = [];
    await pi.close();
    open.splice(open.indexOf(pi), 1);
    const again = await PartitionedIndex.open({ dataDir: dir, maxRows: 8, log: (_l, m) => logs.push(m) });
    open.push(again);
    expect(again.rebuildReason).toBeNull();
    expect(await partGetSession({ parts: again, sessionsDir }, { id: 'sess-3' })).toEqual(want);
    expect(logs.join('\n')).toMatch(/partition 2 is rebuilt from its 2 session file\(s\)/);
    expect([1, 3].map((id) => fs.readFileSync(partitionFile(dir, id)))).toEqual(others);
    expect(fs.readFileSync(partitionFile(dir, 2)).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('moves a session that comes back into the open partition, and carries active ones over a roll-over', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    await pi.claimSession('sess-0');
    expect(pi.summary.querySync(`SELECT part FROM session_list WHERE id = 'sess-0'`)).toEqual([{ part: 4 }]);
    expect(pi.querySync(`SELECT COUNT(*) AS n FROM requests WHERE session_id = 'sess-0'`)).toEqual([
      { n: 4 },
    ]);
    expect(
      pi.querySync(`SELECT COUNT(*) AS n FROM request_text WHERE request_text MATCH 'pelicans'`),
    ).toEqual([{ n: 2 }]);
    const one = await single(sessionsDir);
    expect(await partGetSession({ parts: pi, sessionsDir }, { id: 'sess-0' })).toEqual(
      Q.getSession({ index: one, sessionsDir }, { id: 'sess-0' }),
    );
    expectSame(
      await analyticsFromRollups(pi, { tzOffsetMinutes: 0 }),
      computeAnalytics(one, { tzOffsetMinutes: 0 }),
    );

    // A fresh session (its last line within ten minutes of now, small enough) goes along when the open
    // partition closes; an older one filling it up stays.
    const live: HistorySession = { id: 'sess-live', at: NOW - 12 * 60_000, turns: 2 };
    writeHistory(dir, [{ id: 'sess-old', at: D0 + 3 * DAY, turns: 2 }, live]);
    await reconcilePartitions(pi, sessionsDir);
    expect(pi.openId).toBe(5);
    expect(pi.summary.querySync(`SELECT id, part FROM session_list WHERE part >= 4 ORDER BY id`)).toEqual([
      { id: 'sess-0', part: 4 },
      { id: 'sess-live', part: 5 },
      { id: 'sess-old', part: 4 },
    ]);
  });

  it('carries at most a quarter of a partition at a roll-over; a session left behind is claimed by its next write', async () => {
    const dir = makeTempDir();
    // Three sessions whose last turn is four minutes old: all "active", 4 requests each; the cap is 10 / 4 = 2
    // requests, so none moves along when the third one fills partition 1.
    const live: HistorySession[] = [0, 1, 2].map((i) => ({
      id: `live-${i}`,
      at: NOW - 25 * 60_000 + i * 1_000,
      turns: 4,
    }));
    writeHistory(dir, live);
    const pi = await build(dir, 10);
    // Carrying them all would have refilled partition 2 with partition 1's rows (and emptied 1).
    expect(pi.partitions().map((p) => [p.id, p.state, p.requests, p.base])).toEqual([
      [1, 'closed', 12, 0],
      [2, 'open', 0, 0],
    ]);
    expect(pi.summary.querySync('SELECT DISTINCT part FROM session_list')).toEqual([{ part: 1 }]);

    // The recorder still holds live-0 and writes its next turn: the write itself moves the session along.
    const rel = sessionRel(live[0]!);
    const file = path.join(dir, 'sessions', rel);
    const recorded = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RecordLine);
    const at = NOW - 60_000;
    const next = recorded
      .filter((l) => l.type === 'request' || l.type === 'response')
      .slice(-2)
      .map((l) => ({ ...l, id: 'live-0-r4', at }) as RecordLine);
    fs.appendFileSync(file, next.map((l) => JSON.stringify(l) + '\n').join(''));
    const size = fs.statSync(file).size;
    await pi.run([
      ...next.flatMap((l) => statementsFor(l, rel)),
      sessionTotals('live-0', at),
      fileProgress(rel, size, recorded.length + 2),
    ]);
    expect(pi.summary.querySync(`SELECT part, request_count FROM session_list WHERE id = 'live-0'`)).toEqual([
      { part: 2, request_count: 5 },
    ]);
    expect(pi.querySync(`SELECT COUNT(*) AS n FROM requests WHERE session_id = 'live-0'`)).toEqual([
      { n: 5 },
    ]);
    expect(pi.partitions().map((p) => [p.id, p.requests])).toEqual([
      [2, 5],
      [1, 8],
    ]);
    // The same rows as one database over the same files.
    const one = await single(path.join(dir, 'sessions'));
    expect(
      await partGetSession({ parts: pi, sessionsDir: path.join(dir, 'sessions') }, { id: 'live-0' }),
    ).toEqual(Q.getSession({ index: one, sessionsDir: path.join(dir, 'sessions') }, { id: 'live-0' }));
  });

  it('closes the open partition at maxBytes too, whatever its rows: only the open one lives in memory', async () => {
    const sizes: number[] = [];
    for (const maxBytes of [undefined, 'small'] as const) {
      const dir = makeTempDir();
      writeHistory(dir, SESSIONS);
      let limit: number | undefined;
      if (maxBytes === 'small') {
        // An empty partition's pages, plus a third of what the whole history adds to one database.
        const { db: empty } = await openIndex(null);
        const one = await single(path.join(dir, 'sessions'));
        const bytes = (db: IndexStore) =>
          db.querySync<{ b: number }>(
            'SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS b',
          )[0]!.b;
        limit = bytes(empty) + (bytes(one) - bytes(empty)) / 3;
        empty.db.close();
      }
      const pi = await PartitionedIndex.open({
        dataDir: dir,
        maxRows: 1_000,
        ...(limit ? { maxBytes: limit } : {}),
        saveIntervalMs: 60_000,
        now: () => NOW,
      });
      open.push(pi);
      await reconcilePartitions(pi, path.join(dir, 'sessions'), { full: true });
      await pi.finishBuild();
      const parts = pi.partitions();
      expect(parts.reduce((n, p) => n + p.requests, 0)).toBe(24);
      const closed = parts.filter((p) => p.state === 'closed');
      sizes.push(closed.length);
      // Each closed partition reached the limit in pages used; the open one is below it (else it would have
      // closed), in a file that started with the limit's worth of free pages (reserved: grown once).
      if (limit) {
        const used = (db: IndexStore): number =>
          db.querySync<{ b: number }>(
            `SELECT ((SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count))
                    * (SELECT page_size FROM pragma_page_size) AS b`,
          )[0]!.b;
        for (const p of closed) expect(used(await pi.store(p.id))).toBeGreaterThanOrEqual(limit);
        expect(used(pi.open)).toBeLessThan(limit);
        expect(fs.statSync(partitionFile(dir, pi.openId)).size).toBeGreaterThanOrEqual(limit);
      }
    }
    // Without a byte limit the 24 requests stay in the open partition (maxRows is 1 000); with it, one closes.
    expect(sizes[0]).toBe(0);
    expect(sizes[1]).toBeGreaterThanOrEqual(1);
  });
});
