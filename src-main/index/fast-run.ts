// Running a prepared write statement with its parameters, without sql.js's binding. sql.js binds each string
// through JavaScript loops (a UTF-8 length pass, a malloc, a byte-by-byte copy into the WebAssembly heap, a
// second length pass) and resets the statement twice per run; on the recorder's index path that was as much CPU
// as SQLite's own work. Here all of a statement's strings are encoded at once with TextEncoder into one scratch
// buffer, copied into the heap in one call, and bound in place; then one step and one reset.
//
// It uses sql.js's exported C API (`_sqlite3_bind_text`, …) and finds a Statement's pointer by asking SQLite
// for its SQL text: if this sql.js does not expose what is needed, or a value is not a plain string, number or
// null, the statement runs through sql.js's own `run` (same result, same errors).
import type { Database, SqlJsStatic, Statement } from 'sql.js';
import type { SqlValue } from './types.js';

/** The parts of the sql.js module object used here (exported by its build, absent from its typings). */
interface CApi {
  _sqlite3_bind_text(stmt: number, pos: number, ptr: number, bytes: number, destructor: number): number;
  _sqlite3_bind_int(stmt: number, pos: number, v: number): number;
  _sqlite3_bind_double(stmt: number, pos: number, v: number): number;
  _sqlite3_bind_blob(stmt: number, pos: number, ptr: number, bytes: number, destructor: number): number;
  _sqlite3_step(stmt: number): number;
  _sqlite3_reset(stmt: number): number;
  _sqlite3_clear_bindings(stmt: number): number;
  _sqlite3_sql(stmt: number): number;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  UTF8ToString(ptr: number): string;
  writeArrayToMemory(bytes: Uint8Array, ptr: number): void;
}

const SQLITE_ROW = 100;
const SQLITE_DONE = 101;
/** A statement whose strings need more heap than this runs through sql.js (the scratch buffers stay small). */
export const FAST_RUN_MAX_BYTES = 512 * 1024;
const NEEDED = [
  '_sqlite3_bind_text',
  '_sqlite3_bind_int',
  '_sqlite3_bind_double',
  '_sqlite3_bind_blob',
  '_sqlite3_step',
  '_sqlite3_reset',
  '_sqlite3_clear_bindings',
  '_sqlite3_sql',
  '_malloc',
  '_free',
  'UTF8ToString',
  'writeArrayToMemory',
] as const;

let api: CApi | null = null;
let module: SqlJsStatic | null = null;
const encoder = new TextEncoder();
/** Encoded strings of the statement being bound (JavaScript side), then copied into `heapAt`. */
let scratch = new Uint8Array(16 * 1024);
let heapAt = 0;
let heapBytes = 0;
/** The name of a Statement's pointer field, once known. */
let pointerKey: string | undefined;
/** Each statement's pointer, or null where it could not be found (sql.js's `run` is used for it). */
const pointers = new WeakMap<Statement, number | null>();
/** Per bound string: its offset and byte length in `scratch` (reused). */
let spans = new Int32Array(64);
/** Statements run here and through sql.js since start (tests read them). */
export const fastRunCounts = { fast: 0, fallback: 0 };

/** Called once the sql.js module is loaded: use its C API when it has all of it. */
export function adoptSqlModule(sql: SqlJsStatic): void {
  const m = sql as unknown as Record<string, unknown>;
  api = NEEDED.every((k) => typeof m[k] === 'function') ? (sql as unknown as CApi) : null;
  module = api ? sql : null;
}

/**
 * The statement's SQLite pointer: its first field (`stmt`; minified builds rename it), checked once per statement
 * by reading back the SQL it was prepared from, and read again on every call: sql.js sets it to 0 when the
 * statement is freed, and sql.js's own `run` then throws "Statement closed" (which IndexStore handles).
 */
function pointerOf(st: Statement, sql: string, c: CApi): number | null {
  const fields = st as unknown as Record<string, unknown>;
  pointerKey ??= Object.keys(fields)[0] ?? '';
  const p = fields[pointerKey];
  const known = pointers.get(st);
  if (known !== undefined) return known !== null && p === known ? known : null;
  let ok = false;
  // A statement of another sql.js instance (another heap) is never run with this one's functions.
  const db = (st as unknown as { db?: unknown }).db;
  // Its other number field is the next bind position (1 at rest); a pointer is never that small.
  if (module && db instanceof module.Database && typeof p === 'number' && Number.isInteger(p) && p > 1024) {
    const at = c._sqlite3_sql(p);
    ok = at !== 0 && c.UTF8ToString(at) === sql;
  }
  pointers.set(st, ok ? (p as number) : null);
  return ok ? (p as number) : null;
}

/** Bind `params` to positions 1…n of `st` (prepared from `sql`), step it once, and reset it. Throws SQLite's error. */
export function runStatement(st: Statement, sql: string, params: readonly SqlValue[]): void {
  const c = api;
  const ptr = c ? pointerOf(st, sql, c) : null;
  if (!c || ptr === null || !bindAll(c, ptr, params)) {
    fastRunCounts.fallback++;
    st.run(params as SqlValue[]);
    return;
  }
  fastRunCounts.fast++;
  const rc = c._sqlite3_step(ptr);
  try {
    if (rc !== SQLITE_DONE && rc !== SQLITE_ROW) fail(st, rc);
  } finally {
    c._sqlite3_reset(ptr);
    // No binding may point into the scratch heap after this call (it is reused and may be reallocated).
    c._sqlite3_clear_bindings(ptr);
  }
}

function fail(st: Statement, rc: number): never {
  // sql.js's Database reads SQLite's message for the code and throws it as an Error (as its own `run` would).
  (st as unknown as { db: Database & { handleError(rc: number): void } }).db.handleError(rc);
  throw new Error(`SQLite error ${rc}`);
}

/** False (nothing bound) when a value is not one this path binds, or the strings are too large for it. */
function bindAll(c: CApi, ptr: number, params: readonly SqlValue[]): boolean {
  let need = 0;
  for (const v of params) {
    if (typeof v === 'string') need += v.length * 3;
    else if (v !== null && typeof v !== 'number') return false;
  }
  if (need > FAST_RUN_MAX_BYTES) return false;
  if (need > scratch.length) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
  if (spans.length < params.length * 2) spans = new Int32Array(params.length * 4);
  let used = 0;
  for (let i = 0; i < params.length; i++) {
    const v = params[i];
    if (typeof v !== 'string') continue;
    const written = encoder.encodeInto(v, scratch.subarray(used)).written;
    spans[2 * i] = used;
    spans[2 * i + 1] = written;
    used += written;
  }
  if (used > heapBytes || heapAt === 0) {
    if (heapAt !== 0) c._free(heapAt);
    heapBytes = Math.max(used, 16 * 1024, Math.min(heapBytes * 2, FAST_RUN_MAX_BYTES));
    heapAt = c._malloc(heapBytes);
    if (heapAt === 0) {
      heapBytes = 0;
      return false;
    }
  }
  if (used > 0) c.writeArrayToMemory(scratch.subarray(0, used), heapAt);
  c._sqlite3_clear_bindings(ptr);
  for (let i = 0; i < params.length; i++) {
    const v = params[i]!;
    const pos = i + 1;
    let rc: number;
    // SQLITE_STATIC (0): SQLite reads the bytes in place; they stay until the reset and clear above/below.
    if (typeof v === 'string')
      rc = c._sqlite3_bind_text(ptr, pos, heapAt + spans[2 * i]!, spans[2 * i + 1]!, 0);
    else if (v === null) rc = c._sqlite3_bind_blob(ptr, pos, 0, 0, 0);
    else rc = v === (v | 0) ? c._sqlite3_bind_int(ptr, pos, v) : c._sqlite3_bind_double(ptr, pos, v);
    if (rc !== 0) {
      c._sqlite3_clear_bindings(ptr);
      return false;
    }
  }
  return true;
}
