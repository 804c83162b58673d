// Built-in detectors of network identifiers: IPv4 (not version strings), IPv6 (all `::` forms, validated) and MAC
// addresses. See detectors.ts for the rest; the allowlist (loopback and the like) is applied by policy.ts.
import { scanRegex, type Scan } from './scan.js';
import { ipv6Plausible } from './validators.js';

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`(?<![0-9A-Za-z_.])(?:${OCTET}\\.){3}${OCTET}(?![0-9A-Za-z_]|\\.[0-9])`, 'g');
const VERSION_BEFORE_RE = /(?:version|ver|release|build|chrome|firefox|safari)[\s:=]*$/i;
export const scanIpv4: Scan = (s, out) => {
  scanRegex(IPV4_RE, s, out, (m) => {
    const i = m.index;
    const c1 = s[i - 1] ?? '';
    const c2 = s[i - 2] ?? '';
    if (c1 === '@' || c1 === '^' || c1 === '~') return false; // pkg@1.2.3.4, ^1.2.3.4
    if (c1 === '=' && (c2 === '=' || c2 === '>' || c2 === '<' || c2 === '~')) return false; // pip pins
    if (c1 === '/' && /[A-Za-z]/.test(c2)) return false; // Chrome/120.0.0.0 in a User-Agent
    if (VERSION_BEFORE_RE.test(s.slice(Math.max(0, i - 12), i))) return false;
    return true;
  });
};

const isHex = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const isV6Char = (c: number): boolean => isHex(c) || c === 58 || c === 46;
const isWordish = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
/**
 * Colon-driven (indexOf(':') is far cheaper than a regex that starts on every hex letter): around a colon with a
 * hex digit or colon on both sides, take the maximal run of [0-9A-Fa-f:.] (≤ 46), require word boundaries, and
 * validate it with ipv6Plausible.
 */
export const scanIpv6: Scan = (s, out) => {
  let i = s.indexOf(':');
  while (i !== -1) {
    const a = s.charCodeAt(i - 1);
    const b = s.charCodeAt(i + 1);
    if (!((isHex(a) || a === 58 || b === 58) && (isHex(b) || b === 58))) {
      i = s.indexOf(':', i + 1);
      continue;
    }
    let start = i;
    while (start > 0 && i - start < 46 && isV6Char(s.charCodeAt(start - 1))) start--;
    let end = i + 1;
    while (end < s.length && end - start < 47 && isV6Char(s.charCodeAt(end))) end++;
    let t = end;
    while (t > start && s.charCodeAt(t - 1) === 46) t--; // a sentence's full stop
    const before = s.charCodeAt(start - 1);
    const after = s.charCodeAt(end);
    const bounded =
      (start === 0 || !(isWordish(before) || before === 58 || before === 46)) &&
      (end >= s.length || !(isWordish(after) || after === 58 || after === 46));
    if (bounded && t - start >= 2 && ipv6Plausible(s.slice(start, t))) out.push({ start, end: t });
    i = s.indexOf(':', Math.max(end, i + 1));
  }
};

const MAC_RE =
  /(?<![0-9A-Za-z_:.-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![0-9A-Za-z_]|[:-][0-9A-Fa-f])/g;
export const scanMac: Scan = (s, out) => {
  if (s.indexOf(':') === -1 && s.indexOf('-') === -1) return;
  scanRegex(MAC_RE, s, out);
};
