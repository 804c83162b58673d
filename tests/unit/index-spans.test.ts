// A long session that outlives its partition (part-spans.ts) is not copied whole at every roll-over: its new rows
// go to the open partition, its older ones stay, and every query about it answers exactly what one database over
// the same session files answers — its totals, detail, view, insight, replays and search included — a request in
// flight at the roll-over gets its response, and retention forgets it in every partition it spans.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { IndexStore } from '../../src-main/index/db.js';
import { fileProgress, sessionTotals, statementsFor } from '../../src-main/index/indexer.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import {
  PART_QUERIES,
  listSessions,
  partGetSession,
  partSessionInsight,
} from '../../src-main/index/part-queries.js';
import { PartitionedIndex } from '../../src-main/index/partitions.js';
import * as Q from '../../src-main/index/queries.js';
import type { RecordLine } from '../../src-shared/records.js';
import { makeTempDir } from '../support/config.js';
import { IndexFixtures } from '../support/partition-index.js';
import { DAY, sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const D0 = Date.UTC(2026, 10, 2, 9);
const NOW = D0 + 30 * DAY;
const MIN = 60_000;

const fx = new IndexFixtures();
afterEach(() => fx.closeAll());

const build = (dataDir: string): Promise<PartitionedIndex> =>
  fx.build(dataDir, { maxRows: 8, spanMinRows: 3, now: () => NOW });
const single = (sessionsDir: string): Promise<IndexStore> => fx.single(sessionsDir);

/** Append lines to a session file the way the recorder does, and index them as its write path does. */
async function write(pi: PartitionedIndex, dir: string, s: HistorySession, ls: RecordLine[]): Promise<void> {
  const rel = sessionRel(s);
  const file = path.join(dir, 'sessions', rel);
  fs.appendFileSync(file, ls.map((l) => JSON.stringify(l) + '\n').join(''));
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length;
  const at = Math.max(...ls.map((l) => (l as { at: number }).at));
  await pi.run([
    ...ls.flatMap((l) => statementsFor(l, rel)),
    sessionTotals(s.id, at),
    fileProgress(rel, fs.statSync(file).size, lines),
  ]);
}

/** A new turn of session `s` (its last turn's lines again, as turn `n` at `at`): [request, response]. */
function turn(dir: string, s: HistorySession, n: number, at: number): RecordLine[] {
  const recorded = fs
    .readFileSync(path.join(dir, 'sessions', sessionRel(s)), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RecordLine)
    .filter((l) => l.type === 'request' || l.type === 'response');
  const last = recorded.slice(-2);
  return last.map((l, i) => ({ ...l, id: `${s.id}-r${n}`, at: at + i * 1_000 }) as RecordLine);
}

const rowsIn = async (pi: PartitionedIndex, part: number, id: string): Promise<number> =>
  (await pi.store(part)).querySync<{ n: number }>('SELECT COUNT(*) AS n FROM requests WHERE session_id = ?', [
    id,
  ])[0]!.n;

/** A long session continued from partition 1 into the open partition 2; the index closed (saved). */
async function continuedSession(): Promise<{ dir: string; long: HistorySession; rel: string }> {
  const dir = makeTempDir();
  const long: HistorySession = { id: 'long', at: NOW - 11 * 7 * MIN - MIN, turns: 12 };
  writeHistory(dir, [long]);
  const pi = await build(dir);
  await write(pi, dir, long, turn(dir, long, 12, NOW - 30_000));
  expect(pi.summary.querySync('SELECT part FROM file_spans')).toEqual([{ part: 1 }]);
  fx.untrack(pi);
  await pi.close();
  return { dir, long, rel: sessionRel(long) };
}

describe('a session spanning partitions', () => {
  it('continues in the new partition without moving its rows, and answers every query as one database does', async () => {
    const dir = makeTempDir();
    const sessionsDir = path.join(dir, 'sessions');
    // Twelve turns, the last a minute ago: active, but longer than spanMinRows (3), so it never moves whole.
    const long: HistorySession = { id: 'long', at: NOW - 11 * 7 * MIN - MIN, turns: 12 };
    writeHistory(dir, [long]);
    const pi = await build(dir);
    expect(pi.partitions().map((p) => [p.id, p.state, p.requests])).toEqual([
      [1, 'closed', 12],
      [2, 'open', 0],
    ]);
    const rel = sessionRel(long);

    // Its next turn goes to the open partition; the twelve before it stay where they are.
    await write(pi, dir, long, turn(dir, long, 12, NOW - 30_000));
    expect(await rowsIn(pi, 1, 'long')).toBe(12);
    expect(await rowsIn(pi, 2, 'long')).toBe(1);
    expect(pi.summary.querySync('SELECT path, part FROM file_spans')).toEqual([{ path: rel, part: 1 }]);
    expect(pi.summary.querySync(`SELECT part, request_count FROM session_list WHERE id = 'long'`)).toEqual([
      { part: 2, request_count: 13 },
    ]);

    // A request in flight when the partition closes: others fill it, the long session stays (not carried) ...
    const [request13, response13] = turn(dir, long, 13, NOW - 20_000);
    await write(pi, dir, long, [request13!]);
    const others: HistorySession[] = [0, 1].map((i) => ({ id: `other-${i}`, at: D0 + i * DAY, turns: 4 }));
    writeHistory(dir, others);
    await reconcilePartitions(pi, sessionsDir, { markCrashed: false }); // (the recorder's files: not crashed)
    expect(pi.openId).toBe(3);
    expect(await rowsIn(pi, 2, 'long')).toBe(2);
    expect(await rowsIn(pi, 3, 'long')).toBe(0);
    // ... and its response, written after, lands: the row in flight moved to the open partition with it.
    await write(pi, dir, long, [response13!]);
    expect(await rowsIn(pi, 2, 'long')).toBe(1);
    expect(await rowsIn(pi, 3, 'long')).toBe(1);
    expect(pi.summary.querySync(`SELECT path, part FROM file_spans ORDER BY part`)).toEqual([
      { path: rel, part: 1 },
      { path: rel, part: 2 },
    ]);

    const one = await single(sessionsDir);
    const ctx = { parts: pi, sessionsDir };
    const q = { index: one, sessionsDir };
    const detail = await partGetSession(ctx, { id: 'long' });
    expect(detail).toEqual(Q.getSession(q, { id: 'long' }));
    expect(detail!.requests).toHaveLength(14);
    expect(detail!.requests.find((r) => r.id === 'long-r13')).toMatchObject({ outcome: 'completed' });
    expect(await PART_QUERIES['sessions.view'](ctx, { id: 'long' } as never)).toEqual({
      ...(await Q.sessionView(q, { id: 'long' })),
      replays: [],
    });
    expect(await partSessionInsight(ctx, { id: 'long' })).toEqual(await Q.sessionInsight(q, { id: 'long' }));
    const listed = (await listSessions(ctx, {})).sessions.find((s) => s.id === 'long');
    const expected = Q.listSessions(q, {}).sessions.find((s) => s.id === 'long');
    expect(listed).toEqual(expected);
    // A word of its first turn (in partition 1) finds it, with the snippet.
    const hit = await listSessions(ctx, { q: 'pelicans' });
    expect(hit.sessions.map((s) => [s.id, s.match !== null])).toContainEqual(['long', true]);

    // Retention forgets the file in every partition it spans; a partition left without files is dropped.
    await pi.forgetFiles([rel]);
    for (const p of pi.partitions()) expect(await rowsIn(pi, p.id, 'long')).toBe(0);
    expect(pi.summary.querySync('SELECT * FROM file_spans')).toEqual([]);
    expect(pi.summary.querySync(`SELECT id FROM session_list WHERE id = 'long'`)).toEqual([]);
    expect(pi.partitions().map((p) => p.id)).not.toContain(1);
  });

  it('is read again whole when the open partition holding its newest rows is lost', async () => {
    const { dir } = await continuedSession();
    fs.writeFileSync(path.join(dir, 'index', 'part-000002.db'), 'not a database');
    const pi = await build(dir);
    const parts = pi.partitions();
    // Its older rows left partition 1 (dropped, nothing else was there); the whole file is in one partition.
    expect(parts.map((p) => p.id)).not.toContain(1);
    expect(pi.summary.querySync('SELECT * FROM file_spans')).toEqual([]);
    let rows = 0;
    for (const p of parts) rows += await rowsIn(pi, p.id, 'long');
    expect(rows).toBe(13);
    const sessionsDir = path.join(dir, 'sessions');
    expect(await partGetSession({ parts: pi, sessionsDir }, { id: 'long' })).toEqual(
      Q.getSession({ index: await single(sessionsDir), sessionsDir }, { id: 'long' }),
    );
  });

  it('gets its older rows back when the closed partition holding them is rebuilt', async () => {
    const { dir } = await continuedSession();
    fs.writeFileSync(path.join(dir, 'index', 'part-000001.db'), 'not a database');
    const logs: string[] = [];
    const pi = await PartitionedIndex.open({
      dataDir: dir,
      maxRows: 8,
      spanMinRows: 3,
      now: () => NOW,
      log: (_l, m) => logs.push(m),
    });
    fx.track(pi);
    await pi.store(1); // rebuilt alone from the session file: the requests partition 2 does not hold
    expect(logs.join('\n')).toMatch(/partition 1 is rebuilt/);
    expect(await rowsIn(pi, 1, 'long')).toBe(12);
    expect(await rowsIn(pi, 2, 'long')).toBe(1);
    const sessionsDir = path.join(dir, 'sessions');
    expect(await partGetSession({ parts: pi, sessionsDir }, { id: 'long' })).toEqual(
      Q.getSession({ index: await single(sessionsDir), sessionsDir }, { id: 'long' }),
    );
  });
});
