// Public types of the redaction engine: the serializable policy configuration (what settings and config.yaml
// carry), the compiled `Redactor` the recorder calls, and the reports it returns. Everything here is plain data
// except `Redactor` and `DetectorDef`, which are the Node-side implementations built by `compilePolicy`.

import type { RedactionMode } from '../../src-shared/settings.js';

/** What happens to a detected value (`off` disables the detector): the modes are defined with the settings. */
export { REDACTION_MODES, type RedactionMode } from '../../src-shared/settings.js';

/** Names of the built-in detectors, in priority order (an earlier detector wins an overlap). */
export const BUILTIN_DETECTORS = [
  'private_key',
  'jwt',
  'anthropic_key',
  'openai_key',
  'aws_access_key',
  'aws_secret_key',
  'github_token',
  'slack_token',
  'stripe_key',
  'google_api_key',
  'bearer_token',
  'url_password',
  'secret_assignment',
  'email',
  'credit_card',
  'iban',
  'ssn',
  'phone',
  'ipv6',
  'mac_address',
  'ipv4',
] as const;

export type BuiltinDetectorName = (typeof BUILTIN_DETECTORS)[number];

/** A user-defined regex detector (config `redaction.custom[]`). */
export interface CustomDetectorConfig {
  /** Detector name used in findings and in the tokenize HMAC input: `[a-z][a-z0-9_]*`, not a built-in name. */
  name: string;
  /** JavaScript regular expression source. Nested quantifiers such as `(a+)+` are rejected (backtracking). */
  pattern: string;
  /** Regex flags besides `g` (which is always added): any of `i`, `m`, `s`, `u`. */
  flags?: string;
  /** If the pattern has capture groups, redact only this group (1-based); default: the whole match. */
  group?: number;
  /** Mode for this detector; default: the global mode. */
  mode?: RedactionMode;
  /** Label used by mask/tokenize: `[LABEL]`. Default: the name upper-cased. `[A-Z][A-Z0-9_]*`. */
  placeholder?: string;
  /** 0..1, default 1. Detectors below `minConfidence` are not run. */
  confidence?: number;
}

export interface AllowlistConfig {
  /** Exact values that are never redacted (compared to the matched value). */
  values?: string[];
  /** Regex sources; a matched value that fully matches one of them is never redacted. */
  patterns?: string[];
  /**
   * Include the built-in allowlist (loopback and unspecified addresses, documentation IP ranges, broadcast
   * MACs): default true. See README.md.
   */
  defaults?: boolean;
}

export interface RedactionConfig {
  /** Global mode, default `mask`. */
  mode?: RedactionMode;
  /** Per-detector overrides of the global mode (built-in names only; custom detectors carry their own). */
  detectors?: Partial<Record<BuiltinDetectorName, RedactionMode>>;
  custom?: CustomDetectorConfig[];
  allowlist?: AllowlistConfig;
  /** Built-in detectors and custom ones with a confidence below this are skipped. Default 0.7. */
  minConfidence?: number;
  /**
   * Install secret (from `loadOrCreateSecret`). Required when any detector's effective mode is `tokenize`;
   * the HMAC key is derived from it with HKDF, so the secret itself never keys anything directly.
   */
  tokenizeSecret?: Uint8Array | string;
  /** Result cache for strings of at least `minLength` UTF-16 units (default 256). */
  cache?: { maxEntries?: number; maxBytes?: number; minLength?: number };
  /**
   * Wall-clock budget per string value in ms (default 250). A value whose scan exceeds it becomes
   * `[REDACTION_FAILED]`. Checked between detectors, so it bounds the damage rather than interrupting a regex.
   */
  timeBudgetMs?: number;
}

/** Count of redacted values per detector name. Detectors with no findings are absent. */
export type Findings = Record<string, number>;

export interface StringResult {
  value: string;
  findings: Findings;
  /** True when the value could not be redacted and was replaced by `[REDACTION_FAILED]`. */
  failed: boolean;
}

export interface RedactionReport {
  findings: Findings;
  /** Values replaced by `[REDACTION_FAILED]` during this call. */
  failed: number;
  /** String values answered from the cache during this call. */
  cacheHits: number;
}

export interface JsonResult<T> {
  value: T;
  report: RedactionReport;
}

export interface RedactorStats {
  /** Values replaced by `[REDACTION_FAILED]` since the policy was compiled. */
  failures: number;
  cacheHits: number;
  cacheMisses: number;
  cacheEntries: number;
  cacheBytes: number;
  /** UTF-16 units scanned by detectors (cache hits excluded). */
  scannedChars: number;
}

/** Header map as Node's `IncomingHttpHeaders` / `OutgoingHttpHeaders` give it. */
export type HeaderMap = Record<string, string | string[] | number | undefined>;

export interface Redactor {
  /** Fingerprint of the compiled policy (hash of its normalized config, secret excluded). */
  readonly version: string;
  /** Redact one string value (e.g. a JSON string). Cached by content hash for long strings. */
  redactString(s: string): StringResult;
  /** Redact free text (log lines, error messages). Same detectors, never cached. */
  redactText(s: string): StringResult;
  /** Redact every string value (and object key) of a parsed JSON value; same shape, never mutates the input. */
  redactJson<T>(value: T): JsonResult<T>;
  /** Parse, redact and re-serialize a JSON document; text that is not JSON is redacted as text. */
  redactJsonText(raw: string): { value: string; report: RedactionReport };
  /** Auth headers always masked (whatever the mode); other header values redacted by this policy. */
  redactHeaders(headers: HeaderMap): { value: Record<string, string | string[]>; findings: Findings };
  /** The mode each active detector runs in (detectors that are `off` are absent). */
  modes(): Record<string, Exclude<RedactionMode, 'off'>>;
  stats(): RedactorStats;
  /**
   * Streaming text (live views): the redacted form of the longest prefix of `s` that no text appended later can
   * change, so what is shown is never a fragment of a secret and is always a prefix of the final redaction of
   * the whole text. Null when `s` cannot be redacted (nothing may be shown).
   */
  stablePrefix(s: string): StablePrefix | null;
}

/** A decided prefix of a growing text: its raw length and its redacted form. */
export interface StablePrefix {
  raw: number;
  value: string;
}

/** A match produced by a detector: the half-open UTF-16 range [start, end) that gets replaced. */
export interface Match {
  start: number;
  end: number;
}

/** A detector implementation. Built-ins live in detectors.ts; callers may add their own via CompileOptions. */
export interface DetectorDef {
  name: string;
  /** Label used by mask/tokenize, e.g. `EMAIL` → `[EMAIL]`. */
  label: string;
  confidence: number;
  /** Push every match found in `s` into `out`. Must be linear in `s.length` (bounded regex quantifiers). */
  scan(s: string, out: Match[]): void;
  /**
   * Streaming: the position in `s` before which every match `scan` reports stays the same whatever is appended
   * (see stream.ts). Without it the detector is assumed to read at most 256 characters per match.
   */
  tail?(s: string): number;
}
