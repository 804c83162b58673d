// Batched, bounded, per-file-ordered JSONL appender for the recorder. `append` only
// enqueues (never blocks, never throws); a flush every `flushIntervalMs` or `flushEveryLines` writes each file's
// lines with one append. When the queue is full, lines are dropped and counted per file, and a `gap` marker line
// takes their place as soon as there is room again. A failing file (ENOSPC, EACCES) is reported via `onError`
// and never costs another file its lines. Files are 0600 inside 0700 directories. (Session files are read back
// by index/reindex.ts's readSessionFile.)
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_FILE_MODE, ensurePrivateDir, errnoCode } from './fsutil.js';
import { realTimers } from './timers.js';
import type { TimerApi } from './timers.js';
import {
  DEFAULT_FLUSH_EVERY_LINES,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_MAX_OPEN_FILES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_QUEUED_LINES,
  type CloseResult,
  type DropReason,
  type GapInfo,
  type JsonlWriteError,
  type JsonlWriterCounters,
  type JsonlWriterOptions,
  type LineAck,
} from './jsonl-types.js';

export type { TimerApi };
export * from './jsonl-types.js';

const WRITE_CONCURRENCY = 8;

interface FileState {
  path: string;
  lines: string[];
  /** Parallel to `lines`: whom to tell what became of each (undefined for lines nobody waits on). */
  acks: (LineAck | undefined)[];
  bytes: number;
  dropped: number;
  reasons: Set<DropReason>;
  firstDroppedAt: number;
  lastDroppedAt: number;
  fh: FileHandle | undefined;
  /** The file does not end with '\n' (crash or partial write): start the next write with one. */
  needsNewline: boolean;
  /** The file's size as this writer left it (null when unknown); a partial write is cut back to it. */
  size: number | null;
  lastWriteFailed: boolean;
  lastUsed: number;
}

/** Acks are the caller's code: one that throws must not break the writer. */
/**
 * The lines as UTF-8, each followed by a newline (and one before them when the file does not end with one), in
 * one buffer. Each line is encoded on its own: joining first makes one string, two-byte as soon as one line holds
 * a non-Latin-1 character, and encoding that was ~20× slower (tests/bench/README.md).
 */
export function encodeLines(lines: readonly string[], leadingNewline: boolean): Buffer {
  let size = leadingNewline ? 1 : 0;
  for (const l of lines) size += Buffer.byteLength(l, 'utf8') + 1;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (leadingNewline) buf[at++] = 0x0a;
  for (const l of lines) {
    at += buf.write(l, at, 'utf8');
    buf[at++] = 0x0a;
  }
  return buf;
}

function notify(fn: () => void): void {
  try {
    fn();
  } catch {
    // Ignored on purpose (see above).
  }
}

export function defaultGapRecord(info: GapInfo): unknown {
  return {
    type: 'gap',
    dropped: info.dropped,
    reasons: info.reasons,
    first_dropped_at: new Date(info.firstDroppedAt).toISOString(),
    last_dropped_at: new Date(info.lastDroppedAt).toISOString(),
  };
}

export class JsonlWriter {
  private readonly files = new Map<string, FileState>();
  private readonly opts: Required<Omit<JsonlWriterOptions, 'onError' | 'onGapWritten'>> &
    Pick<JsonlWriterOptions, 'onError' | 'onGapWritten'>;
  private queuedLines = 0;
  private queuedBytes = 0;
  private readonly c = { written: 0, dropped: 0, failed: 0, errors: 0, gapMarkers: 0 };
  /** The acks of gap markers (markers are not records: they are not counted as written or lost lines). */
  private readonly markers = new WeakSet<LineAck>();
  private timer: unknown;
  private earlyFlushPending = false;
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  private closing: Promise<CloseResult> | undefined;

  constructor(options: JsonlWriterOptions = {}) {
    this.opts = {
      flushIntervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
      flushEveryLines: options.flushEveryLines ?? DEFAULT_FLUSH_EVERY_LINES,
      maxQueuedBytes: options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
      maxQueuedLines: options.maxQueuedLines ?? DEFAULT_MAX_QUEUED_LINES,
      maxOpenFiles: options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
      fsyncOnFlush: options.fsyncOnFlush ?? false,
      onError: options.onError,
      onGapWritten: options.onGapWritten,
      gapRecord: options.gapRecord ?? defaultGapRecord,
      timers: options.timers ?? realTimers,
      now: options.now ?? Date.now,
    };
    for (const k of [
      'flushIntervalMs',
      'flushEveryLines',
      'maxQueuedBytes',
      'maxQueuedLines',
      'maxOpenFiles',
    ] as const) {
      const v = this.opts[k];
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`JsonlWriter: ${k} must be an integer ≥ 1 (got ${v})`);
    }
  }

  /**
   * Queue one record (a JSON string without newline, or a value to JSON.stringify) for `filePath`. Returns false
   * when it was dropped (queue full, closed, or unserialisable). Never throws, never waits.
   */
  append(filePath: string, record: unknown, ack?: LineAck): boolean {
    const st = this.state(filePath);
    let line: string;
    try {
      const s = typeof record === 'string' ? record : (JSON.stringify(record) as string | undefined);
      if (s === undefined) throw new Error('value is not JSON-serialisable');
      // Raw newlines can only be whitespace between tokens of valid JSON: a space keeps it valid and one line.
      line = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]+/g, ' ') : s;
    } catch (err) {
      this.c.errors++;
      this.noteDrop(st, 'invalid_record', 1);
      this.report({ file: filePath, code: 'EINVALID', message: String(err), lostLines: 1 });
      return false;
    }
    const size = Buffer.byteLength(line) + 1;
    if (
      this.closed ||
      this.queuedBytes + size > this.opts.maxQueuedBytes ||
      this.queuedLines + 1 > this.opts.maxQueuedLines
    ) {
      this.c.dropped++;
      this.noteDrop(st, 'queue_full', 1);
      return false;
    }
    if (st.dropped > 0) this.enqueueGapMarker(st);
    this.enqueue(st, line, size, ack);
    this.schedule();
    return true;
  }

  /** Write everything queued before this call. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.flushOnce());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stop accepting lines, write everything pending (plus gap markers), fsync and close every file. Resolves by
   * `deadlineMs` at the latest, saying whether anything was left unwritten.
   */
  close(deadlineMs = 5000): Promise<CloseResult> {
    this.closing ??= this.doClose(deadlineMs);
    return this.closing;
  }

  /** Flush and release the handle of one file (its session ended), e.g. before retention may compress it. */
  async closeFile(filePath: string): Promise<void> {
    await this.flush();
    const st = this.files.get(path.resolve(filePath));
    if (!st || st.lines.length > 0) return;
    await this.closeHandle(st, true);
    if (st.dropped === 0) this.files.delete(st.path);
  }

  /** True while the writer holds a handle on the file or has lines queued for it. */
  isOpen(filePath: string): boolean {
    const st = this.files.get(path.resolve(filePath));
    return st !== undefined && (st.fh !== undefined || st.lines.length > 0);
  }

  counters(): JsonlWriterCounters {
    let openFiles = 0;
    for (const st of this.files.values()) if (st.fh) openFiles++;
    return { queuedLines: this.queuedLines, queuedBytes: this.queuedBytes, ...this.c, openFiles };
  }

  private state(filePath: string): FileState {
    const key = path.resolve(filePath);
    let st = this.files.get(key);
    if (!st) {
      st = {
        path: key,
        lines: [],
        acks: [],
        size: null,
        bytes: 0,
        dropped: 0,
        reasons: new Set(),
        firstDroppedAt: 0,
        lastDroppedAt: 0,
        fh: undefined,
        needsNewline: false,
        lastWriteFailed: false,
        lastUsed: 0,
      };
      this.files.set(key, st);
    }
    return st;
  }

  private enqueue(st: FileState, line: string, size: number, ack?: LineAck): void {
    st.lines.push(line);
    st.acks.push(ack);
    st.bytes += size;
    this.queuedLines++;
    this.queuedBytes += size;
  }

  private noteDrop(st: FileState, reason: DropReason, n: number): void {
    const now = this.opts.now();
    if (st.dropped === 0) st.firstDroppedAt = now;
    st.lastDroppedAt = now;
    st.dropped += n;
    st.reasons.add(reason);
  }

  /**
   * The marker bypasses the queue bounds (it is small and replaces many lines). It takes over the file's loss
   * counts; if the marker itself is lost (the disk is still full), they go back to the file, so the marker that
   * finally reaches the disk accounts for every loss since the last one that did.
   */
  private enqueueGapMarker(st: FileState): void {
    const info: GapInfo = {
      file: st.path,
      dropped: st.dropped,
      reasons: [...st.reasons],
      firstDroppedAt: st.firstDroppedAt,
      lastDroppedAt: st.lastDroppedAt,
    };
    let record: unknown;
    let line: string;
    try {
      record = this.opts.gapRecord(info);
      line = JSON.stringify(record);
    } catch {
      record = defaultGapRecord(info);
      line = JSON.stringify(record);
    }
    st.dropped = 0;
    st.reasons.clear();
    const ack: LineAck = {
      written: () => {
        this.c.gapMarkers++;
        this.opts.onGapWritten?.(st.path, record);
      },
      lost: () => {
        st.firstDroppedAt =
          st.dropped === 0 ? info.firstDroppedAt : Math.min(st.firstDroppedAt, info.firstDroppedAt);
        st.lastDroppedAt = Math.max(st.lastDroppedAt, info.lastDroppedAt);
        st.dropped += info.dropped;
        for (const r of info.reasons) st.reasons.add(r);
      },
    };
    this.markers.add(ack);
    this.enqueue(st, line, Buffer.byteLength(line) + 1, ack);
  }

  private schedule(): void {
    if (this.queuedLines >= this.opts.flushEveryLines) {
      if (this.earlyFlushPending) return;
      this.earlyFlushPending = true;
      queueMicrotask(() => {
        this.earlyFlushPending = false;
        void this.flush();
      });
      return;
    }
    if (this.timer === undefined) {
      this.timer = this.opts.timers.setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.opts.flushIntervalMs);
    }
  }

  private async flushOnce(): Promise<void> {
    if (this.timer !== undefined) {
      this.opts.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch: Array<{ st: FileState; lines: string[]; acks: (LineAck | undefined)[]; bytes: number }> = [];
    for (const st of this.files.values()) {
      if (st.lines.length === 0) continue;
      batch.push({ st, lines: st.lines, acks: st.acks, bytes: st.bytes });
      st.lines = [];
      st.acks = [];
      st.bytes = 0;
    }
    // A few files at a time: bounded open handles and thread-pool use; each file's lines stay in order.
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const item = batch[next++]!;
        await this.writeLines(item.st, item.lines, item.acks);
        this.queuedLines -= item.lines.length;
        this.queuedBytes -= item.bytes;
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, batch.length) }, worker));
    // Space has returned: files that lost lines to a full queue get their gap marker now.
    let markers = false;
    for (const st of this.files.values()) {
      if (st.dropped > 0 && st.reasons.has('queue_full') && !st.lastWriteFailed) {
        this.enqueueGapMarker(st);
        markers = true;
      }
    }
    if (markers && !this.closed) this.schedule();
    await this.trimOpenHandles();
  }

  private async writeLines(st: FileState, lines: string[], acks: (LineAck | undefined)[]): Promise<void> {
    let written = 0;
    let buf: Buffer | undefined;
    try {
      if (!st.fh) await this.openHandle(st);
      const fh = st.fh!;
      buf = encodeLines(lines, st.needsNewline);
      while (written < buf.length) {
        written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
      }
      if (this.opts.fsyncOnFlush) await fh.sync();
      if (st.size !== null) st.size += buf.length;
      st.needsNewline = false;
      st.lastWriteFailed = false;
      st.lastUsed = this.opts.now();
      this.c.written += lines.length - this.markerCount(acks);
      for (const a of acks) notify(() => a?.written());
    } catch (err) {
      // A partial write (disk full mid-batch) is cut back, so the batch is lost whole and "lost" is exact; if
      // that fails too, the torn line is isolated so the next write starts on a fresh line.
      if (buf && written > 0 && written < buf.length) {
        const cut =
          st.size !== null && st.fh
            ? await st.fh.truncate(st.size).then(
                () => true,
                () => false,
              )
            : false;
        if (!cut) {
          st.needsNewline = true;
          st.size = null;
        }
      }
      st.lastWriteFailed = true;
      this.c.errors++;
      const lost = lines.length - this.markerCount(acks);
      this.c.failed += lost;
      this.noteDrop(st, 'write_error', lost);
      await this.closeHandle(st, false);
      this.report({ file: st.path, code: errnoCode(err), message: String(err), lostLines: lines.length });
      const code = errnoCode(err);
      for (const a of acks) notify(() => a?.lost(code));
    }
  }

  private async openHandle(st: FileState): Promise<void> {
    await ensurePrivateDir(path.dirname(st.path));
    const fh = await open(st.path, 'a', PRIVATE_FILE_MODE);
    try {
      const info = await fh.stat();
      // Tighten a pre-existing regular file (e.g. left 0644 by an older version); never chmod anything else.
      if (process.platform !== 'win32' && info.isFile() && (info.mode & 0o777) !== PRIVATE_FILE_MODE) {
        await fh.chmod(PRIVATE_FILE_MODE);
      }
      st.size = info.isFile() ? info.size : null;
      if (info.isFile() && info.size > 0) {
        // Opened with O_APPEND: reading the last byte needs a separate read handle.
        const last = Buffer.alloc(1);
        const rh = await open(st.path, 'r');
        try {
          await rh.read(last, 0, 1, info.size - 1);
        } finally {
          await rh.close();
        }
        st.needsNewline = last[0] !== 0x0a;
      }
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    st.fh = fh;
  }

  private async closeHandle(st: FileState, sync: boolean): Promise<void> {
    const fh = st.fh;
    if (!fh) return;
    st.fh = undefined;
    try {
      if (sync) await fh.sync();
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  private async trimOpenHandles(): Promise<void> {
    const open = [...this.files.values()].filter((s) => s.fh && s.lines.length === 0);
    const excess = open.length - this.opts.maxOpenFiles;
    if (excess <= 0) return;
    open.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const st of open.slice(0, excess)) {
      await this.closeHandle(st, false).catch(() => undefined);
      if (st.dropped === 0) this.files.delete(st.path);
    }
  }

  private async doClose(deadlineMs: number): Promise<CloseResult> {
    this.closed = true;
    let timer: unknown;
    const work = (async () => {
      // Two rounds: the first may add gap markers for files that lost lines.
      for (let round = 0; round < 3 && this.queuedLines + this.pendingMarkers() > 0; round++) {
        await this.flush();
      }
      for (const st of this.files.values()) {
        await this.closeHandle(st, true).catch((err: unknown) => {
          this.c.errors++;
          this.report({ file: st.path, code: errnoCode(err), message: String(err), lostLines: 0 });
        });
      }
      return false;
    })();
    const deadline = new Promise<boolean>((resolve) => {
      timer = this.opts.timers.setTimeout(() => resolve(true), deadlineMs);
    });
    const timedOut = await Promise.race([work, deadline]);
    this.opts.timers.clearTimeout(timer);
    return { timedOut, pendingLines: this.queuedLines };
  }

  private pendingMarkers(): number {
    let n = 0;
    for (const st of this.files.values()) if (st.dropped > 0 && st.reasons.has('queue_full')) n++;
    return n;
  }

  private markerCount(acks: readonly (LineAck | undefined)[]): number {
    let n = 0;
    for (const a of acks) if (a && this.markers.has(a)) n++;
    return n;
  }

  private report(e: JsonlWriteError): void {
    try {
      this.opts.onError?.(e);
    } catch {
      // A throwing error callback must not break the writer.
    }
  }
}
