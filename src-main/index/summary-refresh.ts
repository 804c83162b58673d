// When the partitioned index (partitions.ts) brings its summary up to date after a write batch. A refresh
// re-aggregates every request row of each hour the batch touched and recounts each session touched, so with the
// recorder's batch every 250 ms it cost more than the batch itself in a busy hour. The summary is derived, so the
// recorder refreshes it at most every SUMMARY_REFRESH_MS: anything that reads the summary refreshes it first,
// and after a crash opening recomputes the open partition's rows anyway (nothing is lost by waiting).
// Everything else (tests, the CLI, reindex) refreshes after every batch, as before (interval 0).
import type { Prices } from '../analytics/prices.js';
import type { IndexStore } from './db.js';
import { dirtyStmts, wholePartitionStmts } from './summary.js';

/** The recorder's interval between summary refreshes while it writes. */
export const SUMMARY_REFRESH_MS = 2_000;

export class SummaryRefresh {
  private behind = false;
  private at = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly now = (): number => this.o.now?.() ?? Date.now();

  constructor(
    private readonly o: {
      summaryRefreshMs?: number;
      now?: () => number;
      log?: (level: 'warn', message: string) => void;
    },
    /** Bring the summary up to date with every batch since the last call. */
    private readonly refresh: () => void,
  ) {}

  /**
   * A batch changed the open partition: refresh now if the interval has passed (true), or arm the timer. The
   * caller's roll-over test reads the summary, so it runs only after a refresh (at most one interval late).
   */
  changed(): boolean {
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
    this.behind = false;
    this.at = this.now();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.refresh();
  }
}

/** The summary rows of what the open partition's batches touched since the last refresh. */
export function refreshOpen(
  summary: IndexStore,
  openId: number,
  open: IndexStore,
  prices: Prices,
  log?: (level: 'warn', message: string) => void,
): void {
  try {
    summary.runSync(dirtyStmts(openId, 'open', open, prices));
  } catch (err) {
    // The partition holds the batch; the summary must not miss it: recompute all of the partition's rows.
    log?.('warn', `index summary update failed (${(err as Error).message}); recomputing it`);
    summary.runSync(wholePartitionStmts(openId, 'open', open, prices));
  }
}
