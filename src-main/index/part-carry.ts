// Which session files follow the write path across a partition roll-over (partitions.ts): the ones carried to
// the new partition when the open one closes, and the ones a later write claims back from a closed partition;
// and the recorder's lookup of a recorded request in whichever partition holds it.
import { fileProgress, sessionTotals } from './indexer.js';
import type { IndexStore } from './db.js';
import { SPAN_MIN_ROWS } from './part-spans.js';
import type { Stmt } from './types.js';

/**
 * Sessions with a line this recent (or a request in flight) move to the new partition at a roll-over, newest
 * first, at most a quarter of a partition's rows: a busy hour must not refill the new partition whole (with two
 * hours and no cap, a 50 req/s soak carried every row at every roll-over and the open partition grew without
 * bound). A session left behind that writes again is claimed by the write itself (`writtenElsewhere`), so the
 * window only saves that later copy for the sessions most likely to continue.
 */
export const CARRY_MS = 10 * 60_000;
const CARRY_SHARE = 4;

/** The session files of `old` to move to the new partition at a roll-over (longer ones continue instead). */
export function carriedFiles(
  old: IndexStore,
  now: number,
  maxRows: number,
  spanMinRows = SPAN_MIN_ROWS,
): string[] {
  const carry: string[] = [];
  let carried = 0;
  const cap = Math.floor(maxRows / CARRY_SHARE);
  for (const r of old.querySync<{ file: string; n: number; busy: number }>(
    `SELECT s.file AS file, SUM(s.request_count) AS n,
            MAX(EXISTS (SELECT 1 FROM requests r WHERE r.session_id = s.id AND r.outcome IS NULL)) AS busy
     FROM sessions s WHERE s.last_at >= ?
        OR EXISTS (SELECT 1 FROM requests r WHERE r.session_id = s.id AND r.outcome IS NULL)
     GROUP BY s.file ORDER BY busy DESC, MAX(s.last_at) DESC`,
    [now - CARRY_MS],
  )) {
    // A request in flight always moves (its response is about to land); the rest while they fit. A long session
    // never moves whole: it continues in the new partition at its next write (part-spans.ts).
    if (r.n > spanMinRows) continue;
    if (r.busy !== 1 && carried + r.n > cap) continue;
    carry.push(r.file);
    carried += r.n;
  }
  return carry;
}

/**
 * Only the open partition lives in memory, so its size is the index's share of RSS: in sql.js's in-memory file
 * (grown by copying, up to 1.125× its size) plus, at each checkpoint and at the close, a file-sized export. Rows
 * alone do not bound it (the 30-minute soak's 10,000 requests made a 43 MB partition; the history bench's, 27 MB),
 * so a partition also closes at this many bytes of pages. With a 16 MiB cap, 10-minute soaks peaked at 311-319 MB
 * at checkpoints; with 8 MiB, a 30-minute one at 288 (before the worker's GC fix). About 3,000 requests of the
 * history bench per partition: more, smaller files to search (tests/bench/README.md).
 */
export const DEFAULT_MAX_BYTES = 8 * 2 ** 20;

/** The bytes of a database's pages in use: a new partition starts with free pages reserved (db.ts reserve). */
export function usedBytes(db: IndexStore): number {
  const r = db.querySync<{ n: number; size: number }>(
    `SELECT (SELECT page_count FROM pragma_page_count) - (SELECT freelist_count FROM pragma_freelist_count) AS n,
            (SELECT page_size FROM pragma_page_size) AS size`,
  )[0]!;
  return r.n * r.size;
}

/** Whether the open partition (its summary row `p`, its database `db`) is due to close, by rows or by size. */
export function rollOverDue(
  p: { requests: number; base: number },
  db: IndexStore,
  maxRows: number,
  maxBytes: number,
): boolean {
  if (p.requests - p.base >= maxRows) return true;
  if (p.requests <= p.base) return false;
  return usedBytes(db) >= maxBytes;
}

/** The statements whose first parameter names a session file (indexer.ts fileProgress) or a session (totals). */
const FILE_PROGRESS_SQL = fileProgress('', 0, 0).sql;
const SESSION_TOTALS_SQL = sessionTotals('', 0).sql;

/**
 * The files (→ their partition) a batch writes to that live in a partition other than the open one: a session
 * the recorder still holds may have been left behind at a roll-over, and its new rows must join the old ones.
 * One summary lookup per file and session of the batch.
 */
export function writtenElsewhere(
  summary: IndexStore,
  openId: number,
  stmts: readonly Stmt[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const st of stmts) {
    let hit: { part: number; file: string } | undefined;
    if (st.sql === FILE_PROGRESS_SQL)
      hit = summary.querySync<{ part: number; file: string }>(
        'SELECT part, path AS file FROM file_parts WHERE path = ?',
        [st.params[0]!],
      )[0];
    else if (st.sql === SESSION_TOTALS_SQL)
      hit = summary.querySync<{ part: number; file: string }>(
        'SELECT part, file FROM session_list WHERE id = ?',
        [st.params[0]!],
      )[0];
    if (hit && hit.part !== openId) out.set(hit.file, hit.part);
  }
  return out;
}

/** The share of a database's pages that are free (rows deleted, e.g. carried to the next partition). */
export function freeShare(db: IndexStore): number {
  const r = db.querySync<{ f: number; n: number }>(
    'SELECT (SELECT freelist_count FROM pragma_freelist_count) AS f, (SELECT page_count FROM pragma_page_count) AS n',
  )[0]!;
  return r.n > 0 ? r.f / r.n : 0;
}

/** The session of request `id` (and what it replays), newest partition first; null when none holds it. */
export async function findRequest(
  parts: readonly { id: number }[],
  store: (part: number) => Promise<IndexStore>,
  id: string,
): Promise<{ session_id: string; replay_of: string | null } | null> {
  for (const p of parts) {
    const r = (await store(p.id)).querySync<{ session_id: string; replay_of: string | null }>(
      'SELECT session_id, replay_of FROM requests WHERE id = ?',
      [id],
    )[0];
    if (r) return r;
  }
  return null;
}
