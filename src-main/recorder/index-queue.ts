// Index statements from the write path, committed in batches: at most one batch every `intervalMs`, one
// transaction each, in order. A failed batch is counted and reported, and never stops the next one. A batch
// writes what running every statement in order would, with fewer statements (each one's sql.js call, row write,
// index entries and dirty-mark triggers cost CPU on every request):
// - kept once and run at its end: a file's progress, and a session's last activity (a MAX; a response's
//   statement for its session, indexer.ts sessionTotals, sets it too: the two fold into one);
// - merged: a request's row with its response's columns (ROW_SQL.merged), its full-text row with its response's
//   text (FTS_SQL.both), a session's redaction counts per detector (a sum), a limit window's newest values.
import { FTS_SQL, sessionTotals } from '../index/indexer.js';
import {
  LAST_AT_SQL,
  LIMIT_SQL,
  mergeableRequest,
  mergedRow,
  REDACTION_SQL,
  responseRowId,
  ROW_SQL,
  SESSION_SQL,
} from '../index/row-sql.js';
import type { IndexDb, Stmt } from '../index/types.js';

const TOTALS_SQL = sessionTotals('', 0).sql;

/**
 * The recorder's interval between index batches. The index is derived from the JSONL (written every 100 ms, and
 * what a crash can lose): a batch only needs to be committed before a query reads the index, and every query
 * flushes the queue first. Each commit costs SQLite's page writes and a full-text segment whatever its size, so
 * 1 s rather than 250 ms took ~10 % off the recorder's CPU for a 1 KB request (bench README, stop 8).
 */
export const INDEX_BATCH_MS = 1_000;
/** Statements queued that commit the batch at once (a burst must not hold a second's worth of a flood). */
export const INDEX_BATCH_MAX_STATEMENTS = 4_000;

export class IndexQueue {
  private batch: Stmt[] = [];
  /** Per file, the latest progress statement: only the last one of a batch matters. */
  private readonly progressByFile = new Map<string, Stmt>();
  /** Per session, its response statement (sessionTotals; params: session id, the latest `at`). */
  private readonly totalsBySession = new Map<string, Stmt>();
  /** Per session, the latest `at` its request lines set as its last activity (run at the end of the batch). */
  private readonly lastAtBySession = new Map<string, number>();
  /** Per request id, where its prompt's full-text statement is in `batch`. */
  private readonly promptAt = new Map<string, number>();
  /** Per request id, where its row's insert is in `batch` (when a response may be merged into it). */
  private readonly requestAt = new Map<string, number>();
  /** Per session and detector (`id\ndetector`), where its redaction count statement is in `batch`. */
  private readonly redactionAt = new Map<string, number>();
  /** Per provider and window (`provider\nwindow`), where its limit statement is in `batch`. */
  private readonly limitAt = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: IndexDb,
    private readonly intervalMs: number,
    private readonly onError: (err: Error, statements: number) => void,
  ) {}

  push(stmts: readonly Stmt[]): void {
    if (stmts.length === 0) return;
    for (const st of stmts) {
      switch (st.sql) {
        case TOTALS_SQL: {
          const id = String(st.params[0]);
          const prev = this.totalsBySession.get(id);
          if (!prev || Number(st.params[1]) >= Number(prev.params[1])) this.totalsBySession.set(id, st);
          break;
        }
        case LAST_AT_SQL:
          if (!this.foldLastAt(st)) this.batch.push(st);
          break;
        case SESSION_SQL:
          // Its last activity must not be set before its row exists: what came before the insert runs before it.
          this.placeLastAt(String(st.params[0]));
          this.batch.push(st);
          break;
        case ROW_SQL.request: {
          const id = mergeableRequest(st);
          if (id !== null) this.requestAt.set(id, this.batch.length);
          this.batch.push(st);
          break;
        }
        case ROW_SQL.response: {
          const id = responseRowId(st);
          const at = this.requestAt.get(id);
          if (at === undefined) this.batch.push(st);
          else {
            this.batch[at] = mergedRow(this.batch[at]!, st);
            this.requestAt.delete(id);
          }
          break;
        }
        case REDACTION_SQL:
          if (!this.foldRedaction(st)) this.batch.push(st);
          break;
        case LIMIT_SQL:
          if (!this.foldLimit(st)) this.batch.push(st);
          break;
        default:
          if (!this.foldText(st)) this.batch.push(st);
      }
    }
    if (this.batch.length >= INDEX_BATCH_MAX_STATEMENTS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /**
   * A response's full-text statements whose request's prompt row is in this batch: its text joins the prompt's
   * insert (true: dropped). The same row results: the prompt, then the response text, when the request row exists.
   */
  private foldText(st: Stmt): boolean {
    if (st.sql === FTS_SQL.prompt) {
      this.promptAt.set(String(st.params[1]), this.batch.length);
      return false;
    }
    if (st.sql !== FTS_SQL.response && st.sql !== FTS_SQL.responseNew) return false;
    const at = this.promptAt.get(String(st.params[1]));
    if (at === undefined) return false;
    if (st.sql === FTS_SQL.response) {
      const prompt = this.batch[at]!;
      this.batch[at] = { sql: FTS_SQL.both, params: [prompt.params[0]!, st.params[0]!, st.params[1]!] };
    }
    return true;
  }

  /**
   * `last_at = MAX(last_at, at)` commutes with every other statement of a batch (none reads it), so only the
   * largest `at` per session is kept, for the end of the batch (true: dropped). A value MAX would not take as a
   * number (NULL makes the row's NOT NULL column fail) runs where it is.
   */
  private foldLastAt(st: Stmt): boolean {
    const at = st.params[0];
    if (typeof at !== 'number' || !Number.isFinite(at)) return false;
    const id = String(st.params[1]);
    const prev = this.lastAtBySession.get(id);
    this.lastAtBySession.set(id, prev === undefined ? at : Math.max(prev, at));
    return true;
  }

  /** A session's pending last activity, into the batch now (before its row is inserted). */
  private placeLastAt(id: string): void {
    const at = this.lastAtBySession.get(id);
    if (at === undefined) return;
    this.lastAtBySession.delete(id);
    this.batch.push({ sql: LAST_AT_SQL, params: [at, id] });
  }

  /** Counts added to one session's detector: one statement with their sum, where the first was (true: dropped). */
  private foldRedaction(st: Stmt): boolean {
    const key = `${String(st.params[0])}\n${String(st.params[1])}`;
    const n = st.params[2];
    const at = this.redactionAt.get(key);
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      this.redactionAt.delete(key);
      return false;
    }
    const prev = at === undefined ? undefined : this.batch[at]!.params[2];
    if (at === undefined || typeof prev !== 'number') {
      this.redactionAt.set(key, this.batch.length);
      return false;
    }
    this.batch[at] = { sql: st.sql, params: [st.params[0]!, st.params[1]!, prev + n] };
    return true;
  }

  /**
   * A limit window's values are replaced by newer-or-equal ones only (`seen_at`): of one batch's, the last of
   * the newest is what the statements leave, so it alone runs, where the first was (true: dropped).
   */
  private foldLimit(st: Stmt): boolean {
    const key = `${String(st.params[0])}\n${String(st.params[1])}`;
    const seen = st.params[4];
    const at = this.limitAt.get(key);
    if (typeof seen !== 'number' || Number.isNaN(seen)) {
      this.limitAt.delete(key);
      return false;
    }
    if (at === undefined) {
      this.limitAt.set(key, this.batch.length);
      return false;
    }
    if (seen >= (this.batch[at]!.params[4] as number)) this.batch[at] = st;
    return true;
  }

  /** A statement that records how far a file is indexed; the latest per file (its first param) wins. */
  progress(stmt: Stmt): void {
    this.progressByFile.set(String(stmt.params[0]), stmt);
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  /** Commit what is queued; resolves when it (and every earlier batch) is done. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.batch;
    this.batch = [];
    this.promptAt.clear();
    this.requestAt.clear();
    this.redactionAt.clear();
    this.limitAt.clear();
    for (const [id, at] of this.lastAtBySession) {
      const totals = this.totalsBySession.get(id);
      // The session statement sets last_at = MAX(last_at, its at): the larger of the two does both.
      if (totals && typeof totals.params[1] === 'number')
        this.totalsBySession.set(id, { sql: TOTALS_SQL, params: [id, Math.max(totals.params[1], at)] });
      else batch.push({ sql: LAST_AT_SQL, params: [at, id] });
    }
    this.lastAtBySession.clear();
    for (const st of this.totalsBySession.values()) batch.push(st);
    this.totalsBySession.clear();
    for (const st of this.progressByFile.values()) batch.push(st);
    this.progressByFile.clear();
    if (batch.length > 0) {
      this.chain = this.chain.then(() =>
        this.index.run(batch).catch((err: Error) => this.onError(err, batch.length)),
      );
    }
    return this.chain;
  }
}
