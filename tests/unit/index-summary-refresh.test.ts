// The recorder's deferred summary refresh (src-main/index/summary-refresh.ts): batches reach the summary at most
// once per interval, whatever reads the summary sees every batch, a reopened index recomputes what an unsaved
// summary missed, and the timer refreshes on its own when nothing reads.
import { afterEach, describe, expect, it } from 'vitest';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { listSessions } from '../../src-main/index/part-queries.js';
import { PartitionedIndex } from '../../src-main/index/partitions.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileProgress, forgetFile, statementsFor } from '../../src-main/index/indexer.js';
import type { RecordLine } from '../../src-shared/records.js';
import { SummaryRefresh } from '../../src-main/index/summary-refresh.js';
import type { Dirty } from '../../src-main/index/summary.js';
import { makeTempDir } from '../support/config.js';
import { DAY, HOUR, sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const D0 = Date.UTC(2026, 10, 2, 9);
const NOW = D0 + 3 * DAY;
const SESSIONS: HistorySession[] = Array.from({ length: 4 }, (_, i) => ({
  id: `sess-${i}`,
  at: D0 + i * HOUR,
  turns: 3,
}));

const open: PartitionedIndex[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function built(dataDir: string, summaryRefreshMs?: number): Promise<PartitionedIndex> {
  const pi = await PartitionedIndex.open({
    dataDir,
    saveIntervalMs: 60_000,
    now: () => NOW,
    ...(summaryRefreshMs !== undefined ? { summaryRefreshMs } : {}),
  });
  open.push(pi);
  await reconcilePartitions(pi, `${dataDir}/sessions`, { full: pi.rebuildReason !== null });
  await pi.finishBuild();
  return pi;
}

const ids = async (pi: PartitionedIndex): Promise<string[]> =>
  (await listSessions({ parts: pi, sessionsDir: '' }, {})).sessions.map((s) => s.id).sort();

describe('deferred summary refresh', () => {
  it('defers a batch within the interval, and the session list read afterwards already reflects it', async () => {
    const dir = makeTempDir('lr-sumref-');
    writeHistory(dir, SESSIONS);
    const pi = await built(dir, 3_600_000);
    expect(await ids(pi)).toEqual(['sess-0', 'sess-1', 'sess-2', 'sess-3']);
    // The clock stands still: every batch now falls within the interval of the last refresh.
    expect(pi.runSync(forgetFile(sessionRel(SESSIONS[1]!)))).toBe(false);
    expect(pi.runSync(forgetFile(sessionRel(SESSIONS[2]!)))).toBe(false);
    expect(await ids(pi)).toEqual(['sess-0', 'sess-3']);
  });

  it('refreshes after every batch by default, as before', async () => {
    const dir = makeTempDir('lr-sumref-');
    writeHistory(dir, SESSIONS);
    const pi = await built(dir);
    expect(pi.runSync(forgetFile(sessionRel(SESSIONS[0]!)))).toBe(true);
    expect(await ids(pi)).toEqual(['sess-1', 'sess-2', 'sess-3']);
  });

  it('a reopened index lists what the open partition holds even when the summary on disk missed the last batches', async () => {
    const dir = makeTempDir('lr-sumref-');
    writeHistory(dir, SESSIONS);
    const pi = await built(dir, 3_600_000); // finishBuild saved the summary with all four sessions
    expect(pi.runSync(forgetFile(sessionRel(SESSIONS[3]!)))).toBe(false);
    await pi.open.save(); // the partition is on disk; the summary is not saved again (as after a crash)
    const reader = await PartitionedIndex.open({ dataDir: dir, readOnly: true, now: () => NOW });
    try {
      expect(await ids(reader)).toEqual(['sess-0', 'sess-1', 'sess-2']);
    } finally {
      reader.discard();
    }
  });

  it('merges what deferred batches touched into one refresh, which its timer runs when nothing reads', async () => {
    let now = 1_000;
    let refreshed!: (d: Dirty) => void;
    const got: Dirty[] = [];
    const r = new SummaryRefresh({ summaryRefreshMs: 30, now: () => now }, (d) => {
      got.push(d);
      refreshed?.(d);
    });
    // The interval starts when the index opens (it computed the summary then): a batch within it waits.
    expect(r.changed({ sessions: ['a'], hours: [1], files: ['f1'] })).toBe(false);
    now += 30;
    expect(r.changed({ sessions: ['a'], hours: [1], files: ['f1'] })).toBe(true);
    expect(got).toEqual([{ sessions: ['a'], hours: [1], files: ['f1'] }]);
    now += 10;
    const next = new Promise<Dirty>((resolve) => (refreshed = resolve));
    expect(r.changed({ sessions: ['b'], hours: [1], files: [] })).toBe(false);
    expect(r.changed({ sessions: ['a', 'c'], hours: [2], files: ['f2'] })).toBe(false);
    expect(got).toHaveLength(1);
    const d = await next;
    expect([...d.sessions].sort()).toEqual(['a', 'b', 'c']);
    expect([...d.hours].sort()).toEqual([1, 2]);
    expect([...d.files].sort()).toEqual(['f2']);
    r.flush(); // nothing left behind: no empty refresh
    expect(got).toHaveLength(2);
  });

  it('rolls the open partition over while batches keep coming and readers keep refreshing the summary', async () => {
    const dir = makeTempDir('lr-sumref-');
    let t = NOW;
    const pi = await PartitionedIndex.open({
      dataDir: dir,
      saveIntervalMs: 60_000,
      now: () => t,
      summaryRefreshMs: 1_000,
      maxRows: 8,
    });
    open.push(pi);
    await reconcilePartitions(pi, `${dir}/sessions`, { full: true });
    await pi.finishBuild();
    const more: HistorySession[] = Array.from({ length: 6 }, (_, i) => ({
      id: `more-${i}`,
      at: D0 + i * HOUR,
      turns: 3,
    }));
    writeHistory(dir, more);
    for (const s of more) {
      const rel = sessionRel(s);
      const text = fs.readFileSync(path.join(dir, 'sessions', rel), 'utf8');
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RecordLine);
      await pi.run([
        ...lines.flatMap((l) => statementsFor(l, rel)),
        fileProgress(rel, Buffer.byteLength(text), lines.length),
      ]);
      // The window reads the session list between batches (which refreshes the summary first).
      await ids(pi);
      t += 250;
    }
    // 18 requests at 8 a partition: the open one closed twice, though no batch found the interval passed.
    expect(pi.rollOvers).toBe(2);
    expect(
      pi
        .partitions()
        .map((p) => [p.id, p.state, p.requests])
        .sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual([
      [1, 'closed', 9],
      [2, 'closed', 9],
      [3, 'open', 0],
    ]);
  });
});
