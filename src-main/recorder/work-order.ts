// The order of the recorder's asynchronous work across sessions. Every piece of work is tracked so shutdown can
// wait for it; the writing of a response that ended is also an "ending": a request recorded after it waits for
// it first, because a response may need asynchronous work (decoding a gzip body) and the next request of its
// session — carrying the result of a tool the response asked for — must see its tool calls.
export class WorkOrder {
  private readonly inProgress = new Set<Promise<void>>();
  private readonly ending = new Set<Promise<void>>();

  /** Track async recording work so `settle()` can wait for it. */
  track(p: Promise<unknown>): Promise<void> {
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.inProgress.add(done);
    void done.then(() => this.inProgress.delete(done));
    return done;
  }

  /** Track the writing of a response that ended: requests recorded from now on wait for it. */
  ended(p: Promise<unknown>): void {
    const done = this.track(p);
    this.ending.add(done);
    void done.then(() => this.ending.delete(done));
  }

  /** What a request recorded now must wait for. */
  endingNow(): Promise<void>[] {
    return [...this.ending];
  }

  /** Resolves when all tracked work (including work started meanwhile) is done. */
  async settle(): Promise<void> {
    while (this.inProgress.size > 0) await Promise.all([...this.inProgress]);
  }
}
