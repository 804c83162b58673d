// The recorder's engine, running in the recorder worker: turns the exchange messages from the proxy's thread
// into JSONL lines (session, blocks, request, response) and index rows, measures tool latency, and produces
// live events. Work per session is serialised, so a session's lines are in a deterministic order and a
// response line never precedes its request line. Nothing here can slow the proxy: it only ever sees copies.
import type { IncomingHttpHeaders } from 'node:http';
import type { ReassembledResponse, RequestFacts } from '../../src-shared/exchange.js';
import type { LiveEvent } from '../../src-shared/live.js';
import type { ClientKind, GapLine, RecordLine } from '../../src-shared/records.js';
import type { Redactor } from '../redaction/index.js';
import type { Prices } from '../analytics/prices.js';
import type { IndexDb } from '../index/types.js';
import type { ExchangeEnd } from '../proxy/tap.js';
import { extractRequestFacts } from './parse/request-facts.js';
import { layout, RawParts } from './parse/blocks.js';
import { decodeAll } from './decode.js';
import { HttpExchange } from './exchange.js';
import { INDEX_BATCH_MS, IndexQueue } from './index-queue.js';
import { Redaction } from './line-redaction.js';
import { buildRequestLines, buildResponseLine, readBody, type ResponseInput } from './lines.js';
import { LiveProgress, responseText } from './live-progress.js';
import { LineWriter, type LineSink, type StoredAs } from './line-writer.js';
import type { LostRequests } from './lost-requests.js';
import type { OpenMsg, ToWorker, WorkerStats } from './protocol.js';
import { SESSION_IDLE_MS, SessionStore, type SessionState } from './session-store.js';
import { recognizeClient, replaySession, resolveSession } from './sessions.js';
import { WorkOrder } from './work-order.js';
import { WsExchange, type WsTurnEvent } from './ws-exchange.js';

export type { LineSink } from './line-writer.js';

export interface EngineOptions {
  /** `<data-dir>/sessions`. */
  sessionsDir: string;
  sink: LineSink;
  index: IndexDb;
  redactor: Redactor;
  maxBodyBytes: number;
  /** Live events, batched by the caller. Only called while `live` is on. */
  onLive?: (e: LiveEvent) => void;
  /** Every line written (already redacted): the worker's metrics and OpenTelemetry export read them. */
  onLine?: (line: RecordLine) => void;
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /** Index statements are committed in batches at most this often (ms; default INDEX_BATCH_MS). */
  indexIntervalMs?: number;
  /** The price table for request costs in the index (default: the bundled one). */
  prices?: Prices;
  /** An HTTP exchange not heard of for this long is recorded as interrupted/stale (default 11 min). */
  staleMs?: number;
  /** Sessions idle this long are dropped from memory (reloaded from the index if they come back). */
  sessionIdleMs?: number;
}

export class RecorderEngine {
  private readonly http = new Map<string, HttpExchange>();
  private readonly ws = new Map<string, WsExchange>();
  /** Per exchange: resolves to the session once its request line is written. */
  private readonly requestDone = new Map<string, Promise<SessionState | null>>();
  private readonly sessions: SessionStore;
  private readonly redaction: Redaction;
  private readonly indexQueue: IndexQueue;
  private readonly progress: LiveProgress;
  private readonly work = new WorkOrder();
  private readonly rawParts = new RawParts(); // re-sent parts of request bodies, by their bytes' hash
  live = false;
  readonly stats: WorkerStats = {
    linesWritten: 0,
    linesDropped: 0,
    writeErrors: 0,
    indexErrors: 0,
    redactionFailures: 0,
    openExchanges: 0,
    exchangesLost: 0,
  };
  private readonly lines: LineWriter;

  constructor(private readonly o: EngineOptions) {
    this.redaction = new Redaction(o.redactor, this.stats);
    this.sessions = new SessionStore({
      sessionsDir: o.sessionsDir,
      index: o.index,
      redaction: this.redaction,
      log: (level, message) => this.log(level, message),
    });
    this.indexQueue = new IndexQueue(o.index, o.indexIntervalMs ?? INDEX_BATCH_MS, (err, n) => {
      this.stats.indexErrors++;
      this.log('error', `index update failed (${n} statements): ${err.message}`);
      this.emit({
        type: 'recorder_problem',
        kind: 'index_error',
        count: 1,
        message: `index update failed: ${err.message}`,
      });
    });
    this.progress = new LiveProgress({
      stable: (text) => this.redaction.stable(text),
      whole: (text) => this.redaction.text(text),
    });
    this.lines = new LineWriter({
      sink: o.sink,
      sessionsDir: o.sessionsDir,
      index: this.indexQueue,
      stats: this.stats,
      ...(o.prices ? { prices: o.prices } : {}),
      ...(o.onLine ? { onLine: o.onLine } : {}),
      log: (level, message) => this.log(level, message),
    });
  }

  setRedactor(r: Redactor): void {
    this.redaction.setRedactor(r);
    this.sessions.memo.clear();
    // Blocks already written were redacted under the old policy; new ones get new hashes, so sessions simply
    // write them again under the new policy.
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }

  // --- message handling ------------------------------------------------------------------------------------

  handle(m: ToWorker): void {
    switch (m.t) {
      case 'open':
        if (m.transport === 'websocket') this.ws.set(m.id, new WsExchange(m, this.o.maxBodyBytes));
        else this.http.set(m.id, new HttpExchange(m, this.o.maxBodyBytes));
        this.stats.openExchanges = this.http.size + this.ws.size;
        return;
      case 'rq': {
        const ex = this.http.get(m.id);
        if (ex) {
          ex.lastSeenAt = Date.now();
          ex.requestData(m.c);
        }
        return;
      }
      case 'rqEnd': {
        const ex = this.http.get(m.id);
        if (ex && !ex.requestEnded) {
          ex.requestEnded = true;
          this.requestDone.set(m.id, this.recordRequest(ex, this.work.endingNow()));
        }
        return;
      }
      case 'head': {
        const h = this.http.get(m.id);
        if (h) h.responseHead(m.status, m.headers, m.ms);
        else this.ws.get(m.id)?.upgraded(m.status, m.headers);
        return;
      }
      case 'rs': {
        const ex = this.http.get(m.id);
        if (ex) {
          ex.lastSeenAt = Date.now();
          ex.responseData(m.c, m.ms);
        }
        return;
      }
      case 'ws':
        this.ws.get(m.id)?.data(m.from, m.c, m.ms, (turn) => this.onWsTurn(m.id, turn));
        return;
      case 'drop':
        this.http.get(m.id)?.drop();
        return;
      case 'end': {
        const ex = this.http.get(m.id);
        if (ex) {
          this.http.delete(m.id);
          if (!ex.requestEnded) {
            ex.requestEnded = true;
            this.requestDone.set(m.id, this.recordRequest(ex, this.work.endingNow()));
          }
          this.work.ended(this.recordResponse(ex, m.end, m.ms, m.dispatchMs, m.overheadMs));
        } else {
          const w = this.ws.get(m.id);
          if (w) {
            this.ws.delete(m.id);
            w.close(m.ms, m.end, (turn) => this.onWsTurn(m.id, turn));
          }
        }
        this.stats.openExchanges = this.http.size + this.ws.size;
        return;
      }
      default:
        return;
    }
  }

  // --- writing --------------------------------------------------------------------------------------------

  private write(s: SessionState, lines: (RecordLine | StoredAs)[]): void {
    this.sessions.touched(s);
    this.lines.write(s, lines);
  }

  /** What the gap line being built for `file` should say about lost requests (see LineWriter). */
  peekLost(file: string): LostRequests | null {
    return this.lines.peekLost(file);
  }

  /** The sink wrote a gap line into `file` (see LineWriter). */
  gapWritten(file: string, gap: GapLine): void {
    this.lines.gapWritten(file, gap);
  }

  flushIndex(): Promise<void> {
    return this.indexQueue.flush();
  }

  private emit(e: LiveEvent): void {
    if (this.live) this.o.onLive?.(e);
  }

  // --- requests --------------------------------------------------------------------------------------------

  private async recordRequest(ex: HttpExchange, after: Promise<void>[]): Promise<SessionState | null> {
    try {
      await Promise.all(after);
      let body = ex.requestBody();
      let bodyEncoding = ex.requestEncoding();
      let decodeNote: string | null = null;
      if (bodyEncoding) {
        const d = await decodeAll(bodyEncoding, body);
        if (d.data) body = d.data;
        else decodeNote = d.error;
      }
      if (decodeNote) bodyEncoding = `${bodyEncoding} (undecoded)`;
      const s = await this.recordRequestBody(
        ex.open,
        body,
        ex.reqBytes,
        ex.reqTruncated,
        bodyEncoding,
        ex.open.startedAt,
      );
      ex.sessionId = s.id;
      return s;
    } catch (err) {
      this.log('error', `recording request ${ex.open.id} failed: ${(err as Error).message}`);
      return null;
    }
  }

  /** Shared by HTTP requests and WebSocket `response.create` messages. */
  async recordRequestBody(
    open: OpenMsg,
    body: Buffer,
    bodyBytes: number,
    truncated: boolean,
    encoding: string | null,
    at: number,
    idOverride?: string,
  ): Promise<SessionState> {
    const id = idOverride ?? open.id;
    const { parsed, bodyText } =
      this.rawParts.read(body, !truncated && !encoding, layout(open.dialect, open.endpoint)) ??
      readBody(body, truncated, encoding);
    const facts: RequestFacts = extractRequestFacts(parsed ?? null, {
      dialect: open.dialect,
      endpoint: open.endpoint,
    });
    const headers = open.headers as IncomingHttpHeaders;
    const client = recognizeClient(headers);
    const identity = open.replayOf
      ? replaySession(await this.sessions.recordedRequest(open.replayOf), open.replayOf)
      : resolveSession(headers, facts.sessionHints);
    const lines: RecordLine[] = [];
    const s = await this.sessions.get(identity.id, at, client, identity.source, lines);
    const run = s.queue.then(() => {
      const { blocks, request, stored } = buildRequestLines(
        s,
        { id, open, at, parsed, bodyText, bodyBytes, truncated, encoding, facts, client },
        this.redaction.line(),
      );
      this.write(s, [...lines, ...blocks, { line: request, stored }]);
      this.emit({
        type: 'request_started',
        id,
        session_id: s.id,
        at,
        client: client.client as ClientKind,
        dialect: open.dialect,
        endpoint: open.endpoint,
        model: facts.model,
        stream: request.stream,
        prompt_preview: request.prompt ? request.prompt.slice(0, 280) : null,
      });
    });
    s.queue = run.catch((err: Error) => this.log('error', `recording request ${id} failed: ${err.message}`));
    await s.queue;
    return s;
  }

  // --- responses -------------------------------------------------------------------------------------------

  private async recordResponse(
    ex: HttpExchange,
    end: ExchangeEnd,
    endMs: number,
    dispatchMs: number | null,
    overheadMs: number | null,
  ): Promise<void> {
    const id = ex.open.id;
    try {
      const { response, bodyText } = await ex.finish();
      this.emitProgress(id, ex, response);
      const s = await this.requestDone.get(id);
      this.requestDone.delete(id);
      if (!s) return;
      await this.writeResponse(s, {
        id,
        client: recognizeClient(ex.open.headers as IncomingHttpHeaders),
        at: ex.open.startedAt + endMs,
        // No upstream head: the client got LunaRoute's own error reply, whose status is what it saw.
        status: ex.status ?? (end.kind === 'upstream_error' ? end.status : null),
        headers: ex.resHeaders,
        end,
        response,
        bodyText,
        timings: {
          ttfb_ms: ex.headMs,
          first_content_ms: response?.firstContentAtMs ?? null,
          duration_ms: endMs,
          provider_ms: dispatchMs !== null && ex.lastChunkMs !== null ? ex.lastChunkMs - dispatchMs : null,
          overhead_ms: overheadMs,
        },
        bytes: ex.resBytes,
        chunks: ex.chunks,
        truncated: ex.resTruncated || ex.dropped,
        dropped: ex.dropped,
      });
    } catch (err) {
      this.log('error', `recording response ${id} failed: ${(err as Error).message}`);
    }
  }

  async writeResponse(s: SessionState, r: ResponseInput): Promise<void> {
    const run = s.queue.then(() => {
      const { blocks, line, stored, errorMessage } = buildResponseLine(s, r, this.redaction.line());
      this.write(s, [...blocks, { line, stored }]);
      for (const b of line.response?.content ?? []) {
        if (b.type === 'tool_call' && b.kind !== 'server' && !s.answered.has(b.id))
          s.toolCalls.set(b.id, { requestId: r.id, endAt: line.at });
      }
      this.emit({
        type: 'request_finished',
        id: r.id,
        session_id: s.id,
        at: r.at,
        outcome: line.outcome,
        reason: line.reason,
        status: r.status,
        model: line.model,
        usage: line.usage,
        duration_ms: r.timings.duration_ms,
        error_message: errorMessage,
      });
    });
    s.queue = run.catch((err: Error) =>
      this.log('error', `recording response ${r.id} failed: ${err.message}`),
    );
    await s.queue;
  }

  // --- WebSocket turns -------------------------------------------------------------------------------------

  private onWsTurn(exchangeId: string, turn: WsTurnEvent): void {
    const after = turn.kind === 'request' ? this.work.endingNow() : [];
    const work = (async () => {
      const w = turn.exchange;
      if (turn.kind === 'request') {
        const p = Promise.all(after).then(() =>
          this.recordRequestBody(
            w.open,
            turn.body,
            turn.body.length,
            false,
            null,
            w.open.startedAt + turn.ms,
            turn.requestId,
          ),
        );
        this.requestDone.set(turn.requestId, p);
        await p;
        return;
      }
      const s = await this.requestDone.get(turn.requestId);
      this.requestDone.delete(turn.requestId);
      if (!s) return;
      await this.writeResponse(s, {
        id: turn.requestId,
        client: recognizeClient(w.open.headers as IncomingHttpHeaders),
        at: w.open.startedAt + turn.ms,
        status: 101,
        headers: null,
        end: turn.end,
        response: turn.response,
        bodyText: null,
        timings: {
          ttfb_ms: turn.firstMessageMs === null ? null : turn.firstMessageMs - turn.startMs,
          first_content_ms:
            turn.response.firstContentAtMs === null ? null : turn.response.firstContentAtMs - turn.startMs,
          duration_ms: turn.ms - turn.startMs,
          provider_ms: turn.ms - turn.startMs,
          overhead_ms: null,
        },
        bytes: turn.bytes,
        chunks: turn.messages,
        truncated: false,
      });
    })().catch((err: Error) =>
      this.log('error', `recording WebSocket turn on ${exchangeId} failed: ${err.message}`),
    );
    if (turn.kind === 'request') void this.work.track(work);
    else this.work.ended(work);
  }

  // --- live progress ---------------------------------------------------------------------------------------

  /** Emit text progress for streaming responses (called every ~50 ms). */
  tickProgress(): void {
    for (const [id, ex] of this.http) this.emitProgress(id, ex);
  }

  /** Progress of one exchange; with its `finished` response, the rest of the text (all decided now) follows. */
  private emitProgress(id: string, ex: HttpExchange, finished?: ReassembledResponse | null): void {
    const ended = finished !== undefined;
    const live = this.live && ex.status !== null && ex.sessionId !== null;
    const text = live ? responseText(ended ? finished : ex.snapshot()) : null;
    const e = text === null ? null : this.progress[ended ? 'last' : 'next'](id, ex.sessionId as string, text);
    if (e) this.emit(e);
    if (ended) this.progress.forget(id);
  }

  /** Whether a session file is being written to (recent activity): retention must leave it alone. */
  isActive(abs: string): boolean {
    return this.sessions.isActive(abs, this.o.sessionIdleMs ?? SESSION_IDLE_MS);
  }

  /** Retention removed these files: forget their sessions, so a returning session starts a new file. */
  forgetFiles(paths: string[]): void {
    this.sessions.forgetFiles(paths);
  }

  /**
   * Housekeeping, called every minute or so: exchanges not heard of for `staleMs` are recorded as interrupted
   * (the proxy always ends its exchanges, so this only catches a lost message), and idle sessions leave memory.
   */
  sweep(now = Date.now()): void {
    const staleMs = this.o.staleMs ?? 11 * 60_000;
    for (const [id, ex] of this.http) {
      if (now - ex.lastSeenAt > staleMs) {
        this.handle({
          t: 'end',
          id,
          end: { kind: 'stale' },
          ms: now - ex.open.startedAt,
          dispatchMs: null,
          overheadMs: null,
        });
      }
    }
    const busy = new Set<string>();
    for (const ex of this.http.values()) if (ex.sessionId) busy.add(ex.sessionId);
    this.sessions.dropIdle(now, this.o.sessionIdleMs ?? SESSION_IDLE_MS, busy);
  }

  /** Resolves when every exchange already ended has its lines queued (requests and responses written). */
  async settle(): Promise<void> {
    await this.work.settle();
    await Promise.all([...this.requestDone.values()]);
    await this.sessions.settle();
  }

  /** Finish everything still open (shutdown): each becomes `interrupted`, then all lines are flushed. */
  async close(): Promise<void> {
    for (const id of [...this.http.keys()])
      this.handle({
        t: 'end',
        id,
        end: { kind: 'shutdown' },
        ms: Date.now() - this.http.get(id)!.open.startedAt,
        dispatchMs: null,
        overheadMs: null,
      });
    for (const id of [...this.ws.keys()])
      this.handle({
        t: 'end',
        id,
        end: { kind: 'shutdown' },
        ms: Date.now() - this.ws.get(id)!.open.startedAt,
        dispatchMs: null,
        overheadMs: null,
      });
    await this.settle();
    await this.o.sink.flush();
    await this.flushIndex();
  }
}
