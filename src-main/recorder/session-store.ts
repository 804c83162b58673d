// The recorder's open sessions: which file each writes to, its stored blocks, the tool calls still waiting for a
// result (for tool latency) and the results already counted. A session seen before (earlier today, yesterday,
// before a restart) is reloaded from the index and keeps its file: one session, one file. Idle sessions leave
// memory (after SESSION_IDLE_MS) and come back the same way; the block hashes its file holds are read back from
// the file, so a session that resumes after a pause writes no block again.
import path from 'node:path';
import { heldBlockHashes } from './held-blocks.js';
import { RECORD_VERSION, type RecordLine, type SessionLine } from '../../src-shared/records.js';
import { dayDirName } from '../storage/fsutil.js';
import type { IndexDb } from '../index/types.js';
import { RedactionMemo, SessionBlocks } from './parse/blocks.js';
import type { Redaction } from './line-redaction.js';
import type { recognizeClient } from './sessions.js';
import type { PreviousBases, RequestFactsForResponse, SessionFacts } from './lean-lines.js';

export interface PendingToolCall {
  requestId: string;
  /** Epoch ms when the response that asked for it ended. */
  endAt: number;
}

export interface SessionState {
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
  /** What the session line of its file says (lean lines leave it out). */
  facts: SessionFacts;
  /** Requests waiting for their response line: what it may leave out because the request line says it. */
  pendingRequests: Map<string, RequestFactsForResponse>;
  /** The previous response's headers (values that changed since are kept on the line, not in the block). */
  lastResponseHeaders: Record<string, string | string[]> | null;
  /**
   * The base blocks of the session's previous lean request and response lines in its file (lean-lines.ts);
   * unknown (empty) after a load from the index or a lost line, so the next lines name theirs.
   */
  previousBases: PreviousBases;
}

export interface SessionStoreOptions {
  sessionsDir: string;
  index: IndexDb;
  redaction: Redaction;
  log: (level: 'warn', message: string) => void;
}

/** A session with no line for this long leaves memory (it comes back from its file and the index). */
export const SESSION_IDLE_MS = 5 * 60_000;

export class SessionStore {
  private readonly sessions = new Map<string, Promise<SessionState>>();
  private readonly resolved = new Map<string, SessionState>();
  /** Session file (absolute) → session id, for retention's "is it being written" question. */
  private readonly files = new Map<string, string>();
  /** Blocks already redacted, shared by all sessions (cleared when the redaction policy changes). */
  readonly memo = new RedactionMemo();

  constructor(private readonly o: SessionStoreOptions) {}

  /**
   * The session `id`, loaded or created. A new session pushes its `session` line onto `lines` (the caller writes
   * it before the request that opened it).
   */
  get(
    id: string,
    at: number,
    client: ReturnType<typeof recognizeClient>,
    idSource: SessionLine['id_source'],
    lines: RecordLine[],
  ): Promise<SessionState> {
    let s = this.sessions.get(id);
    if (!s) {
      s = this.load(id, at, client, idSource, lines);
      this.sessions.set(id, s);
      void s.then((state) => this.resolved.set(id, state));
    }
    return s;
  }

  private async load(
    id: string,
    at: number,
    client: ReturnType<typeof recognizeClient>,
    idSource: SessionLine['id_source'],
    lines: RecordLine[],
  ): Promise<SessionState> {
    let file: string | null = null;
    let facts: SessionFacts = { session_id: id, client: client.client, client_version: client.version };
    let bytes = 0;
    let lineCount = 0;
    const pending = new Map<string, PendingToolCall>();
    const answered = new Set<string>();
    let held: Set<string> | undefined;
    try {
      await this.o.index.claimSession?.(id);
      const rows = await this.o.index.query<{
        file: string;
        client: SessionLine['client'];
        client_version: string | null;
      }>('SELECT file, client, client_version FROM sessions WHERE id = ?', [id]);
      file = rows[0]?.file ?? null;
      if (file) {
        facts = { session_id: id, client: rows[0]!.client, client_version: rows[0]!.client_version };
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
        }>('SELECT id, request_id, called_at, result_request_id FROM tool_calls WHERE session_id = ?', [id]);
        for (const c of calls) {
          if (c.result_request_id) answered.add(c.id);
          else pending.set(c.id, { requestId: c.request_id, endAt: c.called_at });
        }
        held = await heldBlockHashes(path.join(this.o.sessionsDir, file));
      }
    } catch (err) {
      this.o.log('warn', `index lookup for session ${id} failed: ${(err as Error).message}`);
    }
    const isNew = !file;
    if (!file) {
      file = `${dayDirName(at)}/${id}.jsonl`;
      lines.push({
        type: 'session',
        v: RECORD_VERSION,
        session_id: id,
        at,
        client: client.client,
        client_version: client.version,
        user_agent: client.userAgent ? this.o.redaction.text(client.userAgent) : null,
        id_source: idSource,
      });
    }
    return {
      id,
      file,
      abs: path.join(this.o.sessionsDir, file),
      blocks: new SessionBlocks(this.memo, this.o.redaction.value, held),
      toolCalls: pending,
      answered,
      queue: Promise.resolve(),
      bytes,
      lines: lineCount,
      lastAt: Date.now(),
      facts,
      pendingRequests: new Map(),
      lastResponseHeaders: null,
      // A new file: the reader starts with no previous prompt (null); a file the session had is not known.
      previousBases: isNew ? { prompt: null } : {},
    };
  }

  /** A recorded request as the index knows it (its session; whether it is a replay itself), or null. */
  async recordedRequest(id: string): Promise<{ session_id: string; replay_of: string | null } | null> {
    try {
      if (this.o.index.lookupRequest) return await this.o.index.lookupRequest(id);
      const rows = await this.o.index.query<{ session_id: string; replay_of: string | null }>(
        'SELECT session_id, replay_of FROM requests WHERE id = ?',
        [id],
      );
      return rows[0] ?? null;
    } catch {
      return null;
    }
  }

  /** Note that `s` just wrote to its file. */
  touched(s: SessionState): void {
    s.lastAt = Date.now();
    this.files.set(s.abs, s.id);
  }

  /** Whether a session file was written to within `idleMs`: retention must leave it alone. */
  isActive(abs: string, idleMs: number): boolean {
    const id = this.files.get(abs.replace(/\.zst$/, ''));
    const s = id ? this.resolved.get(id) : undefined;
    return s !== undefined && Date.now() - s.lastAt < idleMs;
  }

  /** Retention removed these files: forget their sessions, so a returning session starts a new file. */
  forgetFiles(paths: string[]): void {
    for (const p of paths) {
      const key = p.replace(/\.zst$/, '');
      const id = this.files.get(key);
      if (!id) continue;
      this.files.delete(key);
      this.sessions.delete(id);
      this.resolved.delete(id);
    }
  }

  /** Sessions idle for `idleMs` and not in `busy` leave memory. */
  dropIdle(now: number, idleMs: number, busy: ReadonlySet<string>): void {
    for (const [id, s] of this.resolved) {
      if (now - s.lastAt > idleMs && !busy.has(id)) {
        this.resolved.delete(id);
        this.sessions.delete(id);
        this.files.delete(s.abs);
      }
    }
  }

  /** Resolves when every known session's queued work is done. */
  async settle(): Promise<void> {
    await Promise.all([...this.sessions.values()].map(async (s) => (await s).queue));
  }
}
