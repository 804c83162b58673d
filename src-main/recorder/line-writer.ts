// Where the recorder's lines go: appended to their session file through the sink, and only once the sink
// reports a line written is it indexed and shown to line observers (metrics, OpenTelemetry). A line refused
// (queue full) or lost (disk full) is counted, and its request is counted as lost once and named in the next gap
// line of its file, so neither the index nor the metrics claim what the file does not hold.
import path from 'node:path';
import type { GapLine, RecordLine } from '../../src-shared/records.js';
import type { Prices } from '../analytics/prices.js';
import { fileProgress, statementsFor } from '../index/indexer.js';
import type { LineAck } from '../storage/jsonl-writer.js';
import type { IndexQueue } from './index-queue.js';
import { LostRequestLog, type LostRequests } from './lost-requests.js';
import type { WorkerStats } from './protocol.js';
import type { SessionState } from './session-store.js';

/** Appends lines to files, asynchronously and in order per file. */
export interface LineSink {
  /**
   * Queue one line; false when it was refused (queue full, writer closed) and will never be written. Otherwise
   * `ack` is told, later, whether it was written or lost to a write error.
   */
  append(file: string, line: string, ack: LineAck): boolean;
  flush(): Promise<void>;
}

export interface LineWriterOptions {
  sink: LineSink;
  sessionsDir: string;
  index: IndexQueue;
  stats: WorkerStats;
  prices?: Prices;
  onLine?: (line: RecordLine) => void;
  log: (level: 'warn', message: string) => void;
}

/** A line and the form stored for it, when that differs (the lean v2 request and response lines). */
export interface StoredAs {
  line: RecordLine;
  stored: object;
}

/** Requests whose request line was lost, remembered until their response line (bounded: a response may never come). */
const LOST_REQUESTS_MAX = 10_000;

export class LineWriter {
  private readonly lost = new LostRequestLog();
  /** `file \0 id` of requests whose request line is not in their file (see `written`). */
  private readonly requestLineLost = new Set<string>();

  constructor(private readonly o: LineWriterOptions) {}

  /** Queue a session's lines, in order: the full line is indexed and observed, its stored form written. */
  write(s: SessionState, lines: readonly (RecordLine | StoredAs)[]): void {
    for (const item of lines) {
      const line = 'stored' in item ? item.line : item;
      const text = JSON.stringify('stored' in item ? item.stored : item);
      const ack: LineAck = {
        written: () => this.written(s, line, text),
        lost: () => this.lineLost(s, line),
      };
      if (!this.o.sink.append(s.abs, text, ack)) this.lineLost(s, line);
    }
  }

  private written(s: SessionState, line: RecordLine, text: string): void {
    s.bytes += Buffer.byteLength(text) + 1;
    s.lines++;
    this.o.stats.linesWritten++;
    this.o.index.push(statementsFor(line, s.file, this.o.prices));
    this.o.index.progress(fileProgress(s.file, s.bytes, s.lines));
    // A response whose request line was lost (the disk filled between them) is an exchange counted as lost: the
    // observers (metrics, OpenTelemetry) must not count it as recorded too.
    if (line.type === 'response' && this.requestLineLost.delete(`${s.abs}\u0000${line.id}`)) return;
    if (this.o.onLine) {
      try {
        this.o.onLine(line);
      } catch (err) {
        this.o.log('warn', `line observer failed: ${(err as Error).message}`);
      }
    }
  }

  private lineLost(s: SessionState, line: RecordLine): void {
    this.o.stats.linesDropped++;
    if (line.type !== 'request' && line.type !== 'response') return;
    const key = `${s.abs}\u0000${line.id}`;
    if (line.type === 'response') this.requestLineLost.delete(key);
    else {
      if (this.requestLineLost.size >= LOST_REQUESTS_MAX) this.requestLineLost.clear();
      this.requestLineLost.add(key);
    }
    // The file lacks this line: the session's next lean lines must not leave out a base it may have named.
    s.previousBases = {};
    if (this.lost.add(s.abs, line.id)) this.o.stats.exchangesLost++;
  }

  /** What the gap line being built for `file` (absolute) should say about lost requests. */
  peekLost(file: string): LostRequests | null {
    return this.lost.peek(file);
  }

  /**
   * The sink put a gap line into `file` (absolute): index it (the session counts its losses, the requests it
   * names stop being in flight), and forget the losses it accounts for.
   */
  gapWritten(file: string, gap: GapLine): void {
    this.o.index.push(statementsFor(gap, path.relative(this.o.sessionsDir, file), this.o.prices));
    this.lost.accounted(file, gap.requests?.length ?? 0, gap.requests_lost ?? 0);
  }
}
