// Where a growing text (a streamed response) is final for each detector. A detector's tail of `s` is the raw
// position from which a match could still appear, grow or vanish as text is appended: every match the detector
// reports with a start before its tail is reported the same (same start, same end) for any `s + more`. policy.ts
// takes the earliest tail of all active detectors and shows the redacted text before it — never a fragment of a
// secret that later text would complete. Threat model: the live view must not show what storage redacts; the
// rules below hold back too much rather than too little.
import { secretAssignmentTail } from './detectors-position.js';

export type Tail = (s: string) => number;

/**
 * Most detectors match a run of one alphabet and look at most one character past the match, or two when the
 * first is itself in the alphabet (`-[0-9]`): a match that starts before the trailing run of that alphabet ends
 * at a character outside it, already present, so it is decided. A detector whose attempts read at most
 * `maxLen` characters is also decided where an attempt reads only present text (`len - maxLen - 2`).
 */
export function runTail(
  isA: (c: number) => boolean,
  maxLen = Infinity,
  canStart?: (s: string, j: number) => boolean,
): Tail {
  return (s) => {
    const len = s.length;
    let r = len;
    while (r > 0 && len - r < maxLen + 2 && isA(s.charCodeAt(r - 1))) r--;
    // Within the run, only a position where a match could begin (its first characters so far) is undecided.
    if (canStart) while (r < len && !canStart(s, r)) r++;
    return r;
  };
}

const digit = (c: number): boolean => c >= 48 && c <= 57;
const upper = (c: number): boolean => c >= 65 && c <= 90;
const lower = (c: number): boolean => c >= 97 && c <= 122;
const alnum = (c: number): boolean => digit(c) || upper(c) || lower(c);
const hex = (c: number): boolean => digit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const oneOf =
  (chars: string) =>
  (c: number): boolean =>
    chars.includes(String.fromCharCode(c));

/** `-----BEGIN … PRIVATE KEY-----` opens a block that runs to its END marker: pending until that arrives. */
const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]{1,16} ){0,4})PRIVATE KEY( BLOCK)?-----/g;
const PEM_MAX = 64 * 1024; // as in detectors.ts
const BEGIN = '-----BEGIN ';
const MARKER_MAX = 110;
const isMarkerChar = (c: number): boolean => upper(c) || digit(c) || c === 32 || c === 45;
const privateKeyTail: Tail = (s) => {
  const len = s.length;
  if (s.indexOf('PRIVATE KEY') !== -1) {
    PEM_BEGIN.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = PEM_BEGIN.exec(s)) !== null) {
      const endMarker = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
      const endAt = s.indexOf(endMarker, m.index + m[0].length);
      const searchTo = m.index + PEM_MAX;
      if (endAt !== -1 && endAt < searchTo) {
        PEM_BEGIN.lastIndex = endAt + endMarker.length;
        continue;
      }
      if (searchTo >= len) return m.index; // the block (redacted to the end for now) may still close
      PEM_BEGIN.lastIndex = searchTo;
    }
  }
  // A BEGIN marker still being written: any tail that could grow into one.
  for (let j = Math.max(0, len - MARKER_MAX); j < len; j++) {
    if (s.charCodeAt(j) !== 45) continue;
    const rest = s.slice(j);
    if (BEGIN.startsWith(rest)) return j;
    if (rest.startsWith(BEGIN)) {
      let k = j + BEGIN.length;
      while (k < len && isMarkerChar(s.charCodeAt(k))) k++;
      if (k === len) return j;
    }
  }
  return len;
};

/**
 * `scheme://user:password@`: the password is decided once a character that ends the user-info (or `@`) arrives,
 * or 514 characters passed. Only the last `://` can be undecided (an earlier one's user-info reaches a `/`).
 */
const isUserinfoEnd = (c: number): boolean =>
  c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || oneOf('/?#@"\'<>\\')(c);
const urlPasswordTail: Tail = (s) => {
  const i = s.lastIndexOf('://');
  if (i === -1) return s.length;
  const from = i + 3;
  const to = Math.min(s.length, from + 514);
  // Only ASCII terminators count; a non-ASCII space ends the regex's user-info too, so this may hold longer.
  for (let k = from; k < to; k++) if (isUserinfoEnd(s.charCodeAt(k))) return s.length;
  return to === from + 514 ? s.length : from;
};

/** Tails of the built-in detectors, by name (see detectors.ts for the patterns they mirror). */
export const BUILTIN_TAILS: Readonly<Record<string, Tail>> = {
  private_key: privateKeyTail,
  jwt: runTail((c) => alnum(c) || c === 95 || c === 45 || c === 46),
  anthropic_key: runTail((c) => alnum(c) || c === 95 || c === 45, 310),
  openai_key: runTail((c) => alnum(c) || c === 95 || c === 45, 315),
  aws_access_key: runTail(alnum, 24),
  aws_secret_key: runTail((c) => alnum(c) || c === 43 || c === 47, 42),
  github_token: runTail((c) => alnum(c) || c === 95, 260),
  slack_token: runTail((c) => alnum(c) || c === 45, 260),
  stripe_key: runTail((c) => alnum(c) || c === 95, 260),
  google_api_key: runTail((c) => alnum(c) || c === 95 || c === 45, 42),
  // The token is reported, not the `Bearer ` before it: a token starts at the start of a run of its alphabet.
  bearer_token: runTail((c) => alnum(c) || oneOf('._~+/=-')(c), 4100),
  url_password: urlPasswordTail,
  secret_assignment: secretAssignmentTail,
  // The local part grows backwards from an `@` that has not arrived yet: hold the whole run of local, `@` and
  // domain characters.
  email: runTail((c) => alnum(c) || oneOf('._%+@-')(c)),
  // Luhn decides only when the last digit is in: the whole run of digits and separators waits.
  credit_card: runTail(
    (c) => digit(c) || c === 32 || c === 45,
    30,
    (s, j) => '23456'.includes(s[j] ?? ''),
  ),
  iban: runTail(
    (c) => upper(c) || digit(c) || c === 32,
    50,
    (s, j) => /^(?:[A-Z]{1,2}|[A-Z]{2}[0-9]{1,2})$/.test(s.slice(j, j + 4)),
  ),
  ssn: runTail((c) => digit(c) || c === 45, 14),
  phone: runTail(
    (c) => digit(c) || oneOf('+ .()-')(c),
    100,
    (s, j) => /[0-9+(]/.test(s[j] ?? ''),
  ),
  ipv6: runTail((c) => hex(c) || c === 58 || c === 46, 100),
  mac_address: runTail((c) => hex(c) || c === 58 || c === 45, 20),
  ipv4: runTail((c) => digit(c) || c === 46, 18),
};

/**
 * A custom regex may match anything; it is assumed to read at most this many characters per attempt (documented
 * in README.md). Longer custom matches can show in part while a response streams.
 */
export const CUSTOM_TAIL_CHARS = 256;
export const customTail: Tail = (s) => Math.max(0, s.length - CUSTOM_TAIL_CHARS - 2);
