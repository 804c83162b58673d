// The term filters beside closed partitions (src-main/index/term-filter.ts) over real session files in a temp dir:
// search and the session list answer exactly what one database over the same JSONL answers, with filters, without
// them, and with broken ones; a rare word opens only the partitions that hold it; a missing, corrupt or stale filter
// only costs an open (and is written again); retention, a rebuilt partition and a rebuilt layout keep filters true;
// a repeated search is answered from closed partitions' kept answers (part-hits.ts) until a partition changes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { listSessions, search } from '../../src-main/index/part-queries.js';
import { PartitionedIndex, partitionFile } from '../../src-main/index/partitions.js';
import * as Q from '../../src-main/index/queries.js';
import { reconcile } from '../../src-main/index/reindex.js';
import { buildFilter, queryTerms, termsFile } from '../../src-main/index/term-filter.js';
import { makeTempDir } from '../support/config.js';
import { DAY, HOUR, sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const D0 = Date.UTC(2026, 10, 2, 9);
const NOW = D0 + 30 * DAY;
/**
 * Six sessions of four turns, two per partition (8 requests each): the id is in every prompt and FTS row, so
 * each partition has words of its own — partition 1 "xylophone" and an accented "Élan_vital", partition 2
 * "xylophonic" (the prefix "xylophon" is in both), partition 3 none of them.
 */
const IDS = ['s0-xylophone', 's1-Élan_vital', 's2-plain', 's3-xylophonic', 's4-plain', 's5-plain'];
const SESSIONS: HistorySession[] = IDS.map((id, i) => ({
  id,
  at: D0 + Math.floor(i / 2) * DAY + (i % 2) * 3 * HOUR,
  turns: 4,
}));
const QUERIES = [
  'xylophone',
  'xylophon',
  'XYLOPHONE',
  'xylophonic',
  'xylophone pelicans',
  'pelicans xylophone',
  'walruses s3',
  'élan',
  'ELAN vital',
  'élan_vital',
  'elan_vit',
  'answer 3',
  'answer',
  'a',
  'turn 2 of s4',
  '"quoted words" OR NOT xylophone',
  'nothing-of-the-kind',
  'zzzzzzzzzzzzzzzzzzzzzzz',
];

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function build(dataDir: string): Promise<PartitionedIndex> {
  const pi = await PartitionedIndex.open({ dataDir, maxRows: 8, saveIntervalMs: 60_000, now: () => NOW });
  open.push(pi);
  await reconcilePartitions(pi, path.join(dataDir, 'sessions'), { full: pi.rebuildReason !== null });
  await pi.finishBuild();
  return pi;
}

/** The same index opened again (nothing kept in memory: no loaded partition, no cached answer). */
async function reopen(pi: PartitionedIndex, dataDir: string): Promise<PartitionedIndex> {
  await pi.close();
  open.splice(open.indexOf(pi), 1);
  return build(dataDir);
}

async function single(sessionsDir: string): Promise<IndexStore> {
  const { db } = await openIndex(null);
  open.push({ close: () => db.db.close() });
  await reconcile(db, sessionsDir, { markCrashed: false });
  return db;
}

/** The closed partitions a call loads (every store() call for one, cached or not). */
async function opened<T>(pi: PartitionedIndex, fn: () => Promise<T>): Promise<{ value: T; parts: number[] }> {
  const parts: number[] = [];
  const store = pi.store.bind(pi);
  pi.store = (part: number) => {
    if (part !== pi.openId) parts.push(part);
    return store(part);
  };
  try {
    return { value: await fn(), parts: [...new Set(parts)].sort() };
  } finally {
    pi.store = store;
  }
}

/** Search and the searching session list agree with one database, query by query. */
async function expectSameAnswers(pi: PartitionedIndex, one: IndexStore, sessionsDir: string): Promise<void> {
  const ctx = { parts: pi, sessionsDir };
  for (const q of QUERIES) {
    expect((await search(ctx, { q, limit: 50 })).hits, q).toEqual(
      Q.search({ index: one, sessionsDir }, { q }).hits,
    );
    expect(await listSessions(ctx, { q }), q).toEqual(Q.listSessions({ index: one, sessionsDir }, { q }));
  }
}

describe('partition term filters', () => {
  it('are written when a partition closes, and search answers every query exactly as one database does', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    let pi = await build(dir);
    expect([1, 2, 3, 4].map((id) => fs.existsSync(termsFile(dir, id)))).toEqual([true, true, true, false]);
    const one = await single(sessionsDir);
    await expectSameAnswers(pi, one, sessionsDir);
    expect((await search({ parts: pi, sessionsDir }, { q: 'xylophon' })).hits).toHaveLength(8);
    expect((await search({ parts: pi, sessionsDir }, { q: 'élan_vital' })).hits).toHaveLength(4);

    // Without any filter the answers are the same (each partition is opened, and its filter written again).
    for (const id of [1, 2, 3]) fs.rmSync(termsFile(dir, id));
    pi = await reopen(pi, dir);
    await expectSameAnswers(pi, one, sessionsDir);
    expect([1, 2, 3].map((id) => fs.existsSync(termsFile(dir, id)))).toEqual([true, true, true]);
  });

  it('let a rare-word search open only the partitions that hold the word', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const ctx = { parts: pi, sessionsDir };
    const rare = await opened(pi, () => search(ctx, { q: 'xylophone' }));
    expect(rare.value.hits.map((h) => h.session_id)).toEqual(Array(4).fill('s0-xylophone'));
    expect(rare.parts).toEqual([1]);
    expect((await opened(pi, () => search(ctx, { q: 'xylophon' }))).parts).toEqual([1, 2]);
    expect((await opened(pi, () => search(ctx, { q: 'pelicans xylophonic' }))).parts).toEqual([2]);
    expect((await opened(pi, () => search(ctx, { q: 'Élan vital' }))).parts).toEqual([1]);
    expect((await opened(pi, () => listSessions(ctx, { q: 'xylophonic' }))).parts).toEqual([2]);
    expect((await opened(pi, () => search(ctx, { q: 'zzzzzzzzzzzzzzzzzzzzzzz' }))).parts).toEqual([]);
    // A common word still opens every partition it needs (all three: fewer than a page of hits).
    expect((await opened(pi, () => search(ctx, { q: 'walruses' }))).parts).toEqual([1, 2, 3]);
  });

  it('treat a missing, corrupt, truncated or stale filter as "open the partition", then write it again', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    let pi = await build(dir);
    const one = await single(sessionsDir);
    const good = fs.readFileSync(termsFile(dir, 1));
    fs.rmSync(termsFile(dir, 3));
    const flipped = fs.readFileSync(termsFile(dir, 2));
    flipped[flipped.length - 1]! ^= 0xff;
    fs.writeFileSync(termsFile(dir, 2), flipped);
    fs.writeFileSync(termsFile(dir, 1), good.subarray(0, 40));
    const first = await opened(pi, () => search({ parts: pi, sessionsDir }, { q: 'xylophone' }));
    expect(first.value.hits).toEqual(Q.search({ index: one, sessionsDir }, { q: 'xylophone' }).hits);
    expect(first.parts).toEqual([1, 2, 3]);
    expect(fs.readFileSync(termsFile(dir, 1))).toEqual(good);
    pi = await reopen(pi, dir);
    expect((await opened(pi, () => search({ parts: pi, sessionsDir }, { q: 'xylophone' }))).parts).toEqual([
      1,
    ]);

    // A filter left by an earlier partition with the same number (here: of an empty one) is not trusted.
    fs.writeFileSync(termsFile(dir, 1), buildFilter({ id: 1, requests: 0, last_at: null }, []));
    pi = await reopen(pi, dir);
    const stale = await opened(pi, () => search({ parts: pi, sessionsDir }, { q: 'xylophone' }));
    expect(stale.parts).toEqual([1]);
    expect(stale.value.hits).toHaveLength(4);
    // Nor is another partition's.
    fs.copyFileSync(termsFile(dir, 3), termsFile(dir, 1));
    pi = await reopen(pi, dir);
    expect((await search({ parts: pi, sessionsDir }, { q: 'xylophone' })).hits).toHaveLength(4);
    await expectSameAnswers(pi, one, sessionsDir);
  });

  it('stay true when retention drops a partition, a partition is rebuilt, or the whole layout is rebuilt', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    let pi = await build(dir);
    // Retention removes the first day: partition 1 and its filter go.
    const firstDay = SESSIONS.slice(0, 2).map(sessionRel);
    for (const rel of firstDay) fs.rmSync(path.join(sessionsDir, rel));
    await pi.forgetFiles(firstDay);
    expect(fs.existsSync(termsFile(dir, 1))).toBe(false);
    await expectSameAnswers(pi, await single(sessionsDir), sessionsDir);

    // A corrupt partition is rebuilt from its files, and its filter with it.
    await pi.close();
    open.splice(open.indexOf(pi), 1);
    fs.writeFileSync(partitionFile(dir, 2), 'garbage, not a database');
    fs.rmSync(termsFile(dir, 2));
    pi = await build(dir);
    expect((await search({ parts: pi, sessionsDir }, { q: 'xylophonic' })).hits).toHaveLength(4);
    expect(fs.existsSync(termsFile(dir, 2))).toBe(true);

    // The summary is lost: the layout is rebuilt from the JSONL. A filter of the old layout that would pass for
    // the new partition 1 (same number, as large and as new, but without its words) must not survive it.
    await pi.close();
    open.splice(open.indexOf(pi), 1);
    writeHistory(dir, SESSIONS.slice(0, 2));
    fs.writeFileSync(
      termsFile(dir, 1),
      buildFilter({ id: 1, requests: 1e6, last_at: NOW * 2 }, ['unrelated']),
    );
    fs.rmSync(path.join(dir, 'index', 'summary.db'));
    // Gone as soon as the rebuild starts (a crash before partition 1 closes again must not leave it behind).
    const starting = await PartitionedIndex.open({ dataDir: dir, maxRows: 8, now: () => NOW });
    expect(starting.rebuildReason).not.toBeNull();
    expect(fs.existsSync(termsFile(dir, 1))).toBe(false);
    starting.discard();
    pi = await build(dir);
    expect(pi.partitions().map((p) => [p.id, p.state])).toEqual([
      [3, 'closed'],
      [2, 'closed'],
      [1, 'closed'],
      [4, 'open'],
    ]);
    const rare = await opened(pi, () => search({ parts: pi, sessionsDir }, { q: 'xylophone' }));
    expect(rare.parts).toEqual([1]);
    expect(rare.value.hits).toHaveLength(4);
    await expectSameAnswers(pi, await single(sessionsDir), sessionsDir);
  });

  it('are only read by a read-only opener, never written', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    await pi.close();
    open.splice(open.indexOf(pi), 1);
    fs.rmSync(termsFile(dir, 2));
    const ro = await PartitionedIndex.open({ dataDir: dir, maxRows: 8, readOnly: true });
    open.push({ close: () => ro.discard() });
    const r = await opened(ro, () => search({ parts: ro, sessionsDir }, { q: 'xylophone' }));
    expect(r.parts).toEqual([1, 2]);
    expect(r.value.hits).toHaveLength(4);
    expect(fs.existsSync(termsFile(dir, 2))).toBe(false);
  });

  it("keep closed partitions' answers to a repeated search until the partition changes", async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const ctx = { parts: pi, sessionsDir };
    const first = await opened(pi, () => search(ctx, { q: 'walruses' }));
    expect(first.parts).toEqual([1, 2, 3]);
    const again = await opened(pi, () => search(ctx, { q: 'walruses' }));
    expect(again).toEqual({ value: first.value, parts: [] });
    expect((await opened(pi, () => search(ctx, { q: 'walruses', limit: 3 }))).parts).toEqual([3]);
    // Partition 2 loses a session (it comes back, so it moves to the open partition): asked again.
    await pi.claimSession('s3-xylophonic');
    const after = await opened(pi, () => search(ctx, { q: 'walruses' }));
    expect(after.parts).toEqual([2]);
    expect(after.value.hits).toEqual(
      Q.search({ index: await single(sessionsDir), sessionsDir }, { q: 'walruses' }).hits,
    );
  });

  it('split query words with the FTS tokenizer, and decline queries they cannot decide', async () => {
    const { db } = await openIndex(null);
    open.push({ close: () => db.db.close() });
    expect(queryTerms(db, Q.ftsQuery('Élan_Vital xylo')!)).toEqual({
      exact: ['elan', 'vital'],
      prefix: 'xylo',
    });
    expect(queryTerms(db, Q.ftsQuery('straße ÇA')!)).toEqual({ exact: ['straße'], prefix: 'ca' });
    expect(queryTerms(db, 'xylophone OR walrus')).toBeNull();
    expect(queryTerms(db, '"xylophone" NOT "walrus"')).toBeNull();
    expect(queryTerms(db, '"a b" "c*')).toBeNull();
  });
});
