// The sql.js index as the recorder worker holds it: the whole database lives in WASM memory, so saving means
// exporting it and writing the file atomically (tmp + fsync + rename, 0600). Saves are debounced (at most every
// `saveIntervalMs` while dirty) and never happen inside a transaction. It runs inside the recorder worker, so an
// export (~5 ms per MB) never blocks the proxy. A file that does not open is reported as corrupt so the caller
// rebuilds it from the JSONL.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic, type Statement } from 'sql.js';
import { writeFileAtomic, removeStaleTmpFiles } from '../storage/fsutil.js';
import { INDEX_SCHEMA_VERSION, SCHEMA_SQL } from './schema.js';
import type { IndexDb, SqlValue, Stmt } from './types.js';

let sqlJs: Promise<SqlJsStatic> | null = null;

/** Where sql-wasm.wasm lives: next to the sql.js package by default; the packaged app may pass its own. */
export function defaultWasmPath(): string {
  return createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
}

function loadSqlJs(wasmPath: string): Promise<SqlJsStatic> {
  sqlJs ??= initSqlJs({ wasmBinary: fs.readFileSync(wasmPath) as unknown as ArrayBuffer });
  return sqlJs;
}

export interface OpenIndexResult {
  db: IndexStore;
  /** Why the index must be rebuilt from the JSONL (missing, corrupt, old schema), or null when it is current. */
  rebuildReason: string | null;
}

export class IndexStore implements IndexDb {
  private dirty = false;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  saves = 0;
  lastSaveMs = 0;
  /** The write path's statements, prepared once (sql.js frees them all on export, so saves clear this). */
  private readonly prepared = new Map<string, Statement>();

  constructor(
    readonly db: Database,
    readonly file: string | null,
    private readonly saveIntervalMs: number,
    private readonly onError: (err: Error) => void = () => {},
    /** Never written back (the CLI reading while a server owns the file). */
    readonly readOnly = false,
  ) {}

  async run(stmts: Stmt[]): Promise<void> {
    this.runSync(stmts);
  }

  /** All statements in one transaction; on any error the whole batch is rolled back and the error thrown. */
  runSync(stmts: Stmt[]): void {
    if (this.closed) throw new Error('index is closed');
    this.db.exec('BEGIN');
    try {
      for (const s of stmts) this.statement(s.sql).run(s.params);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      this.forgetStatements();
      throw err;
    }
    this.markDirty();
  }

  private statement(sql: string): Statement {
    let st = this.prepared.get(sql);
    if (!st) {
      if (this.prepared.size >= 256) this.forgetStatements();
      st = this.db.prepare(sql);
      this.prepared.set(sql, st);
    }
    return st;
  }

  private forgetStatements(): void {
    for (const st of this.prepared.values()) st.free();
    this.prepared.clear();
  }

  async query<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.querySync<T>(sql, params);
  }

  querySync<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): T[] {
    const st = this.db.prepare(sql);
    try {
      st.bind(params);
      const rows: T[] = [];
      while (st.step()) rows.push(st.getAsObject() as T);
      return rows;
    } finally {
      st.free();
    }
  }

  markDirty(): void {
    this.dirty = true;
    if (this.file && !this.readOnly && !this.saveTimer && !this.closed) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = null;
        void this.save().catch(this.onError);
      }, this.saveIntervalMs);
      // A pending save must not keep a process alive; `close()` saves whatever is dirty.
      this.saveTimer.unref();
    }
  }

  /** Export and write atomically, if dirty. Saves never overlap. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty || !this.file || this.readOnly) return;
      this.dirty = false;
      const t0 = performance.now();
      this.forgetStatements();
      const data = this.db.export();
      try {
        await writeFileAtomic(this.file, data);
      } catch (err) {
        this.dirty = true;
        throw err;
      }
      this.saves++;
      this.lastSaveMs = performance.now() - t0;
    });
    return this.saving;
  }

  async close(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    await this.save();
    this.closed = true;
    this.forgetStatements();
    this.db.close();
  }
}

function initSchema(db: Database): void {
  db.exec(SCHEMA_SQL);
  db.run(`INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)`, [
    String(INDEX_SCHEMA_VERSION),
  ]);
}

/**
 * Open (or create) the index at `file` (null = in memory). A file that is missing, unreadable, corrupt or of
 * another schema version gives a fresh empty database and a `rebuildReason`.
 */
export async function openIndex(
  file: string | null,
  opts: {
    wasmPath?: string;
    saveIntervalMs?: number;
    onError?: (err: Error) => void;
    readOnly?: boolean;
  } = {},
): Promise<OpenIndexResult> {
  const SQL = await loadSqlJs(opts.wasmPath ?? defaultWasmPath());
  const make = (db: Database): IndexStore =>
    new IndexStore(db, file, opts.saveIntervalMs ?? 3_000, opts.onError);
  if (file) await removeStaleTmpFiles(file);
  let bytes: Buffer | null = null;
  if (file) {
    try {
      bytes = fs.readFileSync(file);
    } catch {
      bytes = null;
    }
  }
  if (!bytes) {
    const db = new SQL.Database();
    initSchema(db);
    return { db: make(db), rebuildReason: file ? 'the index file does not exist yet' : null };
  }
  try {
    const db = new SQL.Database(bytes);
    const rows = db.exec(`SELECT value FROM meta WHERE key = 'schema_version'`);
    const version = rows[0]?.values[0]?.[0];
    if (String(version) !== String(INDEX_SCHEMA_VERSION)) {
      db.close();
      const fresh = new SQL.Database();
      initSchema(fresh);
      return {
        db: make(fresh),
        rebuildReason: `the index has schema version ${String(version)}, this LunaRoute uses ${INDEX_SCHEMA_VERSION}`,
      };
    }
    return { db: make(db), rebuildReason: null };
  } catch (err) {
    const fresh = new SQL.Database();
    initSchema(fresh);
    return { db: make(fresh), rebuildReason: `the index file is unreadable (${(err as Error).message})` };
  }
}
