// Read-side queries over the index and the session files: the session list (filters, full-text search), one
// session with its requests, tool calls, transcript and redaction report, one request's full bodies, search
// hits, exports and totals. They run where the database lives — inside the recorder worker for a running server
// (so they never block the proxy), or in-process for the CLI when no server is running.
// Every query is a named function taking plain JSON arguments and returning plain JSON, so it can cross a
// thread, IPC or HTTP unchanged (the UI contract in src-shared/contract.ts parses both sides).
import type { ExportFormat, SearchHit, SessionView, StatusFilter } from '../../src-shared/contract.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import { computeAnalytics, type AnalyticsArgs } from '../analytics/analytics.js';
import { bundledPrices, type Prices } from '../analytics/prices.js';
import { buildExport, type ExportFile } from '../export/index.js';
import { redactionReport } from '../export/redaction-report.js';
import { collectSession } from '../export/session-data.js';
import { buildTranscript } from '../export/transcript.js';
import { fromExchanges, withInsight } from '../insight/exchanges.js';
import { analyzeSession, type SessionAnalysis } from '../insight/session.js';
import { VERSION } from '../version.js';
import { rebuildBody } from '../recorder/parse/blocks.js';
import type { ReplayComparison, ReplayRef } from '../../src-shared/replay.js';
import { buildComparison } from '../replay/compare.js';
import type { IndexStore } from './db.js';
import type { Limits } from '../../src-shared/limits.js';
import { readLimits } from '../analytics/limits.js';
import { readSessionParts, sessionParts } from './reindex.js';

export interface QueryContext {
  index: IndexStore;
  sessionsDir: string;
  /** The configured price table (cache savings); the bundled one when absent. */
  prices?: Prices;
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
  lost_requests: number;
  last_gap_at: number | null;
  /** The first prompt typed on the main thread; null until one was seen. */
  title: string | null;
  /** The working directory the client stated (full path); null when it stated none. */
  project: string | null;
  /** The git branch the client stated; null when it stated none (Codex and OpenCode never do). */
  branch: string | null;
  /** Computed by listSessions/sessionRow: requests without an outcome yet. */
  in_flight?: number;
  /** Computed: end of the last finished request. */
  ended_at?: number | null;
  last_status?: number | null;
  last_outcome?: string | null;
  last_model?: string | null;
  last_preview?: string | null;
  /** With a full-text query: a snippet of a match (matched words between \u0002 and \u0003). */
  match?: string | null;
}

export interface ListSessionsArgs {
  /** Only sessions active at or after this epoch ms. */
  since?: number;
  client?: string;
  /** Sessions that used this model (substring match on the model list). */
  model?: string;
  limit?: number;
  offset?: number;
  /** Only sessions that started at or before this epoch ms. */
  until?: number;
  status?: StatusFilter;
  /** Full-text query over prompts and responses (all words must match; the last one as a prefix). */
  q?: string;
}

/** Turn what a user typed into an FTS4 query that cannot be a syntax error: quoted words, last one a prefix. */
export function ftsQuery(q: string): string | null {
  const words = q.match(/[\p{L}\p{N}_]+/gu);
  if (!words || words.length === 0) return null;
  return words
    .slice(0, 20)
    .map((w, i, all) => (i === all.length - 1 ? `"${w}*"` : `"${w}"`))
    .join(' ');
}

export const SNIPPET = `snippet(request_text, char(2), char(3), '…', -1, 16)`;

/**
 * SELECT list of a session row with its computed columns (alias `s`); request_count counts in-flight ones too,
 * and the whole session's (schema.ts: kept by triggers; a session continued in a newer partition carries its
 * earlier partitions' totals, part-spans.ts).
 */
export const SESSION_COLUMNS = `s.id, s.file, s.client, s.client_version, s.user_agent, s.id_source, s.started_at, s.last_at,
  s.failed_count, s.interrupted_count, s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens,
  s.reasoning_tokens, s.tool_call_count, s.models, s.gaps, s.lost_requests, s.last_gap_at, s.cost_usd, s.unpriced_count,
  s.title, s.project, s.branch,
  s.request_count,
  (SELECT COUNT(*) FROM requests r WHERE r.session_id = s.id AND r.outcome IS NULL) AS in_flight,
  (SELECT MAX(r.ended_at) FROM requests r WHERE r.session_id = s.id) AS ended_at,
  lr.status AS last_status, lr.outcome AS last_outcome, COALESCE(lr.model, lr.model_requested) AS last_model,
  COALESCE(lr.response_preview, lr.prompt_preview) AS last_preview`;
export const LAST_REQUEST_JOIN = `LEFT JOIN requests lr ON lr.id =
  (SELECT r2.id FROM requests r2 WHERE r2.session_id = s.id ORDER BY r2.at DESC, r2.id DESC LIMIT 1)`;

/** The session list's filters on time, client and model (alias `s`: a sessions or session_list row). */
export function sessionFilters(a: ListSessionsArgs): { where: string[]; params: (string | number)[] } {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (a.since !== undefined) {
    where.push('s.last_at >= ?');
    params.push(a.since);
  }
  if (a.until !== undefined) {
    where.push('s.started_at <= ?');
    params.push(a.until);
  }
  if (a.client) {
    where.push('s.client = ?');
    params.push(a.client);
  }
  if (a.model) {
    where.push("(',' || s.models || ',') LIKE ?");
    params.push(`%${a.model}%`);
  }
  return { where, params };
}

export function listSessions(
  ctx: QueryContext,
  a: ListSessionsArgs = {},
): { sessions: SessionRow[]; total: number } {
  const { where, params } = sessionFilters(a);
  const inFlight = 'EXISTS (SELECT 1 FROM requests r WHERE r.session_id = s.id AND r.outcome IS NULL)';
  if (a.status === 'in_flight') where.push(inFlight);
  else if (a.status === 'failed') where.push('s.failed_count > 0');
  else if (a.status === 'interrupted') where.push('s.interrupted_count > 0');
  else if (a.status === 'completed')
    where.push(`s.failed_count = 0 AND s.interrupted_count = 0 AND NOT ${inFlight}`);
  const fts = a.q ? ftsQuery(a.q) : null;
  if (a.q && !fts) return { sessions: [], total: 0 };
  if (fts) {
    where.push('s.id IN (SELECT session_id FROM request_text WHERE request_text MATCH ?)');
    params.push(fts);
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const limit = Math.min(Math.max(a.limit ?? 50, 1), 1000);
  const offset = Math.max(a.offset ?? 0, 0);
  const match = fts
    ? `, (SELECT ${SNIPPET} FROM request_text WHERE request_text MATCH ? AND session_id = s.id LIMIT 1) AS match`
    : '';
  const sessions = ctx.index.querySync<SessionRow>(
    `SELECT ${SESSION_COLUMNS}${match} FROM sessions s ${LAST_REQUEST_JOIN} ${w}
     ORDER BY s.last_at DESC, s.id LIMIT ${limit} OFFSET ${offset}`,
    fts ? [fts, ...params] : params,
  );
  const total =
    ctx.index.querySync<{ n: number }>(`SELECT COUNT(*) AS n FROM sessions s ${w}`, params)[0]?.n ?? 0;
  return { sessions, total };
}

/** One session row with its computed columns, or null. */
export function sessionRow(ctx: QueryContext, id: string): SessionRow | null {
  return (
    ctx.index.querySync<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions s ${LAST_REQUEST_JOIN} WHERE s.id = ?`,
      [id],
    )[0] ?? null
  );
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
  /** A replay: the request it sends again. */
  replay_of: string | null;
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

/**
 * The insight of a session (issue #13), computed from its file when asked — never on the recording path: per
 * request `context`, `cache_break`, `agent`, `compaction`, and the session's lanes. Null when the file is gone.
 */
export async function sessionInsight(ctx: QueryContext, a: { id: string }): Promise<SessionAnalysis | null> {
  const file = await sessionLines(ctx, a);
  if (!file) return null;
  return analyzeSession(fromExchanges(collectSession(file.lines).exchanges), ctx.prices ?? bundledPrices());
}

/** Every line of a session's file, with its path (the JSONL is the full record). */
export async function sessionLines(
  ctx: QueryContext,
  a: { id: string },
): Promise<{ file: string; lines: RecordLine[] } | null> {
  const row = ctx.index.querySync<{ file: string }>('SELECT file FROM sessions WHERE id = ?', [a.id])[0];
  if (!row) return null;
  // A compressed session that came back has two parts: the .jsonl.zst, then a new .jsonl.
  const parts = sessionParts(ctx.sessionsDir, row.file);
  if (parts.length === 0) return null;
  return { file: parts[parts.length - 1]!, lines: (await readSessionParts(parts)).lines };
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
  let row = ctx.index.querySync<{ id: string; session_id: string }>(
    'SELECT id, session_id FROM requests WHERE id = ?',
    [a.id],
  )[0];
  if (!row && a.id.length >= 6) {
    // A unique prefix of the id, as typed on the command line.
    const rows = ctx.index.querySync<{ id: string; session_id: string }>(
      "SELECT id, session_id FROM requests WHERE id LIKE ? ESCAPE '\\' LIMIT 2",
      [a.id.replace(/[%_\\]/g, '\\$&') + '%'],
    );
    if (rows.length === 1) row = rows[0];
  }
  if (!row) return null;
  const id = row.id;
  const file = await sessionLines(ctx, { id: row.session_id });
  if (!file) return null;
  const blocks = new Map<string, JsonValue>();
  let request: RequestLine | null = null;
  let response: ResponseLine | null = null;
  for (const l of file.lines) {
    if (l.type === 'block') blocks.set(l.hash, l.value);
    else if (l.type === 'request' && l.id === id) request = l;
    else if (l.type === 'response' && l.id === id) response = l;
  }
  if (!request) return null;
  return {
    request,
    body: request.body === null ? null : rebuildBody(request.dialect, request.endpoint, request.body, blocks),
    headers: request.headers_ref ? (blocks.get(request.headers_ref) ?? null) : null,
    response,
  };
}

/** Replays recorded of one request, or of any request of a session; newest first. */
export function listReplays(ctx: QueryContext, a: { id?: string; session_id?: string }): ReplayRef[] {
  const cols = `r.id, r.session_id, r.replay_of, r.at, COALESCE(r.model, r.model_requested) AS model,
    r.outcome, r.status`;
  if (a.id !== undefined)
    return ctx.index.querySync<ReplayRef>(
      `SELECT ${cols} FROM requests r WHERE r.replay_of = ? ORDER BY r.at DESC, r.id`,
      [a.id],
    );
  return ctx.index.querySync<ReplayRef>(
    `SELECT ${cols} FROM requests r
     WHERE r.replay_of IN (SELECT id FROM requests WHERE session_id = ?) ORDER BY r.at DESC, r.id`,
    [a.session_id ?? ''],
  );
}

/** A replay next to its original; null when either is unknown or the replay's response is not recorded yet. */
export async function replayComparison(
  ctx: QueryContext,
  a: { id: string },
): Promise<ReplayComparison | null> {
  const replay = await getRequestBodies(ctx, a);
  if (!replay?.response || !replay.request.replay_of) return null;
  const original = await getRequestBodies(ctx, { id: replay.request.replay_of });
  if (!original) return null;
  return buildComparison(original, replay, ctx.prices);
}

/** Full-text search over prompts and responses: newest matching requests first, with a snippet each. */
export function search(ctx: QueryContext, a: { q: string; limit?: number }): { hits: SearchHit[] } {
  const fts = ftsQuery(a.q);
  if (!fts) return { hits: [] };
  const limit = Math.min(Math.max(a.limit ?? 50, 1), 500);
  const hits = ctx.index.querySync<SearchHit>(
    `SELECT request_text.request_id AS request_id, request_text.session_id AS session_id,
            COALESCE(r.at, 0) AS at, ${SNIPPET} AS snippet
     FROM request_text LEFT JOIN requests r ON r.id = request_text.request_id
     WHERE request_text MATCH ? ORDER BY at DESC LIMIT ${limit}`,
    [fts],
  );
  return { hits };
}

/** Longest text per transcript item sent to the UI (the raw JSON view has everything). */
const VIEW_MAX_CHARS = 20_000;

/** Everything the session view shows: rows, tool calls, the transcript and the redaction report. */
export async function sessionView(ctx: QueryContext, a: { id: string }): Promise<SessionView | null> {
  const detail = getSession(ctx, a);
  if (!detail) return null;
  const session = sessionRow(ctx, detail.session.id);
  if (!session) return null;
  const file = await sessionLines(ctx, { id: detail.session.id });
  const lines = file?.lines ?? [];
  const data = collectSession(lines);
  const insight = analyzeSession(fromExchanges(data.exchanges), ctx.prices ?? bundledPrices());
  return {
    session: session as unknown as SessionView['session'],
    requests: withInsight(detail.requests, insight.byRequest) as unknown as SessionView['requests'],
    insight: insight.session,
    tool_calls: detail.toolCalls as unknown as SessionView['tool_calls'],
    transcript: buildTranscript(data.exchanges, { maxChars: VIEW_MAX_CHARS }),
    redaction: redactionReport(lines),
    replays: listReplays(ctx, { session_id: detail.session.id }),
  };
}

/** A session as a file (JSONL records, HAR 1.2, Markdown); null when the session or its file is gone. */
export async function exportSession(
  ctx: QueryContext,
  a: { id: string; format: ExportFormat },
): Promise<ExportFile | null> {
  const detail = getSession(ctx, { id: a.id });
  if (!detail) return null;
  const file = await sessionLines(ctx, { id: detail.session.id });
  if (!file) return null;
  return buildExport(file.lines, a.format, VERSION);
}

export interface IndexStats {
  sessions: number;
  requests: number;
  in_flight: number;
  failed: number;
  input_tokens: number;
  output_tokens: number;
  /** Cost of the priced requests (USD); null when none is priced. */
  cost_usd: number | null;
  /** Finished requests with usage whose cost is unknown (unpriced model or incomplete usage). */
  unpriced: number;
  clients: string[];
  models: string[];
  /** Plan and rate limits as last seen (src-shared/limits.ts). */
  limits: Limits;
}

/** Totals and the values the filters offer. */
export function indexStats(ctx: QueryContext, a: { since?: number } = {}): IndexStats {
  const q = <T>(sql: string): T[] => ctx.index.querySync<T>(sql);
  // `since` (epoch ms): request totals from then on (the tray's "today"); sessions and filters stay global.
  const since = typeof a.since === 'number' && Number.isFinite(a.since) ? Math.trunc(a.since) : null;
  const r = q<Omit<IndexStats, 'sessions' | 'clients' | 'models'>>(
    `SELECT COUNT(*) AS requests, COALESCE(SUM(outcome IS NULL), 0) AS in_flight,
            COALESCE(SUM(outcome = 'failed'), 0) AS failed,
            COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
            SUM(cost_usd) AS cost_usd, COALESCE(SUM(outcome IS NOT NULL AND (priced IS NULL OR priced = 0) AND cost_status NOT IN ('free', 'no_usage')), 0) AS unpriced
     FROM requests${since === null ? '' : ` WHERE at >= ${since}`}`,
  )[0]!;
  return {
    sessions: q<{ n: number }>('SELECT COUNT(*) AS n FROM sessions')[0]?.n ?? 0,
    ...r,
    clients: q<{ c: string }>('SELECT DISTINCT client AS c FROM sessions ORDER BY c').map((x) => x.c),
    models: q<{ m: string }>(
      'SELECT DISTINCT model AS m FROM requests WHERE model IS NOT NULL ORDER BY m LIMIT 200',
    ).map((x) => x.m),
    limits: readLimits(ctx.index),
  };
}

/** The named queries available across thread/IPC/HTTP boundaries. */
export const QUERIES = {
  'sessions.list': (ctx: QueryContext, a: ListSessionsArgs) => listSessions(ctx, a),
  'sessions.get': (ctx: QueryContext, a: { id: string }) => getSession(ctx, a),
  'sessions.lines': (ctx: QueryContext, a: { id: string }) => sessionLines(ctx, a),
  'requests.bodies': (ctx: QueryContext, a: { id: string }) => getRequestBodies(ctx, a),
  'sessions.view': (ctx: QueryContext, a: { id: string }) => sessionView(ctx, a),
  'replays.list': (ctx: QueryContext, a: { id?: string; session_id?: string }) => listReplays(ctx, a),
  'replay.compare': (ctx: QueryContext, a: { id: string }) => replayComparison(ctx, a),
  search: (ctx: QueryContext, a: { q: string; limit?: number }) => search(ctx, a),
  export: (ctx: QueryContext, a: { id: string; format: ExportFormat }) => exportSession(ctx, a),
  stats: (ctx: QueryContext, a: { since?: number }) => indexStats(ctx, a ?? {}),
  limits: (ctx: QueryContext) => readLimits(ctx.index),
  analytics: (ctx: QueryContext, a: AnalyticsArgs) => computeAnalytics(ctx.index, a ?? {}, ctx.prices),
} as const;

export type QueryName = keyof typeof QUERIES;
