// Credential policy: which upstream a request goes to and which credential, if any, the proxy adds. The
// client's own credentials always win and pass untouched; only a request that carries none, and that looks like
// a local program (request-guard.ts), gets a stored one: a configured key, or for Codex's Responses API the
// login in ~/.codex/auth.json. Pure: no I/O, no logging.
import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '../config/types.js';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import { clientSentCredentials, type CodexLogin, type CredentialSource } from './auth.js';

export interface UpstreamChoice {
  /** Upstream base URL (the route's path is appended). */
  base: string;
  /** Human name of the upstream, for error messages. */
  name: string;
  /** Headers the proxy adds or replaces (the stored credential); undefined = none. */
  setHeaders: Record<string, string> | undefined;
  credentialSource: CredentialSource;
}

/**
 * `mayAddStored` is false for browser requests from foreign pages: they never get a stored credential (the
 * server refuses those without credentials before forwarding; this keeps the rule in the policy too).
 */
export function chooseUpstream(
  upstreams: Config['upstreams'],
  codexLogin: (() => CodexLogin | null) | undefined,
  dialect: Dialect,
  endpoint: Endpoint,
  headers: IncomingHttpHeaders,
  mayAddStored: boolean,
): UpstreamChoice {
  const up = upstreams;
  if (dialect === 'anthropic') {
    if (clientSentCredentials(headers))
      return {
        base: up.anthropic.url,
        name: 'Anthropic',
        setHeaders: undefined,
        credentialSource: 'client',
      };
    if (up.anthropic.apiKey && mayAddStored)
      return {
        base: up.anthropic.url,
        name: 'Anthropic',
        setHeaders: { 'x-api-key': up.anthropic.apiKey },
        credentialSource: 'config',
      };
    return { base: up.anthropic.url, name: 'Anthropic', setHeaders: undefined, credentialSource: 'none' };
  }
  // Codex logged in with ChatGPT sends its own token plus chatgpt-account-id: that token is only valid on the
  // ChatGPT Codex backend.
  if (headers['chatgpt-account-id'] !== undefined) {
    return {
      base: up.chatgpt.url,
      name: 'ChatGPT Codex',
      setHeaders: undefined,
      credentialSource: 'client',
    };
  }
  if (clientSentCredentials(headers))
    return { base: up.openai.url, name: 'OpenAI', setHeaders: undefined, credentialSource: 'client' };
  if (!mayAddStored)
    return { base: up.openai.url, name: 'OpenAI', setHeaders: undefined, credentialSource: 'none' };
  if (up.openai.apiKey) {
    return {
      base: up.openai.url,
      name: 'OpenAI',
      setHeaders: { authorization: `Bearer ${up.openai.apiKey}` },
      credentialSource: 'config',
    };
  }
  const login = endpoint === 'responses' ? codexLogin?.() : null;
  if (login?.kind === 'api_key') {
    return {
      base: up.openai.url,
      name: 'OpenAI',
      setHeaders: { authorization: `Bearer ${login.apiKey}` },
      credentialSource: 'codex_api_key',
    };
  }
  if (login?.kind === 'chatgpt') {
    const setHeaders: Record<string, string> = { authorization: `Bearer ${login.accessToken}` };
    if (login.accountId) setHeaders['chatgpt-account-id'] = login.accountId;
    return { base: up.chatgpt.url, name: 'ChatGPT Codex', setHeaders, credentialSource: 'codex_chatgpt' };
  }
  return { base: up.openai.url, name: 'OpenAI', setHeaders: undefined, credentialSource: 'none' };
}
