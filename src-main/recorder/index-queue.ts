// Index statements from the write path, committed in batches: at most one batch every `intervalMs`, one
// transaction each, in order. A failed batch is counted and reported, and never stops the next one. Statements
// whose last one alone matters are kept once per batch and run at its end: a file's progress, and a session's
// totals (recomputed from its request rows, so one recount after the batch's rows equals one after each). A
// request's full-text row and its response's text, when both are in one batch, are written once (FTS_SQL.both).
import { FTS_SQL, sessionTotals } from '../index/indexer.js';
import type { IndexDb, Stmt } from '../index/types.js';

const TOTALS_SQL = sessionTotals('', 0).sql;

export class IndexQueue {
  private batch: Stmt[] = [];
  /** Per file, the latest progress statement: only the last one of a batch matters. */
  private readonly progressByFile = new Map<string, Stmt>();
  /** Per session, its totals recount (params: session id, the latest `at`). */
  private readonly totalsBySession = new Map<string, Stmt>();
  /** Per request id, where its prompt's full-text statement is in `batch`. */
  private readonly promptAt = new Map<string, number>();
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
      if (st.sql === TOTALS_SQL) {
        const id = String(st.params[0]);
        const prev = this.totalsBySession.get(id);
        if (!prev || Number(st.params[1]) >= Number(prev.params[1])) this.totalsBySession.set(id, st);
      } else if (!this.foldText(st)) this.batch.push(st);
    }
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
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
