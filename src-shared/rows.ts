// What the core answers the renderer with: session, request and tool-call rows, transcripts, session views,
// search hits, problems, stats and the client setup, as schemas (the contract in contract.ts parses every payload
// with them). The enumerations shared by calls and events (clients, outcomes, reasons, formats) live here too.
// Pure TypeScript: no Node, no DOM, no electron.
import {
  AgentSchema,
  CacheBreakSchema,
  CompactionSchema,
  ContextSchema,
  SessionInsightSchema,
} from './insight.js';
import { LimitsSchema } from './limits.js';
import { ReplayRefSchema } from './replay.js';
import * as s from './schema.js';

export const CLIENT_KINDS = ['claude_code', 'codex', 'opencode', 'sdk', 'other'] as const;
export const OUTCOMES = ['completed', 'failed', 'interrupted'] as const;
export const OUTCOME_REASONS = [
  'client_abort',
  'upstream_reset',
  'upstream_error',
  'upstream_status',
  'stream_error',
  'shutdown',
  'stale',
  'crash',
  'recording_dropped',
  'not_recorded',
] as const;
/** Session status filter: `in_flight` = has a request without an outcome; the others by request outcomes. */
export const STATUS_FILTERS = ['in_flight', 'completed', 'failed', 'interrupted'] as const;
export const EXPORT_FORMATS = ['jsonl', 'har', 'md'] as const;
/** UnknownItem kinds (src-shared/exchange.ts). */
export const UNKNOWN_KINDS = ['event', 'block', 'delta', 'field'] as const;

/** Small schema pieces the contract's calls use too. */
export const id = s.string({ min: 1, max: 200 });
export const nstr = s.nullable(s.string());
export const nnum = s.nullable(s.number());
export const count = s.int({ min: 0 });

export const UsageSchema = s.object({
  input: nnum,
  cacheRead: nnum,
  cacheWrite: nnum,
  output: nnum,
  reasoning: nnum,
  raw: s.nullable(s.json()),
});

/** One row of the session list. Token sums are null when no request reported them. Times: epoch ms. */
export const SessionRowSchema = s.object({
  id: s.string(),
  client: s.string(),
  client_version: nstr,
  started_at: s.number(),
  last_at: s.number(),
  /** End of the session's last finished request (null while none finished). */
  ended_at: nnum,
  request_count: count,
  failed_count: count,
  interrupted_count: count,
  /** Requests without an outcome yet (streaming or waiting). */
  in_flight: count,
  input_tokens: nnum,
  output_tokens: nnum,
  cache_read_tokens: nnum,
  cache_write_tokens: nnum,
  reasoning_tokens: nnum,
  tool_call_count: count,
  /** Comma-separated distinct models. */
  models: nstr,
  /** JSONL lines lost (queue full, disk full); each loss is marked in the file by a gap line. */
  gaps: count,
  /** Requests answered but not recorded (their lines were lost), and when the last loss happened. */
  lost_requests: count,
  last_gap_at: nnum,
  /** Sum of the priced requests' cost in USD; null when none is priced (never 0 for unknown). */
  cost_usd: nnum,
  /** Requests with usage but no (complete) price: the cost above leaves them out. */
  unpriced_count: count,
  /** The first prompt typed on the session's main thread (reminders, slash commands, subagents, title calls
   * skipped); null until one was seen. */
  title: nstr,
  /** The working directory the client stated (full path; the UI shows its last segment); null when none. */
  project: nstr,
  /** The git branch the client stated (Claude Code's gitStatus); null when none. */
  branch: nstr,
  last_status: s.nullable(s.int()),
  last_outcome: nstr,
  /** The last request's model (the answering model once known, else the requested one). */
  last_model: nstr,
  /** The last request's response text preview, else its prompt preview. */
  last_preview: nstr,
  /** With a search: a snippet of a match, the matched words between \u0002 and \u0003. */
  match: s.optional(nstr),
});

export const RequestRowSchema = s.object({
  /** USD from this request's own token kinds; null = unpriced model or unknown usage. */
  cost_usd: nnum,
  /** priced | partial | unpriced | no_usage | free (null while in flight). */
  cost_status: nstr,
  id: s.string(),
  session_id: s.string(),
  at: s.number(),
  dialect: s.string(),
  endpoint: s.string(),
  transport: s.string(),
  client: s.string(),
  method: s.string(),
  url: s.string(),
  model_requested: nstr,
  model: nstr,
  stream: s.int(),
  status: s.nullable(s.int()),
  /** null while in flight. */
  outcome: nstr,
  reason: nstr,
  error_type: nstr,
  error_message: nstr,
  input_tokens: nnum,
  output_tokens: nnum,
  cache_read_tokens: nnum,
  cache_write_tokens: nnum,
  reasoning_tokens: nnum,
  /** Milliseconds since `at`. */
  ttfb_ms: nnum,
  first_content_ms: nnum,
  duration_ms: nnum,
  provider_ms: nnum,
  overhead_ms: nnum,
  request_bytes: s.number(),
  response_bytes: nnum,
  chunks: nnum,
  stop_reason: nstr,
  finish_reason: nstr,
  has_refusal: s.int(),
  tool_call_count: count,
  prompt_preview: nstr,
  response_preview: nstr,
  ended_at: nnum,
  /** A replay: the request it sends again (null for ordinary requests). */
  replay_of: s.optional(nstr),
  /** What the input is made of (src-shared/insight.ts); absent when the session file was not read. */
  context: s.optional(s.nullable(ContextSchema)),
  /** The prompt cache lost against the previous request of the same thread, and why. */
  cache_break: s.optional(s.nullable(CacheBreakSchema)),
  /** The subagent that sent the request; null for the main thread. */
  agent: s.optional(s.nullable(AgentSchema)),
  /** Set on the first request on a compaction summary. */
  compaction: s.optional(s.nullable(CompactionSchema)),
});

export const ToolCallRowSchema = s.object({
  id: s.string(),
  session_id: s.string(),
  request_id: s.string(),
  name: s.string(),
  kind: s.string(),
  arguments_preview: nstr,
  called_at: s.number(),
  result_request_id: nstr,
  result_at: nnum,
  /** From the end of the response that asked for the tool to the request that carried its result. */
  latency_ms: nnum,
  is_error: s.nullable(s.int()),
});

export const TRANSCRIPT_KINDS = [
  'system',
  'user',
  'assistant',
  'thinking',
  'tool_call',
  'tool_result',
  'refusal',
  'error',
  'other',
] as const;

/** One piece of the conversation as shown in the transcript. */
export const TranscriptItemSchema = s.object({
  kind: s.oneOf(TRANSCRIPT_KINDS),
  text: s.string(),
  /** Tool name (tool_call) or the provider's type (other). */
  name: nstr,
  /** Tool call id (tool_call, tool_result). */
  tool_id: nstr,
  is_error: s.nullable(s.boolean()),
});

/** What one request added to the conversation: the new input items, then its response. */
export const TranscriptTurnSchema = s.object({
  request_id: s.string(),
  at: s.number(),
  model: nstr,
  endpoint: s.string(),
  input: s.array(TranscriptItemSchema),
  output: s.array(TranscriptItemSchema),
});

/** Redaction placeholders found in what was stored for a session (by label), and failed redactions. */
export const RedactionReportSchema = s.object({
  counts: s.array(s.object({ label: s.string(), count: count })),
  failed: count,
});

export const SessionViewSchema = s.object({
  session: SessionRowSchema,
  requests: s.array(RequestRowSchema),
  tool_calls: s.array(ToolCallRowSchema),
  transcript: s.array(TranscriptTurnSchema),
  redaction: RedactionReportSchema,
  /** Replays recorded of this session's requests (they live in the session `replay-<id>`), newest first. */
  replays: s.optional(s.array(ReplayRefSchema)),
  /** Lanes (main thread, subagents), main-vs-subagent totals, cache breaks and compactions. */
  insight: s.optional(SessionInsightSchema),
});

export const SearchHitSchema = s.object({
  request_id: s.string(),
  session_id: s.string(),
  at: s.number(),
  /** Match context; matched words between \u0002 and \u0003 (render as text, mark by splitting). */
  snippet: s.string(),
});

/** How to point clients at LunaRoute, both modes (see src-shared/shell-exports.ts). */
export const SetupSchema = s.object({
  /** Base-URL mode: shell exports (plus comments for the clients that read no variable). */
  base: s.string(),
  /** Forward-proxy mode: HTTPS_PROXY, the CA variables, NO_PROXY. */
  forward: s.string(),
  ca: s.object({
    cert_path: s.string(),
    /** SHA-256 of the certificate, colon hex. */
    sha256: s.string(),
    /** Host names the CA may issue for (name constraints). */
    hosts: s.array(s.string()),
    not_after: s.number({ min: 0 }),
  }),
});

export const PROBLEM_KINDS = [
  'port_busy',
  'upstream_unreachable',
  'storage_full',
  'write_error',
  'index_error',
  'redaction_failed',
  'dropped',
  'budget_exceeded',
  'limit_near',
  'client_drift',
] as const;

/** Something the user must see (not only in a log). */
export const ProblemSchema = s.object({
  kind: s.oneOf(PROBLEM_KINDS),
  message: s.string(),
  at: s.number(),
});

export const StatsSchema = s.object({
  sessions: count,
  requests: count,
  in_flight: count,
  failed: count,
  input_tokens: count,
  output_tokens: count,
  /** Cost of the priced requests (USD); null when none is priced. */
  cost_usd: nnum,
  /** Requests whose cost is unknown (unpriced model or usage). */
  unpriced: count,
  clients: s.array(s.string()),
  models: s.array(s.string()),
  dropped: count,
  problems: s.array(ProblemSchema),
  /** Plan and rate limits as last seen in response headers (provider → window). */
  limits: LimitsSchema,
});
