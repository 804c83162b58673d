// Header redaction for recordings. Credentials (authorization, x-api-key, cookies, …) are ALWAYS masked — in every
// mode, `off` included — down to a scheme and a four-character suffix (`Bearer …[redacted]a1b2`) so a user can
// still tell which key was used. Every other header value goes through the policy like any string.
// Threat model: a recording must never hold a usable credential; a 4-character suffix of a ≥16-character secret
// does not help an attacker. It cannot know custom auth header names beyond the pattern below.
import type { Findings, HeaderMap, Redactor } from './types.js';

export const AUTH_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'cookie',
  'set-cookie',
  'x-auth-token',
  'x-goog-api-key',
  'x-amz-security-token',
  'openai-organization',
  'openai-project',
  'chatgpt-account-id',
]);

const AUTH_HEADER_RE =
  /(?:^|[-_])(?:api-?key|key|token|secret|password|passwd|credentials?|auth|authorization|cookie)$|^openai-.*(?:key|token)$/i;

export const MASKED_MARK = '…[redacted]';
const SUFFIX_MIN_LENGTH = 16;

export function isAuthHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return AUTH_HEADER_NAMES.has(lower) || AUTH_HEADER_RE.test(lower);
}

/** `…[redacted]` plus the last four characters when the secret is long enough for that to be harmless. */
export function maskSecret(secret: string): string {
  if (secret.startsWith(MASKED_MARK)) return secret;
  const cps = Array.from(secret);
  return cps.length >= SUFFIX_MIN_LENGTH ? MASKED_MARK + cps.slice(-4).join('') : MASKED_MARK;
}

const SCHEME_RE = /^((?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|ApiKey)[ \t]+)([\s\S]*)$/i;

/** Mask one credential header value, keeping its auth scheme, cookie names and cookie attributes. */
export function maskAuthValue(name: string, value: string): string {
  const lower = name.toLowerCase();
  if (lower === 'cookie') {
    return value
      .split(/;[ \t]*/)
      .map((pair) => maskCookiePair(pair))
      .join('; ');
  }
  if (lower === 'set-cookie') {
    const parts = value.split(/;[ \t]*/);
    return [maskCookiePair(parts[0] ?? ''), ...parts.slice(1)].join('; ');
  }
  const m = SCHEME_RE.exec(value);
  if (m !== null) return `${m[1] ?? ''}${maskSecret(m[2] ?? '')}`;
  return maskSecret(value);
}

function maskCookiePair(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq === -1) return maskSecret(pair);
  return `${pair.slice(0, eq + 1)}${maskSecret(pair.slice(eq + 1))}`;
}

/**
 * Redact a header map for storage. Credential headers are masked whatever the policy says; other values are
 * redacted by `redactor` (or kept as they are when it is null). Undefined values are dropped, numbers stringified.
 */
export function redactHeaders(
  headers: HeaderMap,
  redactor: Redactor | null,
): { value: Record<string, string | string[]>; findings: Findings } {
  const value: Record<string, string | string[]> = {};
  const findings: Findings = {};
  const add = (f: Findings): void => {
    for (const [k, n] of Object.entries(f)) findings[k] = (findings[k] ?? 0) + n;
  };
  const one = (name: string, v: string): string => {
    if (isAuthHeader(name)) {
      add({ auth_header: 1 });
      return maskAuthValue(name, v);
    }
    if (redactor === null) return v;
    const r = redactor.redactString(v);
    add(r.findings);
    return r.value;
  };
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const out = Array.isArray(raw) ? raw.map((v) => one(name, String(v))) : one(name, String(raw));
    if (name === '__proto__')
      Object.defineProperty(value, name, { value: out, enumerable: true, writable: true });
    else value[name] = out;
  }
  return { value, findings };
}
