// The allowlist: values that are never redacted even though a detector matched them. The built-in part holds
// values that cannot identify anyone or anything (loopback, unspecified and broadcast addresses, the RFC 5737 /
// RFC 3849 documentation ranges, RFC 2606 reserved e-mail domains); configuration adds exact strings and regexes.
import type { AllowlistConfig } from './types.js';

export const DEFAULT_ALLOWED_VALUES: readonly string[] = [
  '127.0.0.1',
  '0.0.0.0',
  '255.255.255.255',
  '::1',
  '::',
  'localhost',
  '00:00:00:00:00:00',
  'ff:ff:ff:ff:ff:ff',
  '00-00-00-00-00-00',
  'ff-ff-ff-ff-ff-ff',
];

export const DEFAULT_ALLOWED_PATTERNS: readonly RegExp[] = [
  /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, // loopback /8
  /^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/, // RFC 5737 documentation ranges
  /^2001:0?db8:/i, // RFC 3849 documentation prefix
  /@(?:[A-Za-z0-9-]+\.)*example\.(?:com|net|org)$/i, // RFC 2606
  /@(?:[A-Za-z0-9-]+\.)+(?:example|test|invalid|localhost)$/i,
];

export interface Allowlist {
  allows(value: string): boolean;
}

/** Compile the allowlist; throws a plain Error naming the bad pattern (policy.ts wraps it). */
export function compileAllowlist(cfg: AllowlistConfig | undefined): Allowlist {
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  if (cfg?.defaults !== false) {
    for (const v of DEFAULT_ALLOWED_VALUES) exact.add(v.toLowerCase());
    patterns.push(...DEFAULT_ALLOWED_PATTERNS);
  }
  const userExact = new Set(cfg?.values ?? []);
  for (const src of cfg?.patterns ?? []) patterns.push(new RegExp(`^(?:${src})$`, 'u'));
  return {
    allows(value: string): boolean {
      if (userExact.has(value) || exact.has(value.toLowerCase())) return true;
      for (const re of patterns) if (re.test(value)) return true;
      return false;
    },
  };
}
