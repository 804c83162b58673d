// The SQL of the index statements the recorder's queue (recorder/index-queue.ts) recognises and merges, built from
// one list of columns per line type so the separate statements (what reindex runs) and the merged one (a request
// and its response in one batch: one row written) cannot drift apart. Pure: SQL text and param helpers.
import type { Stmt } from './types.js';

/** The columns of a request row a request line sets, in its params' order (then `class`: see ROW_SQL). */
const REQUEST_COLUMNS = [
  'id',
  'session_id',
  'at',
  'dialect',
  'endpoint',
  'transport',
  'client',
  'method',
  'url',
  'model_requested',
  'stream',
  'request_bytes',
  'prompt_preview',
  'replay_of',
] as const;
/** The columns its response line sets, in its params' order (then cost_usd, cost_status, priced and the id). */
const RESPONSE_COLUMNS = [
  'model',
  'status',
  'outcome',
  'reason',
  'error_type',
  'error_message',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'ttfb_ms',
  'first_content_ms',
  'duration_ms',
  'provider_ms',
  'overhead_ms',
  'response_bytes',
  'chunks',
  'stop_reason',
  'finish_reason',
  'has_refusal',
  'tool_call_count',
  'response_preview',
  'ended_at',
] as const;
/** Endpoints that cost nothing: their cost columns are set from the row's endpoint. */
const FREE = `IN ('count_tokens', 'models')`;
const REQUEST_PARAMS = REQUEST_COLUMNS.length + 2;
const RESPONSE_PARAMS = RESPONSE_COLUMNS.length + 3;
const numbered = (from: number, n: number): string =>
  Array.from({ length: n }, (_, i) => `?${from + i}`).join(', ');
/** The cost columns, free endpoints first; `endpoint` is an expression, `p` the first of the three params. */
const costValues = (endpoint: string, p: number): string[] => [
  `CASE WHEN ${endpoint} ${FREE} THEN 0 ELSE ?${p} END`,
  `CASE WHEN ${endpoint} ${FREE} THEN 'free' ELSE ?${p + 1} END`,
  `CASE WHEN ${endpoint} ${FREE} THEN 1 ELSE ?${p + 2} END`,
];
const COST_COLUMNS = ['cost_usd', 'cost_status', 'priced'];
/** Response params, numbered after a request's params (the merged row). */
const R = REQUEST_PARAMS + 1;

/**
 * A request's row: inserted from its request line (params: the REQUEST_COLUMNS, the hash of its system block,
 * whose hint may name its class, and its class), then updated from its response line (params: the
 * RESPONSE_COLUMNS, the cost, its status, whether priced, the id). `merged` is what the recorder's index queue
 * runs instead when both lines are in one batch (params: the request's, then the response's without the id):
 * one row written instead of a row, its index entries and its dirty marks written twice. On a row that already
 * exists it updates the response's columns, as the two statements would.
 */
export const ROW_SQL = {
  request: `INSERT OR IGNORE INTO requests (${REQUEST_COLUMNS.join(', ')}, class)
            VALUES (${numbered(1, REQUEST_COLUMNS.length)},
              COALESCE((SELECT hint FROM block_hints WHERE hash = ?${REQUEST_PARAMS - 1}), ?${REQUEST_PARAMS}))`,
  response: `UPDATE requests SET ${[
    ...RESPONSE_COLUMNS.map((c, i) => `${c} = ?${i + 1}`),
    ...costValues('endpoint', RESPONSE_COLUMNS.length + 1).map((v, i) => `${COST_COLUMNS[i]!} = ${v}`),
  ].join(', ')}
            WHERE id = ?${RESPONSE_PARAMS + 1}`,
  merged: `INSERT OR IGNORE INTO requests (${REQUEST_COLUMNS.join(', ')}, class, ${RESPONSE_COLUMNS.join(', ')},
              ${COST_COLUMNS.join(', ')})
            VALUES (${numbered(1, REQUEST_COLUMNS.length)},
              COALESCE((SELECT hint FROM block_hints WHERE hash = ?${REQUEST_PARAMS - 1}), ?${REQUEST_PARAMS}),
              ${numbered(R, RESPONSE_COLUMNS.length)},
              ${costValues(`?${REQUEST_COLUMNS.indexOf('endpoint') + 1}`, R + RESPONSE_COLUMNS.length).join(', ')})
            ON CONFLICT(id) DO UPDATE SET ${[
              ...RESPONSE_COLUMNS.map((c, i) => `${c} = ?${R + i}`),
              ...costValues('endpoint', R + RESPONSE_COLUMNS.length).map(
                (v, i) => `${COST_COLUMNS[i]!} = ${v}`,
              ),
            ].join(', ')}`,
} as const;

/** Request params that NOT NULL columns take (with the id): a row missing one is not inserted. */
const REQUIRED = [...REQUEST_COLUMNS.keys()].filter(
  (i) => !['model_requested', 'prompt_preview', 'replay_of'].includes(REQUEST_COLUMNS[i]!),
);

/**
 * The request row's id when `request` (ROW_SQL.request) certainly inserts or finds a row that `merged` can write
 * whole; null when it may be skipped (a NOT NULL column without a value, no id), where only the two statements
 * do what they always did.
 */
export function mergeableRequest(request: Stmt): string | null {
  const id = request.params[0];
  if (typeof id !== 'string' || request.params[REQUEST_PARAMS - 1] === null) return null;
  for (const i of REQUIRED) if (request.params[i] === null || request.params[i] === undefined) return null;
  return id;
}

/** The id of the row a response's statement (ROW_SQL.response) updates. */
export function responseRowId(response: Stmt): string {
  return String(response.params[RESPONSE_PARAMS]);
}

/** One statement for a request's row and its response's (see ROW_SQL.merged). */
export function mergedRow(request: Stmt, response: Stmt): Stmt {
  return { sql: ROW_SQL.merged, params: [...request.params, ...response.params.slice(0, RESPONSE_PARAMS)] };
}

/** A session line: its row (params: id, file, client, client_version, user_agent, id_source, at, at). */
export const SESSION_SQL = `INSERT INTO sessions (id, file, client, client_version, user_agent, id_source, started_at, last_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(id) DO UPDATE SET started_at = MIN(started_at, excluded.started_at)`;

/**
 * A limit window a response's headers state (params: provider, window, utilization, reset_at, seen_at, limit,
 * remaining, status, binding), kept only when newer than what the index has (reindex order).
 */
export const LIMIT_SQL = `INSERT INTO limits (provider, win, utilization, reset_at, seen_at, lim, remaining, status, binding)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT(provider, win) DO UPDATE SET utilization = excluded.utilization,
            reset_at = excluded.reset_at, seen_at = excluded.seen_at, lim = excluded.lim,
            remaining = excluded.remaining, status = excluded.status, binding = excluded.binding
          WHERE excluded.seen_at >= limits.seen_at`;

/** Values a line's redaction replaced (params: session id, detector, count), added to the session's. */
export const REDACTION_SQL = `INSERT INTO redactions (session_id, detector, count) VALUES (?, ?, ?)
          ON CONFLICT(session_id, detector) DO UPDATE SET count = count + excluded.count`;

/** A request line moves its session's last activity on (a response's statement for its session does the same). */
export const LAST_AT_SQL = `UPDATE sessions SET last_at = MAX(last_at, ?) WHERE id = ?`;
