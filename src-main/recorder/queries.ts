// Read-side queries over the index and the session files: the session list, one session with its requests and
// tool calls, one request's full bodies. They run where the database lives — inside the recorder worker for a
// running server (so they never block the proxy), or in-process for the CLI when no server is running.
// Every query is a named function taking plain JSON arguments and returning plain JSON, so it can cross a
// thread, IPC or HTTP unchanged.
import path from 'node:path';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import { rebuildBody } from './blocks.js';
import type { IndexStore } from './index-db.js';
import { readSessionFile } from './reindex.js';
import fs from 'node:fs';

export interface QueryContext {
  index: IndexStore;
  sessionsDir: string;
}

export interface SessionRow {
  id: string;
  file: string;
  client: string;
  client_version: string | null;
  started_at: number;
  last_at: number;
  request_count: number;
  failed_count: number;
  interrupted_count: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  tool_call_count: number;
  models: string | null;
  gaps: number;
}

export interface ListSessionsArgs {
  /** Only sessions active at or after this epoch ms. */
  since?: number;
  client?: string;
  /** Sessions that used this model (substring match on the model list). */
  model?: string;
  limit?: number;
  offset?: number;
}

export function listSessions(
  ctx: QueryContext,
  a: ListSessionsArgs = {},
): { sessions: SessionRow[]; total: number } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (a.since !== undefined) {
    where.push('last_at >= ?');
    params.push(a.since);
  }
  if (a.client) {
    where.push('client = ?');
    params.push(a.client);
  }
  if (a.model) {
    where.push("(',' || models || ',') LIKE ?");
    params.push(`%${a.model}%`);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const limit = Math.min(Math.max(a.limit ?? 50, 1), 1000);
  const offset = Math.max(a.offset ?? 0, 0);
  const sessions = ctx.index.querySync<SessionRow>(
    `SELECT * FROM sessions ${w} ORDER BY last_at DESC LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const total =
    ctx.index.querySync<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions ${w}`, params)[0]?.n ?? 0;
  return { sessions, total };
}

export interface RequestRow {
  id: string;
  session_id: string;
  at: number;
  dialect: string;
  endpoint: string;
  transport: string;
  client: string;
  method: string;
  url: string;
  model_requested: string | null;
  model: string | null;
  stream: number;
  status: number | null;
  outcome: string | null;
  reason: string | null;
  error_type: string | null;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  reasoning_tokens: number | null;
  ttfb_ms: number | null;
  first_content_ms: number | null;
  duration_ms: number | null;
  provider_ms: number | null;
  overhead_ms: number | null;
  request_bytes: number;
  response_bytes: number | null;
  chunks: number | null;
  stop_reason: string | null;
  finish_reason: string | null;
  has_refusal: number;
  tool_call_count: number;
  prompt_preview: string | null;
  response_preview: string | null;
  ended_at: number | null;
}

export interface ToolCallRow {
  id: string;
  session_id: string;
  request_id: string;
  name: string;
  kind: string;
  arguments_preview: string | null;
  called_at: number;
  result_request_id: string | null;
  result_at: number | null;
  latency_ms: number | null;
  is_error: number | null;
}

export interface SessionDetail {
  session: SessionRow;
  requests: RequestRow[];
  toolCalls: ToolCallRow[];
}

/** One session by id, or by a unique id prefix (as typed on the command line). Null when not found. */
export function getSession(ctx: QueryContext, a: { id: string }): SessionDetail | null {
  let session = ctx.index.querySync<SessionRow>('SELECT * FROM sessions WHERE id = ?', [a.id])[0];
  if (!session && a.id.length >= 4) {
    const matches = ctx.index.querySync<SessionRow>(
      "SELECT * FROM sessions WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
      [a.id.replace(/[%_\\]/g, '\\$&') + '%'],
    );
    if (matches.length === 1) session = matches[0];
  }
  if (!session) return null;
  return {
    session,
    requests: ctx.index.querySync<RequestRow>('SELECT * FROM requests WHERE session_id = ? ORDER BY at, id', [
      session.id,
    ]),
    toolCalls: ctx.index.querySync<ToolCallRow>(
      'SELECT * FROM tool_calls WHERE session_id = ? ORDER BY called_at',
      [session.id],
    ),
  };
}

/** Every line of a session's file, with its path (the JSONL is the full record). */
export async function sessionLines(
  ctx: QueryContext,
  a: { id: string },
): Promise<{ file: string; lines: RecordLine[] } | null> {
  const row = ctx.index.querySync<{ file: string }>('SELECT file FROM sessions WHERE id = ?', [a.id])[0];
  if (!row) return null;
  const abs = path.join(ctx.sessionsDir, row.file);
  const file = fs.existsSync(abs) ? abs : fs.existsSync(abs + '.zst') ? abs + '.zst' : null;
  if (!file) return null;
  return { file, lines: (await readSessionFile(file)).lines };
}

export interface RequestBodies {
  request: RequestLine;
  /** The request body exactly as JSON (re-sent context resolved from its blocks), or null when it was not JSON. */
  body: JsonValue | null;
  headers: JsonValue | null;
  response: ResponseLine | null;
}

/** Rebuild one request's full JSON body from the blocks of its session file, with its response. */
export async function getRequestBodies(ctx: QueryContext, a: { id: string }): Promise<RequestBodies | null> {
  const row = ctx.index.querySync<{ session_id: string }>('SELECT session_id FROM requests WHERE id = ?', [
    a.id,
  ])[0];
  if (!row) return null;
  const file = await sessionLines(ctx, { id: row.session_id });
  if (!file) return null;
  const blocks = new Map<string, JsonValue>();
  let request: RequestLine | null = null;
  let response: ResponseLine | null = null;
  for (const l of file.lines) {
    if (l.type === 'block') blocks.set(l.hash, l.value);
    else if (l.type === 'request' && l.id === a.id) request = l;
    else if (l.type === 'response' && l.id === a.id) response = l;
  }
  if (!request) return null;
  return {
    request,
    body: request.body === null ? null : rebuildBody(request.dialect, request.endpoint, request.body, blocks),
    headers: request.headers_ref ? (blocks.get(request.headers_ref) ?? null) : null,
    response,
  };
}

/** The named queries available across thread/IPC/HTTP boundaries. */
export const QUERIES = {
  'sessions.list': (ctx: QueryContext, a: ListSessionsArgs) => listSessions(ctx, a),
  'sessions.get': (ctx: QueryContext, a: { id: string }) => getSession(ctx, a),
  'sessions.lines': (ctx: QueryContext, a: { id: string }) => sessionLines(ctx, a),
  'requests.bodies': (ctx: QueryContext, a: { id: string }) => getRequestBodies(ctx, a),
} as const;

export type QueryName = keyof typeof QUERIES;
