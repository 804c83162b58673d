// The recorder's engine, running in the recorder worker: turns the exchange messages from the proxy's thread
// into JSONL lines (session, blocks, request, response) and index rows, measures tool latency, and produces
// live events. Work per session is serialised, so a session's lines are in a deterministic order and a
// response line never precedes its request line. Nothing here can slow the proxy: it only ever sees copies.
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonValue, ReassembledResponse, RequestFacts } from '../../src-shared/exchange.js';
import type { LiveEvent } from '../../src-shared/live.js';
import {
  RECORD_VERSION,
  type BlockLine,
  type ClientKind,
  type RecordLine,
  type RequestLine,
  type ResponseLine,
  type SessionLine,
  type ToolResultLine,
} from '../../src-shared/records.js';
import type { Redactor } from '../redaction/index.js';
import type { Prices } from '../analytics/prices.js';
import { dayDirName } from '../storage/fsutil.js';
import { RedactionMemo, SessionBlocks, addFindings, type Findings } from './parse/blocks.js';
import { decodeAll } from './decode.js';
import { HttpExchange, decideOutcome } from './exchange.js';
import { fileProgress, statementsFor, type Stmt } from '../index/indexer.js';
import type { IndexDb } from '../index/types.js';
import { extractRequestFacts } from './parse/request-facts.js';
import { recognizeClient, resolveSession } from './sessions.js';
import { WsExchange, type WsTurnEvent } from './ws-exchange.js';
import type { OpenMsg, ToWorker, WorkerStats } from './protocol.js';
import type { ExchangeEnd } from '../proxy/tap.js';

/** Appends lines to files, asynchronously and in order per file. */
export interface LineSink {
  append(file: string, line: string): void;
  flush(): Promise<void>;
}

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
  /** Index statements are committed in batches at most this often (ms). */
  indexIntervalMs?: number;
  /** The price table for request costs in the index (default: the bundled one). */
  prices?: Prices;
  /** An HTTP exchange not heard of for this long is recorded as interrupted/stale (default 11 min). */
  staleMs?: number;
  /** Sessions idle this long are dropped from memory (reloaded from the index if they come back). */
  sessionIdleMs?: number;
}

interface PendingToolCall {
  requestId: string;
  /** Epoch ms when the response that asked for it ended. */
  endAt: number;
}

interface SessionState {
  id: string;
  /** Relative to the sessions dir. */
  file: string;
  abs: string;
  blocks: SessionBlocks;
  toolCalls: Map<string, PendingToolCall>;
  /** Tool results already attributed, so re-sent history never counts twice. */
  answered: Set<string>;
  /** Serialises this session's work. */
  queue: Promise<void>;
  /** Bytes and lines appended to the file so far (the index's `files` row), to detect a lagging index. */
  bytes: number;
  lines: number;
  /** Epoch ms of the last line written. */
  lastAt: number;
}

interface LiveProgress {
  /** Raw characters of response text seen at the last tick. */
  rawChars: number;
  /** The redacted text already sent to the UI. */
  sent: string;
}

/**
 * Live text is held back this many characters while a stream runs, so a secret split across deltas is whole
 * (and redacted) before any of it is shown. Longer secrets (PEM blocks) may show partly for a moment; the
 * next tick then sends a reset with the fully redacted text. Storage is never affected: it redacts the
 * reassembled text.
 */
const LIVE_HOLDBACK = 128;

const PROMPT_CHARS = 16 * 1024;

function headerRecord(h: OpenMsg['headers']): IncomingHttpHeaders {
  return h as IncomingHttpHeaders;
}

export class RecorderEngine {
  private readonly http = new Map<string, HttpExchange>();
  private readonly ws = new Map<string, WsExchange>();
  /** Per exchange: resolves to the session once its request line is written. */
  private readonly requestDone = new Map<string, Promise<SessionState | null>>();
  private readonly sessions = new Map<string, Promise<SessionState>>();
  private readonly memo = new RedactionMemo();
  private redactor: Redactor;
  private indexBatch: Stmt[] = [];
  private indexTimer: NodeJS.Timeout | null = null;
  private indexChain: Promise<void> = Promise.resolve();
  private readonly progress = new Map<string, LiveProgress>();
  private readonly inProgress = new Set<Promise<void>>();
  /** Session file (absolute) → session id, for retention's "is it being written" question. */
  private readonly sessionFiles = new Map<string, string>();
  private readonly resolvedSessions = new Map<string, SessionState>();
  /**
   * Responses (HTTP exchanges and WebSocket turns) that ended and are still being written. A request recorded
   * after them waits for them first: a response may need asynchronous work (decoding a gzip body) and the next
   * request of its session — carrying the result of a tool it asked for — must see its tool calls.
   */
  private readonly ending = new Set<Promise<void>>();
  live = false;
  readonly stats: WorkerStats = {
    linesWritten: 0,
    linesDropped: 0,
    writeErrors: 0,
    indexErrors: 0,
    redactionFailures: 0,
    openExchanges: 0,
  };

  constructor(private readonly o: EngineOptions) {
    this.redactor = o.redactor;
  }

  setRedactor(r: Redactor): void {
    this.redactor = r;
    this.memo.clear();
    // Blocks already written were redacted under the old policy; new ones get new hashes, so sessions simply
    // write them again under the new policy.
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', message: string): void {
    this.o.log?.(level, message);
  }

  // --- redaction helpers -----------------------------------------------------------------------------------

  /** Findings of the line being built (null when no line is being built). */
  private acc: Findings | null = null;

  /** The redactor as blocks use it: value and findings (failures count as `redaction_failed`). */
  private redactValue = (v: JsonValue): { value: JsonValue; findings: Findings } => {
    const r = this.redactor.redactJson(v);
    this.stats.redactionFailures += r.report.failed;
    const findings = r.report.failed
      ? { ...r.report.findings, redaction_failed: r.report.failed }
      : r.report.findings;
    return { value: r.value, findings };
  };

  /** Redact a value that is not a block; its findings go to the line being built. */
  private redactOne(v: JsonValue): JsonValue {
    const r = this.redactValue(v);
    if (this.acc) addFindings(this.acc, r.findings);
    return r.value;
  }

  private redactText(s: string | null): string | null {
    if (s === null) return null;
    const r = this.redactor.redactText(s);
    if (r.failed) this.stats.redactionFailures++;
    if (this.acc) addFindings(this.acc, r.failed ? { ...r.findings, redaction_failed: 1 } : r.findings);
    return r.value;
  }

  private redactHeaderMap(h: Record<string, string | string[]>): Record<string, string | string[]> {
    const r = this.redactor.redactHeaders(h);
    if (this.acc) addFindings(this.acc, r.findings);
    return r.value;
  }

  /** Start collecting findings for a line; `finish` returns them (undefined when none). */
  private beginLine(): void {
    this.acc = {};
  }

  private endLine(extra?: Findings): Findings | undefined {
    const f = this.acc ?? {};
    this.acc = null;
    if (extra) addFindings(f, extra);
    return Object.keys(f).length > 0 ? f : undefined;
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
          this.requestDone.set(m.id, this.recordRequest(ex, [...this.ending]));
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
      case 'drop': {
        const ex = this.http.get(m.id);
        if (ex) ex.dropped = true;
        return;
      }
      case 'end': {
        const ex = this.http.get(m.id);
        if (ex) {
          this.http.delete(m.id);
          if (!ex.requestEnded) {
            ex.requestEnded = true;
            this.requestDone.set(m.id, this.recordRequest(ex, [...this.ending]));
          }
          this.ended(this.recordResponse(ex, m.end, m.ms, m.dispatchMs, m.overheadMs));
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

  // --- sessions --------------------------------------------------------------------------------------------

  private session(
    id: string,
    at: number,
    client: ReturnType<typeof recognizeClient>,
    idSource: SessionLine['id_source'],
    lines: RecordLine[],
  ): Promise<SessionState> {
    let s = this.sessions.get(id);
    if (!s) {
      s = (async () => {
        // A session seen before (earlier today, yesterday, before a restart) keeps its file: one session, one file.
        let file: string | null = null;
        let bytes = 0;
        let lineCount = 0;
        const pending = new Map<string, PendingToolCall>();
        const answered = new Set<string>();
        try {
          const rows = await this.o.index.query<{ file: string }>('SELECT file FROM sessions WHERE id = ?', [
            id,
          ]);
          file = rows[0]?.file ?? null;
          if (file) {
            const f = await this.o.index.query<{ size: number; lines: number }>(
              'SELECT size, lines FROM files WHERE path = ?',
              [file],
            );
            bytes = f[0]?.size ?? 0;
            lineCount = f[0]?.lines ?? 0;
            const calls = await this.o.index.query<{
              id: string;
              request_id: string;
              called_at: number;
              result_request_id: string | null;
            }>('SELECT id, request_id, called_at, result_request_id FROM tool_calls WHERE session_id = ?', [
              id,
            ]);
            for (const c of calls) {
              if (c.result_request_id) answered.add(c.id);
              else pending.set(c.id, { requestId: c.request_id, endAt: c.called_at });
            }
          }
        } catch (err) {
          this.log('warn', `index lookup for session ${id} failed: ${(err as Error).message}`);
        }
        if (!file) {
          file = `${dayDirName(at)}/${id}.jsonl`;
          lines.push({
            type: 'session',
            v: RECORD_VERSION,
            session_id: id,
            at,
            client: client.client,
            client_version: client.version,
            user_agent: client.userAgent ? this.redactText(client.userAgent) : null,
            id_source: idSource,
          });
        }
        return {
          id,
          file,
          abs: path.join(this.o.sessionsDir, file),
          blocks: new SessionBlocks(this.memo, this.redactValue),
          toolCalls: pending,
          answered,
          queue: Promise.resolve(),
          bytes,
          lines: lineCount,
          lastAt: Date.now(),
        };
      })();
      this.sessions.set(id, s);
      void s.then((state) => this.resolvedSessions.set(id, state));
    }
    return s;
  }

  private write(s: SessionState, lines: RecordLine[]): void {
    s.lastAt = Date.now();
    this.sessionFiles.set(s.abs, s.id);
    for (const line of lines) {
      const text = JSON.stringify(line);
      this.o.sink.append(s.abs, text);
      s.bytes += Buffer.byteLength(text) + 1;
      s.lines++;
      this.stats.linesWritten++;
      this.queueIndex(statementsFor(line, s.file, this.o.prices));
      if (this.o.onLine) {
        try {
          this.o.onLine(line);
        } catch (err) {
          this.log('warn', `line observer failed: ${(err as Error).message}`);
        }
      }
    }
    this.queueIndex([fileProgress(s.file, s.bytes, s.lines)]);
  }

  private queueIndex(stmts: Stmt[]): void {
    if (stmts.length === 0) return;
    for (const st of stmts) this.indexBatch.push(st);
    this.indexTimer ??= setTimeout(() => void this.flushIndex(), this.o.indexIntervalMs ?? 250);
  }

  flushIndex(): Promise<void> {
    if (this.indexTimer) clearTimeout(this.indexTimer);
    this.indexTimer = null;
    const batch = this.indexBatch;
    this.indexBatch = [];
    if (batch.length > 0) {
      this.indexChain = this.indexChain.then(() =>
        this.o.index.run(batch).catch((err: Error) => {
          this.stats.indexErrors++;
          this.log('error', `index update failed (${batch.length} statements): ${err.message}`);
          this.emit({
            type: 'recorder_problem',
            kind: 'index_error',
            count: 1,
            message: `index update failed: ${err.message}`,
          });
        }),
      );
    }
    return this.indexChain;
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
    let parsed: JsonValue | undefined;
    let bodyText: string | null = null;
    if (body.length > 0 && !truncated && !(encoding ?? '').includes('undecoded')) {
      try {
        parsed = JSON.parse(body.toString('utf8')) as JsonValue;
      } catch {
        bodyText = body.subarray(0, 16 * 1024).toString('utf8');
      }
    } else if (body.length > 0) {
      bodyText = body.subarray(0, 16 * 1024).toString('utf8');
    }
    const facts: RequestFacts = extractRequestFacts(parsed ?? null, {
      dialect: open.dialect,
      endpoint: open.endpoint,
    });
    const headers = headerRecord(open.headers);
    const client = recognizeClient(headers);
    const identity = resolveSession(headers, facts.sessionHints);
    const lines: RecordLine[] = [];
    const s = await this.session(identity.id, at, client, identity.source, lines);
    const run = s.queue.then(() => {
      this.beginLine();
      const blocks: BlockLine[] = [];
      const storedHeaders: Record<string, string | string[]> = { ...this.redactHeaderMap(open.headers) };
      delete storedHeaders['content-length'];
      const headersRef = s.blocks.store('headers', storedHeaders as JsonValue, blocks);
      const skeleton =
        parsed !== undefined ? s.blocks.split(open.dialect, open.endpoint, parsed, blocks) : null;
      const toolResults: ToolResultLine[] = [];
      for (const r of facts.toolResults) {
        if (!r.inLastTurn || s.answered.has(r.id)) continue;
        s.answered.add(r.id);
        const call = s.toolCalls.get(r.id);
        s.toolCalls.delete(r.id);
        toolResults.push({
          id: r.id,
          is_error: r.isError,
          call_request_id: call?.requestId ?? null,
          latency_ms: call ? Math.max(0, at - call.endAt) : null,
        });
      }
      const prompt = facts.lastUserText ? this.redactText(facts.lastUserText.slice(0, PROMPT_CHARS)) : null;
      const request: RequestLine = {
        type: 'request',
        v: RECORD_VERSION,
        id,
        session_id: s.id,
        at,
        dialect: open.dialect,
        endpoint: open.endpoint,
        transport: open.forwardHost === undefined ? open.transport : `forward_${open.transport}`,
        method: open.method,
        url: this.redactText(open.url) ?? open.url,
        upstream_url: this.redactText(open.upstreamUrl) ?? '',
        client: client.client,
        headers_ref: headersRef,
        credential_source: open.credentialSource,
        body: skeleton,
        body_text: bodyText === null ? null : this.redactText(bodyText),
        body_bytes: bodyBytes,
        body_truncated: truncated,
        body_encoding: encoding,
        model: facts.model,
        stream: facts.stream || open.transport === 'websocket',
        prompt,
        message_count: facts.messageCount,
        tool_count: facts.toolCount,
        system_chars: facts.systemPromptChars,
        tool_results: toolResults,
      };
      const redaction = this.endLine(s.blocks.takeFindings());
      if (redaction) request.redaction = redaction;
      this.write(s, [...lines, ...blocks, request]);
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
        prompt_preview: prompt ? prompt.slice(0, 280) : null,
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
      const s = await this.requestDone.get(id);
      this.requestDone.delete(id);
      this.progress.delete(id);
      if (!s) return;
      await this.writeResponse(s, {
        id,
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
      });
    } catch (err) {
      this.log('error', `recording response ${id} failed: ${(err as Error).message}`);
    }
  }

  async writeResponse(
    s: SessionState,
    r: {
      id: string;
      at: number;
      status: number | null;
      headers: Record<string, string | string[]> | null;
      end: ExchangeEnd;
      response: ReassembledResponse | null;
      bodyText: string | null;
      timings: ResponseLine['timings'];
      bytes: number;
      chunks: number;
      truncated: boolean;
    },
  ): Promise<void> {
    const run = s.queue.then(() => {
      const o = decideOutcome(r.end, r.status, r.response);
      this.beginLine();
      const response = r.response
        ? (this.redactOne(r.response as unknown as JsonValue) as unknown as ReassembledResponse)
        : null;
      const usage = response?.usage ?? {
        input: null,
        cacheRead: null,
        cacheWrite: null,
        output: null,
        reasoning: null,
        raw: null,
      };
      const errorMessage = this.redactText(o.errorMessage ?? response?.error?.message ?? null);
      const line: ResponseLine = {
        type: 'response',
        v: RECORD_VERSION,
        id: r.id,
        session_id: s.id,
        at: r.at,
        status: r.status,
        headers: r.headers ? (this.redactHeaderMap(r.headers) as JsonValue) : null,
        outcome: o.outcome,
        reason: o.reason,
        error:
          o.outcome === 'completed'
            ? null
            : {
                type: response?.error?.type ?? null,
                code: response?.error?.code ?? null,
                message: errorMessage,
                status: o.errorStatus,
              },
        response,
        body_text: r.bodyText === null ? null : this.redactText(r.bodyText),
        model: response?.model ?? null,
        usage,
        stop_reason: response?.stopReason ?? null,
        timings: r.timings,
        response_bytes: r.bytes,
        chunks: r.chunks,
        truncated: r.truncated,
      };
      const redaction = this.endLine();
      if (redaction) line.redaction = redaction;
      this.write(s, [line]);
      for (const b of response?.content ?? []) {
        if (b.type === 'tool_call' && b.kind !== 'server' && !s.answered.has(b.id))
          s.toolCalls.set(b.id, { requestId: r.id, endAt: r.at });
      }
      this.emit({
        type: 'request_finished',
        id: r.id,
        session_id: s.id,
        at: r.at,
        outcome: o.outcome,
        reason: o.reason,
        status: r.status,
        model: line.model,
        usage,
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
    const after = turn.kind === 'request' ? [...this.ending] : [];
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
    if (turn.kind === 'request') void this.track(work);
    else this.ended(work);
  }

  // --- live progress ---------------------------------------------------------------------------------------

  /** Emit text progress for streaming responses (called every ~50 ms while live is on). */
  tickProgress(): void {
    if (!this.live) return;
    for (const [id, ex] of this.http) {
      if (ex.status === null || ex.sessionId === null) continue;
      const snap = ex.snapshot();
      if (!snap) continue;
      let text = '';
      for (const b of snap.content) if (b.type === 'text') text += b.text;
      const p = this.progress.get(id) ?? { rawChars: 0, sent: '' };
      if (text.length <= p.rawChars) continue;
      p.rawChars = text.length;
      // Redact the whole text so far (a secret split across deltas is whole here), then show all but the tail.
      const redacted = this.redactText(text) ?? '';
      const visible = redacted.slice(0, Math.max(0, redacted.length - LIVE_HOLDBACK));
      if (visible.length <= p.sent.length && visible.startsWith(p.sent)) {
        this.progress.set(id, p);
        continue;
      }
      const reset = !visible.startsWith(p.sent);
      this.emit({
        type: 'response_progress',
        id,
        session_id: ex.sessionId,
        text_delta: reset ? visible : visible.slice(p.sent.length),
        text_chars: text.length,
        ...(reset ? { reset: true } : {}),
      });
      p.sent = visible;
      this.progress.set(id, p);
    }
  }

  /** Whether a session file is being written to (recent activity): retention must leave it alone. */
  isActive(abs: string): boolean {
    const id = this.sessionFiles.get(abs.replace(/\.zst$/, ''));
    const s = id ? this.resolvedSessions.get(id) : undefined;
    return s !== undefined && Date.now() - s.lastAt < (this.o.sessionIdleMs ?? 30 * 60_000);
  }

  /** Retention removed these files: forget their sessions, so a returning session starts a new file. */
  forgetFiles(paths: string[]): void {
    for (const p of paths) {
      const id = this.sessionFiles.get(p.replace(/\.zst$/, ''));
      if (!id) continue;
      this.sessionFiles.delete(p.replace(/\.zst$/, ''));
      this.sessions.delete(id);
      this.resolvedSessions.delete(id);
    }
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
    const idleMs = this.o.sessionIdleMs ?? 30 * 60_000;
    const busy = new Set<string>();
    for (const ex of this.http.values()) if (ex.sessionId) busy.add(ex.sessionId);
    for (const [id, s] of this.resolvedSessions) {
      if (now - s.lastAt > idleMs && !busy.has(id)) {
        this.resolvedSessions.delete(id);
        this.sessions.delete(id);
        this.sessionFiles.delete(s.abs);
      }
    }
  }

  /** Resolves when every exchange already ended has its lines queued (requests and responses written). */
  async settle(): Promise<void> {
    while (this.inProgress.size > 0) await Promise.all([...this.inProgress]);
    await Promise.all([...this.requestDone.values()]);
    await Promise.all([...this.sessions.values()].map(async (s) => (await s).queue));
  }

  /** Track async recording work so `settle()` can wait for it. */
  private track(p: Promise<unknown>): Promise<void> {
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    this.inProgress.add(done);
    void done.then(() => this.inProgress.delete(done));
    return done;
  }

  /** Track the writing of a response that ended: requests recorded from now on wait for it. */
  private ended(p: Promise<unknown>): void {
    const done = this.track(p);
    this.ending.add(done);
    void done.then(() => this.ending.delete(done));
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
