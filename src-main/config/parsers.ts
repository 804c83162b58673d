// Value parsers for configuration keys. Each takes a raw value from any layer (a YAML scalar, or a string from
// the environment or a flag) and returns the typed value, or throws a CONFIG_VALUE_RULE error with the rule it broke
// ("must be an integer from 0 to 65535"); the loader adds the key, the offending value and where it came from.
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import type { CustomDetectorConfig, RedactionMode } from '../redaction/index.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import { inRange, integerRule, settingRule, type UsdSetting } from '../../src-shared/settings.js';

/** The rule a raw value broke ("must be …"); the loader adds the key, the value and its source. */
export function valueProblem(rule: string): LunaRouteError<'CONFIG_VALUE_RULE'> {
  return new LunaRouteError('CONFIG_VALUE_RULE', rule);
}

export interface ParseContext {
  homeDir: string;
  /** Relative paths resolve against this: the config file's directory, or the cwd for env vars and flags. */
  baseDir: string;
}

export type Parser<T> = (raw: unknown, ctx: ParseContext) => T;

export function integer(min: number, max: number, unit = ''): Parser<number> {
  const problem = `must be ${integerRule(min, max, unit)}`;
  return (raw) => {
    let n: number;
    if (typeof raw === 'number') n = raw;
    else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) n = Number(raw.trim());
    else throw valueProblem(problem);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw valueProblem(problem);
    return n;
  };
}

export const port: Parser<number> = integer(0, 65535);

/** Milliseconds. Capped at setTimeout's limit: a larger delay silently becomes 1 ms in Node. */
export const milliseconds: Parser<number> = integer(0, 2 ** 31 - 1, 'milliseconds');

export function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  const problem = `must be one of ${values.join(', ')}`;
  return (raw) => {
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw.trim())) return raw.trim() as T;
    throw valueProblem(problem);
  };
}

export const boolean: Parser<boolean> = (raw) => {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(s)) return true;
    if (['false', 'no', 'off', '0'].includes(s)) return false;
  }
  throw valueProblem('must be true or false');
};

function requireString(raw: unknown, problem: string): string {
  if (typeof raw !== 'string') throw valueProblem(problem);
  return raw;
}

/** A hostname or IP address to listen on. Brackets around an IPv6 address are accepted and removed. */
export const host: Parser<string> = (raw) => {
  const problem = 'must be a hostname or an IP address';
  let s = requireString(raw, problem).trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const label = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
  const hostname = new RegExp(`^${label}(?:\\.${label})*\\.?$`);
  if (isIP(s) === 0 && !(s.length <= 253 && hostname.test(s))) throw valueProblem(problem);
  return s;
};

/** An http(s) base URL without query, fragment or credentials; returned without a trailing slash. */
/**
 * An http(s) URL without query string, fragment or credentials, normalised to origin + path without trailing
 * slashes. `problem` names what is expected; `credentialsHint` says where credentials go instead.
 */
export function plainHttpUrl(s: string, problem: string, credentialsHint: string): string {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw valueProblem(problem);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw valueProblem(problem);
  if (s.includes('?') || s.includes('#')) throw valueProblem(problem);
  if (url.username || url.password) throw valueProblem(`must not contain credentials (${credentialsHint})`);
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export const baseUrl: Parser<string> = (raw) => {
  const problem = 'must be an http:// or https:// URL without query string or fragment';
  return plainHttpUrl(requireString(raw, problem).trim(), problem, 'put the key in api_key instead');
};

/** A credential sent as a header value: any string without whitespace or control characters; '' = none. */
export const apiKey: Parser<string> = (raw) => {
  const s = requireString(raw, 'must be a string');
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(s))
    throw valueProblem('must not contain spaces, newlines or control characters');
  return s;
};

/** A filesystem path: `~` and `~/…` expand to the home directory; relative paths resolve against baseDir. */
export const path: Parser<string> = (raw, ctx) => {
  const s = requireString(raw, 'must be a path').trim();
  if (s === '') throw valueProblem('must be a non-empty path');
  let p = s;
  if (p === '~') p = ctx.homeDir;
  else if (p.startsWith('~/') || p.startsWith('~\\')) p = resolve(ctx.homeDir, p.slice(2));
  return isAbsolute(p) ? resolve(p) : resolve(ctx.baseDir, p);
};

/** Short description of a raw value for error messages: strings quoted, structures named, long ones cut. */
export function describeValue(raw: unknown): string {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'a mapping';
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? raw.slice(0, 57) + '...' : raw);
  return String(raw);
}

/** A mapping of built-in detector names to redaction modes (`redaction.detectors`). */
export function detectorModes(
  names: readonly string[],
  modes: readonly string[],
): Parser<Record<string, string>> {
  return (raw) => {
    if (raw === null || raw === undefined || raw === '') return {};
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw valueProblem('must be a mapping of detector name to mode');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (!names.includes(k))
        throw valueProblem(`names an unknown detector '${k}' (known: ${names.join(', ')})`);
      if (typeof v !== 'string' || !modes.includes(v))
        throw valueProblem(`sets '${k}' to ${describeValue(v)}; modes are ${modes.join(', ')}`);
      out[k] = v;
    }
    return out;
  };
}

/** A list of custom regex detectors (`redaction.custom`). Regexes are compiled here so a typo fails at start-up. */
export function customDetectors(modes: readonly string[]): Parser<CustomDetectorConfig[]> {
  return (raw) => {
    if (raw === null || raw === undefined || raw === '') return [];
    if (!Array.isArray(raw)) throw valueProblem('must be a list of {name, pattern, mode?, placeholder?}');
    return raw.map((item, i) => {
      if (typeof item !== 'object' || item === null)
        throw valueProblem(`item ${i + 1} must be a mapping with name and pattern`);
      const d = item as Record<string, unknown>;
      if (typeof d['name'] !== 'string' || !/^[a-z][a-z0-9_]*$/.test(d['name']))
        throw valueProblem(`item ${i + 1}: name must match [a-z][a-z0-9_]*`);
      if (typeof d['pattern'] !== 'string' || d['pattern'] === '')
        throw valueProblem(`item ${i + 1} (${d['name']}): pattern must be a non-empty regular expression`);
      try {
        new RegExp(d['pattern'], typeof d['flags'] === 'string' ? d['flags'] : '');
      } catch (err) {
        throw valueProblem(
          `item ${i + 1} (${d['name']}): pattern is not a valid regular expression: ${(err as Error).message}`,
        );
      }
      if (d['mode'] !== undefined && (typeof d['mode'] !== 'string' || !modes.includes(d['mode'])))
        throw valueProblem(`item ${i + 1} (${d['name']}): mode must be one of ${modes.join(', ')}`);
      const out: CustomDetectorConfig = { name: d['name'], pattern: d['pattern'] };
      if (typeof d['mode'] === 'string') out.mode = d['mode'] as RedactionMode;
      if (typeof d['placeholder'] === 'string') out.placeholder = d['placeholder'];
      if (typeof d['flags'] === 'string') out.flags = d['flags'];
      if (typeof d['group'] === 'number') out.group = d['group'];
      if (typeof d['confidence'] === 'number') out.confidence = d['confidence'];
      return out;
    });
  };
}

/**
 * A YAML list of strings, or one comma-separated string (as an environment variable or flag gives it); empty
 * means none. `what` completes the message "must be a list of …".
 */
export function splitList(raw: unknown, what: string): string[] {
  if (raw === null || raw === undefined || raw === '') return [];
  const list =
    typeof raw === 'string'
      ? raw
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : raw;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
    throw valueProblem(`must be a list of ${what}`);
  return list as string[];
}

/** A list of strings (`redaction.allowlist.values` / `.patterns`); `patterns` are compiled to check them. */
export function stringList(regexes = false): Parser<string[]> {
  return (raw) => {
    const list = splitList(raw, 'strings');
    if (regexes) {
      for (const p of list as string[]) {
        try {
          new RegExp(p);
        } catch (err) {
          throw valueProblem(
            `has an invalid regular expression ${JSON.stringify(p)}: ${(err as Error).message}`,
          );
        }
      }
    }
    return list as string[];
  };
}

/** `pricing.overrides`: model → rates; each entry checked by the analytics price validator. */
export function priceOverrides(
  check: (name: string, e: unknown) => string | null,
): Parser<Record<string, Record<string, unknown>>> {
  return (raw) => {
    if (raw === null || raw === undefined || raw === '') return {};
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw valueProblem('must be a mapping of model name to rates');
    for (const [model, rates] of Object.entries(raw as Record<string, unknown>)) {
      const problem = check(model, rates);
      if (problem) throw valueProblem(`has an invalid entry: ${problem}`);
    }
    return raw as Record<string, Record<string, unknown>>;
  };
}

/** An optional path: '' means none. */
export const optionalPath: Parser<string | null> = (raw, ctx) =>
  raw === '' || raw === null || raw === undefined ? null : path(raw, ctx);

/** An optional amount of money (a setting of kind `usd`); '' or absent = none. */
export function optionalUsd(d: UsdSetting): Parser<number | null> {
  const problem = `must be ${settingRule(d)}, or empty for none`;
  return (raw) => {
    if (raw === '' || raw === null || raw === undefined) return null;
    const n = typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : raw;
    if (!inRange(d, n)) throw valueProblem(problem);
    return n;
  };
}
