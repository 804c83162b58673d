// What closed partitions answered to recent full-text queries, so the same search again (the UI asks again as the
// user pages, comes back, or the list refreshes) does not load them again: loading a 10,000-request partition
// reads its whole file (≈28 MB in the history bench, ≈270 ms CPU on a loaded 2-core machine), the query itself
// costs ≈12 ms. A closed partition only changes by losing session files (claimed, retention) or by being rebuilt
// from the same files, and losing files changes its request count in the summary: the count, first and last
// request time are part of the key, so a changed partition is asked again. Bounded by entries (each is at most a
// page of hits or one partition's matching session ids); the open partition is never cached.
import type { PartitionInfo } from './partitions.js';

const MAX_ENTRIES = 64;

export class PartHits {
  private readonly entries = new Map<string, unknown>();

  private static key(p: PartitionInfo, what: string): string {
    return `${p.id}\u0000${p.requests}\u0000${p.first_at}\u0000${p.last_at}\u0000${what}`;
  }

  /** The cached answer of closed partition `p` to `what` (a query and its shape), else `compute()`'s, kept. */
  async get<T>(p: PartitionInfo, what: string, compute: () => Promise<T>): Promise<T> {
    if (p.state !== 'closed') return compute();
    const key = PartHits.key(p, what);
    if (this.entries.has(key)) {
      const v = this.entries.get(key) as T;
      this.entries.delete(key);
      this.entries.set(key, v);
      return v;
    }
    const v = await compute();
    this.entries.set(key, v);
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return v;
  }
}
