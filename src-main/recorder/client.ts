// The recorder's presence on the proxy's thread: an ExchangeObserver whose taps queue references to the bytes
// in both directions; the queue goes to the recorder worker in one postMessage per event-loop turn, at most one
// per 2 ms under load (or every `batchMs`), its chunks packed into one ArrayBuffer that is transferred, not
// cloned. It does no parsing, hashing or I/O, so recording costs the proxy a copy per byte and a postMessage per
// batch. The bytes in flight are bounded: past the bound, exchanges stop being copied (counted, shown, and
// marked in the JSONL) rather than slowing the proxy or growing memory.
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { LiveEvent } from '../../src-shared/live.js';
import type { ExchangeObserver, ExchangeStart, ExchangeTap } from '../proxy/tap.js';
import type { FromWorker, HeaderRecord, ToWorker, WorkerStats } from './protocol.js';

/** What the client needs of a worker (a worker_threads Worker, or an in-thread stand-in in tests). */
export interface WorkerPort {
  postMessage(batch: ToWorker[], transfer?: ArrayBuffer[]): void;
  on(event: 'message', listener: (m: FromWorker) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

export interface RecorderClientOptions {
  /** Bytes copied but not yet processed by the worker before new exchanges stop being copied (default 64 MiB). */
  maxInFlightBytes?: number;
  onDrop?: (count: number) => void;
  /**
   * How long exchange messages may wait to be posted together (default 0: once per event-loop turn). Longer
   * batches save postMessage calls but delay lines on disk (and so what a crash can lose) by as much.
   */
  batchMs?: number;
  /**
   * At most one post per this many ms (default 2): after a quiet spell the first message goes on this turn, and
   * under load what follows within the interval joins one post. Each post costs both threads ~30 µs (a clone and
   * a wake-up), and a request makes two or three; 2 ms of delay is nothing beside the writer's 100 ms.
   */
  minPostIntervalMs?: number;
  /** Queued chunk bytes that post the batch at once (default 1 MiB). */
  batchBytes?: number;
}

function plainHeaders(h: IncomingHttpHeaders): HeaderRecord {
  const out: HeaderRecord = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v;
  return out;
}

export class RecorderClient implements ExchangeObserver {
  private queue: ToWorker[] = [];
  /** Bytes of the chunks in `queue` (packed into one transferred buffer when posted). */
  private queuedBytes = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly batchMs: number;
  private readonly batchBytes: number;
  private readonly minPostIntervalMs: number;
  /** performance.now() of the last post. */
  private lastPostAt = -Infinity;
  private inFlight = 0;
  private readonly maxInFlight: number;
  private seq = 0;
  private readonly waiting = new Map<number, (stats: WorkerStats) => void>();
  private readonly queries = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly live = new EventEmitter();
  private liveListeners = 0;
  private closed = false;
  /** Whether new exchanges are recorded (the tray/UI toggle). */
  enabled = true;
  dropped = 0;
  lastStats: WorkerStats | null = null;

  constructor(
    private readonly worker: WorkerPort,
    private readonly options: RecorderClientOptions = {},
  ) {
    this.maxInFlight = options.maxInFlightBytes ?? 64 * 1024 * 1024;
    this.batchMs = options.batchMs ?? 0;
    this.batchBytes = options.batchBytes ?? 1024 * 1024;
    this.minPostIntervalMs = options.minPostIntervalMs ?? 2;
    this.live.setMaxListeners(0);
    worker.on('message', (m) => this.onMessage(m));
  }

  /** Bytes copied to the worker and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.inFlight;
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'stats':
        this.lastStats = m.stats;
        return;
      case 'ack':
        this.inFlight = Math.max(0, this.inFlight - m.bytes);
        return;
      case 'live':
        for (const e of m.events) this.live.emit('event', e);
        return;
      case 'result': {
        const q = this.queries.get(m.seq);
        this.queries.delete(m.seq);
        if (m.ok) q?.resolve(m.value);
        else q?.reject(new Error(m.error));
        return;
      }
      case 'done':
        this.lastStats = m.stats;
        this.waiting.get(m.seq)?.(m.stats);
        this.waiting.delete(m.seq);
        return;
      default:
        return;
    }
  }

  /** Queue a message; `now` (a caller waits on it) posts the batch on this turn's end rather than after batchMs. */
  private post(msg: ToWorker, now = false): void {
    this.queue.push(msg);
    if (msg.t === 'rq' || msg.t === 'rs' || msg.t === 'ws') this.queuedBytes += msg.c.byteLength;
    if (now || this.queuedBytes >= this.batchBytes) {
      this.postThisTurn();
      return;
    }
    if (this.scheduled || this.timer) return;
    const wait = Math.max(this.batchMs, this.lastPostAt + this.minPostIntervalMs - performance.now());
    if (wait <= 0) this.postThisTurn();
    else this.timer = setTimeout(() => this.postQueued(), Math.ceil(wait));
  }

  /** Post what is queued at the end of this event-loop turn (replacing a later timed post). */
  private postThisTurn(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    setImmediate(() => this.postQueued());
  }

  private postQueued(): void {
    this.scheduled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    if (batch.length === 0 || this.closed) return;
    this.lastPostAt = performance.now();
    // One copy of every chunk into a single buffer that is transferred: cloning each chunk would copy the whole
    // socket buffer behind it, and the proxy still owns those (they are on their way to the other side).
    const packed = new Uint8Array(bytes);
    let at = 0;
    for (const m of batch) {
      if (m.t === 'rq' || m.t === 'rs' || m.t === 'ws') {
        packed.set(m.c, at);
        m.c = packed.subarray(at, at + m.c.byteLength);
        at += m.c.byteLength;
      }
    }
    this.worker.postMessage(batch, bytes > 0 ? [packed.buffer] : []);
  }

  open(start: ExchangeStart): ExchangeTap | undefined {
    if (!this.enabled || this.closed) return undefined;
    if (this.inFlight > this.maxInFlight) {
      this.drop(1);
      return undefined;
    }
    const id = start.id;
    const startHr = start.startHr;
    const ms = (hr: bigint): number => Number(hr - startHr) / 1e6;
    let dropped = false;
    const copy = (c: Buffer): Uint8Array | null => {
      if (dropped) return null;
      if (this.inFlight > this.maxInFlight) {
        dropped = true;
        this.drop(1);
        this.post({ t: 'drop', id });
        return null;
      }
      this.inFlight += c.byteLength;
      return c;
    };
    this.post({
      t: 'open',
      id,
      dialect: start.dialect,
      endpoint: start.endpoint,
      transport: start.transport,
      ...(start.forwardHost !== undefined && { forwardHost: start.forwardHost }),
      method: start.method,
      url: start.url,
      upstreamUrl: start.upstreamUrl,
      headers: plainHeaders(start.headers),
      credentialSource: start.credentialSource,
      startedAt: start.startedAt,
      ...(start.replayOf ? { replayOf: start.replayOf } : {}),
    });
    return {
      requestData: (chunk) => {
        const c = copy(chunk);
        if (c) this.post({ t: 'rq', id, c });
      },
      requestEnd: () => this.post({ t: 'rqEnd', id, ms: ms(process.hrtime.bigint()) }),
      responseHead: (status, headers, atHr) =>
        this.post({ t: 'head', id, status, headers: plainHeaders(headers), ms: ms(atHr) }),
      responseData: (chunk) => {
        const c = copy(chunk);
        if (c) this.post({ t: 'rs', id, c, ms: ms(process.hrtime.bigint()) });
      },
      wsData: (from, chunk) => {
        const c = copy(chunk);
        if (c) this.post({ t: 'ws', id, from, c, ms: ms(process.hrtime.bigint()) });
      },
      end: (end, atHr, timing) =>
        this.post({
          t: 'end',
          id,
          end,
          ms: ms(atHr),
          dispatchMs: timing?.dispatchHr ? ms(timing.dispatchHr) : null,
          overheadMs: timing?.overheadNs != null ? timing.overheadNs / 1e6 : null,
        }),
    };
  }

  private drop(n: number): void {
    this.dropped += n;
    this.options.onDrop?.(n);
    this.live.emit('event', {
      type: 'recorder_problem',
      kind: 'dropped',
      count: this.dropped,
      message: `The recorder fell behind: ${this.dropped} exchange(s) not fully recorded.`,
    } satisfies LiveEvent);
  }

  /** Subscribe to live events; the worker only produces them while someone listens. */
  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.live.on('event', listener);
    if (this.liveListeners++ === 0) this.post({ t: 'live', on: true }, true);
    return () => {
      this.live.off('event', listener);
      if (--this.liveListeners === 0) this.post({ t: 'live', on: false }, true);
    };
  }

  setRedaction(config: ToWorker & { t: 'redaction' }): void {
    this.post(config, true);
  }

  /** Replace the retention policy; the worker sweeps with it at once. */
  setRetention(policy: (ToWorker & { t: 'retention' })['policy']): void {
    this.post({ t: 'retention', policy }, true);
  }

  /** Run a named read query in the worker (see queries.ts). */
  query<T>(name: string, args: unknown = {}): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the recorder is stopped'));
    const seq = ++this.seq;
    const p = new Promise<T>((resolve, reject) =>
      this.queries.set(seq, { resolve: resolve as (v: unknown) => void, reject }),
    );
    this.post({ t: 'query', seq, name, args }, true);
    return p;
  }

  /** Resolves when everything posted so far is written (JSONL flushed, index committed). */
  flush(): Promise<WorkerStats> {
    const seq = ++this.seq;
    const done = new Promise<WorkerStats>((resolve) => this.waiting.set(seq, resolve));
    this.post({ t: 'flush', seq }, true);
    return done;
  }

  /** Finish open exchanges as interrupted, flush, and stop the worker; at most `deadlineMs`. */
  async close(deadlineMs = 2_000): Promise<WorkerStats | null> {
    if (this.closed) return this.lastStats;
    const seq = ++this.seq;
    const done = new Promise<WorkerStats | null>((resolve) => this.waiting.set(seq, resolve));
    this.post({ t: 'close', seq });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), deadlineMs)));
    // Post synchronously now rather than on the next turn: the caller may be about to exit.
    this.postQueued();
    this.closed = true;
    const stats = await Promise.race([done, deadline]);
    clearTimeout(timer);
    await this.worker.terminate();
    return stats;
  }
}
