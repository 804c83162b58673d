// The sql.js index as the recorder worker holds it. The database lives in sql.js's in-memory file system and
// leaves it only as one `export()` (a copy of the whole file), so a save that exports costs time, memory and
// disk bytes in proportion to the file. Instead a save appends the batches committed since the last save to a
// statement journal (journal.ts: checksummed records, one fsync), and the whole file is written atomically (tmp +
// fsync + rename, 0600) only at a checkpoint: when the journal passes max(4 MiB, a third of the file), at close,
// and at the first save after opening (which folds in a replayed journal and the start-up catch-up). Opening
// replays the journal's valid prefix; read-only opens do so in memory and never write.
// Measured (tests/bench/children/index-persist-bench.js; 2 shared cores; 20 req/s, a save every 3 s; files of
// 10 / 37 / 148 MB): export + whole file (before): 167 / 638 / 2520 KB written per request, the worker stalled
// 87 / 274 / 1355 ms per save; export + page diff: 7-8 KB per request, stalls of 106 / 341 / 1971 ms; statement
// journal (this): 2.8 KB per request, 3-10 ms CPU per save whatever the size. A checkpoint adds at most 8.4 KB
// per request amortised (4 MiB floor). After a crash, opening replays up to a third of the file's worth of
// batches (0.5-2 ms per request).
// Every write must go through run/runSync: a change made on `db` directly (or DDL) is seen (total_changes() and
// the schema cookie move) and makes the next save a checkpoint. A file that does not open, or a journal whose
// statements do not apply, is reported as corrupt so the caller rebuilds the index from the JSONL.
import fs from 'node:fs';
import { unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { writeFileAtomic, removeStaleTmpFiles, isErrno } from '../storage/fsutil.js';
import {
  fileGeneration,
  journalPathFor,
  JournalWriter,
  JOURNAL_HEADER_BYTES,
  readJournal,
  type JournalContents,
} from './journal.js';
import { adoptSqlModule, runStatement } from './fast-run.js';
import { releaseNow } from './release.js';
import { reservedDatabase } from './reserve.js';
import { addTotalsTriggers, INDEX_SCHEMA_VERSION, SCHEMA_SQL } from './schema.js';
import type { IndexDb, SqlValue, Stmt } from './types.js';

let sqlJs: Promise<SqlJsStatic> | null = null;

/** A checkpoint (whole-file write) once the journal holds this much, or a third of the file if more. */
export const CHECKPOINT_MIN_JOURNAL_BYTES = 4 * 1024 * 1024;
const CHECKPOINT_FILE_RATIO = 1 / 3;
/** Prepared statements an IndexStore keeps at most (see IndexStore.statement). */
const PREPARED_MAX = 256;

/** Where sql-wasm.wasm lives: next to the sql.js package by default; the packaged app may pass its own. */
export function defaultWasmPath(): string {
  return createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
}

function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs({ wasmBinary: fs.readFileSync(wasmPath) as unknown as ArrayBuffer }).then((sql) => {
    adoptSqlModule(sql);
    return sql;
  });
  return sqlJs;
}

export interface OpenIndexResult {
  db: IndexStore;
  /** Why the index must be rebuilt from the JSONL (missing, corrupt, old schema), or null when it is current. */
  rebuildReason: string | null;
}

/** The index file as it was loaded (see openIndex). */
export interface DiskState {
  /** Its generation (`PRAGMA user_version`; 0 for a new file or one written before the journal existed). */
  generation: number;
  bytes: number;
}

function estimateBytes(stmts: Stmt[]): number {
  let n = 16;
  for (const s of stmts) {
    n += s.sql.length + 4;
    for (const p of s.params) n += typeof p === 'string' ? p.length + 3 : 9;
  }
  return n;
}

export class IndexStore implements IndexDb {
  private dirty = false;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  /** Batches committed since the last export or append, to journal at the next save. */
  private pending: Stmt[][] = [];
  private pendingBytes = 0;
  /** The journal alone cannot bring the file up to date (a new file, a replayed journal): write it whole. */
  private needCheckpoint = true;
  /** The journal on disk belongs to the file on disk and ends where `journal.size` says. */
  private journalReady = false;
  private generation: number;
  private fileBytes: number;
  /** total_changes() and the schema cookie after the last journaled batch: anything else is a stray write. */
  private seen = '';
  private markStmt: Statement | null = null;
  /** Statements prepared once (see `statement`). */
  private readonly prepared = new Map<string, Statement>();
  private readonly journal: JournalWriter | null;
  /**
   * A bulk build (a rebuild from the JSONL, which starts over when interrupted): no timed saves and no journal
   * records; the builder saves (a whole-file checkpoint) when it is done with the file.
   */
  deferSaves = false;
  saves = 0;
  checkpoints = 0;
  lastSaveMs = 0;
  /** Bytes written by the last save (journal record, or the whole file and a journal header). */
  lastSaveBytes = 0;

  constructor(
    readonly db: Database,
    readonly file: string | null,
    private readonly saveIntervalMs: number,
    private readonly onError: (err: Error) => void = () => {},
    /** Never written back (the CLI reading while a server owns the file). */
    readonly readOnly = false,
    disk: DiskState = { generation: 0, bytes: 0 },
    /** Batches were replayed from the journal: fold them into the file at the next save (or at close). */
    replayed = false,
  ) {
    this.journal = file && !readOnly ? new JournalWriter(journalPathFor(file)) : null;
    // The rollback journal in memory, not as a file in sql.js's in-memory file system (created, written and
    // deleted by every transaction). The database file there is not the durable copy either: see above.
    // One connection owns the file: its lock is kept, so a transaction (every query, every batch) does not look
    // for a hot journal (a thrown lookup in sql.js's file system) and re-read the file header first.
    db.exec('PRAGMA journal_mode = MEMORY; PRAGMA locking_mode = EXCLUSIVE');
    this.generation = disk.generation;
    this.fileBytes = disk.bytes;
    // A file opened whole with nothing replayed is already what the disk holds: its first save appends to a fresh
    // journal (a header) instead of rewriting the file, so a restart costs no whole-file write.
    this.needCheckpoint = !(file && disk.bytes > 0 && !replayed);
    if (this.journal) this.seen = this.changeMark();
    if (this.journal && replayed) this.markDirty();
  }

  async run(stmts: Stmt[]): Promise<void> {
    this.runSync(stmts);
  }

  /** All statements in one transaction; on any error the whole batch is rolled back and the error thrown. */
  runSync(stmts: Stmt[]): void {
    if (this.closed) throw new Error('index is closed');
    if (this.journal && this.changeMark() !== this.seen) this.strayWrite();
    this.db.exec('BEGIN');
    try {
      for (const s of stmts) this.statement(s.sql, (st) => runStatement(st, s.sql, s.params));
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      if (this.journal) this.seen = this.changeMark();
      throw err;
    }
    if (this.journal) {
      this.seen = this.changeMark();
      if (this.deferSaves) this.strayWrite();
      else if (!this.needCheckpoint) {
        // Kept until the next save: a copy of the list (callers must not change the Stmt objects themselves).
        this.pending.push(stmts.slice());
        this.pendingBytes += estimateBytes(stmts);
        // A journal record this big (a rebuild, or a disk full for long) is better written as the whole file.
        if (this.pendingBytes > this.checkpointAt()) this.strayWrite();
      }
    }
    this.markDirty();
  }

  async query<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.querySync<T>(sql, params);
  }

  querySync<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): T[] {
    return this.statement(sql, (st) => {
      try {
        st.bind(params);
        const rows: T[] = [];
        // Column names once, not per row: sql.js getAsObject reads them again for every row (10× slower for
        // wide rows, such as the 26 columns of a rollup cell).
        let names: string[] | null = null;
        while (st.step()) {
          names ??= st.getColumnNames();
          const values = st.get();
          const row: Record<string, unknown> = {};
          for (let i = 0; i < names.length; i++) row[names[i]!] = values[i];
          rows.push(row as T);
        }
        return rows;
      } finally {
        st.reset();
      }
    });
  }

  /**
   * `use` with the statement for `sql`, prepared once and kept (sql.js re-parses one on every `db.run`: −27 % CPU
   * of the index writes). Closing frees them; one freed otherwise ("Statement closed") is prepared again. At most
   * PREPARED_MAX are kept (SQL built per call would pile up): past that the cache starts over.
   */
  private statement<T>(sql: string, use: (st: Statement) => T): T {
    const cached = this.prepared.get(sql);
    if (cached) {
      try {
        return use(cached);
      } catch (err) {
        if (err !== 'Statement closed') throw err;
        this.prepared.clear();
      }
    }
    if (this.prepared.size >= PREPARED_MAX) this.forgetStatements();
    const st = this.db.prepare(sql);
    this.prepared.set(sql, st);
    return use(st);
  }

  private forgetStatements(): void {
    for (const st of this.prepared.values()) st.free();
    this.prepared.clear();
  }

  markDirty(): void {
    this.dirty = true;
    if (this.file && !this.readOnly && !this.saveTimer && !this.closed && !this.deferSaves) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = null;
        void this.save().catch(this.onError);
      }, this.saveIntervalMs);
      // A pending save must not keep a process alive; `close()` saves whatever is dirty.
      this.saveTimer.unref();
    }
  }

  /** Journal what changed (or write the whole file at a checkpoint), if dirty. Saves never overlap. */
  save(): Promise<void> {
    return this.enqueueSave(false);
  }

  private enqueueSave(final: boolean): Promise<void> {
    // After the previous save, whether it failed or not (a failed save stays dirty and is retried here).
    this.saving = this.saving
      .catch(() => undefined)
      .then(async () => {
        if (!this.file || this.readOnly || !this.journal) return;
        if (this.changeMark() !== this.seen) {
          this.strayWrite();
          this.dirty = true;
        }
        const journaled = this.journal.size > JOURNAL_HEADER_BYTES || this.pending.length > 0;
        if (!this.dirty && !(final && journaled)) return;
        this.dirty = false;
        const t0 = performance.now();
        try {
          const whole =
            this.needCheckpoint ||
            (final && journaled) ||
            this.journal.size + this.pendingBytes > this.checkpointAt();
          if (whole) await this.checkpoint();
          else if (this.pending.length > 0) {
            if (!this.journalReady) {
              await this.journal.reset(this.generation);
              this.journalReady = true;
            }
            await this.append();
          }
        } catch (err) {
          this.dirty = true;
          throw err;
        }
        this.saves++;
        this.lastSaveMs = performance.now() - t0;
      });
    return this.saving;
  }

  private checkpointAt(): number {
    return Math.max(CHECKPOINT_MIN_JOURNAL_BYTES, this.fileBytes * CHECKPOINT_FILE_RATIO);
  }

  /** total_changes() counts every row written on this connection (direct or not); the cookie counts DDL. */
  private changeMark(): string {
    // Prepared once: ~6x cheaper than exec, and it runs twice per batch. An export (ours or anyone's) frees it.
    for (let attempt = 0; ; attempt++) {
      this.markStmt ??= this.db.prepare(
        'SELECT total_changes(), (SELECT schema_version FROM pragma_schema_version)',
      );
      try {
        this.markStmt.step();
        const mark = this.markStmt.get().join('/');
        this.markStmt.reset();
        return mark;
      } catch (err) {
        this.markStmt = null;
        if (attempt > 0) throw err;
      }
    }
  }

  /**
   * Work on TEMP tables only (never saved: the partition's dirty marks, a search's scratch ids). It moves
   * total_changes(), which would make the next save take it for a stray write and rewrite the whole file; here
   * the mark is accepted afterwards, unless something else had already changed before it.
   */
  scratch<T>(fn: (db: Database) => T): T {
    if (!this.journal) return fn(this.db);
    const clean = this.changeMark() === this.seen;
    const out = fn(this.db);
    if (clean) this.seen = this.changeMark();
    return out;
  }

  /** Something changed that the journal does not hold: only a whole-file save captures it now. */
  private strayWrite(): void {
    this.needCheckpoint = true;
    this.pending = [];
    this.pendingBytes = 0;
  }

  private async append(): Promise<void> {
    const journal = this.journal!;
    const batches = this.pending;
    this.pending = [];
    const bytes = this.pendingBytes;
    this.pendingBytes = 0;
    try {
      this.lastSaveBytes = await journal.append(batches);
    } catch (err) {
      // A journal that vanished cannot be appended to: only the whole file brings the disk up to date.
      if (isErrno(err, 'ENOENT')) this.strayWrite();
      // Kept for the retry (unless a checkpoint became due meanwhile, which captures them anyway).
      if (!this.needCheckpoint) {
        this.pending = batches.concat(this.pending);
        this.pendingBytes += bytes;
      }
      throw err;
    }
  }

  /**
   * The whole file under a new generation, then an empty journal for it. A crash before the rename leaves the
   * old file and its journal; after it, the old journal names an older generation and is ignored.
   */
  private async checkpoint(): Promise<void> {
    const journal = this.journal!;
    const generation = (this.generation + 1) >>> 0 || 1;
    this.db.exec(`PRAGMA user_version = ${generation}`);
    this.markStmt = null; // freed by the export
    const data = this.db.export();
    // The export holds everything so far; what commits while it is written goes to the journal after it.
    this.seen = this.changeMark();
    this.pending = [];
    this.pendingBytes = 0;
    this.needCheckpoint = false;
    // Whether the rename happened is unknown until both writes succeed: append to no journal meanwhile.
    this.journalReady = false;
    const bytes = data.length;
    try {
      // A new partition's reserve is free pages of zeros: holes on disk, not 8 MiB written (reserve.ts).
      await writeFileAtomic(this.file!, data, { sparseBlock: 4096 });
      this.generation = generation;
      this.fileBytes = bytes;
      await journal.reset(generation);
      this.journalReady = true;
    } catch (err) {
      this.strayWrite();
      throw err;
    } finally {
      releaseNow(data);
    }
    this.checkpoints++;
    this.lastSaveBytes = bytes + JOURNAL_HEADER_BYTES;
  }

  /** Write everything down (a checkpoint if the journal holds anything) and close. */
  async close(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.enqueueSave(true);
    this.closed = true;
    this.prepared.clear(); // freed by close
    this.db.close();
  }
}

function initSchema(db: Database, schema: string): void {
  db.exec(schema);
  db.run(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`, [
    String(INDEX_SCHEMA_VERSION),
  ]);
}

function readIfExists(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}

/**
 * The index file and its journal as they stand. A writer may checkpoint between the two reads (new file, then a
 * new journal): a journal newer than the file means the file was replaced meanwhile, so it is read again.
 */
async function readBoth(file: string): Promise<{ bytes: Buffer | null; journal: JournalContents | null }> {
  for (let attempt = 0; ; attempt++) {
    const bytes = readIfExists(file);
    const journal = await readJournal(journalPathFor(file));
    if (!bytes || !journal || journal.generation <= fileGeneration(bytes) || attempt >= 4)
      return { bytes, journal };
  }
}

/** Run the journal's batches, each in its own transaction, as they ran when they were recorded. */
function replay(db: Database, batches: Stmt[][]): void {
  for (const batch of batches) {
    db.exec('BEGIN');
    try {
      for (const s of batch) db.run(s.sql, s.params);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}

/**
 * Open (or create) the index at `file` (null = in memory). A file that is missing, unreadable, corrupt or of
 * another schema version gives a fresh empty database and a `rebuildReason`. The journal's valid prefix is
 * replayed when it belongs to the file; a stale one is ignored (and removed unless `readOnly`).
 */
export async function openIndex(
  file: string | null,
  opts: {
    wasmPath?: string;
    saveIntervalMs?: number;
    onError?: (err: Error) => void;
    readOnly?: boolean;
    /** Tables to create (default: the index schema; the partition summary passes its own, with a meta table). */
    schema?: string;
    /** A new file starts with this many bytes of free pages (reserve.ts). */
    reserveBytes?: number;
  } = {},
): Promise<OpenIndexResult> {
  const schema = opts.schema ?? SCHEMA_SQL;
  const SQL = await loadSqlJs(opts.wasmPath ?? defaultWasmPath());
  const readOnly = opts.readOnly ?? false;
  const make = (db: Database, disk?: DiskState, replayed = false): IndexStore =>
    new IndexStore(db, file, opts.saveIntervalMs ?? 3_000, opts.onError, readOnly, disk, replayed);
  const fresh = (rebuildReason: string | null): OpenIndexResult => {
    // A partition starts with its size cap in free pages, which its rows fill before the file grows (reserve.ts).
    const reserve = opts.reserveBytes ? reservedDatabase(opts.reserveBytes) : undefined;
    const db = new SQL.Database(reserve);
    if (reserve) releaseNow(reserve); // copied (Uint8Array#slice) into sql.js's file system
    initSchema(db, schema);
    return { db: make(db), rebuildReason };
  };
  if (!file) return fresh(null);
  if (!readOnly) {
    await removeStaleTmpFiles(file);
    await removeStaleTmpFiles(journalPathFor(file));
  }
  const { bytes, journal } = await readBoth(file);
  const generation = bytes ? fileGeneration(bytes) : 0;
  const usable = bytes !== null && journal !== null && journal.generation === generation;
  if (!readOnly && journal && !usable) {
    await unlink(journalPathFor(file)).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
  }
  if (!bytes) return fresh('the index file does not exist yet');
  let db: Database;
  try {
    // No copy: sql.js's file system keeps this Buffer as the file's contents (Buffer#slice is a view).
    db = new SQL.Database(bytes);
    const rows = db.exec(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const version = rows[0]?.values[0]?.[0];
    if (String(version) !== String(INDEX_SCHEMA_VERSION)) {
      db.close();
      return fresh(
        `the index has schema version ${String(version)}, this LunaRoute uses ${INDEX_SCHEMA_VERSION}`,
      );
    }
  } catch (err) {
    return fresh(`the index file is unreadable (${(err as Error).message})`);
  }
  const batches = usable ? journal.batches : [];
  // A partition written before its session totals were kept by triggers gets them now, before its journal
  // (whose batches no longer recount) is replayed. A no-op on a file that has them.
  let upgraded: boolean;
  try {
    upgraded = schema === SCHEMA_SQL && addTotalsTriggers(db);
    replay(db, batches);
  } catch (err) {
    db.close();
    return fresh(`the index journal does not apply to the index file (${(err as Error).message})`);
  }
  return {
    db: make(db, { generation, bytes: bytes.length }, batches.length > 0 || upgraded),
    rebuildReason: null,
  };
}
