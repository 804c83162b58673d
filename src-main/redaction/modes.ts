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

/** First 16 hex characters of HMAC-SHA256(key, `${detector}:${value}`). */
export function tokenDigest(key: Uint8Array, detector: string, value: string): string {
  return createHmac('sha256', key).update(`${detector}:${value}`).digest('hex').slice(0, 16);
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
