// Keeps the index in step with the JSONL, which is the durable record. At start-up every session file whose size
// differs from what the index last saw is re-read (a torn last line from a crash is skipped) and its rows are
// rebuilt; rows of files that are gone are dropped. A request line with no response line can only mean the
// process died mid-exchange: a `response` line saying so (`interrupted`, reason `crash`) is appended to the file,
// so the JSONL itself tells the story and a later rebuild reaches the same result.
import fs from 'node:fs/promises';
import fsSync from 'node:fs';
import path from 'node:path';
import {
  RECORD_VERSION,
  type RecordLine,
  type RequestLine,
  type ResponseLine,
} from '../../src-shared/records.js';
import { PRIVATE_FILE_MODE } from '../storage/fsutil.js';
import { decodeAll } from '../recorder/decode.js';
import { hydrateLines } from '../recorder/lean-read.js';
import { forgetFile, statementsFor, type Stmt } from './indexer.js';
import { compactFileStmts } from './file-stmts.js';
import type { IndexStore } from './db.js';
import type { Prices } from '../analytics/prices.js';

const DAY_DIR = /^\d{4}-\d{2}-\d{2}$/;

/**
 * One session's record on disk. After retention compressed it, a session that comes back gets a new `.jsonl`
 * beside its `.jsonl.zst`: the record is then the compressed part followed by the plain one.
 */
export interface SessionFile {
  /** Key in the index: `YYYY-MM-DD/<id>.jsonl` (also for the compressed `.jsonl.zst`). */
  rel: string;
  /** The plain `.jsonl` path (where new lines go), whether or not it exists. */
  abs: string;
  /** Existing parts in order: `.jsonl.zst` first, then `.jsonl`. */
  parts: string[];
  /** Only a compressed part exists. */
  compressed: boolean;
  /** Total bytes of the parts. */
  size: number;
}

export async function listSessionFiles(sessionsDir: string): Promise<SessionFile[]> {
  let days: string[];
  try {
    days = (await fs.readdir(sessionsDir)).filter((d) => DAY_DIR.test(d)).sort();
  } catch {
    return [];
  }
  const byRel = new Map<string, SessionFile>();
  for (const day of days) {
    let names: string[];
    try {
      names = await fs.readdir(path.join(sessionsDir, day));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const zst = name.endsWith('.jsonl.zst');
      if (!zst && !name.endsWith('.jsonl')) continue;
      const part = path.join(sessionsDir, day, name);
      let size: number;
      try {
        size = (await fs.stat(part)).size;
      } catch {
        continue; // removed meanwhile
      }
      const plain = zst ? part.slice(0, -4) : part;
      const rel = `${day}/${zst ? name.slice(0, -4) : name}`;
      let f = byRel.get(rel);
      if (!f) {
        f = { rel, abs: plain, parts: [], compressed: true, size: 0 };
        byRel.set(rel, f);
      }
      if (zst) f.parts.unshift(part);
      else {
        f.parts.push(part);
        f.compressed = false;
      }
      f.size += size;
    }
  }
  return [...byRel.values()];
}

/** The existing parts of the session file `rel` (see SessionFile). */
export function sessionParts(sessionsDir: string, rel: string): string[] {
  const plain = path.join(sessionsDir, rel);
  return [plain + '.zst', plain].filter((p) => fsSync.existsSync(p));
}

export interface ReadResult {
  lines: RecordLine[];
  /** Lines that did not parse (a torn last line after a crash, or damage). */
  skipped: number;
  /** The file does not end with a newline (its last line is torn). */
  torn: boolean;
}

/** The session id a session file is named after (`<id>.jsonl`, `<id>.jsonl.zst`). */
function fileSessionId(abs: string): string {
  return path.basename(abs).replace(/\.jsonl(\.zst)?$/, '');
}

/**
 * Read a session file (`.jsonl` or `.jsonl.zst`), tolerating a torn last line and unknown/newer lines. Every line
 * comes in its full shape, whatever its record version (lean v2 lines are filled in: see lean-lines.ts).
 */
export async function readSessionFile(abs: string): Promise<ReadResult> {
  const r = await readStoredLines(abs);
  return { ...r, lines: hydrateLines(r.lines, fileSessionId(abs)) };
}

/** The lines of one file as stored. */
async function readStoredLines(abs: string): Promise<ReadResult> {
  let buf: Buffer = await fs.readFile(abs);
  if (abs.endsWith('.zst')) {
    const d = await decodeAll('zstd', buf);
    if (!d.data) throw new Error(`${abs}: ${d.error}`);
    buf = d.data;
  }
  const text = buf.toString('utf8');
  const parts = text.split('\n');
  const torn = text.length > 0 && !text.endsWith('\n');
  const lines: RecordLine[] = [];
  let skipped = 0;
  for (const part of parts) {
    if (part.length === 0) continue;
    try {
      const v = JSON.parse(part) as RecordLine;
      if (typeof v !== 'object' || v === null || typeof v.type !== 'string' || (v.v ?? 0) > RECORD_VERSION) {
        skipped++;
        continue;
      }
      lines.push(v);
    } catch {
      skipped++;
    }
  }
  return { lines, skipped, torn };
}

/** Read all parts of a session file in order; `torn` refers to the last part. */
export async function readSessionParts(parts: readonly string[]): Promise<ReadResult> {
  const out: ReadResult = { lines: [], skipped: 0, torn: false };
  for (const p of parts) {
    const r = await readStoredLines(p);
    for (const l of r.lines) out.lines.push(l);
    out.skipped += r.skipped;
    out.torn = r.torn;
  }
  // Hydrated together: a part's lines may refer to the session line and blocks of an earlier part.
  out.lines = hydrateLines(out.lines, parts.length > 0 ? fileSessionId(parts[0]!) : '');
  return out;
}

/** Responses for requests that never got one: the process ended mid-exchange. */
export function crashResponses(lines: RecordLine[], at: number): ResponseLine[] {
  const answered = new Set<string>();
  for (const l of lines) if (l.type === 'response') answered.add(l.id);
  const out: ResponseLine[] = [];
  for (const l of lines) {
    if (l.type !== 'request' || answered.has(l.id)) continue;
    const r: RequestLine = l;
    out.push({
      type: 'response',
      v: RECORD_VERSION,
      id: r.id,
      session_id: r.session_id,
      at,
      status: null,
      headers: null,
      outcome: 'interrupted',
      reason: 'crash',
      error: {
        type: null,
        code: null,
        message: 'LunaRoute stopped before this exchange finished',
        status: null,
      },
      response: null,
      body_text: null,
      model: null,
      usage: { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null },
      stop_reason: null,
      timings: {
        ttfb_ms: null,
        first_content_ms: null,
        duration_ms: null,
        provider_ms: null,
        overhead_ms: null,
      },
      response_bytes: 0,
      chunks: 0,
      truncated: false,
    });
  }
  return out;
}

export interface ReconcileOptions {
  /** Rebuild every file, not only changed ones. */
  full?: boolean;
  /**
   * Append `interrupted`/`crash` responses for requests without one (default true). Read-only readers (the CLI
   * while a server may be running) pass false: to them such requests are simply still in flight.
   */
  markCrashed?: boolean;
  /** Files being written right now (never touched). */
  isOpen?: (abs: string) => boolean;
  onProgress?: (done: number, total: number, file: string) => void;
  /** The price table for request costs (default: the bundled one). */
  prices?: Prices;
  log?: (level: 'info' | 'warn', message: string) => void;
}

export interface ReconcileResult {
  files: number;
  reindexed: number;
  removed: number;
  crashed: number;
  skippedLines: number;
}

export async function reconcile(
  index: IndexStore,
  sessionsDir: string,
  o: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const files = await listSessionFiles(sessionsDir);
  const known = new Map(
    index
      .querySync<{ path: string; size: number }>('SELECT path, size FROM files')
      .map((r) => [r.path, r.size]),
  );
  const result: ReconcileResult = {
    files: files.length,
    reindexed: 0,
    removed: 0,
    crashed: 0,
    skippedLines: 0,
  };
  const present = new Set(files.map((f) => f.rel));
  // Files that are gone first: a session file moved to another day folder must not have its rows (keyed by
  // session id) deleted after they were re-read from the new path.
  for (const rel of known.keys()) {
    if (present.has(rel)) continue;
    index.runSync(forgetFile(rel));
    result.removed++;
  }
  // A request the index still holds as in flight was cut by the end of the previous run, even when its file
  // did not change since the last index save (the save came after the request line, before the kill).
  const unfinished = new Set(
    o.markCrashed === false
      ? []
      : index
          .querySync<{ file: string }>(
            `SELECT DISTINCT s.file AS file FROM requests r JOIN sessions s ON s.id = r.session_id
             WHERE r.outcome IS NULL`,
          )
          .map((r) => r.file),
  );
  let done = 0;
  for (const f of files) {
    done++;
    if (o.isOpen?.(f.abs)) continue;
    if (!o.full && known.get(f.rel) === f.size && !unfinished.has(f.rel)) continue;
    const stmts = await fileStatements(f, o, result);
    if (!stmts) continue;
    index.runSync(stmts);
    result.reindexed++;
    o.onProgress?.(done, files.length, f.rel);
  }
  return result;
}

/**
 * Re-read one session file for the index: statements that forget what it contributed and index it again (with
 * its progress row), after appending crash markers for requests left without a response. Null when unreadable.
 */
export async function fileStatements(
  f: SessionFile,
  o: ReconcileOptions,
  result: ReconcileResult,
): Promise<Stmt[] | null> {
  let read: ReadResult;
  try {
    read = await readSessionParts(f.parts);
  } catch (err) {
    o.log?.('warn', `cannot read ${f.abs}: ${(err as Error).message}`);
    return null;
  }
  result.skippedLines += read.skipped;
  const crashed =
    o.markCrashed === false
      ? []
      : crashResponses(read.lines, (await fs.stat(f.parts[f.parts.length - 1]!)).mtimeMs);
  let size = f.size;
  // Terminate a torn last line, so the torn fragment stays a line of its own: otherwise the next line
  // appended (a crash marker here, or the session's next request later) would be glued to it and lost.
  const terminate = read.torn && o.markCrashed !== false;
  if ((crashed.length > 0 || terminate) && !f.compressed) {
    const text = (read.torn ? '\n' : '') + crashed.map((c) => JSON.stringify(c) + '\n').join('');
    await fs.appendFile(f.abs, text, { mode: PRIVATE_FILE_MODE });
    size += Buffer.byteLength(text);
    result.crashed += crashed.length;
  }
  const stmts: Stmt[] = [...forgetFile(f.rel)];
  for (const line of [...read.lines, ...crashed]) stmts.push(...statementsFor(line, f.rel, o.prices));
  stmts.push({
    sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
    params: [f.rel, size, read.lines.length + crashed.length],
  });
  return compactFileStmts(stmts);
}
