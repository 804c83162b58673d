// A closed partition that does not open (corrupt, missing, old) is rebuilt alone from its session files
// (partitions.ts). Of a continued session (part-spans.ts) whose older rows it held, it gets back the requests no
// other partition holds.
import type { IndexStore } from './db.js';
import { forgetFile, statementsFor } from './indexer.js';
import type { Prices } from '../analytics/prices.js';
import type { PartitionInfo } from './part-layout.js';
import type { TermFilters } from './term-filter.js';
import { partsOfFile } from './part-spans.js';
import { readSessionParts, sessionParts } from './reindex.js';
import { wholePartitionStmts } from './summary.js';
import type { Stmt } from './types.js';

/** What of the partitioned index (partitions.ts) a rebuild uses. */
export interface RebuildHost {
  readonly summary: IndexStore;
  readonly sessionsDir: string;
  readonly prices: Prices;
  readonly terms: TermFilters;
  info(part: number): PartitionInfo;
  store(part: number): Promise<IndexStore>;
}

export async function rebuildClosed(
  pi: RebuildHost,
  part: number,
  store: IndexStore,
  why: string,
  log?: (level: 'warn' | 'info', message: string) => void,
): Promise<void> {
  const files = pi.summary.querySync<{ path: string; size: number; lines: number }>(
    'SELECT path, size, lines FROM file_parts WHERE part = ? ORDER BY path',
    [part],
  );
  const spans = pi.summary.querySync<{ path: string; size: number; lines: number; newest: number }>(
    `SELECT s.path AS path, f.size AS size, f.lines AS lines, f.part AS newest
       FROM file_spans s JOIN file_parts f ON f.path = s.path WHERE s.part = ? ORDER BY s.path`,
    [part],
  );
  log?.(
    'warn',
    `index partition ${part} is rebuilt from its ${files.length + spans.length} session file(s): ${why}`,
  );
  const all: { path: string; size: number; lines: number; newest?: number }[] = [...files, ...spans];
  for (const f of all) {
    // Requests of the file that other partitions hold stay there (a continued session's other rows).
    const elsewhere = new Set<string>();
    for (const other of partsOfFile(pi.summary, f.path, f.newest ?? part))
      if (other !== part)
        for (const r of (await pi.store(other)).querySync<{ id: string }>(
          'SELECT id FROM requests WHERE session_id IN (SELECT id FROM sessions WHERE file = ?)',
          [f.path],
        ))
          elsewhere.add(r.id);
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
    for (const l of lines)
      if (!((l.type === 'request' || l.type === 'response') && elsewhere.has(l.id)))
        stmts.push(...statementsFor(l, f.path, pi.prices));
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
