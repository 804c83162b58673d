// Test timers: nothing fires until the test calls fireAll() (for code that takes a TimerApi).
import type { TimerApi } from '../../src-main/storage/timers.js';

/** Timers that only fire when the test says so. */
export class ManualTimers implements TimerApi {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const t of due) t.fn();
  }
}
