// Indexes over the session files of a temp data dir for index tests: a partitioned index built the way start-up
// builds it (a full reconcile when the layout is new), and one database over the same files (what every
// partitioned answer must equal). Everything opened is closed by `closeAll` (call it after each test).
import path from 'node:path';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { PartitionedIndex, type PartitionOptions } from '../../src-main/index/partitions.js';
import { reconcile } from '../../src-main/index/reindex.js';

type Closable = { close(): Promise<void> | void };

export class IndexFixtures {
  private readonly opened: Closable[] = [];

  /** Close `o` with the rest. */
  track<T extends Closable>(o: T): T {
    this.opened.push(o);
    return o;
  }

  /** `o` is closed by the test itself. */
  untrack(o: Closable): void {
    const i = this.opened.indexOf(o);
    if (i >= 0) this.opened.splice(i, 1);
  }

  async build(dataDir: string, o: Omit<PartitionOptions, 'dataDir'>): Promise<PartitionedIndex> {
    const pi = this.track(await PartitionedIndex.open({ dataDir, saveIntervalMs: 60_000, ...o }));
    await reconcilePartitions(pi, path.join(dataDir, 'sessions'), { full: pi.rebuildReason !== null });
    await pi.finishBuild();
    return pi;
  }

  async single(sessionsDir: string): Promise<IndexStore> {
    const { db } = await openIndex(null);
    this.track({ close: () => db.db.close() });
    await reconcile(db, sessionsDir, { markCrashed: false });
    return db;
  }

  async closeAll(): Promise<void> {
    for (const o of this.opened.splice(0)) await o.close();
  }
}
