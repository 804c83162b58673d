// When the partitioned index (partitions.ts) brings its summary up to date after a write batch. A refresh
// re-aggregates every request row of each hour the batch touched and recounts each session touched, so with the
// recorder's batches (one every 250 ms then) it cost more than the batch itself in a busy hour. The summary is
// derived, so the recorder refreshes it at most every SUMMARY_REFRESH_MS: anything that reads the summary
// refreshes it first, and after a crash opening recomputes the open partition's rows anyway (nothing is lost by
// waiting). What the batches touched is taken from the partition's marks after each batch and kept here until
// the refresh.
// Everything else (tests, the CLI, reindex) refreshes after every batch, as before (interval 0).
import type { Prices } from '../analytics/prices.js';
import type { IndexStore } from './db.js';
import { dirtyStmts, wholePartitionStmts, type Dirty } from './summary.js';

/** The recorder's interval between summary refreshes while it writes. */
export const SUMMARY_REFRESH_MS = 10_000;

export class SummaryRefresh {
  private sessions = new Set<string>();
  private hours = new Set<number>();
  private files = new Set<string>();
  private behind = false;
  private at = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  /** Refreshes so far (by a batch, the timer or a reader): the roll-over test runs after each. */
  flushes = 0;
  private readonly now = (): number => this.o.now?.() ?? Date.now();

  constructor(
    private readonly o: {
      summaryRefreshMs?: number;
      now?: () => number;
      log?: (level: 'warn', message: string) => void;
    },
    /** Bring the summary up to date with what the batches since the last call touched. */
    private readonly refresh: (d: Dirty) => void,
  ) {
    // Opening computed the open partition's rows (and a bulk rebuild refreshes none): the interval starts now.
    this.at = this.now();
  }

  /**
   * A batch touched `d` on the open partition: refresh now if the interval has passed (true), or arm the timer.
   * The caller's roll-over test reads the summary, so it runs only after a refresh (at most one interval late).
   */
  changed(d: Dirty): boolean {
    for (const id of d.sessions) this.sessions.add(id);
    for (const h of d.hours) this.hours.add(h);
    for (const f of d.files) this.files.add(f);
    this.behind = true;
    const wait = (this.o.summaryRefreshMs ?? 0) - (this.now() - this.at);
    if (wait <= 0) {
      this.flush();
      return true;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        try {
          this.flush();
        } catch (err) {
          this.o.log?.('warn', `index summary refresh failed: ${(err as Error).message}`);
        }
      }, wait);
      this.timer.unref();
    }
    return false;
  }

  /** Refresh now if a batch is not in the summary yet (before anything reads it, and before closing). */
  flush(): void {
    if (!this.behind) return;
    const d: Dirty = { sessions: [...this.sessions], hours: [...this.hours], files: [...this.files] };
    this.sessions = new Set();
    this.hours = new Set();
    this.files = new Set();
    this.behind = false;
    this.flushes++;
    this.at = this.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.refresh(d);
  }
}

/** The summary rows of what the open partition's batches touched (`d`) since the last refresh. */
export function refreshOpen(
  summary: IndexStore,
  openId: number,
  open: IndexStore,
  prices: Prices,
  d: Dirty,
  log?: (level: 'warn', message: string) => void,
): void {
  try {
    summary.runSync(dirtyStmts(openId, 'open', open, prices, d));
  } catch (err) {
    // The partition holds the batch; the summary must not miss it: recompute all of the partition's rows.
    log?.('warn', `index summary update failed (${(err as Error).message}); recomputing it`);
    summary.runSync(wholePartitionStmts(openId, 'open', open, prices));
  }
}
