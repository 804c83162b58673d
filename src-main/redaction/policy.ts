// compilePolicy: validate a RedactionConfig once and build the Redactor the recorder calls for everything it
// persists. Threat model: protects recordings (JSONL, index, logs) from holding secrets and personal data that
// crossed the proxy; fails closed — a value whose redaction throws or overruns its time budget is stored as
// `[REDACTION_FAILED]`, never raw. It cannot see secrets no detector describes (an unlabelled password in prose),
// and it never touches the bytes forwarded upstream. Synchronous and CPU-bound: callers on the proxy's event loop
// should run it in a worker or in slices (see README.md for costs).
import { createHash, hash } from 'node:crypto';
import { compileAllowlist, type Allowlist } from './allowlist.js';
import { BUILTIN_NAMES, compileCustom, isMode, modeError } from './custom.js';
export { hasNestedQuantifier } from './custom.js';
import { BUILTIN_DEFS, isPlaceholderValue, isSecretName } from './detectors.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import { redactHeaders } from './headers.js';
import { BUILTIN_TAILS, customTail, type Tail } from './stream.js';
import { LruCache } from './cache.js';
import { FAILED_PLACEHOLDER, renderReplacement } from './modes.js';
import { deriveTokenKey, keyFingerprint } from './secret.js';
import {
  BUILTIN_DETECTORS,
  type BuiltinDetectorName,
  type DetectorDef,
  type Findings,
  type JsonResult,
  type Match,
  type RedactionConfig,
  type RedactionMode,
  type RedactionReport,
  type Redactor,
  type RedactorStats,
  type StablePrefix,
  type StringResult,
} from './types.js';

export const DEFAULT_MODE: RedactionMode = 'mask';
export const DEFAULT_MIN_CONFIDENCE = 0.7;
export const DEFAULT_TIME_BUDGET_MS = 250;
// The recorder memoises whole blocks by their raw bytes first (recorder/parse/blocks.ts RedactionMemo), so re-sent
// history never reaches this cache; what does is mostly strings seen once. At 64 MB / 20,000 entries the recorder's
// heap total crept from 49 to 81 MB over a 10-minute soak (issue #11); it stopped creeping at these bounds.
export const DEFAULT_CACHE_MAX_ENTRIES = 4_096;
export const DEFAULT_CACHE_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_CACHE_MIN_LENGTH = 256;
/** Strings shorter than this are not timed: bounded linear scans cannot blow a budget on them. */
const TIMED_MIN_LENGTH = 4096;
/** Object keys repeat endlessly (`role`, `content`, `type`): memoize their results up to this many. */
const KEY_MEMO_MAX = 10_000;
/** Strings below the cache's minimum length, up to this long, are remembered by their text (≤ ~2 MB). */
const SHORT_MEMO_MAX = 4_096;
const SHORT_MEMO_CHARS = 256;

export interface CompileOptions {
  /** Programmatic detectors run after built-ins and custom ones (integrations, tests). */
  extraDetectors?: readonly (DetectorDef & { mode?: RedactionMode })[];
  /** Clock for the time budget, in ms. Default `performance.now`. */
  now?: () => number;
}

type ActiveMode = Exclude<RedactionMode, 'off'>;
interface Active {
  def: DetectorDef;
  mode: ActiveMode;
  /** Where the detector's matches are decided in a growing text (stream.ts); custom ones use customTail. */
  tail: Tail | undefined;
}
interface Hit {
  start: number;
  end: number;
  d: number;
}

const PLACEHOLDER_RE = /^\[[A-Z][A-Z0-9_]*(?::[0-9a-f]{16})?\]$/;
const EMPTY: Findings = Object.freeze({}) as Findings;

function num(where: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new LunaRouteError(
      'INVALID_NUMBER',
      `${where} must be a number ≥ ${min} (got ${JSON.stringify(v)})`,
    );
  }
  return v;
}

/** Validate `config` and build a Redactor. Throws LunaRouteError (a redaction code) with a message naming the setting. */
export function compilePolicy(config: RedactionConfig = {}, options: CompileOptions = {}): Redactor {
  const globalMode = config.mode ?? DEFAULT_MODE;
  if (!isMode(globalMode)) throw modeError('redaction.mode', globalMode);
  const overrides = config.detectors ?? {};
  for (const [name, mode] of Object.entries(overrides)) {
    if (!BUILTIN_NAMES.has(name)) {
      throw new LunaRouteError(
        'UNKNOWN_DETECTOR',
        `redaction.detectors.${name} is not a built-in detector (known: ${BUILTIN_DETECTORS.join(', ')}); ` +
          'custom detectors set their mode in redaction.custom[]',
      );
    }
    if (!isMode(mode)) throw modeError(`redaction.detectors.${name}`, mode);
  }
  const minConfidence = num('redaction.minConfidence', config.minConfidence, DEFAULT_MIN_CONFIDENCE, 0);
  const budgetMs = num('redaction.timeBudgetMs', config.timeBudgetMs, DEFAULT_TIME_BUDGET_MS, 1);
  const cacheCfg = config.cache ?? {};
  const cacheMaxEntries = num(
    'redaction.cache.maxEntries',
    cacheCfg.maxEntries,
    DEFAULT_CACHE_MAX_ENTRIES,
    0,
  );
  const cacheMaxBytes = num('redaction.cache.maxBytes', cacheCfg.maxBytes, DEFAULT_CACHE_MAX_BYTES, 0);
  const cacheMinLength = num('redaction.cache.minLength', cacheCfg.minLength, DEFAULT_CACHE_MIN_LENGTH, 1);

  const seen = new Set<string>();
  const customs = (config.custom ?? []).map((c, i) => compileCustom(c, i, seen));
  const candidates: (DetectorDef & { mode?: RedactionMode })[] = [
    ...BUILTIN_DEFS.map((d) => ({
      ...d,
      mode: overrides[d.name as BuiltinDetectorName],
      tail: BUILTIN_TAILS[d.name],
    })),
    ...customs,
    ...(options.extraDetectors ?? []),
  ];
  const active: Active[] = [];
  for (const d of candidates) {
    const mode = d.mode ?? globalMode;
    if (mode === 'off' || d.confidence < minConfidence) continue;
    active.push({ def: d, mode, tail: d.tail });
  }

  let tokenKey: Buffer | null = null;
  const tokenizing = active.filter((a) => a.mode === 'tokenize').map((a) => a.def.name);
  if (config.tokenizeSecret !== undefined) {
    const secret =
      typeof config.tokenizeSecret === 'string'
        ? Buffer.from(config.tokenizeSecret, 'utf8')
        : config.tokenizeSecret;
    if (secret.length < 16) {
      throw new LunaRouteError(
        'SECRET_TOO_SHORT',
        'redaction.tokenizeSecret must be at least 16 bytes; use loadOrCreateSecret(dataDir)',
      );
    }
    tokenKey = deriveTokenKey(secret);
  }
  if (tokenizing.length > 0 && tokenKey === null) {
    throw new LunaRouteError(
      'TOKENIZE_WITHOUT_SECRET',
      `redaction mode "tokenize" (used by ${tokenizing.join(', ')}) needs a per-install secret: pass ` +
        'tokenizeSecret: loadOrCreateSecret(dataDir), or choose another mode',
    );
  }

  let allowlist: Allowlist;
  try {
    allowlist = compileAllowlist(config.allowlist);
  } catch (err) {
    throw new LunaRouteError(
      'INVALID_ALLOWLIST',
      `redaction.allowlist.patterns contains an invalid regular expression: ${(err as Error).message}`,
      { cause: err },
    );
  }

  const version = createHash('sha256')
    .update(
      JSON.stringify({
        m: active.map((a) => [a.def.name, a.mode]),
        c: config.custom ?? [],
        a: config.allowlist ?? {},
        k: tokenKey === null ? null : keyFingerprint(tokenKey),
      }),
    )
    .digest('hex')
    .slice(0, 16);

  return new CompiledRedactor(version, active, allowlist, tokenKey, {
    budgetMs,
    now: options.now ?? (() => performance.now()),
    cache: new LruCache<StringResult>(cacheMaxEntries, cacheMaxBytes),
    cacheMinLength,
  });
}

interface Runtime {
  budgetMs: number;
  now: () => number;
  cache: LruCache<StringResult>;
  cacheMinLength: number;
}

class CompiledRedactor implements Redactor {
  readonly #active: readonly Active[];
  readonly #allow: Allowlist;
  readonly #key: Buffer | null;
  readonly #rt: Runtime;
  readonly #secretAssignment: Active | undefined;
  readonly #keyMemo = new Map<string, StringResult>();
  readonly #shortMemo = new Map<string, StringResult>();
  readonly #tmp: Match[] = [];
  #failures = 0;
  #hits = 0;
  #misses = 0;
  #scanned = 0;

  constructor(
    readonly version: string,
    active: readonly Active[],
    allow: Allowlist,
    key: Buffer | null,
    rt: Runtime,
  ) {
    this.#active = active;
    this.#allow = allow;
    this.#key = key;
    this.#rt = rt;
    this.#secretAssignment = active.find((a) => a.def.name === 'secret_assignment');
  }

  redactString(s: string): StringResult {
    if (s.length < this.#rt.cacheMinLength) {
      if (s.length > SHORT_MEMO_CHARS) return this.#safe(s);
      // Short strings (model names, roles, ids, URLs) are remembered by their text: hashing would cost more than
      // the lookup saves, and scanning each again costs ~1.5 µs.
      return this.#remembered(this.#shortMemo, SHORT_MEMO_MAX, s);
    }
    const h = hash('sha1', s, 'base64');
    const cached = this.#rt.cache.get(h);
    if (cached !== undefined) {
      this.#hits++;
      return cached;
    }
    this.#misses++;
    const r = this.#safe(s);
    // A budget overrun may be load, not the content: do not remember failures.
    if (!r.failed) this.#rt.cache.set(h, r, r.value.length * 2 + 64);
    return r;
  }

  redactText(s: string): StringResult {
    return this.#safe(s);
  }

  redactJson<T>(value: T): JsonResult<T> {
    const report: RedactionReport = { findings: {}, failed: 0, cacheHits: 0 };
    try {
      return { value: this.#walk(value, report) as T, report };
    } catch {
      // Too deep for the stack, a hostile getter, …: the whole document fails closed.
      this.#failures++;
      report.failed++;
      return { value: FAILED_PLACEHOLDER as T, report };
    }
  }

  redactJsonText(raw: string): { value: string; report: RedactionReport } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      const r = this.redactText(raw);
      return { value: r.value, report: { findings: r.findings, failed: r.failed ? 1 : 0, cacheHits: 0 } };
    }
    const r = this.redactJson(parsed);
    return { value: JSON.stringify(r.value), report: r.report };
  }

  redactHeaders(headers: Parameters<Redactor['redactHeaders']>[0]): ReturnType<Redactor['redactHeaders']> {
    return redactHeaders(headers, this);
  }

  modes(): Record<string, ActiveMode> {
    return Object.fromEntries(this.#active.map((a) => [a.def.name, a.mode]));
  }

  stats(): RedactorStats {
    return {
      failures: this.#failures,
      cacheHits: this.#hits,
      cacheMisses: this.#misses,
      cacheEntries: this.#rt.cache.size,
      cacheBytes: this.#rt.cache.bytes,
      scannedChars: this.#scanned,
    };
  }

  // -------------------------------------------------------------------------------------------------------

  #walk(v: unknown, report: RedactionReport): unknown {
    if (typeof v === 'string') return this.#str(v, report);
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) {
      let out: unknown[] | null = null;
      for (let i = 0; i < v.length; i++) {
        const item: unknown = v[i];
        const r = this.#walk(item, report);
        if (out === null && r !== item) out = v.slice(0, i);
        if (out !== null) out.push(r);
      }
      return out ?? v;
    }
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let changed = false;
    for (const k of Object.keys(src)) {
      const val = src[k];
      let nk = this.#key_(k, report);
      if (nk !== k) {
        changed = true;
        // Two keys redacted to the same placeholder must both survive: same shape, same number of keys.
        for (let n = 2; Object.prototype.hasOwnProperty.call(out, nk); n++) nk = `${nk}#${n}`;
      }
      let nv: unknown;
      if (typeof val === 'string' && this.#secretAssignment !== undefined && isSecretName(k)) {
        nv = this.#whole(val, this.#secretAssignment, report);
      } else {
        nv = this.#walk(val, report);
      }
      if (nv !== val) changed = true;
      if (nk === '__proto__')
        Object.defineProperty(out, nk, { value: nv, enumerable: true, writable: true, configurable: true });
      else out[nk] = nv;
    }
    return changed ? out : v;
  }

  #str(s: string, report: RedactionReport): string {
    const before = this.#hits;
    const r = this.redactString(s);
    if (this.#hits !== before) report.cacheHits++;
    if (r.failed) report.failed++;
    for (const k in r.findings) report.findings[k] = (report.findings[k] ?? 0) + (r.findings[k] ?? 0);
    return r.value;
  }

  /** `s` redacted, remembered in `memo` (which starts over past `max` entries); failures are not remembered. */
  #remembered(memo: Map<string, StringResult>, max: number, s: string): StringResult {
    let r = memo.get(s);
    if (r === undefined) {
      r = this.#safe(s);
      if (!r.failed) {
        if (memo.size >= max) memo.clear();
        memo.set(s, r);
      }
    }
    return r;
  }

  #key_(k: string, report: RedactionReport): string {
    const r = this.#remembered(this.#keyMemo, KEY_MEMO_MAX, k);
    if (r.failed) report.failed++;
    for (const f in r.findings) report.findings[f] = (report.findings[f] ?? 0) + (r.findings[f] ?? 0);
    return r.value;
  }

  /** `{"password": "…"}`: the key says the whole value is a secret. */
  #whole(v: string, a: Active, report: RedactionReport): string {
    if (v.length === 0 || isPlaceholderValue(v) || PLACEHOLDER_RE.test(v) || this.#allow.allows(v)) {
      return this.#str(v, report);
    }
    try {
      const out = renderReplacement(a.mode, a.def.label, a.def.name, v, this.#key);
      report.findings[a.def.name] = (report.findings[a.def.name] ?? 0) + 1;
      return out;
    } catch {
      this.#failures++;
      report.failed++;
      return FAILED_PLACEHOLDER;
    }
  }

  #safe(s: string): StringResult {
    try {
      return this.#scan(s);
    } catch {
      this.#failures++;
      return { value: FAILED_PLACEHOLDER, findings: { redaction_failed: 1 }, failed: true };
    }
  }

  #scan(s: string): StringResult {
    const hits = this.#collect(s);
    if (hits === null) return { value: s, findings: EMPTY, failed: false };
    const kept = this.#keep(s, hits);
    if (kept.length === 0) return { value: s, findings: EMPTY, failed: false };
    return this.#render(s, kept, s.length);
  }

  /** Every detector's matches in `s` (null: none), before overlaps, placeholders and the allowlist. */
  #collect(s: string): Hit[] | null {
    this.#scanned += s.length;
    const timed = s.length >= TIMED_MIN_LENGTH;
    const t0 = timed ? this.#rt.now() : 0;
    const tmp = this.#tmp;
    let hits: Hit[] | null = null;
    for (let d = 0; d < this.#active.length; d++) {
      tmp.length = 0;
      (this.#active[d] as Active).def.scan(s, tmp);
      for (const m of tmp) {
        if (m.end <= m.start || m.start < 0 || m.end > s.length) continue;
        (hits ??= []).push({ start: m.start, end: m.end, d });
      }
      if (timed && this.#rt.now() - t0 > this.#rt.budgetMs) {
        throw new LunaRouteError('REDACTION_BUDGET_EXCEEDED', `redaction exceeded ${this.#rt.budgetMs} ms`);
      }
    }
    return hits;
  }

  /** The hits that are redacted, sorted by start: priority (detector order), then position, then longer first. */
  #keep(s: string, hits: Hit[]): Hit[] {
    // Drop allowlisted values, placeholders and overlaps.
    hits.sort((a, b) => a.d - b.d || a.start - b.start || b.end - a.end);
    const kept: Hit[] = []; // sorted by start, non-overlapping: binary search keeps this O(k log k)
    for (const h of hits) {
      let lo = 0;
      let hi = kept.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((kept[mid] as Hit).start < h.start) lo = mid + 1;
        else hi = mid;
      }
      const next = kept[lo];
      const prev = kept[lo - 1];
      if ((next !== undefined && next.start < h.end) || (prev !== undefined && prev.end > h.start)) continue;
      const value = s.slice(h.start, h.end);
      if (PLACEHOLDER_RE.test(value) || this.#allow.allows(value)) continue;
      kept.splice(lo, 0, h);
    }
    return kept;
  }

  /** `s` up to raw position `to` with the kept hits that end by then replaced. */
  #render(s: string, kept: readonly Hit[], to: number): StringResult {
    const findings: Findings = {};
    let out = '';
    let pos = 0;
    for (const h of kept) {
      if (h.end > to) break;
      const a = this.#active[h.d] as Active;
      out += s.slice(pos, h.start);
      out += renderReplacement(a.mode, a.def.label, a.def.name, s.slice(h.start, h.end), this.#key);
      pos = h.end;
      findings[a.def.name] = (findings[a.def.name] ?? 0) + 1;
    }
    out += s.slice(pos, to);
    return { value: out, findings, failed: false };
  }

  /**
   * Streaming: the redacted text of the longest prefix of `s` that no appended text can change (see stream.ts).
   * Each detector's tail bounds where its matches are decided; the cut then moves back before any match that
   * crosses it, so every match before the cut is decided, and so is which of them win an overlap.
   */
  stablePrefix(s: string): StablePrefix | null {
    let hits: Hit[] | null;
    let cut = s.length;
    try {
      for (const a of this.#active) cut = Math.min(cut, (a.tail ?? customTail)(s));
      hits = this.#collect(s);
    } catch {
      return null; // over budget or a detector threw: show nothing rather than something unredacted
    }
    if (hits === null) return { raw: cut, value: s.slice(0, cut) };
    for (let moved = true; moved;) {
      moved = false;
      for (const h of hits) {
        if (h.start < cut && h.end > cut) {
          cut = h.start;
          moved = true;
        }
      }
    }
    const kept = this.#keep(s, hits);
    return { raw: cut, value: this.#render(s, kept, cut).value };
  }
}
