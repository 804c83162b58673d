// sameJson(a, b) must answer exactly what comparing the two JSON texts answers, for any JSON-like values:
// undefined and function properties, non-finite numbers, -0, key order, nesting, arrays with holes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sameJson } from '../../src-main/recorder/same-json.js';

const leaf = fc.oneof(
  fc.constantFrom(undefined, null, true, false, 0, -0, 1, NaN, Infinity, -Infinity, '', 'a', 'b'),
  fc.integer({ min: -3, max: 3 }),
  fc.string({ maxLength: 3 }),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('v'), { maxLength: 4 }),
  obj: fc.dictionary(fc.constantFrom('a', 'b', 'c', '1', '0'), tie('v'), { maxKeys: 4 }),
})).v;

const byText = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

describe('sameJson', () => {
  it('agrees with comparing JSON.stringify texts on any pair of values', () => {
    fc.assert(
      fc.property(value, value, (a, b) => sameJson(a, b) === byText(a, b)),
      { numRuns: 5000 },
    );
  });
  it('holds a value equal to its own JSON round trip, and not to one changed in one place', () => {
    fc.assert(
      fc.property(value, (a) => {
        const text = JSON.stringify(a);
        if (text === undefined) return sameJson(a, undefined);
        const back: unknown = JSON.parse(text);
        return sameJson(a, back) && sameJson(back, a) && !sameJson(a, { wrapped: back });
      }),
      { numRuns: 3000 },
    );
  });
  it('compares key order, omitted properties, non-finite numbers and toJSON as JSON does', () => {
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameJson({ a: 1, x: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: NaN }, { a: null })).toBe(true);
    expect(sameJson([undefined, () => 1], [null, null])).toBe(true);
    expect(sameJson(undefined, null)).toBe(false);
    expect(sameJson(0, -0)).toBe(true);
    expect(sameJson({ d: new Date(0) }, { d: '1970-01-01T00:00:00.000Z' })).toBe(true);
  });
});
