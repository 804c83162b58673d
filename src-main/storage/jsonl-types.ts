// The JSONL writer's vocabulary: its options and defaults, what it reports (errors, counters, gap markers) and
// the acknowledgement a caller gets for each line it queued. See jsonl-writer.ts for the writer itself.
import type { TimerApi } from './timers.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 100;
export const DEFAULT_FLUSH_EVERY_LINES = 100;
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_QUEUED_LINES = 50_000;
export const DEFAULT_MAX_OPEN_FILES = 64;

export type DropReason = 'queue_full' | 'write_error' | 'invalid_record';

export interface GapInfo {
  /** The file the marker goes into. */
  file: string;
  dropped: number;
  reasons: DropReason[];
  /** Epoch ms of the first and last dropped line. */
  firstDroppedAt: number;
  lastDroppedAt: number;
}

/**
 * Told what became of one line: `written` once it was handed to the OS, `lost` when a write error (disk full,
 * no permission) cost it. A line refused at `append` gets neither: `append` returns false instead.
 */
export interface LineAck {
  written(): void;
  lost(code: string): void;
}

export interface JsonlWriteError {
  file: string;
  /** errno code (ENOSPC, EACCES, …), or EINVALID for a record that cannot be serialised. */
  code: string;
  message: string;
  /** Lines of this file lost by this error. */
  lostLines: number;
}

export interface JsonlWriterOptions {
  flushIntervalMs?: number;
  /** Flush early once this many lines are queued. */
  flushEveryLines?: number;
  /** Queue bounds (lines waiting or being written, all files together); beyond them lines are dropped. */
  maxQueuedBytes?: number;
  maxQueuedLines?: number;
  /** File handles kept open between flushes (least recently used closed first). */
  maxOpenFiles?: number;
  /** fsync every file after each flush (default false: close() always fsyncs). */
  fsyncOnFlush?: boolean;
  onError?: (err: JsonlWriteError) => void;
  /** Builds the marker record written in place of dropped lines; default `{"type":"gap","dropped":N,…}`. */
  gapRecord?: (info: GapInfo) => unknown;
  /** A marker built by `gapRecord` reached the disk (a marker lost to a write error is rebuilt later). */
  onGapWritten?: (file: string, record: unknown) => void;
  timers?: TimerApi;
  now?: () => number;
}

export interface JsonlWriterCounters {
  /** Lines accepted and not yet written (including those being written). */
  queuedLines: number;
  queuedBytes: number;
  /** Lines durably handed to the OS. */
  written: number;
  /** Lines refused because the queue was full (or the writer closed). */
  dropped: number;
  /** Lines lost to write errors. */
  failed: number;
  /** Error events (a failed file write or an unserialisable record). */
  errors: number;
  gapMarkers: number;
  openFiles: number;
}

export interface CloseResult {
  timedOut: boolean;
  /** Lines still not written when close() returned. */
  pendingLines: number;
}
