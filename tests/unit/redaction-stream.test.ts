// Live text of a streaming response (Redactor.stablePrefix + LiveProgress): for secrets embedded in generated
// text and streamed in every possible way, in every redaction mode, what the window is shown never holds any part
// of the secret, is never taken back, and is always a prefix of the final redaction of the whole text; prose
// without candidates is held back by at most its trailing word.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_DETECTORS,
  compilePolicy,
  type RedactionMode,
  type Redactor,
} from '../../src-main/redaction/index.js';
import { LiveProgress } from '../../src-main/recorder/live-progress.js';

const MODES = ['mask', 'remove', 'partial', 'tokenize'] as const satisfies readonly RedactionMode[];
const SECRET = 'a-test-install-secret-of-enough-bytes';
const redactors: Record<(typeof MODES)[number], Redactor> = {
  mask: compilePolicy({ mode: 'mask' }),
  remove: compilePolicy({ mode: 'remove' }),
  partial: compilePolicy({ mode: 'partial' }),
  tokenize: compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET }),
};

/** Only one detector on: its own tail must hold its secret back (others cannot cover for it). */
const alone = (name: string): Redactor =>
  compilePolicy({
    mode: 'mask',
    detectors: Object.fromEntries(BUILTIN_DETECTORS.filter((d) => d !== name).map((d) => [d, 'off'])),
  });
const DETECTOR_OF: Record<string, string> = {
  card: 'credit_card',
  cardCompact: 'credit_card',
  email: 'email',
  apiKey: 'anthropic_key',
  phone: 'phone',
  iban: 'iban',
};

/** One of each family the brief names: a Luhn-valid card, an e-mail, an API key, a phone number, an IBAN. */
const SECRETS = {
  card: '4111 1111 1111 1111',
  cardCompact: '5500005555555559',
  email: 'j4ne.d0e+ops@acme-c0rp.io',
  apiKey: 'sk-ant-api03-Xq7Lm2Pz9Rt4Vw8Kb3Nc6Hd1Jf5Gs0Ae',
  phone: '+44 20 7946 0958',
  iban: 'GB82 WEST 1234 5698 7654 32',
} as const;

/**
 * Prose around the secret: lower-case words and punctuation, never a digit, capital, `@` or `+`. So a
 * "fragment" is made precise as any non-empty piece of the secret that holds one of those characters (prose
 * cannot produce it) and that the final redacted text does not contain (partial mode shows the last four on
 * purpose, tokens hold hex digits): if such a piece is on screen, it came from the secret.
 */
const word = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'),
  minLength: 1,
  maxLength: 9,
});
const sep = fc.constantFrom(' ', ' ', ' ', ', ', '. ', '\n', ': ', '; ', ' (', ') ');
const prose = fc
  .array(fc.tuple(word, sep), { maxLength: 6 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));

function fragments(secret: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i < secret.length; i++) {
    for (let j = i + 1; j <= secret.length; j++) {
      const f = secret.slice(i, j);
      if (/[0-9A-Z@+]/.test(f)) out.add(f);
    }
  }
  return [...out];
}

function leaks(shown: string, final: string, frags: readonly string[]): string[] {
  return frags.filter((f) => shown.includes(f) && !final.includes(f));
}

/** Feed `text` as the given deltas, flushing (a tick) after the deltas `flushAfter` marks; return what was shown. */
function stream(r: Redactor, deltas: readonly string[], flushAfter: readonly boolean[]): string[] {
  const live = new LiveProgress({ stable: (t) => r.stablePrefix(t), whole: (t) => r.redactText(t).value });
  const shown: string[] = [];
  let text = '';
  let screen = '';
  deltas.forEach((d, i) => {
    text += d;
    if (!flushAfter[i]) return;
    const e = live.next('req', 'ses', text);
    if (e?.type !== 'response_progress') return;
    expect(e.reset).toBeUndefined(); // nothing shown is ever taken back
    screen += e.text_delta;
    shown.push(screen);
  });
  const e = live.last('req', 'ses', text);
  if (e?.type === 'response_progress') {
    expect(e.reset).toBeUndefined();
    screen += e.text_delta;
  }
  shown.push(screen);
  return shown;
}

// Pieces that start, extend, complete or spoil matches of every built-in detector, glued at random.
const glue = fc.constantFrom(
  ...[' ', '\n', '.', '-', '@', ':', '=', '/', '"', "'", '+', '(', ')', '4111', ' 1111', '-1111', 'x', 'Z'],
  ...['GB82', ' WEST', ' 1234 5698', 'jane', '@acme', '.io', '.com', 'sk-ant-api03-', 'Xq7Lm2Pz9Rt4Vw8K'],
  ...['AKIA', 'ghp_', 'eyJhbGciOiJIUzI1NiJ9', '.eyJzdWIiOiIxIn0', '.sig', 'Bearer ', 'password', 'token'],
);
// Whole secrets with their context, cut short at a random point (a partial, spoiled or still-growing match).
const snippet = fc
  .tuple(
    fc.constantFrom(
      ...['https://user:hunter2@db.internal/x', 'ftp://me:p4ss/w0rd@host', 'password: "my secret pass"'],
      ...[
        "API_KEY='a b/c d'",
        'API_KEY=abc/def+ghi==',
        '"token": "t0k/en+with=chars"',
        'password=x;y',
        '\\"a"',
      ],
      ...[
        'Authorization: Bearer abc.def/ghi~jkl=123456',
        'Basic dXNlcjpwYXNzd29yZDEyMw==',
        'export SECRET=s3cr3t',
      ],
      ...[
        'AKIAIOSFODNN7EXAMPL3',
        'aws_secret = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        'ghp_a1b2c3d4e5F6g7H8i9J0k1L2m3N4o5P6q7R8',
      ],
      ...[
        'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln-_x',
        'xoxb-1234567890-abcdef',
        'sk_live_a1B2c3D4e5F6g7H8',
      ],
      ...[
        'AIzaSyA1234567890abcdefghijklmnopqrstu',
        'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z',
        '+1 (555) 123-4567',
      ],
      ...[
        '+44 20 7946 0958',
        '555.123.4567',
        'call (555) 123-4567 now',
        '4111-1111-1111-1111 12/25',
        '378282246310005',
        '123-45-6789',
      ],
      ...[
        'GB82WEST12345698765432',
        'DE89 3704 0044 0532 0130 00',
        'j4ne.d0e+ops@acme-c0rp.io',
        '10.20.30.40',
      ],
      ...['fe80::1ff:fe23:4567:890a', '2001:db8::1', 'aa:bb:cc:dd:ee:ff', '00-1A-2b-3C-4d-5E'],
      ...[
        '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----',
        '-----BEGIN PRIVATE KEY-----',
      ],
    ),
    fc.nat(),
    fc.boolean(),
  )
  .map(([t, n, whole]) => (whole ? t : t.slice(0, n % (t.length + 1))));
const piece = fc.oneof(glue, snippet);

describe('live text of a streaming response', () => {
  for (const [kind, secret] of Object.entries(SECRETS)) {
    const frags = fragments(secret);
    const only = alone(DETECTOR_OF[kind] ?? '');

    it(`never shows any part of ${kind} ${JSON.stringify(secret)}, at any split point, in any mode`, () => {
      fc.assert(
        fc.property(prose, prose, fc.constantFrom(...MODES, 'alone' as const), (pre, post, mode) => {
          const r = mode === 'alone' ? only : redactors[mode];
          const text = `${pre}${pre === '' ? '' : ' '}${secret} ${post}`;
          const final = r.redactText(text).value;
          expect(final).not.toContain(secret);
          // A flush after every character covers every split point and every flush time: each tick sees a prefix.
          for (let n = 0; n <= text.length; n++) {
            const p = r.stablePrefix(text.slice(0, n));
            expect(p).not.toBeNull();
            const shown = p?.value ?? '';
            expect(final.startsWith(shown)).toBe(true);
            expect(leaks(shown, final, frags)).toEqual([]);
          }
        }),
        { numRuns: 40 },
      );
    });

    it(`streams ${kind} in random deltas with flushes at random times: shown text only grows, ends as the final redaction`, () => {
      fc.assert(
        fc.property(
          prose,
          prose,
          fc.constantFrom(...MODES),
          fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 12 }),
          (pre, post, mode, cuts) => {
            const r = redactors[mode];
            const text = `${pre} ${secret} ${post}`;
            const final = r.redactText(text).value;
            const points = [...new Set(cuts.map(([c]) => c % (text.length + 1)))].sort((a, b) => a - b);
            const deltas: string[] = [];
            let at = 0;
            for (const p of [...points, text.length]) {
              deltas.push(text.slice(at, p));
              at = p;
            }
            const flushAfter = deltas.map((_, i) => cuts[i]?.[1] ?? true);
            const shown = stream(r, deltas, flushAfter);
            for (const s of shown) {
              expect(final.startsWith(s)).toBe(true);
              expect(leaks(s, final, frags)).toEqual([]);
            }
            expect(shown[shown.length - 1]).toBe(final);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  // Each detector alone too: its own tail must be right, not covered by another's.
  const policies: [string, Redactor][] = [
    ...Object.entries(redactors),
    ...BUILTIN_DETECTORS.map((d): [string, Redactor] => [`${d} alone`, alone(d)]),
  ];
  for (const [name, r] of policies) {
    it(`shows only a prefix of the final redaction for any mix of near-secrets (${name})`, () => {
      fc.assert(
        fc.property(fc.array(piece, { maxLength: 16 }), (pieces) => {
          const text = pieces.join('');
          const final = r.redactText(text).value;
          for (let n = 0; n <= text.length; n++) {
            const shown = r.stablePrefix(text.slice(0, n))?.value ?? '';
            if (!final.startsWith(shown)) {
              throw new Error(`live ${JSON.stringify(shown)} is not a prefix of ${JSON.stringify(final)}`);
            }
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('holds back no more of ordinary prose than its trailing word, so it shows within one delta', () => {
    const sentence = fc
      .array(
        fc.tuple(
          fc.string({
            unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'),
            minLength: 1,
            maxLength: 10,
          }),
          fc.constantFrom(' ', ' ', ', ', '. ', '\n', '? ', '! ', '; '),
        ),
        { minLength: 1, maxLength: 30 },
      )
      .map((parts) => parts.map(([w, s]) => w + s).join(''));
    fc.assert(
      fc.property(sentence, fc.nat(), (text, cut) => {
        const r = redactors.mask;
        const part = text.slice(0, cut % (text.length + 1));
        const p = r.stablePrefix(part);
        expect(p?.value).toBe(part.slice(0, p?.raw));
        // What waits is at most the word being written and the space or punctuation after it.
        expect(part.slice(p?.raw)).toMatch(/^\S*\s*$/);
      }),
      { numRuns: 300 },
    );
  });

  it('holds an unfinished private key back to its BEGIN line until the END line arrives', () => {
    const r = redactors.mask;
    const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----';
    const text = `here it is:\n${key}\ndone`;
    const endComplete = text.indexOf('-----END') + '-----END RSA PRIVATE KEY-----'.length;
    for (let n = 0; n < endComplete; n++) {
      const shown = r.stablePrefix(text.slice(0, n))?.value ?? '';
      expect('here it is:\n'.startsWith(shown)).toBe(true);
    }
    expect(r.stablePrefix(text)?.value).toBe('here it is:\n[PRIVATE_KEY]\n');
  });
});
