// What a request is for, from its own facts: the client's main conversation turn, or one of the background calls
// coding clients make around it — a subagent's turn, a title/summary generated for the session list, a token
// count, a context compaction, or a probe (HEAD /, model lists, a max_tokens: 1 quota check). Pure: the indexer
// calls it per request line, the stats view sums tokens and cost per class.
//
// The markers are the clients' own prompts (Claude Code 2.1.332's strings, OpenCode's and Codex's compaction
// prompts); a request that matches none is a main turn. The system prompt is not in the request line (it is a
// content-addressed block), so `systemHint` classifies a system block once, when it is stored, and the indexer
// looks the hint up by the block's hash.

export type RequestClass = 'main' | 'subagent' | 'title' | 'count_tokens' | 'compaction' | 'probe';

export const REQUEST_CLASSES: readonly RequestClass[] = [
  'main',
  'subagent',
  'title',
  'count_tokens',
  'compaction',
  'probe',
];

export interface ClassifyFacts {
  method: string;
  /** Endpoint name (src-shared/dialects.ts). */
  endpoint: string;
  /** Declared tools. */
  toolCount: number;
  /** `max_tokens` / `max_output_tokens`; null when absent. */
  maxTokens: number | null;
  /** Text of the last user turn that is not only tool results; null when none. */
  lastUserText: string | null;
  /** The system prompt / instructions text when known (tests, the engine); null when not. */
  systemText?: string | null;
}

const TITLE_SYSTEM = [
  /You are naming a coding session/i, // Claude Code 2.1 generate_session_title
  /Summarize this coding conversation in under \d+ characters/i, // Claude Code 1.x / 2.0
  /indicates a new conversation topic.{0,80}title/is, // Claude Code 1.x topic detection
  /You are a title generator/i, // OpenCode
  /Generate a (?:short|concise) (?:session )?title/i,
];
const COMPACTION = [
  /create a detailed summary of the conversation so far/i, // Claude Code /compact and auto-compact
  /CONTEXT CHECKPOINT COMPACTION/, // Codex
  /summari[sz]e (?:the|this) conversation (?:so far )?(?:for|to) (?:continue|continuing)/i,
];
const SUBAGENT_SYSTEM = [
  /You are an agent for Claude Code, Anthropic's official CLI for Claude/, // Task tool general-purpose agent
  /You are a subagent spawned by/i,
];

function any(res: readonly RegExp[], text: string | null | undefined): boolean {
  if (!text) return false;
  // The markers sit at the start of prompts; bound the scan of a 30 KB system prompt.
  const head = text.length > 8_000 ? text.slice(0, 8_000) : text;
  return res.some((r) => r.test(head));
}

/** The class a system prompt (or instructions) implies, or null when it implies none (a main turn's prompt). */
export function systemHint(
  systemText: string,
): Exclude<RequestClass, 'main' | 'count_tokens' | 'probe'> | null {
  if (any(COMPACTION, systemText)) return 'compaction';
  if (any(TITLE_SYSTEM, systemText)) return 'title';
  if (any(SUBAGENT_SYSTEM, systemText)) return 'subagent';
  return null;
}

/** Classify one request. `systemText` null/absent: the caller applies `systemHint` of the stored block itself. */
export function classifyRequest(f: ClassifyFacts): RequestClass {
  if (f.endpoint === 'count_tokens') return 'count_tokens';
  const method = f.method.toUpperCase();
  if (method === 'HEAD' || (method === 'GET' && f.endpoint !== 'responses') || f.endpoint === 'models')
    return 'probe';
  // Claude Code's quota check: one word, max_tokens 1, no tools.
  if (f.maxTokens === 1 && f.toolCount === 0) return 'probe';
  if (any(COMPACTION, f.lastUserText)) return 'compaction';
  // Claude Code 2.1 sends the session to be named inside <session> tags, with no tools.
  if (f.toolCount === 0 && f.lastUserText?.trimStart().startsWith('<session>')) return 'title';
  if (f.systemText) return systemHint(f.systemText) ?? 'main';
  return 'main';
}

/** Flatten an Anthropic `system` value (string or text blocks) or Responses `instructions` to text. */
export function systemTextOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    const parts = value
      .map((b) =>
        b && typeof b === 'object' && typeof (b as { text?: unknown }).text === 'string'
          ? (b as { text: string }).text
          : '',
      )
      .filter(Boolean);
    return parts.length ? parts.join('\n') : null;
  }
  return null;
}
