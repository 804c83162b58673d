// The index split by period, so memory and writes do not grow with the past. Each partition is one sql.js file
// (`<dataDir>/index/part-NNNNNN.db`, the schema of schema.ts) holding whole session files; only the open one is
// in memory and saved. It closes after DEFAULT_MAX_ROWS requests, at DEFAULT_MAX_BYTES of pages (part-carry.ts: its
// size is the index's share of RSS), or when a request of a new month arrives. Recently active sessions move to
// the new one (part-carry.ts); a closed one written again is claimed by the write. Closed
// partitions are opened on demand and released when idle; they change only by losing a file (claimed, or removed
// by retention; the last file gone drops the partition). `index/summary.db` (summary.ts) is always loaded.
// Measured before choosing (20k requests: 400 sessions × 50 turns over 20 days, on a 2-core machine at load ~22,
// so absolute times are ~10× slow): one database: reindex 119 s / peak RSS 277 MB, analytics 10.1 s, search
// 2.5 s, list at offset 1,500 185 ms; partitions of 5,000 / 10,000 requests: reindex 166 / 182 s (the summary is
// refreshed per file) at peak 213 / 253 MB, analytics 3.3 / 3.4 s (rollups answer the sums in ms; the rest is the
// tool-latency pass, since answered from part-aggregates.ts), search 0.7 / 1.3 s, list 1 ms. Month alone would
// hold the benchmark's 20 days, so rows are capped too (10,000 by default); the FTS keeps its content.
// Recovery: the JSONL is the source of truth. A missing or corrupt partition is rebuilt alone from its session
// files (the summary lists them); a missing, corrupt or unfinished summary (and the old single-file
// `lunaroute.db`, migrated on the first start) rebuilds the whole layout, the old file removed only after success.
import fs from 'node:fs';
import path from 'node:path';
import { bundledPrices, type Prices } from '../analytics/prices.js';
import { ensurePrivateDir } from '../storage/fsutil.js';
import { openIndex, type IndexStore } from './db.js';
import { forgetFile } from './indexer.js';
import {
  carriedFiles,
  DEFAULT_MAX_BYTES,
  findRequest,
  freeShare,
  rollOverDue,
  usedBytes,
  writtenElsewhere,
} from './part-carry.js';
import { rebuildClosed } from './part-rebuild.js';
import { affordableReserve } from './reserve.js';
import { copyFiles } from './part-copy.js';
import {
  continueFile,
  continuedIn,
  ensureSpans,
  fileRequests,
  filesLeft,
  forgetSpans,
  SPAN_MIN_ROWS,
  spansOf,
} from './part-spans.js';
import { ensureAggregateTables, forgetSummaryRows } from './part-aggregates.js';
import {
  DIRTY_SQL,
  dirtyStmts,
  ensureDirtyMarks,
  SUMMARY_SQL,
  takeDirty,
  wholePartitionStmts,
} from './summary.js';
import { TermFilters } from './term-filter.js';
import { refreshOpen, SummaryRefresh } from './summary-refresh.js';
import type { IndexDb, SqlValue, Stmt } from './types.js';
import {
  DEFAULT_MAX_ROWS,
  INDEX_DIR,
  LEGACY_INDEX_FILE,
  monthOf,
  partitionFile,
  removeIndexFile,
  type PartitionInfo,
  type PartitionOptions,
} from './part-layout.js';

export {
  DEFAULT_MAX_ROWS,
  INDEX_DIR,
  LEGACY_INDEX_FILE,
  partitionFile,
  type PartitionInfo,
  type PartitionOptions,
} from './part-layout.js';

export class PartitionedIndex implements IndexDb {
  private readonly loaded = new Map<number, { store: IndexStore; used: number }>();
  private readonly loading = new Map<number, Promise<IndexStore>>();
  private idleTimer: NodeJS.Timeout | null = null;
  readonly prices: Prices;
  readonly sessionsDir: string;
  /** Why the whole layout is being built from the JSONL (first start, migration, lost summary), or null. */
  rebuildReason: string | null = null;
  rollOvers = 0;
  /** The term filters of the closed partitions (term-filter.ts): search skips a partition without the words. */
  readonly terms: TermFilters;
  private readonly refresh: SummaryRefresh;
  private flushesChecked = 0;
  private fullCheckedAt = -Infinity;
  /** Set while a full rebuild runs in bulk (part-bulk.ts): it takes the batches, summarising per partition. */
  bulk: ((stmts: Stmt[]) => void) | null = null;

  private constructor(
    private readonly o: PartitionOptions,
    private readonly summaryStore: IndexStore,
    public open: IndexStore,
    public openId: number,
  ) {
    this.prices = o.prices ?? bundledPrices();
    this.sessionsDir = path.join(o.dataDir, 'sessions');
    this.terms = new TermFilters(o.dataDir, o.readOnly === true, o.log);
    this.refresh = new SummaryRefresh(o, (d) =>
      refreshOpen(this.summaryStore, this.openId, this.open, this.prices, d, o.log),
    );
  }

  /** The summary, first brought up to date with the open partition's batches (summary-refresh.ts). */
  get summary(): IndexStore {
    this.refresh.flush();
    return this.summaryStore;
  }

  private get maxBytes(): number {
    return this.o.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  private get readOnly(): boolean {
    return this.o.readOnly === true;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private storeOpts(): Parameters<typeof openIndex>[1] {
    return {
      ...(this.o.wasmPath ? { wasmPath: this.o.wasmPath } : {}),
      saveIntervalMs: this.o.saveIntervalMs ?? 3_000,
      ...(this.o.onError ? { onError: this.o.onError } : {}),
      readOnly: this.readOnly,
    };
  }

  static async open(o: PartitionOptions): Promise<PartitionedIndex> {
    const dir = path.join(o.dataDir, INDEX_DIR);
    if (!o.readOnly) await ensurePrivateDir(dir);
    const summaryFile = path.join(dir, 'summary.db');
    const common = {
      ...(o.wasmPath ? { wasmPath: o.wasmPath } : {}),
      saveIntervalMs: o.saveIntervalMs ?? 3_000,
      ...(o.onError ? { onError: o.onError } : {}),
      readOnly: o.readOnly === true,
    };
    const s = await openIndex(summaryFile, { ...common, schema: SUMMARY_SQL });
    const summary = s.db;
    // A summary of an older LunaRoute lacks the aggregate tables (part-aggregates.ts): made here, filled on use.
    const missing = [...ensureAggregateTables(summary), ...ensureSpans(summary)];
    if (missing.length > 0) summary.runSync(missing);
    let reason = s.rebuildReason;
    const done = summary.querySync<{ value: string }>(
      `SELECT value FROM meta WHERE key = 'layout_complete'`,
    )[0];
    if (!reason && done?.value !== '1') reason = 'the partitioned index was not finished building';
    const legacy = path.join(o.dataDir, LEGACY_INDEX_FILE);
    if (reason) {
      if (fs.existsSync(legacy)) reason = `migrating ${LEGACY_INDEX_FILE} to the partitioned index in ${dir}`;
      if (!o.readOnly)
        for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
          if (/^part-\d+\.(db|terms)/.test(name)) fs.rmSync(path.join(dir, name), { force: true });
      summary.runSync([
        ...forgetSummaryRows(),
        { sql: 'DELETE FROM partitions', params: [] },
        { sql: `DELETE FROM meta WHERE key = 'layout_complete'`, params: [] },
      ]);
    }
    let openId = summary.querySync<{ id: number }>(`SELECT id FROM partitions WHERE state = 'open'`)[0]?.id;
    if (openId === undefined) {
      openId =
        (summary.querySync<{ m: number | null }>('SELECT MAX(id) AS m FROM partitions')[0]?.m ?? 0) + 1;
      if (!o.readOnly) removeIndexFile(partitionFile(o.dataDir, openId));
      summary.runSync([{ sql: `INSERT INTO partitions (id, state) VALUES (?, 'open')`, params: [openId] }]);
    }
    const p = await openIndex(partitionFile(o.dataDir, openId), {
      ...common,
      reserveBytes: await affordableReserve(dir, o.maxBytes ?? DEFAULT_MAX_BYTES),
    });
    const pi = new PartitionedIndex(o, summary, p.db, openId);
    pi.rebuildReason = reason;
    if (p.rebuildReason && !reason) {
      // Only the open partition is lost: forget what the summary says it held, so the reconcile that follows
      // indexes those session files again (into it).
      o.log?.('info', `index partition ${openId} is rebuilt from its session files: ${p.rebuildReason}`);
      // A continued session's older rows go too: the reconcile reads its file again whole.
      const continued = continuedIn(summary, openId);
      summary.runSync(forgetSummaryRows(openId));
      await pi.forgetFiles(continued);
    }
    // A new open partition is on disk at once (an empty file is still the partition the summary names).
    if (p.rebuildReason) p.db.markDirty();
    // The summary may have been saved before or after the open partition: make it match the partition.
    pi.open.db.exec(DIRTY_SQL);
    takeDirty(pi.open);
    summary.runSync(wholePartitionStmts(openId, 'open', pi.open, pi.prices));
    return pi;
  }

  /** After the reconcile that built the layout: mark it complete and remove the old single file. */
  async finishBuild(): Promise<void> {
    if (this.readOnly) return;
    this.summary.runSync([
      { sql: `INSERT OR REPLACE INTO meta (key, value) VALUES ('layout_complete', '1')`, params: [] },
    ]);
    try {
      await this.save();
    } catch (err) {
      // A full disk must not stop start-up: the layout is whole in memory and a later save writes it (a restart
      // before then rebuilds again). The old single file stays until the new layout is on disk.
      this.o.log?.(
        'warn',
        `the rebuilt index is not saved yet (${(err as Error).message}); it is kept in memory`,
      );
      return;
    }
    const legacy = path.join(this.o.dataDir, LEGACY_INDEX_FILE);
    if (fs.existsSync(legacy)) {
      removeIndexFile(legacy);
      this.o.log?.(
        'info',
        `migrated ${legacy} to ${path.join(this.o.dataDir, INDEX_DIR)}; the old file is removed`,
      );
    }
  }

  // ---- the write path (IndexDb) ----

  async run(stmts: Stmt[]): Promise<void> {
    // A session left in a closed partition at a roll-over (not carried) is claimed by its next write. (Closed
    // partitions' summary rows are always current; only the open one's may wait for the deferred refresh.)
    if (!this.readOnly)
      for (const [file, part] of writtenElsewhere(this.summaryStore, this.openId, stmts))
        await this.takeFile(part, file);
    // The roll-over test reads the summary: after every refresh (this batch's, the timer's or a reader's), and
    // as soon as the partition is full (at most once a second: the test refreshes the summary first).
    const refreshed = this.runSync(stmts);
    const full = this.now() - this.fullCheckedAt >= 1_000 && usedBytes(this.open) >= this.maxBytes;
    if (refreshed || full || this.refresh.flushes !== this.flushesChecked) {
      if (full) this.fullCheckedAt = this.now();
      this.flushesChecked = this.refresh.flushes;
      if (this.needsRollOver()) await this.rollOver();
    }
  }

  /** One transaction on the open partition, then (now or soon: true if now) the summary rows it touched. */
  runSync(stmts: Stmt[]): boolean {
    if (this.bulk) return (this.bulk(stmts), true);
    ensureDirtyMarks(this.open);
    this.open.runSync(stmts);
    return this.refresh.changed(takeDirty(this.open));
  }

  async query<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.open.querySync<T>(sql, params);
  }

  querySync<T = Record<string, unknown>>(sql: string, params: SqlValue[] = []): T[] {
    return this.open.querySync<T>(sql, params);
  }

  partitions(): PartitionInfo[] {
    return this.summary.querySync<PartitionInfo>(
      'SELECT id, state, requests, first_at, last_at, base, month FROM partitions ORDER BY COALESCE(last_at, 0) DESC, id DESC',
    );
  }

  info(id: number): PartitionInfo {
    return this.summary.querySync<PartitionInfo>('SELECT * FROM partitions WHERE id = ?', [id])[0]!;
  }

  private needsRollOver(): boolean {
    if (this.readOnly) return false;
    const p = this.info(this.openId);
    if (p.last_at !== null && p.month === null && p.requests > p.base)
      this.summary.runSync([
        { sql: 'UPDATE partitions SET month = ? WHERE id = ?', params: [monthOf(p.last_at), this.openId] },
      ]);
    else if (p.month !== null && p.last_at !== null && monthOf(p.last_at) !== p.month) return true;
    return rollOverDue(p, this.open, this.o.maxRows ?? DEFAULT_MAX_ROWS, this.maxBytes);
  }

  /** Close the open partition and open the next; sessions still active move along. */
  async rollOver(): Promise<void> {
    const old = this.open;
    const oldId = this.openId;
    const newId =
      (this.summary.querySync<{ m: number }>('SELECT MAX(id) AS m FROM partitions')[0]?.m ?? 0) + 1;
    const file = partitionFile(this.o.dataDir, newId);
    removeIndexFile(file);
    const reserveBytes = await affordableReserve(path.dirname(file), this.maxBytes);
    const next = (await openIndex(file, { ...this.storeOpts(), reserveBytes })).db;
    const carry = carriedFiles(
      old,
      this.now(),
      Math.min(this.o.maxRows ?? DEFAULT_MAX_ROWS, this.info(oldId).requests),
      this.o.spanMinRows ?? SPAN_MIN_ROWS,
    );
    copyFiles(old, next, carry);
    next.db.exec(DIRTY_SQL);
    takeDirty(next);
    takeDirty(old);
    this.open = next;
    this.openId = newId;
    const base = next.querySync<{ n: number }>('SELECT COUNT(*) AS n FROM requests')[0]!.n;
    this.summary.runSync([
      ...wholePartitionStmts(oldId, 'closed', old, this.prices),
      { sql: `INSERT INTO partitions (id, state, base) VALUES (?, 'open', ?)`, params: [newId, base] },
      ...wholePartitionStmts(newId, 'open', next, this.prices),
    ]);
    this.rollOvers++;
    this.o.log?.(
      'info',
      `index partition ${oldId} closed; ${carry.length} active session file(s) moved to ${newId}`,
    );
    // The carried rows leave free pages behind; a closed partition is read for months, so it is compacted once.
    if (freeShare(old) > 0.25) old.db.exec('VACUUM');
    await this.terms.write(this.info(oldId), old);
    await old.close();
    next.markDirty();
    await next.save();
    await this.summary.save();
  }

  /** A session recorded in a closed partition comes back: its file's rows move to the open one. */
  async claimSession(id: string): Promise<void> {
    // Not refreshed first (per new session, that would undo summary-refresh.ts): a row the refresh has yet to
    // write is of the open partition, and a session there has nothing to claim.
    const row = this.summaryStore.querySync<{ part: number; file: string }>(
      'SELECT part, file FROM session_list WHERE id = ?',
      [id],
    )[0];
    if (row) await this.takeFile(row.part, row.file);
  }

  /** A closed partition's session file is written again: its rows move here, or a long one continues here. */
  private async takeFile(part: number, file: string): Promise<void> {
    if (part === this.openId || this.readOnly) return;
    const from = await this.store(part);
    this.open.db.exec(DIRTY_SQL);
    from.db.exec(DIRTY_SQL);
    const long = fileRequests(from, file) > (this.o.spanMinRows ?? SPAN_MIN_ROWS);
    if (long) continueFile(from, this.open, file);
    else copyFiles(from, this.open, [file]);
    this.summary.runSync([
      ...(long
        ? [{ sql: 'INSERT OR IGNORE INTO file_spans (path, part) VALUES (?, ?)', params: [file, part] }]
        : []),
      ...dirtyStmts(part, 'closed', from, this.prices),
      ...dirtyStmts(this.openId, 'open', this.open, this.prices),
    ]);
    await this.dropIfEmpty(part);
  }

  async lookupRequest(id: string): Promise<{ session_id: string; replay_of: string | null } | null> {
    return findRequest(this.partitions(), (part) => this.store(part), id);
  }

  /** Session files are gone (retention, or deleted): forget them; a partition left with none is dropped. */
  async forgetFiles(rels: readonly string[]): Promise<void> {
    const byPart = new Map<number, string[]>();
    const add = (part: number, rel: string): void => {
      let list = byPart.get(part);
      if (!list) byPart.set(part, (list = []));
      list.push(rel);
    };
    for (const rel of rels) {
      const part =
        this.summary.querySync<{ part: number }>('SELECT part FROM file_parts WHERE path = ?', [rel])[0]
          ?.part ?? this.openId;
      add(part, rel);
      // A continued session's older rows too (part-spans.ts).
      for (const span of spansOf(this.summary, rel)) if (span !== part) add(span, rel);
    }
    if (!this.readOnly) this.summary.runSync(forgetSpans(rels));
    for (const [part, list] of byPart) {
      if (part === this.openId) {
        this.runSync(list.flatMap(forgetFile));
        continue;
      }
      const left = filesLeft(this.summary, part, list);
      if (left === 0) {
        await this.dropPartition(part);
        continue;
      }
      const store = await this.store(part);
      store.db.exec(DIRTY_SQL);
      store.runSync(list.flatMap(forgetFile));
      this.summary.runSync(dirtyStmts(part, 'closed', store, this.prices));
    }
  }

  /** Retention compressed a file: its indexed size follows (a closed partition's file is not rewritten). */
  setFileSize(rel: string, size: number): void {
    const part = this.summary.querySync<{ part: number }>('SELECT part FROM file_parts WHERE path = ?', [
      rel,
    ])[0]?.part;
    if (part === this.openId)
      this.runSync([{ sql: 'UPDATE files SET size = ? WHERE path = ?', params: [size, rel] }]);
    else if (part !== undefined)
      this.summary.runSync([{ sql: 'UPDATE file_parts SET size = ? WHERE path = ?', params: [size, rel] }]);
  }

  private async dropIfEmpty(part: number): Promise<void> {
    if (filesLeft(this.summary, part, []) === 0) await this.dropPartition(part);
  }

  /** Remove a closed partition: its file and every summary row of it. */
  async dropPartition(part: number): Promise<void> {
    if (part === this.openId) return;
    const cached = this.loaded.get(part);
    this.loaded.delete(part);
    if (cached) cached.store.db.close();
    if (!this.readOnly) removeIndexFile(partitionFile(this.o.dataDir, part));
    this.summary.runSync([
      ...forgetSummaryRows(part),
      { sql: 'DELETE FROM partitions WHERE id = ?', params: [part] },
    ]);
    this.o.log?.('info', `index partition ${part} dropped (its session files are gone)`);
  }

  // ---- closed partitions: loaded on demand, released when idle ----

  /** The store of partition `part` (the open one, or a closed one loaded now; a corrupt one is rebuilt). */
  async store(part: number): Promise<IndexStore> {
    if (part === this.openId) return this.open;
    const hit = this.loaded.get(part);
    if (hit) {
      hit.used = this.now();
      return hit.store;
    }
    let p = this.loading.get(part);
    if (!p) {
      p = this.load(part).finally(() => this.loading.delete(part));
      this.loading.set(part, p);
    }
    return p;
  }

  private async load(part: number): Promise<IndexStore> {
    const r = await openIndex(partitionFile(this.o.dataDir, part), this.storeOpts());
    if (r.rebuildReason) await rebuildClosed(this, part, r.db, r.rebuildReason, this.o.log);
    this.loaded.set(part, { store: r.db, used: this.now() });
    while (this.loaded.size > (this.o.maxLoaded ?? 4)) {
      const [oldest] = [...this.loaded.entries()].sort((a, b) => a[1].used - b[1].used);
      this.loaded.delete(oldest![0]);
      await oldest![1].store.close();
    }
    if (!this.idleTimer) {
      const every = Math.max(1_000, Math.floor((this.o.idleMs ?? 60_000) / 2));
      this.idleTimer = setInterval(() => void this.releaseIdle().catch(() => {}), every);
      this.idleTimer.unref();
    }
    return r.db;
  }

  /** Closed partitions loaded but unused for `idleMs` leave memory; resolves with how many did. */
  async releaseIdle(now = this.now()): Promise<number> {
    let n = 0;
    for (const [part, e] of [...this.loaded]) {
      if (now - e.used < (this.o.idleMs ?? 60_000)) continue;
      this.loaded.delete(part);
      await e.store.close();
      n++;
    }
    return n;
  }

  /** Which closed partitions are in memory now. */
  loadedPartitions(): number[] {
    return [...this.loaded.keys()].sort((a, b) => a - b);
  }

  async save(): Promise<void> {
    await this.open.save();
    await this.summary.save();
  }

  /** Close every database without saving (a read-only reader is done). */
  discard(): void {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    for (const [, e] of this.loaded) e.store.db.close();
    this.loaded.clear();
    this.open.db.close();
    this.summaryStore.db.close();
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.idleTimer = null;
    for (const [, e] of this.loaded) await e.store.close();
    this.loaded.clear();
    this.refresh.flush();
    await this.open.close();
    await this.summaryStore.close();
  }
}
