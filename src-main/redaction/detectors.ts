// The built-in detectors. Each one is a cheap anchor (a regex that starts with a literal, which V8 skips through
// faster than indexOf on short needles; or indexOf of a rare character: '@', '://', ':', '=') + a linear candidate
// scan (every quantifier bounded, so one attempt reads a bounded number of characters) + a precision guard
// (checksum, structure or context). They report ranges only; modes, allowlist and overlaps are policy.ts's job.
// What each one matches and misses, and why, is tabulated in README.md — keep the two in step.
import type { BuiltinDetectorName, DetectorDef } from './types.js';
import { scanRegex, type Scan } from './scan.js';
import { scanSecretAssignment, scanUrlPassword } from './detectors-position.js';
import { scanIpv4, scanIpv6, scanMac } from './detectors-network.js';

export { scanRegex } from './scan.js';
export { isPlaceholderValue, isSecretName } from './detectors-position.js';
import {
  cardPrefixPlausible,
  hasLetterAndDigit,
  hasUpperLowerDigit,
  ibanValid,
  isAllSameChar,
  jwtHeaderValid,
  luhnValid,
  ssnValid,
} from './validators.js';

// ---------------------------------------------------------------------------------------------------------
// Secrets with a recognisable shape

const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]{1,16} ){0,4})PRIVATE KEY( BLOCK)?-----/g;
/** Longest private-key block we look for an END marker in; a BEGIN with no END is redacted to the end. */
const PEM_MAX = 64 * 1024;

const scanPrivateKey: Scan = (s, out) => {
  if (s.indexOf('PRIVATE KEY') === -1) return;
  PEM_BEGIN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PEM_BEGIN.exec(s)) !== null) {
    const endMarker = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    const searchTo = Math.min(s.length, m.index + PEM_MAX);
    const endAt = s.indexOf(endMarker, m.index + m[0].length);
    // Fail closed on a truncated block (a stream cut mid-key, a key pasted without its footer).
    const end = endAt !== -1 && endAt < searchTo ? endAt + endMarker.length : searchTo;
    out.push({ start: m.index, end });
    PEM_BEGIN.lastIndex = end;
  }
};

const JWT_RE =
  /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{5,4096})\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,4096}(?![A-Za-z0-9_-])/g;
const scanJwt: Scan = (s, out) => {
  scanRegex(JWT_RE, s, out, (m) => jwtHeaderValid(m[1] ?? ''));
};

const ANTHROPIC_RE = /(?<![A-Za-z0-9_-])sk-ant-[A-Za-z0-9_-]{20,300}/g;
const scanAnthropic: Scan = (s, out) => {
  scanRegex(ANTHROPIC_RE, s, out, (m) => hasLetterAndDigit(m[0].slice(7)));
};

const OPENAI_RE = /(?<![A-Za-z0-9_-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,300}/g;
const scanOpenAi: Scan = (s, out) => {
  // Random key material has upper, lower and digits; `sk-learn-…`-style names and slugs do not.
  scanRegex(OPENAI_RE, s, out, (m) => hasUpperLowerDigit(m[0].slice(3)));
};

const AWS_ACCESS_RE = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const scanAwsAccess: Scan = (s, out) => {
  scanRegex(AWS_ACCESS_RE, s, out, (m) => /[0-9]/.test(m[0]));
};

const AWS_CONTEXT_RE = /aws|AWS|Aws|secret|Secret|SECRET/g;
const AWS_SECRET_RE = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const AWS_WINDOW = 200;
const isB64 = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47;
const scanAwsSecret: Scan = (s, out) => {
  AWS_CONTEXT_RE.lastIndex = 0;
  let k: RegExpExecArray | null;
  while ((k = AWS_CONTEXT_RE.exec(s)) !== null) {
    const from = k.index;
    const win = s.slice(from, Math.min(s.length, from + AWS_WINDOW + 41));
    AWS_SECRET_RE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = AWS_SECRET_RE.exec(win)) !== null) {
      if (m.index > AWS_WINDOW) break;
      const start = from + m.index;
      const end = start + 40;
      // Boundaries in the whole string, not the window; a hex digest has no upper+lower+digit mix.
      if (start > 0 && isB64(s.charCodeAt(start - 1))) continue;
      if (end < s.length && (isB64(s.charCodeAt(end)) || s.charCodeAt(end) === 61)) continue;
      if (!hasUpperLowerDigit(m[0])) continue;
      out.push({ start, end });
    }
    AWS_CONTEXT_RE.lastIndex = Math.max(AWS_CONTEXT_RE.lastIndex, from + AWS_WINDOW);
  }
};

const GITHUB_RE =
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})(?![A-Za-z0-9_])/g;
const scanGithub: Scan = (s, out) => {
  scanRegex(GITHUB_RE, s, out, (m) => hasLetterAndDigit(m[0].slice(4)));
};

const SLACK_RE = /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,250}/g;
const scanSlack: Scan = (s, out) => {
  scanRegex(SLACK_RE, s, out, (m) => /[0-9]/.test(m[0]));
};

const STRIPE_RE = /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9_])/g;
const scanStripe: Scan = (s, out) => {
  scanRegex(STRIPE_RE, s, out, (m) => hasLetterAndDigit(m[0].slice(8)));
};

const GOOGLE_RE = /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g;
const scanGoogle: Scan = (s, out) => {
  scanRegex(GOOGLE_RE, s, out);
};

// `Authorization: Bearer <token>` / `Basic <b64>` as it appears in curl commands, logs and tool output.
const BEARER_RE = /\b(?:Bearer|bearer|BEARER|Basic|basic|BASIC)[ \t]+([A-Za-z0-9._~+/=-]{16,4096})/g;
const scanBearer: Scan = (s, out) => {
  scanRegex(BEARER_RE, s, out, (m) => {
    const tok = m[1] ?? '';
    if (!hasLetterAndDigit(tok)) return false;
    const start = m.index + m[0].length - tok.length;
    return { start, end: start + tok.length };
  });
};

// ---------------------------------------------------------------------------------------------------------
// Personal data

const isLocalChar = (c: number): boolean =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45;
const isDomainChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 45;
const FILE_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif svg webp ico bmp avif js mjs cjs ts tsx jsx json css scss less map md txt html htm xml ' +
    'yml yaml toml lock log py rb java kt c h cc cpp hpp cs php sh zip gz tgz tar pdf wasm node vue svelte'
  ).split(' '),
);
const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD_RE = /^(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9-]{1,59})$/;

const scanEmail: Scan = (s, out) => {
  let at = s.indexOf('@');
  while (at !== -1) {
    let a = at;
    const minA = Math.max(0, at - 64);
    while (a > minA && isLocalChar(s.charCodeAt(a - 1))) a--;
    let next = at + 1;
    const localTooLong = a === minA && a > 0 && isLocalChar(s.charCodeAt(a - 1));
    while (a < at && !/[A-Za-z0-9]/.test(s[a] ?? '')) a++; // a local part starts alphanumeric
    let b = at + 1;
    const maxB = Math.min(s.length, at + 254);
    while (b < maxB && isDomainChar(s.charCodeAt(b))) b++;
    while (b > at + 1 && (s[b - 1] === '.' || s[b - 1] === '-')) b--;
    if (!localTooLong && a < at && b > at + 1) {
      const local = s.slice(a, at);
      const labels = s.slice(at + 1, b).split('.');
      const tld = labels[labels.length - 1] ?? '';
      const ok =
        labels.length >= 2 &&
        labels.every((l) => LABEL_RE.test(l)) &&
        TLD_RE.test(tld) &&
        !(labels.length === 2 && FILE_EXTENSIONS.has(tld.toLowerCase())) && // icon@2x.png
        local !== 'git' && // git@github.com:org/repo.git is an SSH remote, not a person
        s.slice(a - 3, a) !== '://' && // https://user@host: URL userinfo, not an address
        !local.endsWith('.');
      if (ok) {
        out.push({ start: a, end: b });
        next = b;
      }
    }
    at = s.indexOf('@', next);
  }
};

// 4-4-4-4(-1..3) with one consistent separator (or none), and Amex 4-6-5.
const CARD_RE =
  /(?<![0-9A-Za-z_]|[0-9]-)(?:[2-6][0-9]{3}([ -]?)[0-9]{4}\1[0-9]{4}\1[0-9]{1,4}(?:\1[0-9]{1,3})?|3[47][0-9]{2}([ -])[0-9]{6}\2[0-9]{5})(?![0-9A-Za-z_]|-[0-9])/g;
const cardOk = (digits: string): boolean =>
  cardPrefixPlausible(digits) && !isAllSameChar(digits) && luhnValid(digits);
const scanCard: Scan = (s, out) => {
  scanRegex(CARD_RE, s, out, (m) => {
    const text = m[0];
    const digits = text.replace(/[ -]/g, '');
    if (cardOk(digits)) return true;
    // `4242 4242 4242 4242 12/25`: the optional fifth group belonged to something else.
    const sep = m[1] ?? '';
    if (sep !== '') {
      const cut = text.lastIndexOf(sep);
      const groups = text.split(sep).length;
      if (groups === 5 && cardOk(text.slice(0, cut).replace(/[ -]/g, ''))) {
        return { start: m.index, end: m.index + cut };
      }
    }
    return false;
  });
};

const IBAN_RE = /(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;
const scanIban: Scan = (s, out) => {
  scanRegex(IBAN_RE, s, out, (m) => {
    const compact = m[0].replace(/ /g, '');
    if (ibanValid(compact)) return true;
    return false;
  });
};

const SSN_RE = /(?<![0-9A-Za-z_-])([0-9]{3})-([0-9]{2})-([0-9]{4})(?![0-9A-Za-z_]|-[0-9])/g;
const scanSsn: Scan = (s, out) => {
  scanRegex(SSN_RE, s, out, (m) => ssnValid(m[1] ?? '', m[2] ?? '', m[3] ?? ''));
};

const PHONE_INTL_RE =
  /(?<![0-9A-Za-z_+)\]])\+[1-9](?:[0-9]{9,14}|[0-9]{0,3}(?:[ .-]?\([0-9]{1,5}\)[0-9]{0,5}|[ .-][0-9]{1,8}){1,6})(?![0-9A-Za-z_]|[.-][0-9])/g;
const PHONE_NANP_RE =
  /(?<![0-9A-Za-z_+./-])(?:1[ .-])?(?:\([2-9][0-9]{2}\)[ .-]?[0-9]{3}[ .-][0-9]{4}|[2-9][0-9]{2}([.-])[0-9]{3}\1[0-9]{4})(?![0-9A-Za-z_]|[.-][0-9])/g;
const countDigits = (t: string): number => {
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
};
const intlOk = (t: string): boolean => {
  const n = countDigits(t);
  if (n < 10 || n > 15) return false;
  // +1 is NANP: exactly 11 digits with an area code that starts 2–9.
  if (t[1] === '1') return n === 11 && /^\+1[ .-]?\(?[2-9]/.test(t);
  return true;
};
const scanPhone: Scan = (s, out) => {
  if (s.indexOf('+') !== -1) {
    scanRegex(PHONE_INTL_RE, s, out, (m) => {
      let t = m[0];
      const lineStart = m.index === 0 || s[m.index - 1] === '\n';
      // `+1700000000` at the start of a diff line is an added epoch, not a phone number.
      if (lineStart && /^\+[0-9]+$/.test(t)) return false;
      for (;;) {
        if (intlOk(t)) return t.length === m[0].length ? true : { start: m.index, end: m.index + t.length };
        const cut = Math.max(t.lastIndexOf(' '), t.lastIndexOf('.'), t.lastIndexOf('-'), t.lastIndexOf('('));
        if (cut <= 2) return false;
        t = t.slice(0, cut);
      }
    });
  }
  scanRegex(PHONE_NANP_RE, s, out);
};

// ---------------------------------------------------------------------------------------------------------

const def = (name: BuiltinDetectorName, label: string, confidence: number, scan: Scan): DetectorDef => ({
  name,
  label,
  confidence,
  scan,
});

/** All built-ins, in priority order (see BUILTIN_DETECTORS). */
export const BUILTIN_DEFS: readonly DetectorDef[] = [
  def('private_key', 'PRIVATE_KEY', 1, scanPrivateKey),
  def('jwt', 'JWT', 0.95, scanJwt),
  def('anthropic_key', 'API_KEY', 1, scanAnthropic),
  def('openai_key', 'API_KEY', 0.9, scanOpenAi),
  def('aws_access_key', 'API_KEY', 0.95, scanAwsAccess),
  def('aws_secret_key', 'SECRET_KEY', 0.8, scanAwsSecret),
  def('github_token', 'API_KEY', 1, scanGithub),
  def('slack_token', 'API_KEY', 0.95, scanSlack),
  def('stripe_key', 'API_KEY', 1, scanStripe),
  def('google_api_key', 'API_KEY', 0.95, scanGoogle),
  def('bearer_token', 'TOKEN', 0.9, scanBearer),
  def('url_password', 'PASSWORD', 0.95, scanUrlPassword),
  def('secret_assignment', 'SECRET', 0.8, scanSecretAssignment),
  def('email', 'EMAIL', 0.95, scanEmail),
  def('credit_card', 'CREDIT_CARD', 0.95, scanCard),
  def('iban', 'IBAN', 0.95, scanIban),
  def('ssn', 'SSN', 0.9, scanSsn),
  def('phone', 'PHONE', 0.8, scanPhone),
  def('ipv6', 'IP_ADDRESS', 0.85, scanIpv6),
  def('mac_address', 'MAC_ADDRESS', 0.85, scanMac),
  def('ipv4', 'IP_ADDRESS', 0.85, scanIpv4),
];
