// Reading a request body from its raw bytes without decoding again what earlier requests already carried. A
// Claude Code turn re-sends ~80 KB of which a few KB are new; UTF-8 decoding (the costliest step), parsing and
// re-serialising all of it every turn was most of what recording cost. The scanner finds the members of the
// body's top-level object, and the items of its re-sent array, by byte offsets (strings are skipped with a
// native indexOf); each large part is hashed from its bytes and parsed only when no earlier request carried the
// same bytes. Parts come back frozen (they are shared between requests) and the result equals JSON.parse(body);
// anything the scanner does not follow makes it give up, and the caller parses the whole body as before.
import { hash } from 'node:crypto';
import type { JsonValue } from '../../../src-shared/exchange.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJ = 0x7b;
const CLOSE_OBJ = 0x7d;
const OPEN_ARR = 0x5b;
const CLOSE_ARR = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWs(b: Buffer, i: number, end: number): number {
  while (i < end && isWs(b[i])) i++;
  return i;
}

/** End (exclusive) of the string whose opening quote is at `i`; -1 when it does not end before `end`. */
function stringEnd(b: Buffer, i: number, end: number): number {
  let from = i + 1;
  for (;;) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0 || q >= end) return -1;
    let slashes = 0;
    for (let k = q - 1; k > i && b[k] === BACKSLASH; k--) slashes++;
    if (slashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** End (exclusive) of the value starting at `i` (nesting only: JSON.parse validates the parts). */
function valueEnd(b: Buffer, i: number, end: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i, end);
  if (c === OPEN_OBJ || c === OPEN_ARR) {
    let depth = 0;
    for (let j = i; j < end;) {
      const x = b[j];
      if (x === QUOTE) {
        j = stringEnd(b, j, end);
        if (j < 0) return -1;
        continue;
      }
      if (x === OPEN_OBJ || x === OPEN_ARR) depth++;
      else if (x === CLOSE_OBJ || x === CLOSE_ARR) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  let j = i;
  while (j < end && b[j] !== COMMA && b[j] !== CLOSE_OBJ && b[j] !== CLOSE_ARR && !isWs(b[j])) j++;
  return j > i ? j : -1;
}

/** The members of the object spanning the whole of `b` as [key, value start, value end]; null if not one. */
export function scanObject(b: Buffer): [string, number, number][] | null {
  const end = b.length;
  let i = skipWs(b, 0, end);
  if (b[i] !== OPEN_OBJ) return null;
  i = skipWs(b, i + 1, end);
  const out: [string, number, number][] = [];
  if (b[i] === CLOSE_OBJ) return skipWs(b, i + 1, end) === end ? out : null;
  for (;;) {
    if (b[i] !== QUOTE) return null;
    const keyEnd = stringEnd(b, i, end);
    if (keyEnd < 0) return null;
    const key = JSON.parse(b.toString('utf8', i, keyEnd)) as string;
    i = skipWs(b, keyEnd, end);
    if (b[i] !== COLON) return null;
    i = skipWs(b, i + 1, end);
    const ve = valueEnd(b, i, end);
    if (ve < 0) return null;
    out.push([key, i, ve]);
    i = skipWs(b, ve, end);
    if (b[i] === COMMA) i = skipWs(b, i + 1, end);
    else if (b[i] === CLOSE_OBJ) return skipWs(b, i + 1, end) === end ? out : null;
    else return null;
  }
}

/** The items of the array spanning b[start, end) as [start, end]; null if it is not one. */
export function scanArray(b: Buffer, start: number, end: number): [number, number][] | null {
  let i = skipWs(b, start, end);
  if (b[i] !== OPEN_ARR) return null;
  i = skipWs(b, i + 1, end);
  const out: [number, number][] = [];
  if (b[i] === CLOSE_ARR) return skipWs(b, i + 1, end) === end ? out : null;
  for (;;) {
    const ve = valueEnd(b, i, end);
    if (ve < 0) return null;
    out.push([i, ve]);
    i = skipWs(b, ve, end);
    if (b[i] === COMMA) i = skipWs(b, i + 1, end);
    else if (b[i] === CLOSE_ARR) return skipWs(b, i + 1, end) === end ? out : null;
    else return null;
  }
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Raw-bytes keys of the parts handed out: the block store keys its redaction memo with them. */
const rawKeys = new WeakMap<object, string>();

/** The raw-bytes key of a part this module parsed (objects and arrays only), if it is one. */
export function rawKeyOf(value: JsonValue): string | undefined {
  return value !== null && typeof value === 'object' ? rawKeys.get(value) : undefined;
}

/** Parts smaller than this are parsed directly: hashing them would cost about as much. */
const MIN_CACHED = 256;

/** Parsed parts by the hash of their bytes, least recently used first, bounded by their byte size. */
export class RawParts {
  private readonly map = new Map<string, { value: JsonValue; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  private part(b: Buffer, start: number, end: number): JsonValue {
    if (end - start < MIN_CACHED) return JSON.parse(b.toString('utf8', start, end)) as JsonValue;
    const key = hash('sha256', b.subarray(start, end), 'base64');
    const hit = this.map.get(key);
    if (hit) {
      this.hits++;
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.value;
    }
    this.misses++;
    const value = deepFreeze(JSON.parse(b.toString('utf8', start, end)) as JsonValue);
    if (value !== null && typeof value === 'object') rawKeys.set(value, `raw:${key}`);
    this.map.set(key, { value, bytes: end - start });
    this.bytes += end - start;
    while (this.bytes > this.maxBytes) {
      const [oldest, e] = this.map.entries().next().value!;
      this.map.delete(oldest);
      this.bytes -= e.bytes;
    }
    return value;
  }

  /**
   * The body parsed (equal to JSON.parse of it), reusing parts earlier bodies carried: the items of the layout's
   * chained array one by one (the re-sent history), other members whole. Undefined when the body is not a JSON object this scanner
   * follows (the caller then parses it as a whole, and decides what is not JSON).
   */
  read(
    b: Buffer,
    /** False for a body that is truncated or was content-encoded: the caller's general path reads those. */
    plain: boolean,
    layout: { chain: [string, unknown] | null },
  ): { parsed: JsonValue; bodyText: null } | undefined {
    if (!plain || b.length < 4096) return undefined; // small bodies: parsing them whole is as cheap
    const arrayKey = layout.chain?.[0] ?? null;
    try {
      const members = scanObject(b);
      if (!members) return undefined;
      const out: Record<string, JsonValue> = {};
      for (const [key, start, end] of members) {
        let value: JsonValue;
        const items = key === arrayKey ? scanArray(b, start, end) : null;
        if (items) value = items.map(([s, e]) => this.part(b, s, e));
        else value = this.part(b, start, end);
        if (key === '__proto__')
          Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      }
      return { parsed: out, bodyText: null };
    } catch {
      return undefined;
    }
  }
}
