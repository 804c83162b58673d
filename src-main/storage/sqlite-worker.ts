// Worker body that owns the sql.js database: the whole DB lives in this thread's WASM memory, so exports (~5 ms
// per MB) and big queries never run on the proxy's event loop. It answers one request at a time, in order, so a
// save (export) can never land inside a `run` batch's transaction. Self-contained on purpose (only node:
// imports; sql.js by absolute path from workerData): see worker-entry.ts.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { BindParams, Database, SqlJsStatic, SqlValue, Statement } from 'sql.js';

export interface SqliteWorkerData {
  sqlJsPath: string;
  wasmBinary: Uint8Array;
  /** Run after opening and after every export (sql.js closes and reopens the connection to export). */
  connectionSql: string | null;
}

export type SqliteRequest =
  | { id: number; op: 'open'; file: string | null }
  | { id: number; op: 'exec'; sql: string; params: BindParams | undefined }
  | { id: number; op: 'run'; statements: Array<{ sql: string; params?: BindParams }> }
  | { id: number; op: 'query'; sql: string; params: BindParams | undefined }
  | { id: number; op: 'export' }
  | { id: number; op: 'close' };

export type OpenResult = { state: 'created' | 'opened' } | { state: 'corrupt'; reason: string };

export type SqliteResponse =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; message: string; code: string };

type Row = Record<string, SqlValue>;

const data = workerData as SqliteWorkerData;
let SQL: SqlJsStatic | undefined;
let db: Database | undefined;

const TX_CONTROL = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

async function sql(): Promise<SqlJsStatic> {
  if (!SQL) {
    const init = createRequire(import.meta.url)(data.sqlJsPath) as (cfg: object) => Promise<SqlJsStatic>;
    const bin = data.wasmBinary;
    SQL = await init({ wasmBinary: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) });
  }
  return SQL;
}

function need(): Database {
  if (!db) throw Object.assign(new Error('index is not open'), { code: 'INDEX_CLOSED' });
  return db;
}

async function open(file: string | null): Promise<OpenResult> {
  const S = await sql();
  db?.close();
  db = undefined;
  if (file === null || !existsSync(file)) {
    db = new S.Database();
    if (data.connectionSql) db.exec(data.connectionSql);
    return { state: 'created' };
  }
  const bytes = readFileSync(file);
  const candidate = new S.Database(bytes);
  try {
    // A non-SQLite or damaged file only fails on first use: check it now.
    const res = candidate.exec('PRAGMA quick_check');
    const verdict = res[0]?.values[0]?.[0];
    if (verdict !== 'ok') throw new Error(`quick_check: ${String(verdict)}`);
    if (data.connectionSql) candidate.exec(data.connectionSql);
  } catch (err) {
    candidate.close();
    return { state: 'corrupt', reason: err instanceof Error ? err.message : String(err) };
  }
  db = candidate;
  return { state: bytes.length === 0 ? 'created' : 'opened' };
}

function exec(text: string, params: BindParams | undefined): void {
  if (TX_CONTROL.test(text)) {
    throw Object.assign(
      new Error('transaction statements are not allowed in exec(): use run([...]) for a batch'),
      {
        code: 'INDEX_TX_FORBIDDEN',
      },
    );
  }
  const d = need();
  if (params === undefined) d.exec(text);
  else d.run(text, params);
}

function runBatch(statements: Array<{ sql: string; params?: BindParams }>): { changes: number } {
  const d = need();
  const prepared = new Map<string, Statement>();
  let changes = 0;
  d.exec('BEGIN');
  try {
    for (const s of statements) {
      if (TX_CONTROL.test(s.sql)) throw new Error('run(): the batch is already one transaction');
      let stmt = prepared.get(s.sql);
      if (!stmt) {
        stmt = d.prepare(s.sql);
        prepared.set(s.sql, stmt);
      }
      stmt.run(s.params ?? null);
      changes += d.getRowsModified();
    }
    for (const st of prepared.values()) st.free();
    prepared.clear();
    d.exec('COMMIT');
    return { changes };
  } catch (err) {
    for (const st of prepared.values()) st.free();
    d.exec('ROLLBACK');
    throw err;
  }
}

function query(text: string, params: BindParams | undefined): Row[] {
  const stmt = need().prepare(text);
  try {
    if (params !== undefined) stmt.bind(params);
    const rows: Row[] = [];
    while (stmt.step()) rows.push(stmt.getAsObject());
    return rows;
  } finally {
    stmt.free();
  }
}

function exportDb(): Uint8Array {
  const d = need();
  const bytes = d.export();
  if (data.connectionSql) d.exec(data.connectionSql);
  return bytes;
}

async function handle(req: SqliteRequest): Promise<{ result: unknown; transfer?: ArrayBuffer[] }> {
  switch (req.op) {
    case 'open':
      return { result: await open(req.file) };
    case 'exec':
      exec(req.sql, req.params);
      return { result: null };
    case 'run':
      return { result: runBatch(req.statements) };
    case 'query':
      return { result: query(req.sql, req.params) };
    case 'export': {
      const bytes = exportDb();
      return { result: bytes, transfer: [bytes.buffer as ArrayBuffer] };
    }
    case 'close':
      db?.close();
      db = undefined;
      return { result: null };
  }
}

// Strictly one request at a time, in arrival order.
let queue: Promise<void> = Promise.resolve();
parentPort?.on('message', (req: SqliteRequest) => {
  queue = queue.then(async () => {
    let res: SqliteResponse;
    let transfer: ArrayBuffer[] | undefined;
    try {
      const out = await handle(req);
      res = { id: req.id, ok: true, result: out.result };
      transfer = out.transfer;
    } catch (err) {
      const e = err as { message?: unknown; code?: unknown };
      res = {
        id: req.id,
        ok: false,
        message: String(e.message ?? err),
        code: typeof e.code === 'string' ? e.code : 'SQLITE_ERROR',
      };
    }
    parentPort?.postMessage(res, transfer ?? []);
  });
});
