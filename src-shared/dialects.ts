// The two API dialects LunaRoute speaks, and the endpoints it knows by name.
// Pure TypeScript: shared by the core, the CLI and the renderer.

/** Which provider family a request belongs to. Decided by path (and, for /v1/models, by headers). */
export type Dialect = 'anthropic' | 'openai';

/**
 * A bounded set of endpoint names, used as metric labels and in recordings.
 * `other` is any path of the dialect not named here (kept bounded on purpose: no raw paths as labels).
 */
export type Endpoint =
  | 'messages'
  | 'count_tokens'
  | 'batches'
  | 'models'
  | 'chat_completions'
  | 'responses'
  | 'embeddings'
  | 'other';

export const DIALECTS: readonly Dialect[] = ['anthropic', 'openai'];
