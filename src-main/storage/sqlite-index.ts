// The session index: a sql.js (SQLite in WASM) database owned by a worker thread (sqlite-worker.ts), so exports
// and big queries never block the proxy. Schema-agnostic: exec/run/query with bound parameters. Saving is
// debounced (at most once per `saveIntervalMs` while dirty) and atomic (tmp + fsync + rename, 0600), and runs
// between requests, never inside a `run` batch's transaction. A file that is not a valid database is moved aside
// and replaced by an empty one, and `openInfo` says so: the index is derived data, rebuilt from the JSONL files.
// sql.js has FTS3/FTS4 but not FTS5; after each save sql.js reopens the connection (`connectionSql` re-runs).
import { readFile, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BindParams, SqlValue } from 'sql.js';
import { ensurePrivateDir, removeStaleTmpFiles, writeFileAtomic } from './fsutil.js';
import { realTimers } from './timers.js';
import type { TimerApi } from './timers.js';
import type { OpenResult, SqliteRequest, SqliteResponse, SqliteWorkerData } from './sqlite-worker.js';
import { resolveWorkerUrl } from './worker-entry.js';

export type { BindParams, SqlValue };
export type Row = Record<string, SqlValue>;

export const DEFAULT_SAVE_INTERVAL_MS = 3000;

export interface SqliteIndexOptions {
  /** Database file; null for a purely in-memory index that is never saved. */
  file: string | null;
  /** sql-wasm.wasm location (default: resolved from the sql.js package; the packaged app passes its own). */
  wasmPath?: string;
  /** sql-wasm.js location (default: resolved from the sql.js package). */
  sqlJsPath?: string;
  /** Save at most this often while there are unsaved changes. */
  saveIntervalMs?: number;
  /** SQL run after opening and after every save (PRAGMAs: sql.js reopens the connection when it exports). */
  connectionSql?: string;
  /** What to do with a file that is not a valid database: move it aside and start empty (default), or throw. */
  onCorrupt?: 'recreate' | 'fail';
  /** Background (debounced) save failures and a dying worker. */
  onError?: (err: Error) => void;
  timers?: TimerApi;
}

export interface IndexOpenInfo {
  /** `recreated`: the file was not a valid database; it was renamed to `corruptBackup` and an empty DB opened. */
  state: 'created' | 'opened' | 'recreated';
  corruptBackup?: string;
  reason?: string;
}

export interface IndexStats {
  dirty: boolean;
  saves: number;
  lastSaveMs: number | null;
  lastSaveBytes: number | null;
  saveErrors: number;
}

export class IndexError extends Error {
  override readonly name = 'IndexError';
  constructor(
    message: string,
    /** `INDEX_CORRUPT`, `INDEX_CLOSED`, `INDEX_TX_FORBIDDEN`, `INDEX_WORKER_DIED`, or `SQLITE_ERROR`. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

export class SqliteIndex {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dirty = false;
  private saveTimer: unknown;
  private saving: Promise<void> | undefined;
  private closed = false;
  private dead: Error | undefined;
  private readonly st: IndexStats = {
    dirty: false,
    saves: 0,
    lastSaveMs: null,
    lastSaveBytes: null,
    saveErrors: 0,
  };
  openInfo: IndexOpenInfo = { state: 'created' };

  private constructor(
    private readonly worker: Worker,
    private readonly file: string | null,
    private readonly saveIntervalMs: number,
    private readonly timers: TimerApi,
    private readonly onError: ((err: Error) => void) | undefined,
  ) {
    worker.on('message', (res: SqliteResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.result);
      else p.reject(new IndexError(res.message, res.code));
    });
    const die = (err: Error): void => {
      if (this.dead) return;
      this.dead = new IndexError(`index worker stopped: ${err.message}`, 'INDEX_WORKER_DIED', { cause: err });
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
      if (!this.closed) this.report(this.dead);
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`exit code ${code}`)));
  }

  static async open(options: SqliteIndexOptions): Promise<SqliteIndex> {
    const req = createRequire(import.meta.url);
    const wasmPath = options.wasmPath ?? req.resolve('sql.js/dist/sql-wasm.wasm');
    const sqlJsPath = options.sqlJsPath ?? req.resolve('sql.js/dist/sql-wasm.js');
    const saveIntervalMs = options.saveIntervalMs ?? DEFAULT_SAVE_INTERVAL_MS;
    if (!Number.isFinite(saveIntervalMs) || saveIntervalMs < 0) {
      throw new Error(`SqliteIndex: saveIntervalMs must be a number ≥ 0 (got ${saveIntervalMs})`);
    }
    const file = options.file === null ? null : path.resolve(options.file);
    if (file) {
      await ensurePrivateDir(path.dirname(file));
      await removeStaleTmpFiles(file); // leftovers of a save interrupted by a crash
    }
    const wasmBinary = new Uint8Array(await readFile(wasmPath));
    const workerData: SqliteWorkerData = {
      sqlJsPath,
      wasmBinary,
      connectionSql: options.connectionSql ?? null,
    };
    const worker = new Worker(await resolveWorkerUrl(import.meta.url, 'sqlite-worker'), { workerData });
    const index = new SqliteIndex(
      worker,
      file,
      saveIntervalMs,
      options.timers ?? realTimers,
      options.onError,
    );
    try {
      const res = (await index.call({ op: 'open', file })) as OpenResult;
      if (res.state !== 'corrupt') {
        index.openInfo = { state: res.state };
      } else {
        if (options.onCorrupt === 'fail') {
          throw new IndexError(`${file} is not a valid SQLite database (${res.reason})`, 'INDEX_CORRUPT');
        }
        const backup = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        await rename(file!, backup);
        await index.call({ op: 'open', file: null });
        index.openInfo = { state: 'recreated', corruptBackup: backup, reason: res.reason };
        index.markDirty();
      }
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return index;
  }

  /** Run SQL without results: DDL, or one statement with bound parameters. Transaction statements are refused. */
  async exec(sql: string, params?: BindParams): Promise<void> {
    await this.call({ op: 'exec', sql, params });
    this.markDirty();
  }

  /** Run statements as ONE transaction (all or nothing). Returns the number of rows changed. */
  async run(statements: Array<{ sql: string; params?: BindParams }>): Promise<{ changes: number }> {
    if (statements.length === 0) return { changes: 0 };
    const res = (await this.call({ op: 'run', statements })) as { changes: number };
    this.markDirty();
    return res;
  }

  /**
   * Rows as objects. Read-only by contract (writes through query() are not marked for saving). Results cross a
   * thread boundary by structured clone: paginate big lists.
   */
  async query<T extends Row = Row>(sql: string, params?: BindParams): Promise<T[]> {
    return (await this.call({ op: 'query', sql, params })) as T[];
  }

  /** Save now if there are unsaved changes (waits for a save in progress). Resolves when the file is durable. */
  async save(): Promise<void> {
    if (this.saveTimer !== undefined) {
      this.timers.clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    while (this.saving) await this.saving;
    if (!this.dirty || this.file === null || this.dead) return;
    this.saving = this.doSave().finally(() => (this.saving = undefined));
    return this.saving;
  }

  /** Save if dirty, then stop the worker. Later calls reject with INDEX_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.save();
    } finally {
      this.closed = true;
      if (!this.dead) await this.call({ op: 'close' }, true).catch(() => undefined);
      await this.worker.terminate();
    }
  }

  stats(): IndexStats {
    return { ...this.st, dirty: this.dirty };
  }

  private async doSave(): Promise<void> {
    this.dirty = false; // changes made while exporting/writing mark it dirty again
    const t0 = performance.now();
    try {
      const bytes = (await this.call({ op: 'export' })) as Uint8Array;
      await writeFileAtomic(this.file!, bytes);
      this.st.saves++;
      this.st.lastSaveMs = performance.now() - t0;
      this.st.lastSaveBytes = bytes.length;
    } catch (err) {
      this.dirty = true;
      this.st.saveErrors++;
      throw err;
    }
  }

  private markDirty(): void {
    this.dirty = true;
    if (this.file === null || this.closed || this.saveTimer !== undefined) return;
    this.saveTimer = this.timers.setTimeout(() => {
      this.saveTimer = undefined;
      this.save().catch((err: unknown) => {
        this.report(err instanceof Error ? err : new Error(String(err)));
        if (!this.closed && !this.dead) this.markDirty(); // try again next interval
      });
    }, this.saveIntervalMs);
  }

  private call(req: DistributiveOmit<SqliteRequest, 'id'>, internal = false): Promise<unknown> {
    if (this.closed && !internal) return Promise.reject(new IndexError('index is closed', 'INDEX_CLOSED'));
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  private report(err: Error): void {
    try {
      this.onError?.(err);
    } catch {
      // never let a callback break the index
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
