// The built-in detectors. Each one is a cheap anchor (a regex that starts with a literal, which V8 skips through
// faster than indexOf on short needles; or indexOf of a rare character: '@', '://', ':', '=') + a linear candidate
// scan (every quantifier bounded, so one attempt reads a bounded number of characters) + a precision guard
// (checksum, structure or context). They report ranges only; modes, allowlist and overlaps are policy.ts's job.
// What each one matches and misses, and why, is tabulated in README.md — keep the two in step.
import type { BuiltinDetectorName, DetectorDef, Match } from './types.js';
import {
  cardPrefixPlausible,
  hasLetterAndDigit,
  hasUpperLowerDigit,
  ibanValid,
  ipv6Plausible,
  isAllSameChar,
  jwtHeaderValid,
  luhnValid,
  ssnValid,
} from './validators.js';

type Scan = (s: string, out: Match[]) => void;

/** Run a global regex over `s`; `accept` may veto a match or return a narrower range. */
export function scanRegex(
  re: RegExp,
  s: string,
  out: Match[],
  accept?: (m: RegExpExecArray) => Match | boolean,
): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const verdict = accept ? accept(m) : true;
    if (verdict === true) out.push({ start: m.index, end: m.index + m[0].length });
    else if (verdict !== false) out.push(verdict);
  }
}

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
// Credentials by position: the password of a URL, the value of a secret-named assignment

/** True for values that are clearly not secrets: templates, env references, type names, our own placeholders. */
export function isPlaceholderValue(v: string): boolean {
  if (v.length === 0) return true;
  const c = v[0];
  if (c === '$' || c === '<' || c === '{' || c === '%' || c === '*' || c === '•') {
    if (c !== '*' && c !== '•') return true;
    // `****1234` is our own partial output (or a UI mask): at most four clear characters after the stars.
    const clear = v.replace(/^[*•]+/, '');
    return [...clear].length <= 4;
  }
  if (/^\[[A-Z][A-Z0-9_]*(?::[0-9a-f]{16})?\]$/.test(v)) return true;
  if (v.startsWith('…[redacted]')) return true;
  if (/^x{3,}$/i.test(v)) return true;
  return /^(?:true|false|null|none|nil|undefined|string|str|number|int|bool|boolean|any|object|required|optional|include|omit|same-origin|redacted|secret|password|token|env|process\.env\.\w+|os\.environ.*|getenv.*)$/i.test(
    v,
  );
}

const URL_USERINFO = /([^\s/?#@:"'<>\\]{0,256}):([^\s/?#@"'<>\\]{1,256})@/y;
const scanUrlPassword: Scan = (s, out) => {
  let i = s.indexOf('://');
  while (i !== -1) {
    URL_USERINFO.lastIndex = i + 3;
    const m = URL_USERINFO.exec(s);
    if (m !== null) {
      const pass = m[2] ?? '';
      const start = i + 3 + (m[1] ?? '').length + 1;
      if (!isPlaceholderValue(pass)) out.push({ start, end: start + pass.length });
    }
    i = s.indexOf('://', i + 3);
  }
};

/**
 * Names whose value is a secret. `[_-]key` (CACHE_KEY…) is only trusted in upper-case env style; `tokens`,
 * `token_type`, `keyboard`, `apiKeyName` do not end with a keyword and are not secret names.
 */
const SECRET_KEYWORD_SRC =
  '(?:api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret(?:[_-]?(?:access[_-]?)?key)?|private[_-]?key|' +
  'signing[_-]?key|encryption[_-]?key|master[_-]?key|passw(?:or)?d|passphrase|token|credentials?|[_-]pwd|' +
  '[_-]key(?:[_-]?id)?)';
const SECRET_NAME_RE = new RegExp(`^[A-Za-z0-9_.-]{0,64}?${SECRET_KEYWORD_SRC}$`, 'i');
const GENERIC_TAIL_RE = /[_-]key(?:[_-]?id)?$/i;
const SPECIFIC_KEY_TAIL_RE = /(?:api|access|secret|private|signing|encryption|master)[_-]?key(?:[_-]?id)?$/i;
const AUTH_NAMES = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** A name that announces a secret value in `NAME=value`, `"name": "value"`, `name: value`. */
function isSecretAssignmentName(name: string): boolean {
  if (name.length === 0 || name.length > 80 || !SECRET_NAME_RE.test(name)) return false;
  // Generic `…_KEY` only for SCREAMING_SNAKE names; `cache_key`, `sort-key` are not secrets.
  if (GENERIC_TAIL_RE.test(name) && !SPECIFIC_KEY_TAIL_RE.test(name)) return name === name.toUpperCase();
  return true;
}

/** Whether an object key holds a secret (redactJson redacts the whole string value of `{"api_key": "…"}`). */
export function isSecretName(name: string): boolean {
  return AUTH_NAMES.has(name.toLowerCase()) || isSecretAssignmentName(name);
}

// From the end of the name: optional closing quote, an assignment operator, then a quoted or unquoted value.
const ASSIGN_RE =
  /(?:\\?["'])?[ \t]*(?::=|=>|=(?![=~>])|:(?![:=]))[ \t]*(?:"([^"\\\n\r]{1,4096})"|'([^'\\\n\r]{1,4096})'|\\"([^"\\\n\r]{1,4096})\\"|([^\s"'\\`]{1,4096}))/y;
const LINE_PREFIX_RE = /^[ \t]*(?:export[ \t]+|-[ \t]+)?(?:\\?["'])?$/;
const DOTTED_PATH_RE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 45;
/** Last letters of the keywords (y: key, t: secret, n: token, d: password/keyid, e: passphrase, l/s: credential). */
const isKeywordEnd = (c: number): boolean => {
  const l = c | 0x20;
  return l === 121 || l === 116 || l === 110 || l === 100 || l === 101 || l === 108 || l === 115;
};

/**
 * Driven by the assignment operators (`=` and `:` are found with indexOf, much faster than a case-insensitive
 * keyword regex): look back for a secret-looking name, then parse the value after it.
 */
const scanSecretAssignment: Scan = (s, out) => {
  let nextColon = s.indexOf(':');
  let nextEq = s.indexOf('=');
  let done = 0; // ops inside a value already redacted are skipped
  while (nextColon !== -1 || nextEq !== -1) {
    let p: number;
    if (nextEq === -1 || (nextColon !== -1 && nextColon < nextEq)) {
      p = nextColon;
      nextColon = s.indexOf(':', p + 1);
    } else {
      p = nextEq;
      nextEq = s.indexOf('=', p + 1);
    }
    if (p < done) continue;
    const prev = s.charCodeAt(p - 1);
    if (s[p] === '=' && (prev === 58 || prev === 61 || prev === 33 || prev === 60 || prev === 62)) continue;
    let e = p;
    while (e > 0 && (s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
    const q = s.charCodeAt(e - 1);
    if (q === 34 || q === 39) {
      e--;
      if (s.charCodeAt(e - 1) === 92) e--;
    }
    if (e === 0 || !isKeywordEnd(s.charCodeAt(e - 1))) continue;
    let nameStart = e;
    while (nameStart > 0 && e - nameStart < 80 && isNameChar(s.charCodeAt(nameStart - 1))) nameStart--;
    const name = s.slice(nameStart, e);
    if (!isSecretAssignmentName(name)) continue;
    ASSIGN_RE.lastIndex = e;
    const a = ASSIGN_RE.exec(s);
    if (a === null) continue;
    const quoted = a[1] ?? a[2] ?? a[3];
    let value = quoted ?? a[4] ?? '';
    const closing = quoted === undefined ? 0 : a[3] !== undefined ? 2 : 1;
    const valueStart = e + a[0].length - closing - value.length;
    const before = s[nameStart - 1];
    const isQuery = before === '?' || before === '&';
    if (quoted === undefined && isQuery) value = value.split(/[&#]/, 1)[0] ?? '';
    // Operators inside a parsed value are not names: skipping them keeps `a=a=a=…` linear.
    done = valueStart + value.length;
    if (quoted === undefined) {
      // Unquoted values only in env/YAML/ini lines, CLI flags and query strings; elsewhere `token = getToken()`
      // and `apiKey: config.apiKey,` are code, not secrets.
      let lineStart = nameStart;
      while (lineStart > 0 && nameStart - lineStart <= 40 && s.charCodeAt(lineStart - 1) !== 10) lineStart--;
      const atLineStart =
        (lineStart === 0 || s.charCodeAt(lineStart - 1) === 10) && nameStart - lineStart <= 40;
      const isFlag = name.startsWith('-');
      if (!isQuery && !isFlag && !(atLineStart && LINE_PREFIX_RE.test(s.slice(lineStart, nameStart))))
        continue;
      if (/[();,[\]{}]$/.test(value) || /[()[\]]/.test(value) || DOTTED_PATH_RE.test(value)) continue;
    }
    if (value.length < 3 || isPlaceholderValue(value)) continue;
    out.push({ start: valueStart, end: valueStart + value.length });
  }
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
// Network identifiers

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const IPV4_RE = new RegExp(`(?<![0-9A-Za-z_.])(?:${OCTET}\\.){3}${OCTET}(?![0-9A-Za-z_]|\\.[0-9])`, 'g');
const VERSION_BEFORE_RE = /(?:version|ver|release|build|chrome|firefox|safari)[\s:=]*$/i;
const scanIpv4: Scan = (s, out) => {
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
const scanIpv6: Scan = (s, out) => {
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
const scanMac: Scan = (s, out) => {
  if (s.indexOf(':') === -1 && s.indexOf('-') === -1) return;
  scanRegex(MAC_RE, s, out);
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
