// Keeps a partitioned index (partitions.ts) in step with the JSONL, like `reconcile` does for one file: files
// that are gone leave their partition (a partition left empty is dropped), files that changed since the index
// last saw them are re-read into the open partition (moving out of a closed one: the session is active again),
// and requests cut by the end of the previous run get their crash markers. New files go to the open partition in
// day order, which rolls over as it fills, so a full rebuild (reindex, migration) keeps memory flat.
import type { PartitionedIndex } from './partitions.js';
import { beginBulk, canBuildInBulk, endBulk } from './part-bulk.js';
import { fileStatements, listSessionFiles, type ReconcileOptions, type ReconcileResult } from './reindex.js';

export async function reconcilePartitions(
  pi: PartitionedIndex,
  sessionsDir: string,
  o: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const files = await listSessionFiles(sessionsDir);
  const known = new Map(
    pi.summary
      .querySync<{ path: string; part: number; size: number }>('SELECT path, part, size FROM file_parts')
      .map((r) => [r.path, r]),
  );
  const result: ReconcileResult = {
    files: files.length,
    reindexed: 0,
    removed: 0,
    crashed: 0,
    skippedLines: 0,
  };
  const present = new Set(files.map((f) => f.rel));
  // Files that are gone first (a file moved to another day folder keeps its session id).
  const gone = [...known.keys()].filter((rel) => !present.has(rel));
  if (gone.length > 0) {
    await pi.forgetFiles(gone);
    result.removed += gone.length;
  }
  const unfinished = new Set(
    o.markCrashed === false
      ? []
      : pi.summary
          .querySync<{ file: string }>('SELECT DISTINCT file FROM session_list WHERE in_flight > 0')
          .map((r) => r.file),
  );
  // A full rebuild of the whole layout writes the summary per partition (part-bulk.ts), not per file.
  const bulk = o.full === true && canBuildInBulk(pi);
  if (bulk) beginBulk(pi);
  try {
    let done = 0;
    for (const f of files) {
      done++;
      if (o.isOpen?.(f.abs)) continue;
      const k = known.get(f.rel);
      if (!o.full && k?.size === f.size && !unfinished.has(f.rel)) continue;
      const stmts = await fileStatements(f, o, result);
      if (!stmts) continue;
      if (k && k.part !== pi.openId) await pi.forgetFiles([f.rel]);
      await pi.run(stmts);
      result.reindexed++;
      o.onProgress?.(done, files.length, f.rel);
    }
  } finally {
    if (bulk) endBulk(pi);
  }
  return result;
}
