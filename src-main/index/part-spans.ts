// Sessions that span partitions (partitions.ts). A session file is moved whole between partitions while it is
// small (carried at a roll-over, claimed back by a later write: part-copy.ts); a long one (SPAN_MIN_ROWS) is not:
// copying it whole at every roll-over made the cost of a request grow with its session (a 14,000-request session
// was copied again every roll-over check, ~10 s, once it filled a partition alone). Instead its new rows go to the
// open partition and its older rows stay where they are ("continued"):
// - the open partition gets the session's row with the whole session's totals so far (the triggers of schema.ts
//   add the new rows to them), its file's progress, the block hints its requests may refer to, and the rows that
//   are still to change: requests in flight (their responses land there) and tool calls still unanswered;
// - the summary's `file_spans` lists the older partitions that hold rows of the file; `file_parts` and
//   `session_list` name the newest (summary.ts keeps the newest partition's row);
// - a query about the session (detail, view, export, insight) runs on a scratch database holding the rows of every
//   partition that has some (mergedStore: totals recomputed by the triggers, a row in two partitions counted once).
import { openIndex, type IndexStore } from './db.js';
import { SUMMED } from './schema.js';
import type { SqlValue, Stmt } from './types.js';

/** Summary table: the older partitions holding rows of a continued session file (the newest is in file_parts). */
export const SPANS_SQL = `
CREATE TABLE IF NOT EXISTS file_spans (
  path TEXT NOT NULL,
  part INTEGER NOT NULL,
  PRIMARY KEY (path, part)
);
CREATE INDEX IF NOT EXISTS file_spans_part ON file_spans(part);`;

/** A session file with more requests than this continues in the open partition instead of moving there whole. */
export const SPAN_MIN_ROWS = 500;

/** The columns of a session row that sum its requests (schema.ts), copied as the continued session's start. */
const TOTALS = [
  'request_count',
  'failed_count',
  'interrupted_count',
  ...SUMMED,
  'models',
  'unpriced_count',
  'tool_call_count',
];

const marks = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

function insertRow(table: string, row: Record<string, SqlValue>, verb = 'INSERT OR IGNORE'): Stmt {
  const cols = Object.keys(row);
  return {
    sql: `${verb} INTO ${table} (${cols.join(', ')}) VALUES (${marks(cols.length)})`,
    params: cols.map((c) => row[c] ?? null),
  };
}

/** The requests of a session file, in this partition (how many; 0 when it holds none). */
export function fileRequests(store: IndexStore, file: string): number {
  return (
    store.querySync<{ n: number | null }>('SELECT SUM(request_count) AS n FROM sessions WHERE file = ?', [
      file,
    ])[0]?.n ?? 0
  );
}

/** Full-text rows of these requests (keyed by request id: the row ids differ between partitions). */
function textRows(store: IndexStore, where: string, params: SqlValue[]): Stmt[] {
  return store
    .querySync<Record<string, SqlValue>>(
      `SELECT t.request_id AS request_id, t.session_id AS session_id, t.prompt AS prompt, t.response AS response
       FROM request_text t WHERE t.docid IN (SELECT rowid FROM requests WHERE ${where})`,
      params,
    )
    .map((t) => ({
      sql: `INSERT OR IGNORE INTO request_text (docid, request_id, session_id, prompt, response)
            SELECT rowid, ?, ?, ?, ? FROM requests WHERE id = ?`,
      params: [t['request_id']!, t['session_id']!, t['prompt']!, t['response']!, t['request_id']!],
    }));
}

/**
 * Continue session file `file` of partition `from` in `to` (the open partition): see the top of this file.
 * `from` keeps every finished row; what is still to change moves.
 */
export function continueFile(from: IndexStore, to: IndexStore, file: string): void {
  const ids = from
    .querySync<{ id: string }>('SELECT id FROM sessions WHERE file = ?', [file])
    .map((r) => r.id);
  if (ids.length === 0) return;
  const inIds = `session_id IN (${marks(ids.length)})`;
  const inFlight = `${inIds} AND outcome IS NULL`;
  const moving = from.querySync<Record<string, SqlValue>>(`SELECT * FROM requests WHERE ${inFlight}`, ids);
  const movingText = textRows(from, inFlight, ids);
  const openCalls = from.querySync<Record<string, SqlValue>>(
    `SELECT * FROM tool_calls WHERE ${inIds} AND result_request_id IS NULL`,
    ids,
  );
  // Out of `from` first: its totals (triggers) no longer count what moves, and `to` counts it once.
  from.runSync([
    {
      sql: `DELETE FROM request_text WHERE docid IN (SELECT rowid FROM requests WHERE ${inFlight})`,
      params: ids,
    },
    { sql: `DELETE FROM requests WHERE ${inFlight}`, params: ids },
    { sql: `DELETE FROM tool_calls WHERE ${inIds} AND result_request_id IS NULL`, params: ids },
  ]);
  const stmts: Stmt[] = [];
  for (const h of from.querySync<Record<string, SqlValue>>('SELECT * FROM block_hints'))
    stmts.push(insertRow('block_hints', h));
  for (const f of from.querySync<Record<string, SqlValue>>('SELECT * FROM files WHERE path = ?', [file]))
    stmts.push(insertRow('files', f, 'INSERT OR REPLACE'));
  for (const s of from.querySync<Record<string, SqlValue>>(
    `SELECT * FROM sessions WHERE id IN (${marks(ids.length)})`,
    ids,
  )) {
    // Inserting the row recounts it from `to`'s rows (none); then it starts from the whole session's totals.
    stmts.push(insertRow('sessions', s, 'INSERT OR REPLACE'), {
      sql: `UPDATE sessions SET ${TOTALS.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`,
      params: [...TOTALS.map((c) => s[c] ?? null), s['id']!],
    });
  }
  for (const r of moving) stmts.push(insertRow('requests', r));
  stmts.push(...movingText);
  for (const c of openCalls) stmts.push(insertRow('tool_calls', c));
  to.runSync(stmts);
}

/**
 * A scratch database holding every row of session file `file` from the partitions `parts` (oldest first; the
 * newest holds its file and session rows): what a query about a continued session runs on. Totals are
 * recomputed from the rows by the triggers (a request in two partitions, e.g. after a lost partition was rebuilt,
 * counts once); redaction counts add up. No full-text rows (session queries do not search). Each partition is
 * read as soon as it is loaded (`load` may release the one before). The caller closes the result.
 */
export async function mergedStore(
  parts: readonly number[],
  load: (part: number) => Promise<IndexStore>,
  file: string,
): Promise<IndexStore> {
  const { db: merged } = await openIndex(null);
  const newest = await load(parts[parts.length - 1]!);
  const sessions = newest.querySync<Record<string, SqlValue>>('SELECT * FROM sessions WHERE file = ?', [
    file,
  ]);
  const ids = sessions.map((s) => s['id'] as string);
  const head: Stmt[] = [];
  for (const f of newest.querySync<Record<string, SqlValue>>('SELECT * FROM files WHERE path = ?', [file]))
    head.push(insertRow('files', f));
  for (const s of sessions) head.push(insertRow('sessions', s));
  merged.runSync(head);
  if (ids.length === 0) return merged;
  const inIds = `session_id IN (${marks(ids.length)})`;
  for (const part of parts) {
    const store = await load(part);
    const stmts: Stmt[] = [];
    for (const h of store.querySync<Record<string, SqlValue>>('SELECT * FROM block_hints'))
      stmts.push(insertRow('block_hints', h));
    for (const r of store.querySync<Record<string, SqlValue>>(`SELECT * FROM requests WHERE ${inIds}`, ids))
      stmts.push(insertRow('requests', r));
    // A tool call answered in a newer partition replaces its older, unanswered copy.
    for (const c of store.querySync<Record<string, SqlValue>>(`SELECT * FROM tool_calls WHERE ${inIds}`, ids))
      stmts.push(insertRow('tool_calls', c, 'INSERT OR REPLACE'));
    for (const c of store.querySync<Record<string, SqlValue>>(`SELECT * FROM redactions WHERE ${inIds}`, ids))
      stmts.push({
        sql: `INSERT INTO redactions (session_id, detector, count) VALUES (?, ?, ?)
              ON CONFLICT(session_id, detector) DO UPDATE SET count = count + excluded.count`,
        params: [c['session_id']!, c['detector']!, c['count']!],
      });
    merged.runSync(stmts);
  }
  // A replaced tool-call row was counted again by the insert trigger (a REPLACE does not fire the delete one).
  merged.runSync(
    ids.map((id) => ({
      sql: 'UPDATE sessions SET tool_call_count = (SELECT COUNT(*) FROM tool_calls WHERE session_id = ?1) WHERE id = ?1',
      params: [id],
    })),
  );
  return merged;
}

/** The partitions holding rows of session file `file`, oldest first: its older spans, then `newest`. */
export function partsOfFile(summary: IndexStore, file: string, newest: number): number[] {
  return [...spansOf(summary, file).filter((p) => p !== newest), newest];
}

/** The older partitions holding rows of session file `file` (its spans), oldest first. */
export function spansOf(summary: IndexStore, file: string): number[] {
  return summary
    .querySync<{ part: number }>('SELECT part FROM file_spans WHERE path = ? ORDER BY part', [file])
    .map((r) => r.part);
}

/** Statements forgetting the spans of these files (they are forgotten in every partition). */
export function forgetSpans(files: readonly string[]): Stmt[] {
  return files.length === 0
    ? []
    : [
        {
          sql: 'DELETE FROM file_spans WHERE path IN (SELECT value FROM json_each(?))',
          params: [JSON.stringify(files)],
        },
      ];
}

/** How many session files partition `part` holds rows of, besides `except`: newest rows or a span. */
export function filesLeft(summary: IndexStore, part: number, except: readonly string[]): number {
  return summary.querySync<{ n: number }>(
    `SELECT (SELECT COUNT(*) FROM file_parts WHERE part = ?1 AND path NOT IN (SELECT value FROM json_each(?2)))
          + (SELECT COUNT(*) FROM file_spans WHERE part = ?1 AND path NOT IN (SELECT value FROM json_each(?2))) AS n`,
    [part, JSON.stringify(except)],
  )[0]!.n;
}

/** Statements creating the spans table in a summary written before it existed (none when it is there). */
export function ensureSpans(summary: IndexStore): Stmt[] {
  if (summary.querySync(`SELECT 1 FROM sqlite_master WHERE name = 'file_spans_part'`).length > 0) return [];
  return SPANS_SQL.split(';')
    .filter((sql) => sql.trim())
    .map((sql) => ({ sql, params: [] }));
}

/** The session files whose newest rows are in partition `part` and older ones elsewhere. */
export function continuedIn(summary: IndexStore, part: number): string[] {
  return summary
    .querySync<{ path: string }>(
      'SELECT DISTINCT s.path AS path FROM file_spans s JOIN file_parts f ON f.path = s.path WHERE f.part = ?',
      [part],
    )
    .map((r) => r.path);
}
