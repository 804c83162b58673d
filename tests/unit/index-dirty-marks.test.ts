// The open partition's dirty marks (summary.ts DIRTY_SQL: temp triggers) are created once per connection, not
// before every batch: the summary must still follow every write, also after the partition was saved whole (a
// checkpoint exports the database) and after a bulk build dropped and restored them.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statementsFor } from '../../src-main/index/indexer.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { PartitionedIndex } from '../../src-main/index/partitions.js';
import { readSessionParts, sessionParts } from '../../src-main/index/reindex.js';
import type { RecordLine } from '../../src-shared/records.js';
import { makeTempDir } from '../support/config.js';
import { sessionRel, writeHistory, type HistorySession } from '../support/history.js';

const SESSION: HistorySession = { id: 'sess-dm', at: Date.UTC(2026, 10, 2, 9), turns: 4 };

const open: PartitionedIndex[] = [];
afterEach(async () => {
  for (const pi of open.splice(0)) await pi.close();
});

async function setUp(): Promise<{ pi: PartitionedIndex; rel: string; lines: RecordLine[] }> {
  const dataDir = makeTempDir('lr-dm-');
  const sessionsDir = writeHistory(dataDir, [SESSION]);
  const rel = sessionRel(SESSION);
  const { lines } = await readSessionParts(sessionParts(sessionsDir, rel));
  const pi = await PartitionedIndex.open({
    dataDir: path.join(dataDir, 'index-only'),
    saveIntervalMs: 60_000,
  });
  open.push(pi);
  await pi.finishBuild();
  return { pi, rel, lines };
}

const listed = (pi: PartitionedIndex): unknown =>
  pi.summary.querySync('SELECT request_count, in_flight FROM session_list WHERE id = ?', [SESSION.id])[0];

describe('dirty marks', () => {
  it('keep the summary in step with batches written after the open partition is saved whole', async () => {
    const { pi, rel, lines } = await setUp();
    const turn = (i: number): RecordLine[] =>
      lines.filter((l) => 'id' in l && l.id === `${SESSION.id}-r${i}`);
    await pi.run([...statementsFor(lines[0]!, rel), ...turn(0).flatMap((l) => statementsFor(l, rel))]);
    expect(listed(pi)).toEqual({ request_count: 1, in_flight: 0 });

    // A write the journal does not hold makes the next save a checkpoint (the whole database exported).
    const before = pi.open.checkpoints;
    pi.open.db.exec(`UPDATE meta SET value = value WHERE key = 'schema_version'`);
    await pi.save();
    expect(pi.open.checkpoints).toBe(before + 1);
    const [request, response] = turn(1);
    await pi.run(statementsFor(request!, rel));
    expect(listed(pi)).toEqual({ request_count: 2, in_flight: 1 });
    await pi.run(statementsFor(response!, rel));
    expect(listed(pi)).toEqual({ request_count: 2, in_flight: 0 });
  });

  it('keep the summary in step with live batches after a bulk build (which drops them while it runs)', async () => {
    const dataDir = makeTempDir('lr-dm-bulk-');
    const sessionsDir = writeHistory(dataDir, [SESSION]);
    const pi = await PartitionedIndex.open({ dataDir, saveIntervalMs: 60_000 });
    open.push(pi);
    expect(pi.rebuildReason).not.toBeNull();
    await pi.run([]); // a batch before the build: its triggers are known to be there, then dropped by it
    await reconcilePartitions(pi, sessionsDir, { full: true });
    await pi.finishBuild();
    expect(listed(pi)).toEqual({ request_count: 4, in_flight: 0 });

    const other: HistorySession = { id: 'sess-dm-2', at: SESSION.at + 3_600_000, turns: 2 };
    writeHistory(dataDir, [other]);
    const rel = sessionRel(other);
    const { lines } = await readSessionParts(sessionParts(sessionsDir, rel));
    await pi.run(lines.flatMap((l) => statementsFor(l, rel)));
    expect(
      pi.summary.querySync('SELECT request_count FROM session_list WHERE id = ?', [other.id])[0],
    ).toEqual({ request_count: 2 });
  });
});
