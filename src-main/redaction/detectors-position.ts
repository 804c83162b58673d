// Built-in detectors of credentials by position: the password in a URL's user-info, and the value of an
// assignment whose name says it is a secret (`API_KEY=…`, `"password": "…"`, `export TOKEN=…`). Placeholders and
// references (`${VAR}`, `<your-key>`, type names) are not secrets. See detectors.ts for the rest.
import type { Scan } from './scan.js';

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
export const scanUrlPassword: Scan = (s, out) => {
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
export const scanSecretAssignment: Scan = (s, out) => {
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

/**
 * Streaming (see stream.ts): the first position after an operator whose value later text could still make or
 * change. Assignments never span lines, so only the last line's operators can be undecided; a value is decided
 * once it is closed (a quote, or for an unquoted value the first character it cannot hold).
 */
export const secretAssignmentTail = (s: string): number => {
  const len = s.length;
  const lineStart = Math.max(s.lastIndexOf('\n'), s.lastIndexOf('\r')) + 1;
  for (let p = lineStart; p < len; p++) {
    const op = s.charCodeAt(p);
    if (op !== 58 && op !== 61) continue;
    let e = p;
    while (e > lineStart && (s.charCodeAt(e - 1) === 32 || s.charCodeAt(e - 1) === 9)) e--;
    const q = s.charCodeAt(e - 1);
    if (q === 34 || q === 39) {
      e--;
      if (s.charCodeAt(e - 1) === 92) e--;
    }
    if (e <= lineStart || !isKeywordEnd(s.charCodeAt(e - 1))) continue;
    let nameStart = e;
    while (nameStart > 0 && e - nameStart < 80 && isNameChar(s.charCodeAt(nameStart - 1))) nameStart--;
    if (!isSecretAssignmentName(s.slice(nameStart, e))) continue;
    let v = p + 1;
    while (v < len && /[ \t=>:]/.test(s[v] ?? '')) v++;
    if (v >= len) return p + 1;
    const c = s[v] ?? '';
    if (c === '"' || c === "'" || c === '\\') {
      // `"…"`, `'…'` or `\"…\"`: closed by its quote or a backslash, unless that is the last character.
      const close = c === "'" ? "'" : '"';
      let k = c === '\\' ? v + 2 : v + 1;
      while (k < len && s[k] !== close && s[k] !== '\\') k++;
      if (k >= len - 1) return p + 1;
      continue;
    }
    let k = v;
    while (k < len && !/[\s"'\\`]/.test(s[k] ?? '')) k++;
    if (k >= len) return p + 1;
  }
  return len;
};
