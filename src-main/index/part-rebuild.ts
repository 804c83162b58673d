// A closed partition that does not open (corrupt, missing, old) is rebuilt alone from its session files
// (partitions.ts). A continued session (part-spans.ts) whose older rows it held is not split again: the
// partition forgets its span, and the next reconcile (start-up) reads that file whole into the open partition.
import type { IndexStore } from './db.js';
import { forgetFile, statementsFor } from './indexer.js';
import type { PartitionedIndex } from './partitions.js';
import { readSessionParts, sessionParts } from './reindex.js';
import { wholePartitionStmts } from './summary.js';
import type { Stmt } from './types.js';

export async function rebuildClosed(
  pi: PartitionedIndex,
  part: number,
  store: IndexStore,
  why: string,
  log?: (level: 'warn' | 'info', message: string) => void,
): Promise<void> {
  const files = pi.summary.querySync<{ path: string; size: number; lines: number }>(
    'SELECT path, size, lines FROM file_parts WHERE part = ? ORDER BY path',
    [part],
  );
  const spans = pi.summary
    .querySync<{ path: string }>('SELECT path FROM file_spans WHERE part = ? ORDER BY path', [part])
    .map((r) => r.path);
  log?.('warn', `index partition ${part} is rebuilt from its ${files.length} session file(s): ${why}`);
  if (spans.length > 0) {
    log?.(
      'warn',
      `${spans.length} long session file(s) partly in partition ${part} are read again whole at the next start`,
    );
    pi.summary.runSync([
      { sql: 'DELETE FROM file_spans WHERE part = ?', params: [part] },
      {
        sql: 'UPDATE file_parts SET size = -1 WHERE path IN (SELECT value FROM json_each(?))',
        params: [JSON.stringify(spans)],
      },
    ]);
  }
  for (const f of files) {
    const parts = sessionParts(pi.sessionsDir, f.path);
    if (parts.length === 0) continue;
    let lines;
    try {
      lines = (await readSessionParts(parts)).lines;
    } catch (err) {
      log?.('warn', `cannot read ${f.path}: ${(err as Error).message}`);
      continue;
    }
    const stmts: Stmt[] = [...forgetFile(f.path)];
    for (const l of lines) stmts.push(...statementsFor(l, f.path, pi.prices));
    stmts.push({
      sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
      params: [f.path, f.size, f.lines],
    });
    store.runSync(stmts);
  }
  pi.summary.runSync(wholePartitionStmts(part, 'closed', store, pi.prices));
  await store.save();
  await pi.terms.write(pi.info(part), store);
}
