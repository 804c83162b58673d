// Everything the read side makes of a sessions directory, as plain JSON: each file's lines as read, the index
// rows a reindex builds from them, each request's rebuilt body and headers, and every export format. The
// old-format test compares this for the committed v1 fixture with what the code of the day it was recorded made,
// so a change to the line format cannot change how old files read.
import { EXPORT_FORMATS } from '../../src-shared/rows.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import { openIndex } from '../../src-main/index/db.js';
import {
  exportSession,
  getRequestBodies,
  getSession,
  type QueryContext,
} from '../../src-main/index/queries.js';
import { listSessionFiles, readSessionParts, reconcile } from '../../src-main/index/reindex.js';

export interface RecordSnapshot {
  /** Lines of each file as read, keyed by its path relative to the sessions dir. */
  lines: Record<string, JsonValue[]>;
  /** Per session: the index's request rows and tool calls after a full reindex. */
  index: Record<string, JsonValue>;
  /** Per request: the rebuilt body and request headers, and the response line. */
  bodies: Record<string, JsonValue>;
  /** Per session and export format: the exported file's text. */
  exports: Record<string, string>;
}

export async function recordSnapshot(sessionsDir: string): Promise<RecordSnapshot> {
  const out: RecordSnapshot = { lines: {}, index: {}, bodies: {}, exports: {} };
  const files = await listSessionFiles(sessionsDir);
  for (const f of files) out.lines[f.rel] = (await readSessionParts(f.parts)).lines as unknown as JsonValue[];
  const { db } = await openIndex(null);
  try {
    await reconcile(db, sessionsDir, { full: true, markCrashed: false });
    const ctx: QueryContext = { index: db, sessionsDir };
    const ids = db.querySync<{ id: string }>('SELECT id FROM sessions ORDER BY id').map((r) => r.id);
    for (const id of ids) {
      const detail = getSession(ctx, { id });
      out.index[id] = JSON.parse(JSON.stringify(detail)) as JsonValue;
      for (const r of detail?.requests ?? [])
        out.bodies[r.id] = JSON.parse(JSON.stringify(await getRequestBodies(ctx, { id: r.id }))) as JsonValue;
      for (const format of EXPORT_FORMATS) {
        const file = await exportSession(ctx, { id, format });
        out.exports[`${id}.${format}`] = file ? file.content : 'null';
      }
    }
  } finally {
    await db.close();
  }
  return out;
}
