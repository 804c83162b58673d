// Index statements from the write path, committed in batches: at most one batch every `intervalMs`, one
// transaction each, in order. A failed batch is counted and reported, and never stops the next one.
import type { IndexDb, Stmt } from '../index/types.js';

export class IndexQueue {
  private batch: Stmt[] = [];
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

  /** Commit what is queued; resolves when it (and every earlier batch) is done. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.batch;
    this.batch = [];
    if (batch.length > 0) {
      this.chain = this.chain.then(() =>
        this.index.run(batch).catch((err: Error) => this.onError(err, batch.length)),
      );
    }
    return this.chain;
  }
}
