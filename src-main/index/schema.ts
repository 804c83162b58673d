// The SQLite index (sql.js): sessions, requests, tool calls and a full-text table, all derived from the JSONL
// lines by `Indexer`. Bodies stay in the JSONL; the index holds the facts the list, stats and search views need.
// Token columns are NULL when unknown (never 0 for unknown). Session totals are sums of request rows.

export const INDEX_SCHEMA_VERSION = 7;

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
-- docid = rowid of the request row (see indexer.ts).
CREATE VIRTUAL TABLE IF NOT EXISTS request_text USING fts4(request_id, session_id, prompt, response, tokenize=unicode61);
`;
