// Custom detectors from `redaction.custom`: each entry is validated once (name, pattern, flags, group, mode,
// placeholder, confidence) with a message naming the entry and the fix, and compiled to the same scan shape as
// the built-ins. Patterns that nest quantifiers are refused (catastrophic backtracking); the time budget in
// policy.ts is the backstop for what this heuristic misses.
import { scanRegex } from './scan.js';
import { LunaRouteError } from '../../src-shared/errors.js';
import { BUILTIN_DETECTORS, REDACTION_MODES } from './types.js';
import type { CustomDetectorConfig, DetectorDef, Match, RedactionMode } from './types.js';

export const BUILTIN_NAMES: ReadonlySet<string> = new Set(BUILTIN_DETECTORS);

export function isMode(v: unknown): v is RedactionMode {
  return typeof v === 'string' && (REDACTION_MODES as readonly string[]).includes(v);
}

export function modeError(where: string, v: unknown): LunaRouteError<'INVALID_MODE'> {
  return new LunaRouteError(
    'INVALID_MODE',
    `${where} must be one of ${REDACTION_MODES.join(', ')} (got ${JSON.stringify(v)})`,
  );
}

/**
 * Heuristic guard against catastrophic backtracking in user patterns: a quantified group that itself contains a
 * quantifier (`(a+)+`, `(\w+\s?)*`, `(x{2,})*`). Not a proof of linearity; the time budget is the backstop.
 */
export function hasNestedQuantifier(src: string): boolean {
  const stack: boolean[] = [];
  let inner = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '[') {
      for (i++; i < src.length && src[i] !== ']'; i++) if (src[i] === '\\') i++;
      continue;
    }
    if (c === '(') {
      stack.push(inner);
      inner = false;
    } else if (c === ')') {
      const next = src[i + 1];
      const quantified =
        next === '*' || next === '+' || (next === '{' && /^\{\d*,\d*\}/.test(src.slice(i + 1)));
      if (quantified && inner) return true;
      inner = (stack.pop() ?? false) || inner || quantified;
    } else if (c === '*' || c === '+' || (c === '{' && /^\{\d*,\d*\}/.test(src.slice(i)))) {
      inner = true;
    }
  }
  return false;
}

export function compileCustom(
  c: CustomDetectorConfig,
  i: number,
  seen: Set<string>,
): DetectorDef & { mode?: RedactionMode } {
  const where = `redaction.custom[${i}]`;
  const bad = (msg: string, code: 'INVALID_CUSTOM' | 'UNSAFE_PATTERN' = 'INVALID_CUSTOM', cause?: unknown) =>
    new LunaRouteError(code, `${where}: ${msg}`, { cause });
  if (typeof c !== 'object' || c === null) throw bad('must be an object with name and pattern');
  if (typeof c.name !== 'string' || !/^[a-z][a-z0-9_]{0,63}$/.test(c.name)) {
    throw bad(`name must match [a-z][a-z0-9_]* (got ${JSON.stringify(c.name)})`);
  }
  if (BUILTIN_NAMES.has(c.name) || seen.has(c.name))
    throw bad(`name "${c.name}" is already used by a detector`);
  seen.add(c.name);
  if (typeof c.pattern !== 'string' || c.pattern.length === 0)
    throw bad('pattern must be a non-empty regex source');
  const flags = c.flags ?? '';
  if (!/^[imsu]*$/.test(flags)) throw bad(`flags may only contain i, m, s, u (got ${JSON.stringify(flags)})`);
  if (hasNestedQuantifier(c.pattern)) {
    throw bad(
      `pattern ${JSON.stringify(c.pattern)} nests quantifiers (like (a+)+), which can backtrack catastrophically; ` +
        'rewrite it without a quantified group that contains a quantifier',
      'UNSAFE_PATTERN',
    );
  }
  let re: RegExp;
  try {
    re = new RegExp(c.pattern, `g${flags}d`);
  } catch (err) {
    throw bad(`pattern is not a valid regular expression: ${(err as Error).message}`, 'INVALID_CUSTOM', err);
  }
  if (new RegExp(`^(?:${c.pattern})$`, flags).test('')) throw bad('pattern matches the empty string');
  const groups = (new RegExp(`${c.pattern}|`, flags).exec('')?.length ?? 1) - 1;
  const group = c.group ?? 0;
  if (!Number.isInteger(group) || group < 0 || group > groups) {
    throw bad(`group must be an integer between 0 and ${groups} (the pattern's capture groups)`);
  }
  if (c.mode !== undefined && !isMode(c.mode)) throw modeError(`${where}.mode`, c.mode);
  const label = (c.placeholder ?? c.name.toUpperCase()).replace(/^\[(.*)\]$/, '$1');
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(label)) {
    throw bad(
      `placeholder must look like [LABEL] with LABEL in [A-Z][A-Z0-9_]* (got ${JSON.stringify(c.placeholder)})`,
    );
  }
  const confidence = c.confidence ?? 1;
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    throw bad(`confidence must be a number from 0 to 1 (got ${JSON.stringify(c.confidence)})`);
  }
  // With a group, only that group's span is redacted (a match where the group did not take part is skipped).
  const inGroup = (m: RegExpExecArray): Match | false => {
    const r = m.indices?.[group];
    return r === undefined ? false : { start: r[0], end: r[1] };
  };
  const scan = (s: string, out: Match[]): void => scanRegex(re, s, out, group === 0 ? undefined : inGroup);
  return { name: c.name, label, confidence, scan, ...(c.mode !== undefined ? { mode: c.mode } : {}) };
}
