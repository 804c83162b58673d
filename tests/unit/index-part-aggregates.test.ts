// Analytics over a partitioned index answered from the summary's per-partition aggregates
// (src-main/index/part-aggregates.ts): over all history no closed partition is opened, a window whose start cuts
// through one opens only that one, latency quantiles merged from sketches stay within 1 % of one database over
// the same JSONL (everything else equal), and the aggregates follow retention, a rebuilt partition and a summary
// written before they existed.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeAnalytics } from '../../src-main/analytics/analytics.js';
import { RELATIVE_ACCURACY } from '../../src-main/analytics/latency-sketch.js';
import { analyticsFromRollups, statsFromRollups } from '../../src-main/analytics/rollup-analytics.js';
import { computeStats } from '../../src-main/analytics/stats.js';
import type { IndexStore } from '../../src-main/index/db.js';
import { AGGREGATE_TABLES } from '../../src-main/index/part-aggregates.js';
import { PartitionedIndex, partitionFile } from '../../src-main/index/partitions.js';
import { makeTempDir } from '../support/config.js';
import { IndexFixtures } from '../support/partition-index.js';
import { DAY, HOUR, sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const D0 = Date.UTC(2026, 10, 2, 9);
const NOW = D0 + 30 * DAY;
/**
 * Six sessions of 70 turns (7 minutes apart), two a day over three days: with 140 requests a partition, three
 * closed partitions of two sessions, each with 70 latencies of each tool (more than a sketch keeps exactly).
 */
const SESSIONS: HistorySession[] = Array.from({ length: 6 }, (_, i) => ({
  id: `long-${i}`,
  at: D0 + Math.floor(i / 2) * DAY + (i % 2) * 3 * HOUR,
  turns: 70,
  ...(i % 2 ? { client: 'codex' as const, model: 'gpt-5' } : {}),
}));
const MAX_ROWS = 140;

const fx = new IndexFixtures();
afterEach(() => fx.closeAll());

const build = (dataDir: string): Promise<PartitionedIndex> =>
  fx.build(dataDir, { maxRows: MAX_ROWS, now: () => NOW });
const single = (sessionsDir: string): Promise<IndexStore> => fx.single(sessionsDir);

/** Equal, except latency quantiles (within the sketch's accuracy) and money's last rounded digit. */
function expectClose(got: unknown, want: unknown, at = '$'): void {
  if (typeof want === 'number' && typeof got === 'number') {
    if (/latency_p(50|95)_ms$/.test(at))
      return void expect(Math.abs(got - want), `${at}: ${got} vs ${want}`).toBeLessThanOrEqual(
        RELATIVE_ACCURACY * want + 1e-3,
      );
    if (!Number.isInteger(want))
      return void expect(Math.abs(got - want), `${at}: ${got} vs ${want}`).toBeLessThanOrEqual(
        1e-3 * Math.abs(want) + 2e-6,
      );
  }
  if (want === null || typeof want !== 'object') return void expect(got, at).toEqual(want);
  expect(got !== null && typeof got === 'object', at).toBe(true);
  const g = got as Record<string, unknown>;
  const w = want as Record<string, unknown>;
  expect(Object.keys(g).sort(), at).toEqual(Object.keys(w).sort());
  for (const k of Object.keys(w)) expectClose(g[k], w[k], `${at}.${k}`);
}

/** The summary's aggregate rows of one partition, as plain data. */
function aggregateRows(pi: PartitionedIndex, part: number): unknown[] {
  return AGGREGATE_TABLES.map((t) =>
    pi.summary.querySync(`SELECT * FROM ${t} WHERE part = ? ORDER BY 1, 2, 3, 4`, [part]),
  );
}

describe('analytics from per-partition aggregates', () => {
  it('answers analytics and tool stats over all history without opening a closed partition, quantiles within 1 %', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    expect(pi.partitions().map((p) => [p.id, p.state, p.requests])).toEqual([
      [3, 'closed', 140],
      [2, 'closed', 140],
      [1, 'closed', 140],
      [4, 'open', 0],
    ]);
    // 70 latencies of a tool in a partition are more than a sketch keeps exactly: these are log buckets.
    const sketches = pi.summary.querySync<{ latency: string }>('SELECT latency FROM part_tools');
    expect(sketches).toHaveLength(6);
    for (const s of sketches) expect(JSON.parse(s.latency)).toHaveProperty('b');
    const one = await single(sessionsDir);
    await pi.releaseIdle(NOW + 120_000);

    const a = { bucket: 'day' as const, tzOffsetMinutes: 0 };
    const got = await analyticsFromRollups(pi, a);
    expect(pi.loadedPartitions()).toEqual([]);
    const want = computeAnalytics(one, a);
    expectClose(got, want);
    expect(got.slowest_tools).toEqual(want.slowest_tools);
    expect(got.time_split).toEqual(want.time_split);
    expect(got.tools.map((t) => [t.name, t.calls, t.errors, t.error_rate])).toEqual(
      want.tools.map((t) => [t.name, t.calls, t.errors, t.error_rate]),
    );
    // A window that holds whole partitions (since at the start of the second day) opens none either.
    expectClose(
      await statsFromRollups(pi, { by: 'tool', since: D0 + DAY, tzOffsetMinutes: 0 }),
      computeStats(one, { by: 'tool', since: D0 + DAY, tzOffsetMinutes: 0 }),
    );
    expect(pi.loadedPartitions()).toEqual([]);
  });

  it('opens only the partition a window starts inside, and answers as one database does', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    const pi = await build(dir);
    const one = await single(sessionsDir);
    await pi.releaseIdle(NOW + 120_000);
    // The second day's first session started at D0 + 1 day; this window starts four hours into it.
    const a = { bucket: 'hour' as const, tzOffsetMinutes: 0, since: D0 + DAY + 4 * HOUR, sessions: 3 };
    const got = await analyticsFromRollups(pi, a);
    expect(pi.loadedPartitions()).toEqual([2]);
    const want = computeAnalytics(one, a);
    expectClose(got, want);
    expect(got.slowest_tools).toEqual(want.slowest_tools);
    expect(got.time_split).toEqual(want.time_split);
    const s = { by: 'tool' as const, since: D0 + DAY + 4 * HOUR, until: D0 + 2 * DAY + 2 * HOUR };
    expectClose(await statsFromRollups(pi, s), computeStats(one, s));
  });

  it('follows retention, a rebuilt partition and a summary written before the aggregates existed', async () => {
    const dir = makeTempDir();
    const sessionsDir = writeHistory(dir, SESSIONS);
    let pi = await build(dir);
    const before = aggregateRows(pi, 2);

    // Retention removes one session of partition 1: its aggregates are recomputed from what is left.
    const gone = sessionRel(SESSIONS[0]!);
    fs.rmSync(path.join(sessionsDir, gone));
    await pi.forgetFiles([gone]);
    expect(pi.summary.querySync('SELECT calls FROM part_aggs WHERE part = 1')).toEqual([{ calls: 70 }]);
    const one = await single(sessionsDir);
    expectClose(
      await analyticsFromRollups(pi, { tzOffsetMinutes: 0 }),
      computeAnalytics(one, { tzOffsetMinutes: 0 }),
    );

    // Retention removes the rest of it: the partition and its aggregates are gone.
    const rest = sessionRel(SESSIONS[1]!);
    fs.rmSync(path.join(sessionsDir, rest));
    await pi.forgetFiles([rest]);
    expect(aggregateRows(pi, 1)).toEqual([[], [], [], []]);

    // A corrupt partition rebuilt from its session files gets the same aggregates back.
    await pi.close();
    fx.untrack(pi);
    fs.writeFileSync(partitionFile(dir, 2), 'garbage, not a database');
    pi = await PartitionedIndex.open({ dataDir: dir, maxRows: MAX_ROWS, now: () => NOW });
    fx.track(pi);
    pi.summary.runSync([{ sql: 'DELETE FROM part_tools WHERE part = 2', params: [] }]);
    await pi.store(2);
    expect(aggregateRows(pi, 2)).toEqual(before);

    // A summary of the previous version has no aggregate tables: they are made at start and filled on first use.
    pi.summary.runSync(AGGREGATE_TABLES.map((t) => ({ sql: `DROP TABLE ${t}`, params: [] })));
    await pi.close();
    fx.untrack(pi);
    pi = await PartitionedIndex.open({ dataDir: dir, maxRows: MAX_ROWS, now: () => NOW });
    fx.track(pi);
    expect(pi.summary.querySync('SELECT COUNT(*) AS n FROM part_aggs')).toEqual([{ n: 0 }]);
    const all = computeAnalytics(await single(sessionsDir), { tzOffsetMinutes: 0 });
    expectClose(await analyticsFromRollups(pi, { tzOffsetMinutes: 0 }), all);
    expect(aggregateRows(pi, 2)).toEqual(before);
    await pi.releaseIdle(NOW + 120_000);
    expectClose(await analyticsFromRollups(pi, { tzOffsetMinutes: 0 }), all);
    expect(pi.loadedPartitions()).toEqual([]);
  });
});
