// What a session is about, from what its client sent: a title (the first prompt a person typed on the main
// thread, as Claude Code's own session picker shows it) and the project (working directory) and git branch the
// client said it runs in. Pure: the indexer calls `sessionTitle` on main-thread request prompts and `envFacts`
// on stored system/message blocks, and keeps the first value found per session.
//
// Where the clients say it (captured from the real clients, tests/fixtures/clients/):
//   Claude Code 2.1.x   ` - Primary working directory: /path` (a `# Environment` list), `Current branch: name`
//                       (its gitStatus reminder); older versions `Working directory: /path` inside `<env>`
//   Codex               `<environment_context>` … `<cwd>/path</cwd>`; no branch (only a commit hash)
//   OpenCode            `Working directory: /path` in its system prompt; no branch

const PROJECT_PATTERNS: readonly RegExp[] = [
  /^[ \t]*-?[ \t]*Primary working directory:[ \t]*(\S[^\n]*)$/m,
  /<cwd>([^<\n]+)<\/cwd>/,
  /^[ \t]*-?[ \t]*Working directory:[ \t]*(\S[^\n]*)$/m,
];
const BRANCH_PATTERN = /^[ \t]*Current branch:[ \t]*(\S[^\n]*)$/m;
// The part of a block scanned: environment lines sit near the start of prompts and messages.
const SCAN_CHARS = 64 * 1024;
const MAX_VALUE_CHARS = 1024;
export const TITLE_CHARS = 200;

export interface EnvFacts {
  /** The working directory, as the client wrote it; null when the text names none. */
  project: string | null;
  branch: string | null;
}

function clean(v: string | undefined): string | null {
  const t = v?.trim();
  return t && t.length <= MAX_VALUE_CHARS ? t : null;
}

/** The working directory and git branch a prompt or message states, when it states them. */
export function envFacts(text: string): EnvFacts {
  const head = text.length > SCAN_CHARS ? text.slice(0, SCAN_CHARS) : text;
  let project: string | null = null;
  for (const re of PROJECT_PATTERNS) {
    project = clean(re.exec(head)?.[1]);
    if (project) break;
  }
  return { project, branch: clean(BRANCH_PATTERN.exec(head)?.[1]) };
}

/**
 * The text strings of a stored block value (a system prompt, instructions, one message or input item), joined
 * by newlines, up to SCAN_CHARS: `text` and string `content` fields at any depth, or the value itself.
 */
export function blockText(value: unknown): string {
  const out: string[] = [];
  let size = 0;
  const walk = (v: unknown, depth: number): void => {
    if (size >= SCAN_CHARS || depth > 6) return;
    if (typeof v === 'string') {
      out.push(v);
      size += v.length;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o['text'] === 'string') walk(o['text'], depth + 1);
      if (o['content'] !== undefined) walk(o['content'], depth + 1);
    }
  };
  walk(value, 0);
  return out.join('\n');
}

// Parts of a user turn the person did not type: Claude Code's reminders and slash-command wrappers, Codex's
// context messages.
const NOT_TYPED =
  /<(system-reminder|local-command-caveat|local-command-stdout|local-command-stderr|command-message|command-args|environment_context|user_instructions|turn_aborted)>[\s\S]*?<\/\1>/g;
const CONTINUED = /^This session is being continued from a previous conversation/;

/**
 * A session title from a main-thread request's prompt (its last typed user text), or null when that prompt is
 * not something a person typed: a slash command (`<command-name>`), only reminders or wrappers, or the summary
 * a compaction continues from. OpenCode wraps `opencode run` messages in double quotes: they are taken off.
 */
export function sessionTitle(prompt: string | null, client: string): string | null {
  if (!prompt || prompt.includes('<command-name>')) return null;
  let t = prompt.replace(NOT_TYPED, ' ').replace(/\s+/g, ' ').trim();
  if (client === 'opencode' && t.length >= 2 && t.startsWith('"') && t.endsWith('"'))
    t = t.slice(1, -1).trim();
  if (t === '' || CONTINUED.test(t)) return null;
  return t.length > TITLE_CHARS ? t.slice(0, TITLE_CHARS - 1) + '…' : t;
}
