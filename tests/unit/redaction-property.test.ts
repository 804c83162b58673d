// Property tests: for generated secrets embedded in generated JSON, in every mode, no stored string contains the
// secret, the output is valid JSON of the same shape, and redacting twice changes nothing; arbitrary Unicode and
// arbitrary JSON never crash the engine.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, type RedactionMode } from '../../src-main/redaction/index.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (alphabet: string, min: number, max = min): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
const digits = (n: number): fc.Arbitrary<string> => chars('0123456789', n);

function luhnComplete(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return body + String((10 - (sum % 10)) % 10);
}

function ibanDe(bban: string): string {
  const numeric = `${bban}131400`; // D=13, E=14, check digits 00
  let rem = 0;
  for (const c of numeric) rem = (rem * 10 + Number(c)) % 97;
  return `DE${String(98 - rem).padStart(2, '0')}${bban}`;
}

const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Secrets every built-in detector family should catch, in the shapes real traffic carries them. */
const secretArb: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      chars('abcdefghijklmnopqrstuvwxyz', 1, 8),
      chars('abcdefghijklmnopqrstuvwxyz0123456789._+', 0, 8),
      chars('abcdefghijklmnopqrstuvwxyz', 2, 10),
      fc.constantFrom('com', 'io', 'dev', 'net', 'de', 'co', 'app'),
    )
    .filter(([a]) => a !== 'git')
    .map(([a, b, d, t]) => `${a}${b.replace(/[._+]+$/, '')}@${d}.${t}`),
  fc
    .tuple(fc.constantFrom('4', '51', '37', '6011'), digits(14), fc.constantFrom('', ' ', '-'))
    .map(([p, rest, sep]) => {
      const len = p === '37' ? 15 : 16;
      const n = luhnComplete((p + rest).slice(0, len - 1));
      return len === 16 && sep !== '' ? (n.match(/.{4}/g) ?? []).join(sep) : n;
    })
    .filter((n) => !/^(\d)\1+$/.test(n.replace(/\D/g, ''))),
  chars(ALNUM + '-_', 40, 90).map((s) => `sk-ant-api03-${s}aZ9`),
  chars(ALNUM, 40, 60).map((s) => `sk-proj-${s}aZ9`),
  chars(UPPER_DIGITS, 15).map((s) => `AKIA${s}7`),
  chars(ALNUM, 35).map((s) => `ghp_${s}1`),
  chars(ALNUM + '-_', 35).map((s) => `AIza${s}`),
  chars(ALNUM, 24, 40).map((s) => `sk_live_${s}9z`),
  fc.tuple(digits(10), chars(ALNUM, 24)).map(([d, s]) => `xoxb-${d}-${s}`),
  fc
    .tuple(chars(ALNUM, 10, 30), chars(ALNUM + '-_', 20, 60))
    .map(([p, sig]) => `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: p })}.${sig}`),
  chars(ALNUM + '+/', 64, 200).map(
    (b) => `-----BEGIN RSA PRIVATE KEY-----\n${b}\n-----END RSA PRIVATE KEY-----`,
  ),
  fc
    .tuple(
      fc.integer({ min: 1, max: 665 }),
      fc.integer({ min: 1, max: 99 }),
      fc.integer({ min: 1, max: 9999 }),
    )
    .map(
      ([a, g, s]) =>
        `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
    ),
  fc
    .tuple(fc.integer({ min: 11, max: 126 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 }))
    .map((o) => o.join('.')),
  fc
    .tuple(fc.constantFrom('2a00', '2606', '2404', 'fe80'), chars('0123456789abcdef', 3, 4), fc.nat(0xffff))
    .map(([a, b, c]) => `${a}:${b}::${c.toString(16)}`),
  digits(18).map(ibanDe),
  digits(8).map((d) => `+44 20 ${d.slice(0, 4)} ${d.slice(4)}`),
);

const filler = chars('abcdefghij klmnop,;!?()', 0, 12);
interface Embedded {
  doc: unknown;
  secrets: string[];
}

/** A JSON document whose string leaves (and some keys) carry embedded secrets, separated by spaces. */
const embeddedArb: fc.Arbitrary<Embedded> = fc
  .letrec<{ node: [unknown, string[]] }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(filler, secretArb, filler).map(([a, s, b]): [unknown, string[]] => [`${a} ${s} ${b}`, [s]]),
      fc
        .oneof(filler, fc.integer(), fc.boolean(), fc.constant(null))
        .map((v): [unknown, string[]] => [v, []]),
      fc
        .array(tie('node'), { maxLength: 4 })
        .map((items): [unknown, string[]] => [items.map(([v]) => v), items.flatMap(([, s]) => s)]),
      fc
        .array(fc.tuple(fc.oneof(chars('abcdefgh', 1, 6), secretArb), tie('node')), { maxLength: 4 })
        .map((entries): [unknown, string[]] => {
          const obj: Record<string, unknown> = {};
          const secrets: string[] = [];
          for (const [k, [v, s]] of entries) {
            if (Object.prototype.hasOwnProperty.call(obj, k)) continue;
            obj[k] = v;
            secrets.push(...s);
            if (/[@\d]/.test(k)) secrets.push(k);
          }
          return [obj, secrets];
        }),
    ),
  }))
  .node.map(([doc, secrets]) => ({ doc, secrets }));

function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      allStrings(x, out);
    }
  }
  return out;
}

/** Structure without string contents: strings → 'S', objects → their value shapes in key order. */
function shape(v: unknown): unknown {
  if (typeof v === 'string') return 'S';
  if (Array.isArray(v)) return v.map(shape);
  if (v !== null && typeof v === 'object') return { obj: Object.values(v).map(shape) };
  return v;
}

const MODES: Exclude<RedactionMode, 'off'>[] = ['mask', 'remove', 'partial', 'tokenize'];
const SECRET = Buffer.alloc(32, 3);
const RUNS = 150;

describe('redaction properties', () => {
  for (const mode of MODES) {
    describe(`mode ${mode}`, () => {
      const redactor = compilePolicy({ mode, tokenizeSecret: SECRET });

      it('no stored string contains an embedded secret; same shape; valid JSON; idempotent', () => {
        fc.assert(
          fc.property(embeddedArb, ({ doc, secrets }) => {
            const { value, report } = redactor.redactJson(doc);
            expect(report.failed).toBe(0);
            const strings = allStrings(value);
            for (const secret of secrets) {
              for (const s of strings) expect(s.includes(secret), `${secret} leaked in ${s}`).toBe(false);
            }
            expect(shape(value)).toEqual(shape(doc));
            expect(JSON.parse(JSON.stringify(value))).toEqual(value);
            expect(redactor.redactJson(value).value).toEqual(value);
          }),
          { numRuns: RUNS },
        );
      });

      it('a bare secret string is always redacted and redacting twice is a no-op', () => {
        fc.assert(
          fc.property(secretArb, (secret) => {
            const once = redactor.redactString(secret).value;
            expect(once.includes(secret)).toBe(false);
            expect(redactor.redactString(once).value).toBe(once);
          }),
          { numRuns: RUNS },
        );
      });
    });
  }

  it('never crashes on arbitrary Unicode (lone surrogates included) and never returns a failure', () => {
    const redactor = compilePolicy({ mode: 'partial' });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const r = redactor.redactString(s);
        expect(typeof r.value).toBe('string');
        expect(r.failed).toBe(false);
        expect(redactor.redactText(s).failed).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('never crashes on arbitrary JSON and keeps its shape', () => {
    const redactor = compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET });
    fc.assert(
      fc.property(fc.jsonValue(), (doc) => {
        const { value } = redactor.redactJson(doc);
        expect(shape(value)).toEqual(shape(doc));
        // Compared as text: `-0` is a legal parsed value that JSON writes as `0`, so a value round trip differs.
        const text = JSON.stringify(value);
        expect(JSON.stringify(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('coding-traffic-like noise strings come out unchanged (no false positives)', () => {
    const redactor = compilePolicy({ mode: 'mask' });
    const noise = fc.oneof(
      chars('0123456789abcdef', 40).map((h) => `commit ${h}`),
      fc.uuid().map((u) => `id ${u}`),
      fc.date({ noInvalidDate: true }).map((d) => `at ${d.toISOString()}`),
      fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30)).map(([a, b, c]) => `version ${a}.${b}.${c}`),
      fc.nat(65535).map((p) => `listening on port ${p}`),
      chars('0123456789abcdef', 6).map((h) => `color: #${h};`),
      fc.tuple(fc.nat(9999), fc.nat(200)).map(([l, c]) => `src/app.ts:${l}:${c}`),
      fc.integer({ min: 1_000_000_000, max: 1_999_999_999 }).map((t) => `epoch ${t}`),
    );
    fc.assert(
      fc.property(noise, (s) => {
        expect(redactor.redactString(s).value).toBe(s);
      }),
      { numRuns: 500 },
    );
  });
});
