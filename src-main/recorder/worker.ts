// Entry of the recorder worker thread. Everything heavy of recording happens here, off the proxy's event loop:
// parsing, redaction, hashing, JSONL writes, the sql.js index and its saves. Messages that arrive while the
// index is being reconciled at start-up wait in a queue; nothing is lost.
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import type { LiveEvent } from '../../src-shared/live.js';
import type { RedactionConfig } from '../redaction/index.js';
import { buildRedactor } from './redactor.js';
import { buildPrices, type PriceOverrides } from '../analytics/prices.js';
import { ensurePrivateDir } from '../storage/fsutil.js';
import { DriftNotices } from './drift-notices.js';
import { RecorderEngine } from './engine.js';
import { PartitionedIndex } from '../index/partitions.js';
import { SUMMARY_REFRESH_MS } from '../index/summary-refresh.js';
import { reconcilePartitions } from '../index/part-reconcile.js';
import { PART_QUERIES } from '../index/part-queries.js';
import { JsonlWriter } from '../storage/jsonl-writer.js';
import { startRetention, type RetentionHandle } from '../storage/retention.js';
import { RECORD_VERSION, type GapLine } from '../../src-shared/records.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { QueryName } from '../index/queries.js';
import { RecordedMetrics } from '../otel/aggregate.js';
import { OtelExporter, type OtelConfig } from '../otel/exporter.js';
import { VERSION } from '../version.js';
import { startMemoryLog, trackWasmMemories } from '../debug-memory.js';
import { startExternalGc } from './external-gc.js';

export interface RecorderWorkerData {
  dataDir: string;
  maxBodyBytes: number;
  redaction: RedactionConfig;
  /** sql-wasm.wasm; default: resolved from the sql.js package. */
  wasmPath?: string;
  indexSaveIntervalMs?: number;
  sinkIntervalMs?: number;
  /** `pricing.file` / `pricing.overrides` (validated by the core before the worker starts). */
  pricing?: { file: string | null; overrides: PriceOverrides };
  /** OpenTelemetry export (endpoint '' = off). */
  otel?: OtelConfig;
  /** An exchange not heard of for this long is recorded as interrupted/stale. */
  staleMs?: number;
  /** null = no retention (tests that must not have files removed under them). */
  retention: {
    maxAgeDays: number;
    maxSizeMb: number;
    compressAfterDays: number;
    intervalMinutes: number;
  } | null;
  /** LUNAROUTE_DEBUG_MEMORY's period (ms): log this thread's memory to stderr; null = off. */
  memoryLogMs?: number | null;
}

const port = parentPort!;
const data = workerData as RecorderWorkerData;
/**
 * Bytes processed and not yet acknowledged: one ack every ACK_MS rather than per message batch (about three per
 * request), and always before any other message, so the client never sees a result before the bytes it follows.
 */
let unacked = 0;
let ackTimer: NodeJS.Timeout | null = null;
const ACK_MS = 10;
const ackNow = (): void => {
  if (ackTimer) clearTimeout(ackTimer);
  ackTimer = null;
  if (unacked > 0) port.postMessage({ t: 'ack', bytes: unacked } satisfies FromWorker);
  unacked = 0;
};
const send = (m: FromWorker): void => {
  ackNow();
  port.postMessage(m);
};
const log = (level: 'debug' | 'info' | 'warn' | 'error', message: string): void =>
  send({ t: 'log', level, message });

async function main(): Promise<void> {
  if (data.memoryLogMs) {
    trackWasmMemories(); // before sql.js loads
    startMemoryLog('worker', data.memoryLogMs);
  }
  // Forced collections wait for a quiet worker (external-gc.ts): each one costs the recording path its
  // optimised code.
  let busyAt = -Infinity;
  startExternalGc(undefined, { lastBusyAt: () => busyAt });
  const sessionsDir = path.join(data.dataDir, 'sessions');
  await ensurePrivateDir(data.dataDir);
  await ensurePrivateDir(sessionsDir);
  const backlog: ToWorker[][] = [];
  let engine: RecorderEngine | null = null;
  port.on('message', (batch: ToWorker[]) => {
    busyAt = performance.now();
    if (engine) process(engine, batch);
    else backlog.push(batch);
  });

  const prices = buildPrices(data.pricing ?? {});
  const db = await PartitionedIndex.open({
    dataDir: data.dataDir,
    ...(data.wasmPath ? { wasmPath: data.wasmPath } : {}),
    saveIntervalMs: data.indexSaveIntervalMs ?? 3_000,
    onError: (err) => log('error', `saving the index failed: ${err.message}`),
    prices,
    log,
    summaryRefreshMs: SUMMARY_REFRESH_MS,
  });
  const rebuildReason = db.rebuildReason;
  if (rebuildReason)
    log(
      rebuildReason.includes('does not exist') ? 'debug' : 'info',
      `rebuilding the index from the session files: ${rebuildReason}`,
    );
  let lastShown = 0;
  const r = await reconcilePartitions(db, sessionsDir, {
    full: rebuildReason !== null,
    log,
    prices,
    // A rebuild (first start after an upgrade: the migration) says how far it is, at most every 10 %.
    onProgress: (done, total) => {
      if (!rebuildReason || total < 20 || done * 10 < (lastShown + 1) * total) return;
      lastShown = Math.floor((done * 10) / total);
      log('info', `indexing session files: ${done}/${total}`);
    },
  });
  if (rebuildReason) await db.finishBuild();
  if (r.reindexed > 0 || r.removed > 0) {
    log(
      'info',
      `index reconciled: ${r.reindexed} file(s) re-read, ${r.removed} removed, ${r.crashed} request(s) cut by a crash marked interrupted`,
    );
  }
  // A full disk must not stop start-up: the proxy serves, recording goes on (its lines fail and are counted
  // until space returns), and the index is saved again on its next change.
  const firstSave = await db.save().then(
    () => null,
    (err: Error) => err,
  );

  const liveBatch: LiveEvent[] = [];
  if (firstSave) {
    const why =
      (firstSave as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : firstSave.message;
    log('error', `saving the index failed at start-up (${why}); serving anyway, saved again later`);
    liveBatch.push({
      type: 'recorder_problem',
      kind: 'write_error',
      count: 1,
      message: `the index could not be saved at start-up (${why}); traffic still flows, and it is saved again on its next change`,
    });
  }
  const sink = new JsonlWriter({
    flushIntervalMs: data.sinkIntervalMs ?? 100,
    // The writer puts this marker exactly where lines were lost, so readers know a gap exists.
    gapRecord: (info): GapLine => {
      const lost = engine?.peekLost(info.file) ?? null;
      return {
        type: 'gap',
        v: RECORD_VERSION,
        at: info.lastDroppedAt,
        dropped: info.dropped,
        reason: info.reasons.join(','),
        first_at: info.firstDroppedAt,
        ...(lost ? { requests: lost.ids, requests_lost: lost.count } : {}),
      };
    },
    onGapWritten: (file, record) => engine?.gapWritten(file, record as GapLine),
    onError: (err) => {
      log('error', `writing ${err.file} failed: ${err.code} ${err.message}`);
      const why = err.code === 'ENOSPC' ? 'the disk is full' : err.code;
      liveBatch.push({
        type: 'recorder_problem',
        kind: 'write_error',
        count: err.lostLines,
        message:
          `${err.lostLines} line(s) of ${path.basename(err.file)} not recorded (${why}); traffic still flows, ` +
          'and recording resumes by itself once writes succeed',
      });
    },
  });
  const metrics = new RecordedMetrics(() => prices);
  // Client drift notices: sent at once while a window listens, else held until one does.
  const drift = new DriftNotices();
  const otel = data.otel?.endpoint
    ? new OtelExporter({ ...data.otel, serviceVersion: VERSION, prices: () => prices, log })
    : null;
  const e = new RecorderEngine({
    sessionsDir,
    sink,
    index: db,
    redactor: buildRedactor(data.dataDir, data.redaction),
    maxBodyBytes: data.maxBodyBytes,
    onLive: (ev) => liveBatch.push(ev),
    onLine: (line) => {
      metrics.observe(line);
      otel?.observe(line);
      const notice = drift.observe(line);
      if (notice) {
        if (e.live) liveBatch.push(notice);
        else drift.hold(notice);
      }
    },
    log,
    ...(data.staleMs ? { staleMs: data.staleMs } : {}),
    prices,
  });
  setInterval(() => e.sweep(), 60_000).unref();
  setInterval(() => {
    const c = sink.counters();
    send({
      t: 'stats',
      stats: {
        ...e.stats,
        // The writer knows what reached the disk: lines refused at the queue and lines lost to write errors.
        linesWritten: c.written,
        linesDropped: c.dropped + c.failed,
        writeErrors: c.errors,
        metrics: metrics.snapshot(otel?.stats),
      },
    });
  }, 2_000).unref();
  // Live events go out in batches every ~50 ms, and progress is only computed while someone listens.
  setInterval(() => {
    e.tickProgress();
    if (liveBatch.length > 0) send({ t: 'live', events: liveBatch.splice(0) });
  }, 50).unref();

  // Retention runs now and then every interval, never on a file the writer still holds, and keeps the index
  // in step: removed files leave it, compressed ones keep their rows (the key has no .zst suffix).
  let retention: RetentionHandle | null = null;
  const rel = (abs: string): string => path.relative(sessionsDir, abs).replace(/\.zst$/, '');
  /** (Re)start the sweeper with a policy: at once, then every interval. A new policy replaces the old one. */
  const applyRetention = async (policy: RecorderWorkerData['retention']): Promise<void> => {
    await retention?.stop();
    retention = null;
    if (!policy) return;
    retention = startRetention({
      dataDir: data.dataDir,
      maxAgeDays: policy.maxAgeDays,
      maxSizeMb: policy.maxSizeMb,
      compressAfterDays: policy.compressAfterDays,
      intervalMs: policy.intervalMinutes * 60_000,
      isOpen: (p) => sink.isOpen(p) || e.isActive(p),
      onRemoved: async (paths) => {
        await e.flushIndex();
        await db.forgetFiles(paths.map(rel));
        e.forgetFiles(paths);
        log('info', `retention removed ${paths.length} session file(s)`);
      },
      onCompressed: async (_from, to) => {
        const size = (await import('node:fs')).statSync(to).size;
        db.setFileSize(rel(to), size);
      },
      onError: (err: unknown) => log('warn', `retention: ${(err as Error).message ?? String(err)}`),
    });
  };
  await applyRetention(data.retention);
  // Messages that came during start-up, in order, only now: a retention policy among them must find the sweeper
  // started with the configured one (and replace it), not run before it exists.
  engine = e;
  for (const b of backlog.splice(0)) process(e, b);
  send({ t: 'ready' });

  function process(eng: RecorderEngine, batch: ToWorker[]): void {
    let bytes = 0;
    for (const m of batch) {
      try {
        switch (m.t) {
          case 'live':
            eng.live = m.on;
            if (m.on) liveBatch.push(...drift.takeHeld());
            break;
          case 'retention':
            void applyRetention(m.policy).catch((err: Error) => log('warn', `retention: ${err.message}`));
            break;
          case 'redaction':
            eng.setRedactor(buildRedactor(data.dataDir, m.config));
            break;
          case 'query': {
            const seq = m.seq;
            const fn = PART_QUERIES[m.name as QueryName] as
              ((ctx: unknown, a: unknown) => unknown) | undefined;
            if (!fn) {
              send({ t: 'result', seq, ok: false, error: `unknown query ${m.name}` });
              break;
            }
            // Queries see everything recorded before them: pending lines are written (only written lines are
            // indexed), then the index takes them.
            void eng
              .settle()
              .then(() => sink.flush())
              .then(() => eng.flushIndex())
              .then(() => fn({ parts: db, sessionsDir, prices }, m.args ?? {}))
              .then(
                (value) => send({ t: 'result', seq, ok: true, value }),
                (err: Error) => send({ t: 'result', seq, ok: false, error: err.message }),
              );
            break;
          }
          case 'flush':
          case 'close': {
            const seq = m.seq;
            const closing = m.t === 'close';
            void (closing ? eng.close() : eng.settle())
              .then(async () => {
                if (closing) {
                  // One last export of what is queued, bounded so a dead collector cannot hold up shutdown.
                  if (otel)
                    await Promise.race([otel.close(), new Promise((r) => setTimeout(r, 1_000).unref())]);
                  await retention?.stop();
                  await sink.close(1_500);
                } else {
                  void otel?.flush();
                  await sink.flush();
                }
                await eng.flushIndex();
                if (closing) await db.close();
                else await db.save();
              })
              .catch((err: Error) => log('error', `flushing the recorder failed: ${err.message}`))
              .finally(() => {
                if (liveBatch.length > 0) send({ t: 'live', events: liveBatch.splice(0) });
                send({
                  t: 'done',
                  seq,
                  stats: {
                    ...eng.stats,
                    linesDropped: sink.counters().dropped + sink.counters().failed,
                    writeErrors: sink.counters().errors,
                    metrics: metrics.snapshot(otel?.stats),
                  },
                });
              });
            break;
          }
          default:
            if (m.t === 'rq' || m.t === 'rs' || m.t === 'ws') bytes += m.c.byteLength;
            eng.handle(m);
        }
      } catch (err) {
        log('error', `recorder message ${m.t} failed: ${(err as Error).message}`);
      }
    }
    if (bytes > 0) {
      unacked += bytes;
      ackTimer ??= setTimeout(ackNow, ACK_MS);
    }
  }
}

main().catch((err: Error) => send({ t: 'fatal', message: err.stack ?? err.message }));
