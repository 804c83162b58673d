// How a detected value is rewritten in each mode. `partial` counts code points (never splits a surrogate pair);
// `tokenize` is a keyed HMAC so equal values get equal tokens within one install and cannot be reversed by
// hashing a dictionary without the install secret.
import { createHmac } from 'node:crypto';
import type { RedactionMode } from './types.js';

export const FAILED_PLACEHOLDER = '[REDACTION_FAILED]';

/** Keep the last four code points, star the rest; four or fewer are fully starred. */
export function partialMask(value: string): string {
  const cps = Array.from(value);
  if (cps.length <= 4) return '*'.repeat(cps.length);
  return '*'.repeat(cps.length - 4) + cps.slice(-4).join('');
}

/** A run of digits a card detector could take for a card number (13 to 19 digits). */
const CARD_LIKE_RUN = /[0-9]{13}/;

/**
 * 16 hex characters of HMAC-SHA256(key, `${detector}:${value}`): the first 16 that hold no run of 13 digits.
 * Such a run (in about one token in 1 000) could be a Luhn-valid card number, and redacting redacted text again
 * then turned `[API_KEY:4642565148163536]` into `[API_KEY:[CREDIT_CARD:…]]`. Every other token is unchanged.
 */
export function tokenDigest(key: Uint8Array, detector: string, value: string): string {
  const hex = createHmac('sha256', key).update(`${detector}:${value}`).digest('hex');
  for (let at = 0; at < hex.length; at += 16) {
    const token = hex.slice(at, at + 16);
    if (!CARD_LIKE_RUN.test(token)) return token;
  }
  return hex.slice(0, 16); // all four slices hold such a run: about one value in 10^12
}

export function renderReplacement(
  mode: Exclude<RedactionMode, 'off'>,
  label: string,
  detector: string,
  value: string,
  key: Uint8Array | null,
): string {
  switch (mode) {
    case 'mask':
      return `[${label}]`;
    case 'remove':
      return '';
    case 'partial':
      return partialMask(value);
    case 'tokenize':
      // compilePolicy refuses a tokenize policy without a key; this is a last line of defence.
      if (key === null) throw new Error('tokenize without a key');
      return `[${label}:${tokenDigest(key, detector, value)}]`;
  }
}
