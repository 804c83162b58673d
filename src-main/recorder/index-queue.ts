// Index statements from the write path, committed in batches: at most one batch every `intervalMs`, one
// transaction each, in order. A failed batch is counted and reported, and never stops the next one.
import type { IndexDb, Stmt } from '../index/types.js';

export class IndexQueue {
  private batch: Stmt[] = [];
  /** Per file, the latest progress statement: only the last one of a batch matters. */
  private readonly progressByFile = new Map<string, Stmt>();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: IndexDb,
    private readonly intervalMs: number,
    private readonly onError: (err: Error, statements: number) => void,
  ) {}

  push(stmts: readonly Stmt[]): void {
    if (stmts.length === 0) return;
    for (const st of stmts) this.batch.push(st);
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
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
