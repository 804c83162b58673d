// Content-addressed storage of re-sent context. Claude Code re-sends ~76 KB every turn (system prompt, tools,
// the whole history); storing that each time would make a 50-turn session O(n²) on disk. Instead the system
// prompt, tool list, instructions and each message become blocks written once per session file, and the
// message array becomes a hash chain that grows by one small block per turn. `rebuildBody` reverses it.
//
// Hashes are over the *redacted* JSON (a stored hash must not confirm a guessed secret); the redaction of a
// value is cached by the hash of its raw JSON so re-sent history is neither re-redacted nor re-hashed twice.
import { hash } from 'node:crypto';
import type { Dialect, Endpoint } from '../../../src-shared/dialects.js';
import type { JsonValue } from '../../../src-shared/exchange.js';
import type { BlockKind, BlockLine, ChainValue } from '../../../src-shared/records.js';
import { RECORD_VERSION } from '../../../src-shared/records.js';
import { LunaRouteError } from '../../../src-shared/errors.js';
import { rawKeyOf } from './raw-body.js';

export { RawParts } from './raw-body.js';

type JsonObject = { [key: string]: JsonValue };

/**
 * A block's hash: the first 96 bits of the SHA-256 of its JSON, base64url (16 characters; a file names about ten
 * blocks per request, so 32 hex characters cost 0.16 KB per request). Hashes only need to tell apart the blocks
 * of one session file and the memo's entries (a collision among 2^24 values has odds of about 2^-48).
 */
export function hashText(text: string): string {
  // One-shot hash (no Hash object): ~5× cheaper for the short texts most blocks are. 16 base64url characters
  // are exactly the first 12 bytes.
  return hash('sha256', text, 'base64url').slice(0, 16);
}

/** Counts of redacted values by detector. */
export type Findings = Record<string, number>;

/** Redacts one JSON value. Must return a value of the same shape; must never return raw secrets. */
export type ValueRedactor = (value: JsonValue) => { value: JsonValue; findings: Findings };

interface Redacted {
  hash: string;
  value: JsonValue;
  /** What the redactor found in this value (counted once per session file that stores it). */
  findings: Findings;
}

export function addFindings(into: Findings, from: Findings): void {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
}

/** Memo bounds: entries, and the JSON size of the redacted values it holds (only values redaction changed). */
const MEMO_MAX_ENTRIES = 20_000;
const MEMO_MAX_VALUE_BYTES = 4 * 2 ** 20;
const NO_FINDINGS: Findings = Object.freeze({}) as Findings;

interface MemoEntry {
  hash: string;
  /** The redacted value when redaction changed it; absent when the raw value is its own redacted form. */
  value?: JsonValue;
  findings: Findings;
  /** JSON length of `value` (0 without one): what the byte bound counts. */
  bytes: number;
}

/**
 * A bounded map from raw-JSON hash to its redacted form, shared by all sessions of one recorder. Most blocks
 * hold nothing to redact: for those it keeps only the hash (about 100 bytes an entry), since the caller holds
 * the value anyway; a value redaction changed is kept, within MEMO_MAX_VALUE_BYTES of JSON. Holding every value
 * (20 000 parsed messages of up to ~100 KB) was the recorder's growing heap in the 30-minute soak.
 */
export class RedactionMemo {
  private readonly map = new Map<string, MemoEntry>();
  private valueBytes = 0;
  constructor(
    private readonly max = MEMO_MAX_ENTRIES,
    private readonly maxValueBytes = MEMO_MAX_VALUE_BYTES,
  ) {}

  /** Redact `value` (its JSON text is `json`), reusing a previous result for identical raw content. */
  get(json: string, value: JsonValue, redact: ValueRedactor): Redacted {
    return this.lookup(hashText(json), value, redact, json);
  }

  /**
   * The same, keyed by the hash of the bytes `value` was parsed from (parse/raw-body.ts): no serialising to find
   * a value seen before. Block hashes are the same either way (over the redacted value's JSON).
   */
  getByRawKey(rawKey: string, value: JsonValue, redact: ValueRedactor): Redacted {
    return this.lookup(rawKey, value, redact, null);
  }

  /** How many entries, and how many bytes of redacted JSON, the memo holds (for tests and the soak). */
  get size(): { entries: number; valueBytes: number } {
    return { entries: this.map.size, valueBytes: this.valueBytes };
  }

  private lookup(rawKey: string, value: JsonValue, redact: ValueRedactor, json: string | null): Redacted {
    const hit = this.map.get(rawKey);
    if (hit) {
      // Refresh recency: delete + set moves the key to the end of the insertion order.
      this.map.delete(rawKey);
      this.map.set(rawKey, hit);
      return { hash: hit.hash, value: hit.value ?? value, findings: hit.findings };
    }
    const red = redact(value);
    const findings = Object.keys(red.findings).length === 0 ? NO_FINDINGS : red.findings;
    let entry: MemoEntry;
    if (red.value === value) {
      entry = { hash: hashText(json ?? JSON.stringify(value)), findings, bytes: 0 };
    } else {
      const text = JSON.stringify(red.value);
      entry = { hash: hashText(text), value: red.value, findings, bytes: text.length };
    }
    this.map.set(rawKey, entry);
    this.valueBytes += entry.bytes;
    while (this.map.size > this.max || this.valueBytes > this.maxValueBytes) {
      const [oldest, e] = this.map.entries().next().value!;
      this.map.delete(oldest);
      this.valueBytes -= e.bytes;
    }
    return { hash: entry.hash, value: red.value, findings };
  }

  /** Forget everything (after the redaction policy changes). */
  clear(): void {
    this.map.clear();
    this.valueBytes = 0;
  }
}

/** Which top-level fields of a body are stored as blocks, per dialect and endpoint. */
export function layout(
  dialect: Dialect,
  endpoint: Endpoint,
): { refs: [string, BlockKind][]; chain: [string, BlockKind] | null } {
  if (dialect === 'anthropic' && (endpoint === 'messages' || endpoint === 'count_tokens')) {
    return {
      refs: [
        ['system', 'system'],
        ['tools', 'tools'],
      ],
      chain: ['messages', 'message'],
    };
  }
  if (endpoint === 'chat_completions') return { refs: [['tools', 'tools']], chain: ['messages', 'message'] };
  if (endpoint === 'responses')
    return {
      refs: [
        ['instructions', 'instructions'],
        ['tools', 'tools'],
      ],
      chain: ['input', 'input'],
    };
  return { refs: [], chain: null };
}

/** Per-session memory of which blocks its file already holds. */
export class SessionBlocks {
  private readonly written = new Set<string>();

  /** `held`: hashes of the blocks the session's file already holds (a session coming back after leaving memory). */
  constructor(
    private readonly memo: RedactionMemo,
    private readonly redact: ValueRedactor,
    held?: Iterable<string>,
  ) {
    if (held) for (const h of held) this.written.add(h);
  }

  /** Findings of the blocks newly written by the current call (drained by the caller). */
  private pending: Findings = {};

  /** What the redactor found in the blocks written since the last call, and reset. */
  takeFindings(): Findings {
    const f = this.pending;
    this.pending = {};
    return f;
  }

  private block(kind: BlockKind, value: JsonValue, out: BlockLine[]): string {
    const rawKey = rawKeyOf(value);
    const r =
      rawKey !== undefined
        ? this.memo.getByRawKey(rawKey, value, this.redact)
        : this.memo.get(JSON.stringify(value), value, this.redact);
    if (!this.written.has(r.hash)) {
      this.written.add(r.hash);
      addFindings(this.pending, r.findings);
      out.push({ type: 'block', v: RECORD_VERSION, hash: r.hash, kind, value: r.value });
    }
    return r.hash;
  }

  /** Store arbitrary JSON (e.g. headers) as a block; returns its hash. New blocks are appended to `out`. */
  store(kind: BlockKind, value: JsonValue, out: BlockLine[]): string {
    return this.block(kind, value, out);
  }

  /**
   * Store a value the caller already redacted (response headers, a response's assistant message, a prompt) as a
   * block; returns its hash, which is that of its JSON like every block's.
   */
  storeRedacted(kind: BlockKind, value: JsonValue, out: BlockLine[]): string {
    const hash = hashText(JSON.stringify(value));
    if (!this.written.has(hash)) {
      this.written.add(hash);
      out.push({ type: 'block', v: RECORD_VERSION, hash, kind, value });
    }
    return hash;
  }

  /**
   * Replace the re-sent parts of a parsed request body by references. Returns the skeleton (other fields
   * redacted as a whole) and appends the blocks this session's file does not hold yet to `out`.
   */
  split(dialect: Dialect, endpoint: Endpoint, body: JsonValue, out: BlockLine[]): JsonValue {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      const r = this.redact(body);
      addFindings(this.pending, r.findings);
      return r.value;
    }
    const { refs, chain } = layout(dialect, endpoint);
    const rest: JsonObject = {};
    const placed: JsonObject = {};
    for (const [key, value] of Object.entries(body)) {
      const ref = refs.find(([k]) => k === key);
      if (
        ref &&
        value !== null &&
        (typeof value === 'object' || (typeof value === 'string' && value.length > 64))
      ) {
        placed[key] = { $ref: this.block(ref[1], value, out) };
      } else if (chain && key === chain[0] && Array.isArray(value)) {
        placed[key] = { $chain: this.chain(chain[1], value, out) };
      } else {
        rest[key] = value;
      }
    }
    const red = this.redact(rest);
    addFindings(this.pending, red.findings);
    const redactedRest = red.value as JsonObject;
    // Keep the client's key order.
    const skeleton: JsonObject = {};
    for (const key of Object.keys(body))
      skeleton[key] = key in placed ? placed[key]! : (redactedRest[key] ?? null);
    return skeleton;
  }

  /** Prefix hash → the chain block that holds that prefix, and its length. */
  private readonly prefixes = new Map<string, { chain: string; len: number }>();

  /** How many items the chain `hash` (as returned by split) expands to, when this session made it. */
  chainLength(hash: string): number | undefined {
    const p = this.prefixes.get(hash);
    return p && p.chain === hash ? p.len : undefined;
  }

  private chain(kind: BlockKind, items: JsonValue[], out: BlockLine[]): string {
    // Walk the prefix hashes of the array; the longest prefix some earlier chain already holds is reused (even
    // when that chain went on differently — Claude Code moves `cache_control` to the newest message each turn).
    let prefix = '';
    let known: { chain: string; len: number } | null = null;
    const itemHashes: ChainItem[] = [];
    const prefixHashes: string[] = [];
    for (let i = 0; i < items.length; i++) {
      // The message is stored without its `cache_control` markers, which Claude Code moves to the newest message
      // every turn; the chain item says where they sat, so the same message is stored once.
      const { base, marks } = liftCacheControl(items[i]!);
      const h = this.block(kind, base, out);
      const item: ChainItem = marks.length > 0 ? { h, cc: marks } : h;
      itemHashes.push(item);
      prefix = hashText(`${prefix}|${typeof item === 'string' ? item : JSON.stringify(item)}`);
      prefixHashes.push(prefix);
      const hit = this.prefixes.get(prefix);
      if (hit) known = hit;
    }
    if (items.length === 0) prefix = hashText('|empty');
    if (known && known.len === items.length && known.chain === prefix) return prefix;
    if (!this.written.has(prefix)) {
      this.written.add(prefix);
      const start = known?.len ?? 0;
      const value: ChainValue = {
        prev: known?.chain ?? null,
        prev_len: start,
        items: itemHashes.slice(start),
      };
      out.push({
        type: 'block',
        v: RECORD_VERSION,
        hash: prefix,
        kind: 'chain',
        value: value as unknown as JsonValue,
      });
      for (let k = start; k < prefixHashes.length; k++) {
        if (!this.prefixes.has(prefixHashes[k]!))
          this.prefixes.set(prefixHashes[k]!, { chain: prefix, len: k + 1 });
      }
    }
    return prefix;
  }
}

/**
 * A `cache_control` marker lifted out of a message: [content index, key position, value]. The value
 * `{"type":"ephemeral"}` (all Claude Code sends) is left out, and so is the position when it is the part's
 * last key.
 */
type CacheMark = [number, number?, JsonValue?];

const EPHEMERAL = '{"type":"ephemeral"}';
/** A chain entry: the message block's hash, or the hash plus the markers to put back. */
export type ChainItem = string | { h: string; cc: CacheMark[] };

/** Split `cache_control` keys out of a message's content blocks. Messages without them are returned as they are. */
export function liftCacheControl(message: JsonValue): { base: JsonValue; marks: CacheMark[] } {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return { base: message, marks: [] };
  const content = message['content'];
  if (!Array.isArray(content)) return { base: message, marks: [] };
  const marks: CacheMark[] = [];
  let copied: JsonValue[] | null = null;
  content.forEach((part, i) => {
    if (!part || typeof part !== 'object' || Array.isArray(part) || !('cache_control' in part)) return;
    copied ??= content.slice();
    const keys = Object.keys(part);
    const pos = keys.indexOf('cache_control');
    const value = part['cache_control']!;
    if (JSON.stringify(value) !== EPHEMERAL) marks.push([i, pos, value]);
    else marks.push(pos === keys.length - 1 ? [i] : [i, pos]);
    const rest: JsonObject = {};
    for (const k of keys) if (k !== 'cache_control') rest[k] = part[k]!;
    copied[i] = rest;
  });
  if (!copied) return { base: message, marks: [] };
  return { base: { ...message, content: copied }, marks };
}

/** Put lifted `cache_control` markers back, each at its original key position. */
function restoreCacheControl(base: JsonValue, marks: CacheMark[]): JsonValue {
  const msg = base as JsonObject;
  const content = (msg['content'] as JsonValue[]).slice();
  for (const [i, pos, value] of marks) {
    const part = content[i] as JsonObject;
    const entries = Object.entries(part);
    entries.splice(pos ?? entries.length, 0, ['cache_control', value ?? { type: 'ephemeral' }]);
    content[i] = Object.fromEntries(entries) as JsonObject;
  }
  return { ...msg, content };
}

/** A block or chain a record refers to is not in the store (STORAGE_BLOCK_MISSING). */
function missingBlock(message: string): LunaRouteError<'STORAGE_BLOCK_MISSING'> {
  return new LunaRouteError('STORAGE_BLOCK_MISSING', message);
}

function isRef(v: JsonValue | undefined, key: '$ref' | '$chain'): v is { [k: string]: string } {
  return (
    !!v &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    typeof v[key] === 'string' &&
    Object.keys(v).length === 1
  );
}

/** Expand a chain hash into its item values. */
export function expandChain(hash: string, blocks: ReadonlyMap<string, JsonValue>, depth = 0): JsonValue[] {
  if (depth > 100_000) throw missingBlock(`chain ${hash} is too deep or loops`);
  const v = blocks.get(hash) as unknown as ChainValue | undefined;
  if (!v || !Array.isArray(v.items)) throw missingBlock(`chain block ${hash} is missing`);
  const out = v.prev === null ? [] : expandChain(v.prev, blocks, depth + 1).slice(0, v.prev_len);
  for (const entry of v.items as ChainItem[]) {
    const h = typeof entry === 'string' ? entry : entry.h;
    const item = blocks.get(h);
    if (item === undefined) throw missingBlock(`block ${h} is missing`);
    out.push(typeof entry === 'string' ? item : restoreCacheControl(item, entry.cc));
  }
  return out;
}

/** Rebuild a request body from its skeleton and the blocks of its file (references only at known positions). */
export function rebuildBody(
  dialect: Dialect,
  endpoint: Endpoint,
  skeleton: JsonValue,
  blocks: ReadonlyMap<string, JsonValue>,
): JsonValue {
  if (skeleton === null || typeof skeleton !== 'object' || Array.isArray(skeleton)) return skeleton;
  const { refs, chain } = layout(dialect, endpoint);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(skeleton)) {
    if (refs.some(([k]) => k === key) && isRef(value, '$ref')) {
      const b = blocks.get(value['$ref']!);
      if (b === undefined) throw missingBlock(`block ${value['$ref']} is missing`);
      out[key] = b;
    } else if (chain && key === chain[0] && isRef(value, '$chain')) {
      out[key] = expandChain(value['$chain']!, blocks);
    } else {
      out[key] = value;
    }
  }
  return out;
}
