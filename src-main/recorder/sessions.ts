// Which client sent a request, and which session it belongs to. Session ids come from the clients' own headers
// (Claude Code, Codex, OpenCode) or Anthropic `metadata.user_id`; otherwise each request starts a new session.
// Ids that came from a client are sanitised before they can reach a path.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientKind, SessionIdSource } from '../../src-shared/records.js';
import type { SessionHints } from '../../src-shared/exchange.js';
import { sanitizeId } from '../storage/fsutil.js';

export interface ClientInfo {
  client: ClientKind;
  version: string | null;
  userAgent: string | null;
}

function header(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (Array.isArray(v)) return v[0] ?? null;
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** Recognise the client from its headers: user-agent families and each client's own markers. */
export function recognizeClient(headers: IncomingHttpHeaders): ClientInfo {
  const ua = header(headers, 'user-agent');
  const m = (re: RegExp): string | null => (ua ? (re.exec(ua)?.[1] ?? null) : null);
  if (header(headers, 'x-claude-code-session-id') || (ua && /^claude-cli\//.test(ua))) {
    return { client: 'claude_code', version: m(/^claude-cli\/([\w.-]+)/), userAgent: ua };
  }
  const originator = header(headers, 'originator');
  if ((originator && originator.startsWith('codex')) || (ua && /^codex[\w-]*\//i.test(ua))) {
    return { client: 'codex', version: m(/^codex[\w-]*\/([\w.-]+)/i), userAgent: ua };
  }
  if (ua && /opencode/i.test(ua))
    return { client: 'opencode', version: m(/opencode\/([\w.-]+)/i), userAgent: ua };
  if (
    header(headers, 'x-stainless-lang') ||
    (ua && /^(Anthropic|OpenAI)\/|anthropic-sdk|openai-python|ai-sdk\//i.test(ua))
  ) {
    return { client: 'sdk', version: null, userAgent: ua };
  }
  return { client: 'other', version: null, userAgent: ua };
}

export interface SessionIdentity {
  /** Safe for paths: [A-Za-z0-9_-]{1,255}. */
  id: string;
  source: SessionIdSource;
}

const HEADER_SOURCES: readonly SessionIdSource[] = [
  'x-claude-code-session-id',
  'session-id',
  'session_id',
  'x-session-id',
];

/** Session id from headers only (known before the body is read; used for WebSocket sessions). */
export function sessionFromHeaders(headers: IncomingHttpHeaders): SessionIdentity | null {
  for (const name of HEADER_SOURCES) {
    const v = header(headers, name);
    if (v) return { id: sanitizeId(v), source: name };
  }
  return null;
}

/** Headers first, then the body's hints (Anthropic metadata.user_id), else a fresh UUIDv4. */
export function resolveSession(headers: IncomingHttpHeaders, hints: SessionHints | null): SessionIdentity {
  const fromHeaders = sessionFromHeaders(headers);
  if (fromHeaders) return fromHeaders;
  if (hints?.sessionId && hints.source?.startsWith('metadata.')) {
    return { id: sanitizeId(hints.sessionId), source: 'metadata.user_id' };
  }
  return { id: randomUUID(), source: 'generated' };
}

/**
 * The session a replay is recorded in: `replay-<original session id>`, so all replays of one session sit together;
 * a replay of a replay joins its original's replay session. `original` is null when its request is not indexed.
 */
export function replaySession(
  original: { session_id: string; replay_of: string | null } | null,
  replayOf: string,
): SessionIdentity {
  if (original?.replay_of) return { id: original.session_id, source: 'replay' };
  return { id: sanitizeId(`replay-${original?.session_id ?? replayOf}`), source: 'replay' };
}
