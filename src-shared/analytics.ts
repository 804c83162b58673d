// The Analytics view's schema (the `analytics.get` result): series, breakdowns by model, client and request class,
// cache, priced share, tools and the time split, as computed in src-main/analytics/analytics.ts. Part of the one
// contract (contract.ts imports it); kept apart so contract.ts stays readable. Pure TypeScript: no Node, no DOM.
import * as s from './schema.js';

const nnum = s.nullable(s.number());
const count = s.int({ min: 0 });
const share = s.nullable(s.number({ min: 0, max: 1 }));
const TokenCostShape = {
  requests: count,
  failed: count,
  input_tokens: count,
  output_tokens: count,
  cache_read_tokens: count,
  cache_write_tokens: count,
  reasoning_tokens: count,
  /** Sum of the priced requests' cost (USD); what is unpriced is counted in unpriced_requests, never as $0. */
  cost_usd: s.number({ min: 0 }),
  priced_requests: count,
  unpriced_requests: count,
};
const ShareGroupSchema = s.object({
  key: s.string(),
  ...TokenCostShape,
  token_share: share,
  cost_share: share,
});
/** A group by the session's project (working directory, full path) or by project and branch; null = not named. */
const ProjectGroupSchema = s.object({
  ...ShareGroupSchema.shape,
  project: s.nullable(s.string()),
  branch: s.optional(s.nullable(s.string())),
});
export const ANALYTICS_BUCKETS = ['hour', 'day'] as const;

/** The Analytics view: series, breakdowns, cache, priced share, tools, time split, classes (analytics/analytics.ts). */
/** Tokens and priced cost per bucket, split by the top keys of a dimension (aligned arrays). */
const SplitSeriesSchema = s.object({
  keys: s.array(s.string()),
  points: s.array(
    s.object({ t: s.number(), tokens: s.array(count), cost_usd: s.array(s.number({ min: 0 })) }),
  ),
});

export const AnalyticsSchema = s.object({
  since: nnum,
  bucket: s.oneOf(ANALYTICS_BUCKETS),
  bucket_ms: s.number({ min: 1 }),
  sessions: count,
  totals: s.object({ ...TokenCostShape, errors: count, interruptions: count }),
  series: s.array(
    s.object({
      t: s.number(),
      requests: count,
      errors: count,
      interruptions: count,
      input_tokens: count,
      output_tokens: count,
      cache_read_tokens: count,
      cache_write_tokens: count,
      reasoning_tokens: count,
      cost_usd: s.number({ min: 0 }),
      priced_requests: count,
      unpriced_requests: count,
    }),
  ),
  split_by_model: SplitSeriesSchema,
  split_by_client: SplitSeriesSchema,
  /** Split by project: keys are working directories (`(none)` when the client named none). */
  split_by_project: SplitSeriesSchema,
  /** Split by project and branch: keys read `<project name>@<branch>` (just the name when no branch is named). */
  split_by_branch: SplitSeriesSchema,
  by_project: s.array(ProjectGroupSchema),
  by_branch: s.array(ProjectGroupSchema),
  by_model: s.array(ShareGroupSchema),
  by_client: s.array(ShareGroupSchema),
  classes: s.array(ShareGroupSchema),
  cache: s.object({
    input_tokens: count,
    cache_read_tokens: count,
    cache_write_tokens: count,
    hit_ratio: share,
    saved_usd: s.number(),
    unpriced_cache_read_tokens: count,
  }),
  priced: s.object({ requests_share: share, tokens_share: share, unpriced_models: s.array(s.string()) }),
  tools: s.array(
    s.object({
      name: s.string(),
      calls: count,
      errors: count,
      error_rate: share,
      latency_p50_ms: nnum,
      latency_p95_ms: nnum,
    }),
  ),
  slowest_tools: s.array(
    s.object({
      name: s.string(),
      session_id: s.string(),
      request_id: s.string(),
      called_at: s.number(),
      latency_ms: s.number(),
      is_error: s.nullable(s.boolean()),
    }),
  ),
  time_split: s.object({
    sessions: count,
    span_ms: s.number({ min: 0 }),
    model_ms: s.number({ min: 0 }),
    tool_ms: s.number({ min: 0 }),
    idle_ms: s.number({ min: 0 }),
  }),
});
