// Routing by dialect, decided from the path (and for /v1/models and other /v1 paths, from Anthropic's headers).
// Pure and allocation-light: it runs on every request. No translation ever happens: a route only says which
// upstream gets the request and under which path.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';

export type LocalRoute = 'root' | 'healthz' | 'readyz' | 'metrics';

export type Route =
  | { kind: 'local'; name: LocalRoute }
  | {
      kind: 'upstream';
      dialect: Dialect;
      endpoint: Endpoint;
      /** Path to append to the upstream base URL (query string not included). */
      upstreamPath: string;
    }
  | { kind: 'not_found' };

export type UpstreamRoute = Extract<Route, { kind: 'upstream' }>;

// OpenAI-style paths clients may use without the /v1 prefix (Codex with a base URL lacking /v1, for example).
const OPENAI_BARE_PREFIXES = ['/responses', '/chat/completions', '/models', '/embeddings', '/completions'];

export function anthropicEndpoint(path: string): Endpoint {
  if (path === '/v1/messages') return 'messages';
  if (path === '/v1/messages/count_tokens') return 'count_tokens';
  if (path.startsWith('/v1/messages/batches')) return 'batches';
  if (path === '/v1/models' || path.startsWith('/v1/models/')) return 'models';
  return 'other';
}

/** `rest` is the path after the version prefix, e.g. `/chat/completions`. */
export function openaiEndpoint(rest: string): Endpoint {
  if (rest === '/chat/completions') return 'chat_completions';
  if (rest === '/responses') return 'responses';
  if (rest === '/models' || rest.startsWith('/models/')) return 'models';
  if (rest === '/embeddings') return 'embeddings';
  return 'other';
}

function hasPrefixSegment(path: string, prefix: string): boolean {
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47); /* '/' */
}

/**
 * Decide where a request goes. `path` excludes the query string.
 *
 * - `/v1/messages` and everything below it → Anthropic.
 * - Any other `/v1/…` path → Anthropic when the request carries `anthropic-version` (every Anthropic SDK and
 *   Claude Code send it), or for `/v1/models` also `x-api-key`; otherwise OpenAI.
 * - `/responses`, `/chat/completions`, `/models`, `/embeddings`, `/completions` without `/v1` → OpenAI.
 * - `GET|HEAD /`, `/healthz`, `/readyz`, `/metrics` are answered locally.
 */
export function resolveRoute(method: string, path: string, headers: IncomingHttpHeaders): Route {
  if (path === '/' && (method === 'GET' || method === 'HEAD')) return { kind: 'local', name: 'root' };
  if (method === 'GET' || method === 'HEAD') {
    if (path === '/healthz') return { kind: 'local', name: 'healthz' };
    if (path === '/readyz') return { kind: 'local', name: 'readyz' };
    if (path === '/metrics') return { kind: 'local', name: 'metrics' };
  }
  if (hasPrefixSegment(path, '/v1')) {
    if (hasPrefixSegment(path, '/v1/messages')) {
      return {
        kind: 'upstream',
        dialect: 'anthropic',
        endpoint: anthropicEndpoint(path),
        upstreamPath: path,
      };
    }
    const anthropicHeaders =
      headers['anthropic-version'] !== undefined ||
      (headers['x-api-key'] !== undefined && hasPrefixSegment(path, '/v1/models'));
    if (anthropicHeaders) {
      return {
        kind: 'upstream',
        dialect: 'anthropic',
        endpoint: anthropicEndpoint(path),
        upstreamPath: path,
      };
    }
    const rest = path.slice(3) || '/';
    return { kind: 'upstream', dialect: 'openai', endpoint: openaiEndpoint(rest), upstreamPath: rest };
  }
  for (const prefix of OPENAI_BARE_PREFIXES) {
    if (hasPrefixSegment(path, prefix)) {
      return { kind: 'upstream', dialect: 'openai', endpoint: openaiEndpoint(path), upstreamPath: path };
    }
  }
  return { kind: 'not_found' };
}

/** Paths on which a WebSocket upgrade is proxied (Codex's Responses-over-WebSocket). */
export function isWebSocketPath(path: string): boolean {
  return path === '/v1/responses' || path === '/responses';
}

/** Join an upstream base URL (no trailing slash needed) with a path and the client's raw query string. */
export function joinUpstreamUrl(base: string, upstreamPath: string, query: string): string {
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return trimmed + upstreamPath + query;
}
