// Why a session is expensive, slow or forgetful (issue #13): per request, what its input is made of (`context`),
// whether it lost the prompt cache and why (`cache_break`), which subagent sent it (`agent`) and whether it is the
// first request after a compaction (`compaction`); per session, the lanes (main thread, each subagent) with their
// tokens, cost and time. The JSON names below are what `lunaroute sessions show --json` and the UI API carry: a
// promise to users' scripts. Pure TypeScript: no Node, no DOM.
import * as s from './schema.js';

/**
 * Kinds of context parts. `system`: system prompt / instructions. `tools`: built-in tool definitions; `mcp_tools`:
 * the tools of one MCP server (`name` = the server, from `mcp__<server>__<tool>`). `messages`: what the user and
 * the model said (text, tool calls). `tool_results`: results of one tool (`name` = the tool). `media`: images and
 * documents (`name` = image | document). `thinking`: the model's earlier thinking / reasoning sent back.
 */
export const CONTEXT_PART_KINDS = [
  'system',
  'tools',
  'mcp_tools',
  'messages',
  'tool_results',
  'media',
  'thinking',
] as const;
export type ContextPartKind = (typeof CONTEXT_PART_KINDS)[number];

export const ContextPartSchema = s.object({
  kind: s.oneOf(CONTEXT_PART_KINDS),
  /** Tool name (tool_results), MCP server (mcp_tools), image | document (media); absent otherwise. */
  name: s.optional(s.string()),
  /**
   * Estimated tokens: the part's share of the request's bytes, scaled so the parts sum to the provider's own
   * input + cache-read + cache-write tokens (unscaled byte estimates when the provider reported no usage).
   */
  tokens: s.int({ min: 0 }),
});
export type ContextPart = s.Infer<typeof ContextPartSchema>;

/** A human label for a part: "Read results", "MCP github tools", "System prompt"… */
export function partLabel(p: { kind: ContextPartKind; name?: string }): string {
  switch (p.kind) {
    case 'system':
      return 'System prompt';
    case 'tools':
      return 'Built-in tools';
    case 'mcp_tools':
      return `MCP ${p.name ?? ''} tools`;
    case 'messages':
      return 'Messages';
    case 'tool_results':
      return `${p.name ?? 'Tool'} results`;
    case 'media':
      return p.name === 'document' ? 'Documents' : 'Images';
    case 'thinking':
      return 'Thinking';
  }
}

export const ContextSchema = s.object({
  /** Largest first. */
  parts: s.array(ContextPartSchema),
});
export type Context = s.Infer<typeof ContextSchema>;

/**
 * Why a request read less from the prompt cache than the previous request of its thread. `compaction`: the
 * history was replaced by a summary. `unknown`: nothing in the stored request explains it (the provider evicted).
 */
export const CACHE_BREAK_CAUSES = [
  'system_changed',
  'tools_changed',
  'message_edited',
  'model_changed',
  'ttl_expired',
  'compaction',
  'unknown',
] as const;
export type CacheBreakCause = (typeof CACHE_BREAK_CAUSES)[number];

export const CacheBreakSchema = s.object({
  cause: s.oneOf(CACHE_BREAK_CAUSES),
  /** One line for a human: the tools added/removed/changed, the message edited, the gap, the models. */
  detail: s.string(),
  /** Tokens written (or sent uncached) again that the previous request had cached. */
  tokens_rewritten: s.int({ min: 0 }),
  /** What re-writing them cost over reading them from the cache (USD); null when the model is unpriced. */
  extra_cost_usd: s.nullable(s.number()),
});
export type CacheBreak = s.Infer<typeof CacheBreakSchema>;

export const AgentSchema = s.object({
  /** Stable within the session: `agent-1`, `agent-2`… in the order the subagents started. */
  id: s.string(),
  /** The Task/Agent tool call that spawned it; null when that call was not recorded. */
  parent_tool_use_id: s.nullable(s.string()),
  /** The call's description (and subagent type), else the start of its prompt. */
  label: s.string(),
});
export type Agent = s.Infer<typeof AgentSchema>;

export const CompactionSchema = s.object({
  /** Input tokens (input + cache read + cache write) of the thread's last request before the compaction. */
  tokens_before: s.nullable(s.int({ min: 0 })),
  /** Input tokens of this request, the first on the summary. */
  tokens_after: s.nullable(s.int({ min: 0 })),
});
export type Compaction = s.Infer<typeof CompactionSchema>;

/** The four per-request fields (added to each request row of `sessions show --json` and the session view). */
export interface RequestInsight {
  context: Context | null;
  cache_break: CacheBreak | null;
  agent: Agent | null;
  compaction: Compaction | null;
}

/** Tokens, cost and time of one lane (the main thread, one subagent) or of a group of lanes. */
export const LaneTotalsSchema = s.object({
  requests: s.int({ min: 0 }),
  input_tokens: s.int({ min: 0 }),
  output_tokens: s.int({ min: 0 }),
  cache_read_tokens: s.int({ min: 0 }),
  cache_write_tokens: s.int({ min: 0 }),
  /** Sum of the priced requests' cost; null when none is priced. */
  cost_usd: s.nullable(s.number()),
  /** Sum of the requests' durations (ms). */
  duration_ms: s.number({ min: 0 }),
});
export type LaneTotals = s.Infer<typeof LaneTotalsSchema>;

export const LaneSchema = s.object({
  /** `main`, or the agent id. */
  id: s.string(),
  label: s.string(),
  parent_tool_use_id: s.nullable(s.string()),
  /** The request whose response made that call (the lane hangs under it); null when not recorded. */
  parent_request_id: s.nullable(s.string()),
  /** Request ids in this lane, in order. */
  request_ids: s.array(s.string()),
  first_at: s.number(),
  last_at: s.number(),
  totals: LaneTotalsSchema,
});
export type Lane = s.Infer<typeof LaneSchema>;

export const SessionInsightSchema = s.object({
  lanes: s.array(LaneSchema),
  main: LaneTotalsSchema,
  subagents: LaneTotalsSchema,
  cache_breaks: s.object({ count: s.int({ min: 0 }), extra_cost_usd: s.nullable(s.number()) }),
  compactions: s.int({ min: 0 }),
});
export type SessionInsight = s.Infer<typeof SessionInsightSchema>;
