// Where a decrypted request of the forward-proxy mode goes. The client spoke to the official host
// (CONNECT api.anthropic.com:443), so the host decides the upstream — the one configured for it (upstreams.*),
// which tests point at a local provider — and every path passes, known or not (the client may call any API of
// that host). The dialect and endpoint for recording come from the host and the path below the official base.
// Pure: no I/O.
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../../config/types.js';
import { DEFAULT_ANTHROPIC_URL, DEFAULT_CHATGPT_URL, DEFAULT_OPENAI_URL } from '../../config/schema.js';
import type { Dialect, Endpoint } from '../../../src-shared/dialects.js';
import { clientSentCredentials } from '../auth.js';
import type { UpstreamChoice } from '../credentials.js';
import { anthropicEndpoint, openaiEndpoint } from '../routes.js';

export interface InterceptedRoute {
  /** The intercepted host, as in the CONNECT request. */
  host: string;
  dialect: Dialect;
  endpoint: Endpoint;
  /** Base URL and path to append (query excluded): joinUpstreamUrl(base, upstreamPath, query). */
  base: string;
  upstreamPath: string;
  choice: UpstreamChoice;
}

interface HostUpstream {
  /** The base URL clients use for this host by default; its path is replaced by the upstream's. */
  official: string;
  upstream: string;
  name: string;
  dialect: Dialect | null;
}

function hostUpstream(config: Config, host: string): HostUpstream {
  const up = config.upstreams;
  if (host === 'api.anthropic.com')
    return {
      official: DEFAULT_ANTHROPIC_URL,
      upstream: up.anthropic.url,
      name: 'Anthropic',
      dialect: 'anthropic',
    };
  if (host === 'api.openai.com')
    return { official: DEFAULT_OPENAI_URL, upstream: up.openai.url, name: 'OpenAI', dialect: 'openai' };
  if (host === 'chatgpt.com')
    return {
      official: DEFAULT_CHATGPT_URL,
      upstream: up.chatgpt.url,
      name: 'ChatGPT Codex',
      dialect: 'openai',
    };
  // Another host the user chose to intercept: forwarded to itself, dialect from the request.
  return { official: `https://${host}`, upstream: `https://${host}`, name: host, dialect: null };
}

function under(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(prefix + '/');
}

/**
 * The route of one decrypted request. `path` excludes the query string. Paths below the official base path
 * (`/v1` on api.openai.com, `/backend-api/codex` on chatgpt.com) move below the configured upstream's base;
 * any other path goes to the upstream's origin unchanged.
 *
 * Credentials: only the client's own. A stored key is never added here — every program in a shell with
 * HTTPS_PROXY set goes through this path, and none of them should borrow the user's key by accident.
 */
export function interceptedRoute(
  config: Config,
  host: string,
  path: string,
  headers: IncomingHttpHeaders,
): InterceptedRoute {
  const h = hostUpstream(config, host);
  const officialPath = new URL(h.official).pathname.replace(/\/$/, '');
  const inBase = under(path, officialPath);
  const rest = inBase ? path.slice(officialPath.length) || '/' : path;
  const base = inBase ? h.upstream : new URL(h.upstream).origin;
  const upstreamPath = inBase ? rest : path;
  const dialect: Dialect = h.dialect ?? (headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai');
  let endpoint: Endpoint = 'other';
  if (inBase) {
    if (dialect === 'anthropic') endpoint = anthropicEndpoint(rest);
    else endpoint = openaiEndpoint(rest.startsWith('/v1/') ? rest.slice(3) : rest);
  }
  return {
    host,
    dialect,
    endpoint,
    base,
    upstreamPath,
    choice: {
      base,
      name: h.name,
      setHeaders: undefined,
      credentialSource: clientSentCredentials(headers) ? 'client' : 'none',
    },
  };
}
