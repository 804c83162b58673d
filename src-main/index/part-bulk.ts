// A full rebuild of the partitioned index (reindex, migration, lost summary) in bulk: the summary's rows of a
// partition (session list, file rows, rollups) are computed once, when it closes or the rebuild ends, instead of
// after every session file, and the open partition is saved whole when it closes instead of every 3 s through
// the journal. Only the partition row (request count, time span: what the roll-over decides on) follows each batch.
// Crash safety is unchanged: a rebuild marks the layout complete only at its end (finishBuild), so an interrupted
// one — with its summary half-written in bulk — is thrown away and started over at the next open.
import type { PartitionedIndex } from './partitions.js';
import type { IndexStore } from './db.js';
import { dirtyMarksDropped, DIRTY_SQL, partitionStmt, takeDirty, wholePartitionStmts } from './summary.js';
import type { Stmt } from './types.js';

const DIRTY_TRIGGERS = [
  'dirty_rq_i',
  'dirty_rq_u',
  'dirty_rq_d',
  'dirty_ss_i',
  'dirty_ss_u',
  'dirty_ss_d',
  'dirty_tc_i',
  'dirty_fi_i',
  'dirty_fi_u',
  'dirty_fi_d',
];

/** Stores whose dirty-mark triggers (summary.ts DIRTY_SQL) are off: a bulk build needs no per-batch marks. */
const unmarked = new WeakSet<IndexStore>();

function dropDirtyTriggers(store: IndexStore): void {
  if (unmarked.has(store)) return;
  store.scratch((db) => db.exec(DIRTY_TRIGGERS.map((t) => `DROP TRIGGER IF EXISTS temp.${t};`).join('')));
  dirtyMarksDropped(store);
  unmarked.add(store);
}

/** Whether `pi` is building its whole layout from the JSONL now (its summary is not trusted until finishBuild). */
export function canBuildInBulk(pi: PartitionedIndex): boolean {
  return pi.rebuildReason !== null && pi.bulk === null;
}

export function beginBulk(pi: PartitionedIndex): void {
  pi.bulk = (stmts) => bulkRunSync(pi, stmts);
}

/** PartitionedIndex.runSync while in bulk: the batch on the open partition, then only its partition row. */
function bulkRunSync(pi: PartitionedIndex, stmts: Stmt[]): void {
  const store = pi.open;
  dropDirtyTriggers(store);
  store.deferSaves = true;
  store.runSync(stmts);
  pi.summary.runSync([partitionStmt(pi.openId, 'open', store)]);
}

/** The end of a bulk build: the open partition's summary rows, dirty marks back on, saves as usual. */
export function endBulk(pi: PartitionedIndex): void {
  if (!pi.bulk) return;
  pi.bulk = null;
  const store = pi.open;
  store.deferSaves = false;
  unmarked.delete(store);
  store.db.exec(DIRTY_SQL);
  takeDirty(store);
  pi.summary.runSync(wholePartitionStmts(pi.openId, 'open', store, pi.prices));
  store.markDirty();
}
