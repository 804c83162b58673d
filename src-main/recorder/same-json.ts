// Whether two values serialise to the same JSON text, without serialising them: the recorder checks every lean
// line it writes against the full line it stands for, and two JSON.stringify calls per line were the largest
// single item of that check. Same rules as JSON.stringify: keys in insertion order, properties holding undefined
// (or a function or symbol) left out, such array items and non-finite numbers read as null; a value with a
// toJSON method is compared through JSON.stringify.

const omitted = (v: unknown): boolean => v === undefined || typeof v === 'function' || typeof v === 'symbol';

/** A value as JSON.stringify sees it in an array or at the top (non-finite numbers and omitted values: null). */
function asItem(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return omitted(v) ? null : v;
}

function hasToJson(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (hasToJson(a) || hasToJson(b)) return JSON.stringify(a) === JSON.stringify(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const arrA = Array.isArray(a);
  if (arrA !== Array.isArray(b)) return false;
  if (arrA) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!same(asItem(x[i]), asItem(y[i]))) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < kx.length && omitted(x[kx[i]!])) i++;
    while (j < ky.length && omitted(y[ky[j]!])) j++;
    if (i === kx.length || j === ky.length) return i === kx.length && j === ky.length;
    const k = kx[i]!;
    if (k !== ky[j] || !same(asItem(x[k]), asItem(y[k]))) return false;
    i++;
    j++;
  }
}

/** `JSON.stringify(a) === JSON.stringify(b)`, for values without cycles. */
export function sameJson(a: unknown, b: unknown): boolean {
  return same(asItem(a), asItem(b)) && omitted(a) === omitted(b);
}
