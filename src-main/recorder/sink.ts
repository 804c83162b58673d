// Appends JSONL lines to session files, batched: lines are queued and written every `intervalMs` (or sooner when
// `maxBatchLines` accumulate), one write per file per batch, in order. Files are 0600 in 0700 directories. The
// queue is bounded: past `maxPendingBytes`, lines are dropped and counted, and a `gap` line records the loss in
// that file once writing resumes. A failing file (disk full, permissions) never holds up the others.
import fs from 'node:fs/promises';
import path from 'node:path';
import { RECORD_VERSION, type GapLine } from '../../src-shared/records.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../storage/fsutil.js';
import type { LineSink } from './engine.js';

export interface FileSinkOptions {
  intervalMs?: number;
  maxBatchLines?: number;
  maxPendingBytes?: number;
  onError?: (file: string, err: Error) => void;
}

interface FileQueue {
  lines: string[];
  dropped: number;
}

export class FileSink implements LineSink {
  private readonly queues = new Map<string, FileQueue>();
  private pendingBytes = 0;
  private pendingLines = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly dirs = new Set<string>();
  readonly counters = { written: 0, dropped: 0, errors: 0 };

  constructor(private readonly o: FileSinkOptions = {}) {}

  append(file: string, line: string): void {
    let q = this.queues.get(file);
    if (!q) {
      q = { lines: [], dropped: 0 };
      this.queues.set(file, q);
    }
    if (this.pendingBytes + line.length > (this.o.maxPendingBytes ?? 256 * 1024 * 1024)) {
      q.dropped++;
      this.counters.dropped++;
      return;
    }
    q.lines.push(line);
    this.pendingBytes += line.length;
    this.pendingLines++;
    if (this.pendingLines >= (this.o.maxBatchLines ?? 1000)) this.schedule(0);
    else this.schedule(this.o.intervalMs ?? 100);
  }

  private schedule(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  /** Write everything queued so far. Resolves when it is on disk (fsync'd only on `close`). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch: [string, string[], number][] = [];
    for (const [file, q] of this.queues) {
      if (q.lines.length === 0 && q.dropped === 0) continue;
      batch.push([file, q.lines, q.dropped]);
      this.queues.set(file, { lines: [], dropped: 0 });
    }
    this.queues.clear();
    this.pendingBytes = 0;
    this.pendingLines = 0;
    this.writing = this.writing.then(() => this.writeBatch(batch));
    return this.writing;
  }

  private async writeBatch(batch: [string, string[], number][], sync = false): Promise<void> {
    await Promise.all(
      batch.map(async ([file, lines, dropped]) => {
        let text = lines.length > 0 ? lines.join('\n') + '\n' : '';
        if (dropped > 0) {
          const gap: GapLine = {
            type: 'gap',
            v: RECORD_VERSION,
            at: Date.now(),
            dropped,
            reason: 'recorder queue full',
          };
          text += JSON.stringify(gap) + '\n';
        }
        try {
          const dir = path.dirname(file);
          if (!this.dirs.has(dir)) {
            await ensurePrivateDir(path.dirname(dir));
            await ensurePrivateDir(dir);
            this.dirs.add(dir);
          }
          const fh = await fs.open(file, 'a', PRIVATE_FILE_MODE);
          try {
            await fh.write(text);
            if (sync) await fh.sync();
          } finally {
            await fh.close();
          }
          this.counters.written += lines.length;
        } catch (err) {
          this.counters.errors++;
          this.counters.dropped += lines.length;
          this.o.onError?.(file, err as Error);
        }
      }),
    );
  }

  /** Flush and fsync everything. */
  async close(): Promise<void> {
    await this.flush();
    await this.writing;
  }
}
