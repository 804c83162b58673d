// Where the partitioned index lives and how it is configured (partitions.ts): file names, options, the summary's
// row of a partition.
import fs from 'node:fs';
import path from 'node:path';
import type { Prices } from '../analytics/prices.js';
import { journalPathFor } from './journal.js';

export const INDEX_DIR = 'index';

/** An index file and its statement journal (db.ts): a journal left behind could replay into a new file. */
export function removeIndexFile(file: string): void {
  fs.rmSync(file, { force: true });
  fs.rmSync(journalPathFor(file), { force: true });
  fs.rmSync(file.replace(/\.db$/, '.terms'), { force: true }); // its term filter (term-filter.ts)
}
/** The single-file index of LunaRoute before partitions (schema ≤ 5): migrated, then removed. */
export const LEGACY_INDEX_FILE = 'lunaroute.db';
export const DEFAULT_MAX_ROWS = 10_000;

export interface PartitionOptions {
  dataDir: string;
  wasmPath?: string;
  saveIntervalMs?: number;
  onError?: (err: Error) => void;
  /** The CLI while a server may own the files: nothing is written, nothing rolls over. */
  readOnly?: boolean;
  /** Requests per partition before it closes (default 10,000). */
  maxRows?: number;
  /** Database size at which the open partition closes (default DEFAULT_MAX_BYTES). */
  maxBytes?: number;
  /** A closed partition unused this long is released (default 60 s). */
  idleMs?: number;
  /** Closed partitions kept loaded at most (default 4: about 32 MiB at the 8 MiB cap). */
  maxLoaded?: number;
  /** The price table the rollups' cache savings use (default: the bundled one). */
  prices?: Prices;
  log?: (level: 'info' | 'warn', message: string) => void;
  now?: () => number;
  /** A session file with more requests continues in the open partition instead of moving (part-spans.ts). */
  spanMinRows?: number;
  /** Refresh the summary at most this often while writing (summary-refresh.ts; default 0: every batch). */
  summaryRefreshMs?: number;
}

export interface PartitionInfo {
  id: number;
  state: 'open' | 'closed';
  requests: number;
  first_at: number | null;
  last_at: number | null;
  base: number;
  month: string | null;
}

export const monthOf = (at: number): string => new Date(at).toISOString().slice(0, 7);

export function partitionFile(dataDir: string, id: number): string {
  return path.join(dataDir, INDEX_DIR, `part-${String(id).padStart(6, '0')}.db`);
}
