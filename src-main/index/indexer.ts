// Turns JSONL record lines into SQL statements for the index. The same code serves live recording and
// `reindex`, so the index can always be rebuilt from the JSONL alone. Pure: it returns statements; the caller
// runs them (in one transaction per batch).
import type {
  BlockLine,
  GapLine,
  RecordLine,
  RequestLine,
  ResponseLine,
  SessionLine,
} from '../../src-shared/records.js';
import type { ContentBlock } from '../../src-shared/exchange.js';
import { classifyRequest, systemHint, systemTextOf } from '../analytics/classify.js';
import { requestCost } from '../analytics/cost.js';
import type { Prices } from '../analytics/prices.js';
import { readLimitHeaders } from '../analytics/limits.js';
import { blockText, envFacts, sessionTitle } from '../analytics/session-facts.js';
import { promptRepeated } from '../recorder/lean-lines.js';

import { LAST_AT_SQL, LIMIT_SQL, REDACTION_SQL, ROW_SQL, SESSION_SQL } from './row-sql.js';
import type { Stmt } from './types.js';
export type { SqlValue, Stmt } from './types.js';

const PREVIEW_CHARS = 280;
const ARGS_PREVIEW_CHARS = 2000;
// Text put into the full-text table per request; enough to find a word in a long answer.
const FTS_CHARS = 64 * 1024;

/**
 * The full-text row of a request: its prompt when the request line is indexed (params: prompt, id), the
 * response text when the response line is (update, then insert if there was no prompt row; params: text, id).
 * `both` is what the recorder's index queue runs instead when both lines are in one batch (prompt, text, id):
 * each of the three tokenises the prompt again (FTS4 updates are a delete and an insert).
 */
export const FTS_SQL = {
  prompt: `INSERT OR IGNORE INTO request_text (docid, request_id, session_id, prompt, response)
            SELECT rowid, id, session_id, ?, '' FROM requests WHERE id = ?`,
  response: `UPDATE request_text SET response = ? WHERE docid = (SELECT rowid FROM requests WHERE id = ?)`,
  responseNew: `INSERT INTO request_text (docid, request_id, session_id, prompt, response)
            SELECT r.rowid, r.id, r.session_id, '', ? FROM requests r
            WHERE r.id = ? AND NOT EXISTS (SELECT 1 FROM request_text WHERE docid = r.rowid)`,
  both: `INSERT OR REPLACE INTO request_text (docid, request_id, session_id, prompt, response)
            SELECT rowid, id, session_id, ?, ? FROM requests WHERE id = ?`,
} as const;

function preview(text: string | null | undefined, max = PREVIEW_CHARS): string | null {
  if (!text) return null;
  // Read from the start in growing windows: once a window's collapsed text is longer than max + 1 characters,
  // its first max - 1 are the whole text's (a whitespace run cut at the window's end can only change its last
  // one). A plain answer needs one window a little over `max`, not a pass (and a string per match) over all of it.
  for (let window = max + 64; window < text.length; window *= 4) {
    const head = text.slice(0, window).replace(/\s+/g, ' ').trimStart();
    if (head.length > max + 1) return head.slice(0, max - 1) + '…';
  }
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
}

/** The visible text of a response: text blocks, then refusals. */
export function responseText(content: readonly ContentBlock[] | undefined): string {
  if (!content) return '';
  let out = '';
  for (const b of content) {
    if (b.type === 'text') out += (out ? '\n' : '') + b.text;
    else if (b.type === 'refusal') out += (out ? '\n' : '') + b.refusal;
  }
  return out;
}

function sessionStmt(l: SessionLine, file: string): Stmt {
  return {
    sql: SESSION_SQL,
    params: [l.session_id, file, l.client, l.client_version, l.user_agent, l.id_source, l.at, l.at],
  };
}

/** The class of a request (analytics/classify.ts); a main turn's system block may still say otherwise. */
function requestClass(l: RequestLine): { cls: string; systemRef: string | null } {
  const body = l.body && typeof l.body === 'object' && !Array.isArray(l.body) ? l.body : null;
  const max = body?.['max_tokens'] ?? body?.['max_completion_tokens'] ?? body?.['max_output_tokens'];
  const cls = classifyRequest({
    method: l.method,
    endpoint: l.endpoint,
    toolCount: l.tool_count,
    maxTokens: typeof max === 'number' ? max : null,
    lastUserText: l.prompt,
  });
  const sys = body?.['system'] ?? body?.['instructions'];
  const ref = sys && typeof sys === 'object' && !Array.isArray(sys) ? sys['$ref'] : undefined;
  return { cls, systemRef: cls === 'main' && typeof ref === 'string' ? ref : null };
}

function blockStmts(l: BlockLine, file: string): Stmt[] {
  const out = envStmts(l, file);
  if (l.kind !== 'system' && l.kind !== 'instructions') return out;
  const text = systemTextOf(l.value);
  const hint = text ? systemHint(text) : null;
  if (hint)
    out.push({ sql: `INSERT OR IGNORE INTO block_hints (hash, hint) VALUES (?, ?)`, params: [l.hash, hint] });
  return out;
}

/**
 * The session's project and branch: the first working directory / branch any of its prompts or messages states
 * (the main thread's come first; a later subagent in another worktree does not move them). Blocks are stored
 * once per file, right after the file's session line, so the session row exists.
 */
function envStmts(l: BlockLine, file: string): Stmt[] {
  if (l.kind !== 'system' && l.kind !== 'instructions' && l.kind !== 'message' && l.kind !== 'input')
    return [];
  const { project, branch } = envFacts(blockText(l.value));
  if (project === null && branch === null) return [];
  return [
    {
      sql: `UPDATE sessions SET project = COALESCE(project, ?), branch = COALESCE(branch, ?) WHERE file = ?`,
      params: [project, branch, file],
    },
  ];
}

function requestStmts(l: RequestLine): Stmt[] {
  const { cls, systemRef } = requestClass(l);
  const out: Stmt[] = [
    {
      // OR IGNORE, not OR REPLACE: the row's rowid is the docid of its full-text row and must never change.
      sql: ROW_SQL.request,
      params: [
        l.id,
        l.session_id,
        l.at,
        l.dialect,
        l.endpoint,
        l.transport,
        l.client,
        l.method,
        l.url,
        l.model,
        l.stream ? 1 : 0,
        l.body_bytes,
        preview(l.prompt),
        l.replay_of ?? null,
        systemRef,
        cls,
      ],
    },
    {
      sql: LAST_AT_SQL,
      params: [l.at, l.session_id],
    },
  ];
  // The title: the first prompt typed on the main thread (the class may come from the system block's hint,
  // so it is read back from the row just inserted).
  const title = cls === 'main' ? sessionTitle(l.prompt, l.client) : null;
  if (title !== null) {
    out.push({
      sql: `UPDATE sessions SET title = ? WHERE id = ? AND title IS NULL
              AND (SELECT class FROM requests WHERE id = ?) = 'main'`,
      params: [title, l.session_id, l.id],
    });
  }
  for (const r of l.tool_results) {
    out.push({
      sql: `UPDATE tool_calls SET result_request_id = ?, result_at = ?, latency_ms = ?, is_error = ?
            WHERE session_id = ? AND id = ? AND result_request_id IS NULL`,
      params: [l.id, l.at, r.latency_ms, r.is_error === null ? null : r.is_error ? 1 : 0, l.session_id, r.id],
    });
  }
  // A prompt is searchable with the request that brought it, not again with each tool-result turn after it.
  if (l.prompt && !promptRepeated(l)) {
    out.push({
      // Full-text rows are keyed by the request row's rowid (docid): FTS4 cannot index its other columns, so
      // finding a row by request_id would scan the whole table on every response.
      sql: FTS_SQL.prompt,
      params: [l.prompt.slice(0, FTS_CHARS), l.id],
    });
  }
  return out;
}

function responseStmts(l: ResponseLine, prices: Prices | undefined): Stmt[] {
  const r = l.response;
  const toolCalls = (r?.content ?? []).filter((b) => b.type === 'tool_call');
  const text = responseText(r?.content);
  const u = l.usage;
  const cost = requestCost({ model: l.model ?? r?.model ?? null, usage: u, endpoint: r?.endpoint }, prices);
  const out: Stmt[] = [
    {
      sql: ROW_SQL.response,
      params: [
        l.model,
        l.status,
        l.outcome,
        l.reason,
        l.error?.type ?? null,
        preview(l.error?.message ?? null, 1000),
        u.input,
        u.output,
        u.cacheRead,
        u.cacheWrite,
        u.reasoning,
        l.timings.ttfb_ms,
        l.timings.first_content_ms,
        l.timings.duration_ms,
        l.timings.provider_ms,
        l.timings.overhead_ms,
        l.response_bytes,
        l.chunks,
        l.stop_reason,
        r?.finishReason ?? null,
        r?.hasRefusal ? 1 : 0,
        toolCalls.length,
        preview(text || l.body_text),
        l.at,
        cost.usd,
        cost.status,
        cost.status === 'priced' || cost.status === 'free' ? 1 : 0,
        l.id,
      ],
    },
  ];
  for (const c of toolCalls) {
    out.push({
      sql: `INSERT OR IGNORE INTO tool_calls (id, session_id, request_id, name, kind, arguments_preview, called_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)`,
      params: [c.id, l.session_id, l.id, c.name, c.kind, c.arguments.slice(0, ARGS_PREVIEW_CHARS), l.at],
    });
  }
  if (text) {
    out.push({ sql: FTS_SQL.response, params: [text.slice(0, FTS_CHARS), l.id] });
    out.push({ sql: FTS_SQL.responseNew, params: [text.slice(0, FTS_CHARS), l.id] });
  }
  out.push(sessionTotals(l.session_id, l.at));
  return out;
}

/**
 * A response moves its session's last activity on (params: session id, at). Its totals follow its rows by
 * themselves (schema.ts TOTALS_TRIGGERS_SQL); this statement also names the session a batch writes to
 * (part-carry.ts writtenElsewhere), and the recorder's queue and a whole file's statements keep one per session.
 */
export function sessionTotals(sessionId: string, at: number): Stmt {
  return { sql: `UPDATE sessions SET last_at = MAX(last_at, ?2) WHERE id = ?1`, params: [sessionId, at] };
}

/**
 * A gap line: lines were lost (queue full, disk full). The session counts the lines and the requests lost, and
 * when; a listed request whose response was lost is recorded as interrupted (`not_recorded`), never left in
 * flight.
 */
function gapStmts(line: GapLine, file: string): Stmt[] {
  const out: Stmt[] = [
    {
      sql: `UPDATE sessions SET gaps = gaps + ?, lost_requests = lost_requests + ?,
              last_gap_at = MAX(COALESCE(last_gap_at, 0), ?) WHERE file = ?`,
      params: [line.dropped, line.requests_lost ?? line.requests?.length ?? 0, line.at, file],
    },
  ];
  const ids = line.requests ?? [];
  for (let i = 0; i < ids.length; i += 100) {
    const chunk = ids.slice(i, i + 100);
    out.push({
      sql: `UPDATE requests SET outcome = 'interrupted', reason = 'not_recorded', ended_at = ?
            WHERE outcome IS NULL AND id IN (${chunk.map(() => '?').join(', ')})`,
      params: [line.at, ...chunk],
    });
  }
  if (ids.length > 0) {
    out.push({
      sql: `UPDATE sessions SET interrupted_count = (SELECT COUNT(*) FROM requests
              WHERE session_id = sessions.id AND outcome = 'interrupted') WHERE file = ?`,
      params: [file],
    });
  }
  return out;
}

/** The limits a response's headers state, kept only when newer than what the index has (reindex order). */
function limitStmts(l: ResponseLine): Stmt[] {
  const headers = l.headers && typeof l.headers === 'object' && !Array.isArray(l.headers) ? l.headers : null;
  return readLimitHeaders(headers as Record<string, string>, l.at).map((w) => ({
    sql: LIMIT_SQL,
    params: [
      w.provider,
      w.window,
      w.utilization,
      w.reset_at,
      w.seen_at,
      w.limit,
      w.remaining,
      w.status,
      w.binding ? 1 : 0,
    ],
  }));
}

function redactionStmts(sessionId: string, findings: Record<string, number> | undefined): Stmt[] {
  if (!findings) return [];
  return Object.entries(findings).map(([detector, n]) => ({
    sql: REDACTION_SQL,
    params: [sessionId, detector, n],
  }));
}

/**
 * Statements for one line of the file `file` (relative to the sessions dir). `prices`: the price table for the
 * request's cost (default: the bundled table).
 */
export function statementsFor(line: RecordLine, file: string, prices?: Prices): Stmt[] {
  switch (line.type) {
    case 'session':
      return [sessionStmt(line, file)];
    case 'request':
      return [...requestStmts(line), ...redactionStmts(line.session_id, line.redaction)];
    case 'response':
      return [
        ...responseStmts(line, prices),
        ...limitStmts(line),
        ...redactionStmts(line.session_id, line.redaction),
      ];
    case 'gap':
      return gapStmts(line, file);
    case 'block':
      return blockStmts(line, file);
  }
}

/** Remove everything a file contributed (before re-indexing it, or when retention deletes it). */
export function forgetFile(file: string): Stmt[] {
  const sessions = `(SELECT id FROM sessions WHERE file = ?)`;
  return [
    {
      sql: `DELETE FROM request_text WHERE docid IN (SELECT rowid FROM requests WHERE session_id IN ${sessions})`,
      params: [file],
    },
    { sql: `DELETE FROM redactions WHERE session_id IN ${sessions}`, params: [file] },
    { sql: `DELETE FROM tool_calls WHERE session_id IN ${sessions}`, params: [file] },
    { sql: `DELETE FROM requests WHERE session_id IN ${sessions}`, params: [file] },
    { sql: `DELETE FROM sessions WHERE file = ?`, params: [file] },
    { sql: `DELETE FROM files WHERE path = ?`, params: [file] },
  ];
}

/** Record that `rel` is indexed up to `size` bytes (after live appends). */
export function fileProgress(rel: string, size: number, lines: number): Stmt {
  return {
    sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
    params: [rel, size, lines],
  };
}
