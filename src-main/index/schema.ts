// The SQLite index (sql.js): sessions, requests, tool calls and a full-text table, all derived from the JSONL
// lines by `Indexer`. Bodies stay in the JSONL; the index holds the facts the list, stats and search views need.
// Token columns are NULL when unknown (never 0 for unknown). Session totals are sums of request rows.

import type { Database } from 'sql.js';

export const INDEX_SCHEMA_VERSION = 8;

/**
 * A sum column of a session follows its request rows: NULL while no row has a value, as SUM() is (the rows are
 * looked at only when a value leaves and the sum is back to 0). Costs are rounded to 1e-12 dollars, here and in
 * the recount, so adding one row at a time and SUM()'s compensated sum of them all give the same value.
 */
const exact = (c: string, e: string): string => (c === 'cost_usd' ? `round(${e}, 12)` : e);
const noneLeft = (c: string, r: 'NEW' | 'OLD'): string =>
  `NOT EXISTS (SELECT 1 FROM requests WHERE requests.session_id = ${r}.session_id AND requests.${c} IS NOT NULL)`;
const sumOnInsert = (c: string): string =>
  `${c} = CASE WHEN NEW.${c} IS NULL THEN ${c} ELSE ${exact(c, `IFNULL(${c}, 0) + NEW.${c}`)} END`;
const sumOnUpdate = (c: string): string => {
  const moved = exact(c, `IFNULL(${c}, 0) - IFNULL(OLD.${c}, 0) + IFNULL(NEW.${c}, 0)`);
  return `${c} = CASE WHEN OLD.${c} IS NEW.${c} THEN ${c}
      WHEN NEW.${c} IS NULL AND ${moved} = 0 AND ${noneLeft(c, 'NEW')} THEN NULL ELSE ${moved} END`;
};
const sumOnDelete = (c: string): string => {
  const less = exact(c, `${c} - OLD.${c}`);
  return `${c} = CASE WHEN OLD.${c} IS NULL THEN ${c} WHEN ${less} = 0 AND ${noneLeft(c, 'OLD')} THEN NULL ELSE ${less} END`;
};
/** A session's columns that sum its requests' (NULL while none has a value). */
export const SUMMED = [
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'cost_usd',
];
const UNPRICED = (r: string): string => `(${r}.cost_status IS 'unpriced' OR ${r}.cost_status IS 'partial')`;
/** `models` gains a row's model when the list lacks it (group_concat(DISTINCT model) in first-seen order). */
const WITH_MODEL = `CASE WHEN NEW.model IS NULL THEN models WHEN models IS NULL THEN NEW.model
    WHEN instr(',' || models || ',', ',' || NEW.model || ',') > 0 THEN models ELSE models || ',' || NEW.model END`;

/**
 * A session's totals, recounted from its rows: when its row is inserted (rows copied in before it), after a copy
 * between partitions (part-copy.ts), and what the triggers below keep without a recount.
 */
export const SESSION_RECOUNT_SQL = `UPDATE sessions SET
    (request_count, failed_count, interrupted_count, input_tokens, output_tokens, cache_read_tokens,
     cache_write_tokens, reasoning_tokens, models, cost_usd, unpriced_count) = (
      SELECT COUNT(*), COUNT(CASE WHEN outcome = 'failed' THEN 1 END),
             COUNT(CASE WHEN outcome = 'interrupted' THEN 1 END),
             SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens), SUM(cache_write_tokens),
             SUM(reasoning_tokens), group_concat(DISTINCT model), round(SUM(cost_usd), 12),
             COUNT(CASE WHEN cost_status IN ('unpriced', 'partial') THEN 1 END)
      FROM requests WHERE session_id = ?1),
    tool_call_count = (SELECT COUNT(*) FROM tool_calls WHERE session_id = ?1)
  WHERE id = ?1`;

/**
 * Session totals kept by triggers as request and tool-call rows are written: each row adds (or, updated or
 * deleted, moves) its own share, so the cost of a request does not grow with its session's length (a recount
 * of every row per batch did: ~2 ms per batch at 5,000 requests). A row the index writes twice (INSERT OR
 * IGNORE, the same response again) changes nothing the second time. Created on every open (IF NOT EXISTS),
 * before a journal is replayed, so an index written before they existed keeps its totals from then on.
 * Rows deleted one by one leave `models` as it was (files are forgotten whole: their session rows go too).
 */
export const TOTALS_TRIGGERS_SQL = `
CREATE TRIGGER IF NOT EXISTS totals_rq_i AFTER INSERT ON requests BEGIN
  UPDATE sessions SET request_count = request_count + 1,
    failed_count = failed_count + (NEW.outcome IS 'failed'),
    interrupted_count = interrupted_count + (NEW.outcome IS 'interrupted'),
    ${SUMMED.map(sumOnInsert).join(',\n    ')},
    models = ${WITH_MODEL},
    unpriced_count = unpriced_count + ${UNPRICED('NEW')}
  WHERE id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS totals_rq_u AFTER UPDATE OF outcome, ${SUMMED.join(', ')}, model, cost_status ON requests BEGIN
  UPDATE sessions SET
    failed_count = failed_count - (OLD.outcome IS 'failed') + (NEW.outcome IS 'failed'),
    interrupted_count = interrupted_count - (OLD.outcome IS 'interrupted') + (NEW.outcome IS 'interrupted'),
    ${SUMMED.map(sumOnUpdate).join(',\n    ')},
    models = CASE WHEN OLD.model IS NOT NULL AND OLD.model IS NOT NEW.model
      THEN (SELECT group_concat(DISTINCT model) FROM requests WHERE session_id = NEW.session_id) ELSE ${WITH_MODEL} END,
    unpriced_count = unpriced_count - ${UNPRICED('OLD')} + ${UNPRICED('NEW')}
  WHERE id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS totals_rq_d AFTER DELETE ON requests BEGIN
  UPDATE sessions SET request_count = request_count - 1,
    failed_count = failed_count - (OLD.outcome IS 'failed'),
    interrupted_count = interrupted_count - (OLD.outcome IS 'interrupted'),
    ${SUMMED.map(sumOnDelete).join(',\n    ')},
    unpriced_count = unpriced_count - ${UNPRICED('OLD')}
  WHERE id = OLD.session_id; END;
CREATE TRIGGER IF NOT EXISTS totals_tc_i AFTER INSERT ON tool_calls BEGIN
  UPDATE sessions SET tool_call_count = tool_call_count + 1 WHERE id = NEW.session_id; END;
CREATE TRIGGER IF NOT EXISTS totals_tc_d AFTER DELETE ON tool_calls BEGIN
  UPDATE sessions SET tool_call_count = tool_call_count - 1 WHERE id = OLD.session_id; END;
CREATE TRIGGER IF NOT EXISTS totals_ss_i AFTER INSERT ON sessions BEGIN
  ${SESSION_RECOUNT_SQL.replace(/\?1/g, 'NEW.id')}; END;
`;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY,          -- relative to the sessions dir: YYYY-MM-DD/<id>.jsonl
  size INTEGER NOT NULL,          -- bytes indexed so far
  lines INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  client TEXT NOT NULL,
  client_version TEXT,
  user_agent TEXT,
  id_source TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  request_count INTEGER NOT NULL DEFAULT 0,
  failed_count INTEGER NOT NULL DEFAULT 0,
  interrupted_count INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  tool_call_count INTEGER NOT NULL DEFAULT 0,
  models TEXT,                    -- comma-separated distinct models used
  gaps INTEGER NOT NULL DEFAULT 0, -- lines lost (queue full, write errors)
  lost_requests INTEGER NOT NULL DEFAULT 0, -- requests whose lines were among them (not recorded)
  last_gap_at INTEGER,            -- epoch ms of the last lost line
  cost_usd REAL,                  -- sum of the priced requests' cost (NULL when none is priced)
  unpriced_count INTEGER NOT NULL DEFAULT 0, -- requests with usage but no (complete) price
  title TEXT,                     -- the first prompt typed on the main thread (analytics/session-facts.ts)
  project TEXT,                   -- the working directory the client stated first (full path)
  branch TEXT                     -- the git branch the client stated first (Claude Code only)
);
CREATE INDEX IF NOT EXISTS sessions_last_at ON sessions(last_at DESC);
CREATE INDEX IF NOT EXISTS sessions_client_last ON sessions(client, last_at DESC);
CREATE INDEX IF NOT EXISTS sessions_project ON sessions(project, last_at DESC);
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  dialect TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  transport TEXT NOT NULL,
  client TEXT NOT NULL,
  method TEXT NOT NULL,
  url TEXT NOT NULL,
  model_requested TEXT,
  model TEXT,
  stream INTEGER NOT NULL,
  status INTEGER,
  outcome TEXT,                   -- NULL while in flight; completed | failed | interrupted
  reason TEXT,
  error_type TEXT,
  error_message TEXT,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  ttfb_ms REAL,
  first_content_ms REAL,
  duration_ms REAL,
  provider_ms REAL,
  overhead_ms REAL,
  request_bytes INTEGER NOT NULL,
  response_bytes INTEGER,
  chunks INTEGER,
  stop_reason TEXT,
  finish_reason TEXT,
  has_refusal INTEGER NOT NULL DEFAULT 0,
  tool_call_count INTEGER NOT NULL DEFAULT 0,
  prompt_preview TEXT,
  response_preview TEXT,
  ended_at INTEGER,
  cost_usd REAL,                  -- NULL = unpriced model or unknown usage (see cost_status); never 0 for unknown
  cost_status TEXT,               -- priced | partial | unpriced | no_usage | free (analytics/cost.ts)
  priced INTEGER,                 -- 1 when cost_usd is complete, 0 when not; NULL while in flight
  class TEXT NOT NULL DEFAULT 'main', -- main | subagent | title | count_tokens | compaction | probe (analytics/classify.ts)
  replay_of TEXT                  -- a replay: the request it sends again (NULL for ordinary requests)
);
CREATE INDEX IF NOT EXISTS requests_replay_of ON requests(replay_of) WHERE replay_of IS NOT NULL;
CREATE INDEX IF NOT EXISTS requests_session ON requests(session_id, at);
CREATE INDEX IF NOT EXISTS requests_at ON requests(at);
CREATE INDEX IF NOT EXISTS requests_open ON requests(outcome) WHERE outcome IS NULL;
CREATE TABLE IF NOT EXISTS tool_calls (
  id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  request_id TEXT NOT NULL,       -- the request whose response asked for the tool
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  arguments_preview TEXT,
  called_at INTEGER NOT NULL,     -- end of that response
  result_request_id TEXT,         -- the request that carried the result
  result_at INTEGER,
  latency_ms REAL,
  is_error INTEGER,
  PRIMARY KEY (session_id, id)
);
CREATE INDEX IF NOT EXISTS tool_calls_name ON tool_calls(name);
CREATE INDEX IF NOT EXISTS tool_calls_request ON tool_calls(request_id);
CREATE TABLE IF NOT EXISTS block_hints ( -- request class implied by a stored system/instructions block
  hash TEXT PRIMARY KEY,
  hint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS redactions (   -- the session's redaction report: values replaced, by detector
  session_id TEXT NOT NULL,
  detector TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (session_id, detector)
);
CREATE TABLE IF NOT EXISTS limits (       -- plan and rate limits as last seen in response headers (analytics/limits.ts)
  provider TEXT NOT NULL,
  win TEXT NOT NULL,
  utilization REAL,
  reset_at INTEGER,
  seen_at INTEGER NOT NULL,
  lim REAL,
  remaining REAL,
  status TEXT,
  binding INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (provider, win)
);
-- docid = rowid of the request row (see indexer.ts). The two ids are stored, not tokenised (schema 8): a request
-- id added one or two terms per request that no search looks for (most of a partition's vocabulary), and their
-- positions to every batch's segment.
CREATE VIRTUAL TABLE IF NOT EXISTS request_text USING fts4(request_id, session_id, prompt, response, tokenize=unicode61, notindexed=request_id, notindexed=session_id);
${TOTALS_TRIGGERS_SQL}`;

/**
 * The session-totals triggers (schema.ts), in a file written before them: created, then every session recounted
 * once (a request in flight was not counted by the batches of then until its response came). True when added:
 * the file is then written whole at its next save, as after a replay.
 */
export function addTotalsTriggers(db: Database): boolean {
  if (db.exec(`SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'totals_rq_i'`).length > 0)
    return false;
  db.exec(TOTALS_TRIGGERS_SQL);
  db.exec(SESSION_RECOUNT_SQL.replace(/\?1/g, 'sessions.id'));
  return true;
}
