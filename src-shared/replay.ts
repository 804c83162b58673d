// What a replay looks like across the boundary: the preview a window shows before sending (changes, estimated
// cost, credential, redactions), and the comparison of an original request with its replay — the same shape
// `lunaroute replay --json` prints as `{ original, replay, diff }`. Field names are a promise to users' scripts.
// Pure TypeScript (schemas from ./schema.js): used by the contract, the core and the renderer.
//
// Terminology: the *original* is a recorded request; a *replay* sends its rebuilt body again (maybe with another
// model or an edited last prompt) and is recorded as a new request with `replay_of` = the original's id, in the
// session `replay-<original session id>`. Times are epoch ms, durations ms; null = unknown (never 0).
import * as s from './schema.js';
import type { Infer } from './schema.js';

const nstr = s.nullable(s.string());
const nnum = s.nullable(s.number());

/** Token counts by kind (`input` excludes cache reads and writes; `reasoning` is part of `output`). */
export const ReplayTokensSchema = s.object({
  input: nnum,
  output: nnum,
  cache_read: nnum,
  cache_write: nnum,
  reasoning: nnum,
});

export const ReplayToolCallSchema = s.object({ name: s.string(), arguments: s.string() });

/** A value the redactor replaced in the stored request, which the replay therefore carries redacted. */
export const ReplayRedactionSchema = s.object({
  /** A placeholder label (`EMAIL`, `API_KEY`…) or, for modes that leave none, the detector name. */
  label: s.string(),
  count: s.int({ min: 0 }),
  /** Where in the request (JSON paths, `header user-agent`), at most a few. */
  where: s.array(s.string()),
});

/** What the replay changed compared with the original request. */
export const ReplayChangesSchema = s.object({
  model: s.nullable(s.object({ from: nstr, to: s.string() })),
  /** The last typed user message was replaced; `dropped` messages after it were left out (the fork point). */
  prompt: s.nullable(s.object({ from: nstr, to: s.string(), message_index: s.int(), dropped: s.int() })),
  /** An upstream base URL used instead of the configured one. */
  upstream: nstr,
});

/** What was sent: filled on the result of a replay just run (absent when a stored replay is compared). */
export const ReplaySentSchema = s.object({
  changes: ReplayChangesSchema,
  redactions: s.array(ReplayRedactionSchema),
  /** Where the credential came from (`upstreams.anthropic.api_key`, `ANTHROPIC_API_KEY`…), never its value. */
  credential: s.string(),
  /** Through which LunaRoute it went (the proxy URL). */
  via: s.string(),
  notes: s.array(s.string()),
});

/** One side of a comparison: what one recorded request asked and what came back. */
export const ReplaySideSchema = s.object({
  request_id: s.string(),
  session_id: s.string(),
  at: s.number(),
  /** The request this one replays; null on an original. */
  replay_of: nstr,
  model_requested: nstr,
  /** The model that answered, else the requested one. */
  model: nstr,
  endpoint: s.string(),
  stream: s.boolean(),
  /** The status the client got; null when none was recorded. */
  status: s.nullable(s.int()),
  /** completed | failed | interrupted; null while in flight. */
  outcome: nstr,
  reason: nstr,
  /** The upstream's (or LunaRoute's) error message when it failed. */
  error: nstr,
  /** The visible response text (text blocks, then refusals). */
  text: s.string(),
  tool_calls: s.array(ReplayToolCallSchema),
  stop_reason: nstr,
  tokens: ReplayTokensSchema,
  cost_usd: nnum,
  /** priced | partial | unpriced | no_usage | free. */
  cost_status: nstr,
  /** Time to the first content delta (else to the response head). */
  ttft_ms: nnum,
  duration_ms: nnum,
  sent: s.optional(ReplaySentSchema),
});

export const DIFF_OPS = ['=', '-', '+'] as const;

/** Differences, replay against original. Numeric fields are `replay − original` (null when either is unknown). */
export const ReplayDiffSchema = s.object({
  text: s.object({
    same: s.boolean(),
    /** A line diff: `=` in both, `-` only in the original, `+` only in the replay. */
    lines: s.array(s.object({ op: s.oneOf(DIFF_OPS), text: s.string() })),
    /** The texts were too long to diff line by line completely; the rest is shown as removed/added. */
    truncated: s.boolean(),
  }),
  tool_calls: s.object({
    same: s.boolean(),
    /** Calls (name and arguments) only in the original / only in the replay. */
    removed: s.array(ReplayToolCallSchema),
    added: s.array(ReplayToolCallSchema),
  }),
  stop_reason: s.object({ same: s.boolean() }),
  outcome: s.object({ same: s.boolean() }),
  model: s.object({ same: s.boolean() }),
  tokens: ReplayTokensSchema,
  cost_usd: nnum,
  ttft_ms: nnum,
  duration_ms: nnum,
});

export const ReplayComparisonSchema = s.object({
  original: ReplaySideSchema,
  replay: ReplaySideSchema,
  diff: ReplayDiffSchema,
});

/** A recorded replay, as listed under its original. */
export const ReplayRefSchema = s.object({
  id: s.string(),
  session_id: s.string(),
  replay_of: s.string(),
  at: s.number(),
  model: nstr,
  outcome: nstr,
  status: s.nullable(s.int()),
});

/** What the window shows before a replay is sent (and what `replay.run` will send). */
export const ReplayPreviewSchema = s.object({
  request_id: s.string(),
  session_id: s.string(),
  dialect: s.string(),
  endpoint: s.string(),
  transport: s.string(),
  stream: s.boolean(),
  client: s.string(),
  /** The model the original asked for. */
  model: nstr,
  /** The model the replay will ask for. */
  target_model: nstr,
  /** The original's last typed user text (what --prompt replaces); null when it has none. */
  prompt: nstr,
  changes: ReplayChangesSchema,
  /** Model names to offer: priced models of the same provider, and the original's. */
  models: s.array(s.string()),
  /** From the original's token counts at the target model's rates (a change of model re-writes the cache). */
  estimate: s.object({ usd: nnum, status: s.string(), note: s.string() }),
  credential: s.object({ ok: s.boolean(), label: nstr, message: nstr }),
  redactions: s.array(ReplayRedactionSchema),
  notes: s.array(s.string()),
  /** Why this request cannot be replayed (its body was not stored as JSON…); null when it can. */
  blocked: nstr,
  /** Replays of this request recorded so far, newest first. */
  replays: s.array(ReplayRefSchema),
});

export type ReplayTokens = Infer<typeof ReplayTokensSchema>;
export type ReplayToolCall = Infer<typeof ReplayToolCallSchema>;
export type ReplayRedaction = Infer<typeof ReplayRedactionSchema>;
export type ReplayChanges = Infer<typeof ReplayChangesSchema>;
export type ReplaySent = Infer<typeof ReplaySentSchema>;
export type ReplaySide = Infer<typeof ReplaySideSchema>;
export type ReplayDiff = Infer<typeof ReplayDiffSchema>;
export type ReplayComparison = Infer<typeof ReplayComparisonSchema>;
export type ReplayRef = Infer<typeof ReplayRefSchema>;
export type ReplayPreview = Infer<typeof ReplayPreviewSchema>;

/** Proxy headers: set by a replay on its request (taken off before forwarding), and answered on the response. */
export const REPLAY_OF_HEADER = 'x-lunaroute-replay-of';
export const REPLAY_UPSTREAM_HEADER = 'x-lunaroute-replay-upstream';
/** On the response to a recorded replay: the new request's id. */
export const REPLAY_ID_HEADER = 'x-lunaroute-replay-id';
