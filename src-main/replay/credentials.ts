// Which credential a replay is sent with. The client's own key was never stored (recordings hold a masked
// header at most), so a replay brings one itself, as a client would: the configured key
// (upstreams.<provider>.api_key, or LUNAROUTE_*_API_KEY), else the usual provider variables (ANTHROPIC_API_KEY /
// ANTHROPIC_AUTH_TOKEN, OPENAI_API_KEY), else for Codex traffic the login in Codex's auth.json. A Codex request
// that went to the ChatGPT backend prefers that login (its token is only valid there). No value is ever logged or
// returned for display: only where it came from.
import fs from 'node:fs';
import type { Dialect, Endpoint } from '../../src-shared/dialects.js';
import type { Config } from '../config/types.js';
import { parseCodexAuth, type CodexLogin } from '../proxy/auth.js';

export interface ReplayCredential {
  /** Headers to send (never shown). */
  headers: Record<string, string>;
  /** Where it came from, for display: `upstreams.anthropic.api_key`, `ANTHROPIC_API_KEY`, `Codex auth.json (…)`. */
  label: string;
}

export interface CredentialContext {
  dialect: Dialect;
  endpoint: Endpoint;
  /** The original's client kind (`codex`…) and credential source (`codex_chatgpt`…). */
  client: string;
  credentialSource: string;
  /** The original's upstream URL (tells a ChatGPT-backend request apart). */
  upstreamUrl: string;
  config: Pick<Config, 'upstreams' | 'codex' | 'configFile'>;
  env: Readonly<Record<string, string | undefined>>;
}

/** Codex's login, read now (a replay is rare; the file may have been refreshed since start-up). */
export function readCodexLogin(config: Pick<Config, 'codex'>): CodexLogin | null {
  if (!config.codex.useAuthFile) return null;
  try {
    return parseCodexAuth(fs.readFileSync(config.codex.authFile, 'utf8'));
  } catch {
    return null;
  }
}

function env(c: CredentialContext, name: string): string | null {
  const v = c.env[name];
  return v && v.trim() !== '' ? v.trim() : null;
}

function fromCodex(login: CodexLogin | null, file: string): ReplayCredential | null {
  if (login?.kind === 'api_key')
    return {
      headers: { authorization: `Bearer ${login.apiKey}` },
      label: `Codex auth.json API key (${file})`,
    };
  if (login?.kind === 'chatgpt') {
    const headers: Record<string, string> = { authorization: `Bearer ${login.accessToken}` };
    if (login.accountId) headers['chatgpt-account-id'] = login.accountId;
    return { headers, label: `Codex auth.json ChatGPT login (${file})` };
  }
  return null;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** The credential to replay with, or null when none is available (see missingCredentialMessage). */
export function resolveReplayCredential(
  c: CredentialContext,
  codexLogin: CodexLogin | null = readCodexLogin(c.config),
): ReplayCredential | null {
  if (c.dialect === 'anthropic') {
    const key = c.config.upstreams.anthropic.apiKey;
    if (key) return { headers: { 'x-api-key': key }, label: 'upstreams.anthropic.api_key' };
    const envKey = env(c, 'ANTHROPIC_API_KEY');
    if (envKey) return { headers: { 'x-api-key': envKey }, label: 'ANTHROPIC_API_KEY' };
    const token = env(c, 'ANTHROPIC_AUTH_TOKEN');
    if (token) return { headers: { authorization: `Bearer ${token}` }, label: 'ANTHROPIC_AUTH_TOKEN' };
    return null;
  }
  const file = c.config.codex.authFile;
  const chatgpt =
    c.credentialSource === 'codex_chatgpt' || sameOrigin(c.upstreamUrl, c.config.upstreams.chatgpt.url);
  if (chatgpt && codexLogin?.kind === 'chatgpt') return fromCodex(codexLogin, file);
  const key = c.config.upstreams.openai.apiKey;
  if (key) return { headers: { authorization: `Bearer ${key}` }, label: 'upstreams.openai.api_key' };
  const envKey = env(c, 'OPENAI_API_KEY');
  if (envKey) return { headers: { authorization: `Bearer ${envKey}` }, label: 'OPENAI_API_KEY' };
  if (c.endpoint === 'responses' || c.client === 'codex') return fromCodex(codexLogin, file);
  return null;
}

/** Says there is no credential and names every way to provide one. */
export function missingCredentialMessage(c: Pick<CredentialContext, 'dialect' | 'config'>): string {
  const where = `the config file (${c.config.configFile})`;
  if (c.dialect === 'anthropic') {
    return (
      'no Anthropic credential to replay with (the client’s own key is never stored): set ' +
      `upstreams.anthropic.api_key in ${where} or LUNAROUTE_ANTHROPIC_API_KEY, or export ANTHROPIC_API_KEY ` +
      '(or ANTHROPIC_AUTH_TOKEN)'
    );
  }
  return (
    'no OpenAI credential to replay with (the client’s own key is never stored): set ' +
    `upstreams.openai.api_key in ${where} or LUNAROUTE_OPENAI_API_KEY, export OPENAI_API_KEY, or for Codex ` +
    `traffic log in with Codex (${c.config.codex.authFile}, codex.use_auth_file)`
  );
}
