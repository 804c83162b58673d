// Moving session files between partitions (partitions.ts): at a roll-over the sessions still active go to the
// new partition, and a session that comes back after its partition closed is claimed by the open one. Rows are
// copied column by column (whatever columns the schema has), full-text rows re-keyed to the new request rowids.
import type { IndexStore } from './db.js';
import { forgetFile } from './indexer.js';
import { SESSION_RECOUNT_SQL } from './schema.js';
import type { SqlValue, Stmt } from './types.js';

/** Copy every row of these session files from one partition to another, then forget them in the first. */
export function copyFiles(from: IndexStore, to: IndexStore, files: readonly string[]): void {
  if (files.length === 0) return;
  const stmts: Stmt[] = [];
  const insert = (table: string, row: Record<string, SqlValue>, verb = 'INSERT OR REPLACE'): void => {
    const cols = Object.keys(row);
    stmts.push({
      sql: `${verb} INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`,
      params: cols.map((c) => row[c] ?? null),
    });
  };
  for (const h of from.querySync<Record<string, SqlValue>>('SELECT * FROM block_hints'))
    insert('block_hints', h, 'INSERT OR IGNORE');
  const inList = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
  for (let i = 0; i < files.length; i += 100) {
    const chunk = files.slice(i, i + 100);
    for (const f of from.querySync<Record<string, SqlValue>>(
      `SELECT * FROM files WHERE path IN (${inList(chunk.length)})`,
      [...chunk],
    ))
      insert('files', f);
    const sessions = from.querySync<Record<string, SqlValue>>(
      `SELECT * FROM sessions WHERE file IN (${inList(chunk.length)})`,
      [...chunk],
    );
    for (const s of sessions) {
      insert('sessions', s);
      const id = s['id'] as string;
      for (const r of from.querySync<Record<string, SqlValue>>(
        'SELECT * FROM requests WHERE session_id = ?',
        [id],
      ))
        insert('requests', r, 'INSERT OR IGNORE');
      // Full-text rows are keyed by the request row's rowid, which differs in the other partition.
      for (const t of from.querySync<Record<string, SqlValue>>(
        `SELECT t.request_id AS request_id, t.session_id AS session_id, t.prompt AS prompt, t.response AS response
         FROM request_text t WHERE t.docid IN (SELECT rowid FROM requests WHERE session_id = ?)`,
        [id],
      ))
        stmts.push({
          sql: `INSERT INTO request_text (docid, request_id, session_id, prompt, response)
                SELECT rowid, ?, ?, ?, ? FROM requests WHERE id = ?`,
          params: [t['request_id']!, t['session_id']!, t['prompt']!, t['response']!, t['request_id']!],
        });
      for (const c of from.querySync<Record<string, SqlValue>>(
        'SELECT * FROM tool_calls WHERE session_id = ?',
        [id],
      ))
        insert('tool_calls', c);
      for (const c of from.querySync<Record<string, SqlValue>>(
        'SELECT * FROM redactions WHERE session_id = ?',
        [id],
      ))
        insert('redactions', c);
      // Exact totals whatever the other partition held already (a replaced tool call counts once).
      stmts.push({ sql: SESSION_RECOUNT_SQL, params: [id] });
    }
  }
  to.runSync(stmts);
  from.runSync(files.flatMap(forgetFile));
}
