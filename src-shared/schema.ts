// A tiny runtime schema library for what crosses a process boundary (IPC, HTTP, the event stream): each schema
// parses an unknown value into a typed one or throws a SCHEMA_MISMATCH error naming the path, what was expected and what
// came. Objects keep only their declared keys (parse, never cast); `strict` objects reject unknown keys (used
// for call arguments, where an unknown key is a caller's mistake). Pure TypeScript: no Node, no DOM.

import { isLunaRouteError, LunaRouteError } from './errors.js';

/** A value does not match its schema (SCHEMA_MISMATCH, with `details: { path, expected, got }`). */
export function schemaMismatch(
  path: string,
  expected: string,
  got: string,
): LunaRouteError<'SCHEMA_MISMATCH'> {
  return new LunaRouteError('SCHEMA_MISMATCH', `${path || '(value)'}: expected ${expected}, got ${got}`, {
    details: { path, expected, got },
  });
}

export interface Schema<T> {
  /** Human-readable type, used in error messages. */
  readonly expected: string;
  parse(value: unknown, path?: string): T;
}

/** Marks an object key as optional (absent or undefined). */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'a non-finite number';
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

function make<T>(expected: string, parse: (v: unknown, path: string) => T): Schema<T> {
  return { expected, parse: (v, path = '') => parse(v, path) };
}

function fail(path: string, expected: string, v: unknown): never {
  throw schemaMismatch(path, expected, describe(v));
}

export function string(opts: { max?: number; min?: number; pattern?: RegExp } = {}): Schema<string> {
  const expected =
    'a string' +
    (opts.min !== undefined ? ` of at least ${opts.min} characters` : '') +
    (opts.max !== undefined ? ` of at most ${opts.max} characters` : '') +
    (opts.pattern ? ` matching ${String(opts.pattern)}` : '');
  return make(expected, (v, p) => {
    if (typeof v !== 'string') fail(p, expected, v);
    if (opts.max !== undefined && v.length > opts.max) fail(p, expected, v);
    if (opts.min !== undefined && v.length < opts.min) fail(p, expected, v);
    if (opts.pattern && !opts.pattern.test(v)) fail(p, expected, v);
    return v;
  });
}

/** `unit` only names what the number counts, in messages ("an integer ≥ 1 ≤ 36500 (days)"). */
export function number(
  opts: { int?: boolean; min?: number; max?: number; unit?: string } = {},
): Schema<number> {
  const expected =
    (opts.int ? 'an integer' : 'a finite number') +
    (opts.min !== undefined ? ` ≥ ${opts.min}` : '') +
    (opts.max !== undefined ? ` ≤ ${opts.max}` : '') +
    (opts.unit ? ` (${opts.unit})` : '');
  return make(expected, (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(p, expected, v);
    if (opts.int && !Number.isInteger(v)) fail(p, expected, v);
    if (opts.min !== undefined && v < opts.min) fail(p, expected, v);
    if (opts.max !== undefined && v > opts.max) fail(p, expected, v);
    return v;
  });
}

export const int = (opts: { min?: number; max?: number; unit?: string } = {}): Schema<number> =>
  number({ ...opts, int: true });

export function boolean(): Schema<boolean> {
  return make('a boolean', (v, p) => (typeof v === 'boolean' ? v : fail(p, 'a boolean', v)));
}

export function literal<const T extends string | number | boolean>(value: T): Schema<T> {
  const expected = JSON.stringify(value);
  return make(expected, (v, p) => (v === value ? value : fail(p, expected, v)));
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return make(expected, (v, p) =>
    typeof v === 'string' && values.includes(v) ? (v as T[number]) : fail(p, expected, v),
  );
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  const expected = `${inner.expected} or null`;
  return make(expected, (v, p) => {
    if (v === null) return null;
    try {
      return inner.parse(v, p);
    } catch (err) {
      // Say "or null" when the value itself was wrong (not something nested inside it).
      if (isLunaRouteError(err, 'SCHEMA_MISMATCH') && err.details.path === p) {
        throw schemaMismatch(p, expected, err.details.got);
      }
      throw err;
    }
  });
}

export function optional<T>(inner: Schema<T>): OptionalSchema<T> {
  return {
    expected: `${inner.expected} (optional)`,
    optional: true,
    parse: (v, p = '') => (v === undefined ? undefined : inner.parse(v, p)),
  };
}

export function array<T>(item: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const expected = `an array of ${item.expected}` + (opts.max !== undefined ? ` (at most ${opts.max})` : '');
  return make(expected, (v, p) => {
    if (!Array.isArray(v)) fail(p, expected, v);
    if (opts.max !== undefined && v.length > opts.max) fail(p, expected, `${v.length} items`);
    return v.map((x, i) => item.parse(x, `${p}[${i}]`));
  });
}

export function record<T>(value: Schema<T>): Schema<Record<string, T>> {
  const expected = `an object of ${value.expected}`;
  return make(expected, (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, expected, v);
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) out[k] = value.parse(x, `${p}.${k}`);
    return out;
  });
}

/** Any JSON value (checked to be JSON-shaped: no functions, no non-finite numbers). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export function json(): Schema<Json> {
  const check = (v: unknown, p: string, depth: number): Json => {
    if (depth > 200) fail(p, 'JSON nested at most 200 deep', v);
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : fail(p, 'a JSON value', v);
    if (Array.isArray(v)) return v.map((x, i) => check(x, `${p}[${i}]`, depth + 1));
    if (typeof v === 'object') {
      const out: { [key: string]: Json } = {};
      for (const [k, x] of Object.entries(v)) out[k] = check(x, `${p}.${k}`, depth + 1);
      return out;
    }
    return fail(p, 'a JSON value', v);
  };
  return make('a JSON value', (v, p) => check(v, p, 0));
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOut<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

export interface ObjectSchema<S extends Shape> extends Schema<ObjectOut<S>> {
  readonly shape: S;
}

/** An object with the given keys. Unknown keys are dropped, or rejected when `strict`. */
export function object<S extends Shape>(shape: S, opts: { strict?: boolean } = {}): ObjectSchema<S> {
  const expected = 'an object';
  return {
    expected,
    shape,
    parse(v, p = '') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, expected, v);
      const src = v as Record<string, unknown>;
      if (opts.strict) {
        for (const k of Object.keys(src)) {
          if (!(k in shape)) throw schemaMismatch(p ? `${p}.${k}` : k, 'no such key', 'a value');
        }
      }
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(shape)) {
        const x = s.parse(src[k], p ? `${p}.${k}` : k);
        if (x !== undefined) out[k] = x;
      }
      return out as ObjectOut<S>;
    },
  };
}

/** A union discriminated by a string tag (`type`): the tag picks the member schema. */
export function tagged<K extends string, M extends Record<string, Schema<unknown>>>(
  key: K,
  members: M,
): Schema<{ [T in keyof M]: Infer<M[T]> }[keyof M]> {
  const tags = Object.keys(members);
  const expected = `an object whose ${key} is one of ${tags.join(', ')}`;
  return make(expected, (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, expected, v);
    const tag = (v as Record<string, unknown>)[key];
    if (typeof tag !== 'string' || !Object.hasOwn(members, tag)) {
      throw schemaMismatch(p ? `${p}.${key}` : key, `one of ${tags.join(', ')}`, describe(tag));
    }
    return members[tag]!.parse(v, p) as { [T in keyof M]: Infer<M[T]> }[keyof M];
  });
}
