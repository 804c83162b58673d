// Exact output of every redaction mode, per-detector overrides, tokenization and its secret file, header masking,
// allowlist, custom detectors, configuration errors and the fail-closed paths.
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compilePolicy,
  deriveTokenKey,
  FAILED_PLACEHOLDER,
  hasNestedQuantifier,
  loadOrCreateSecret,
  redactHeaders,
  SECRET_FILE_NAME,
  tokenDigest,
  type RedactionConfig,
} from '../../src-main/redaction/index.js';
import { LunaRouteError } from '../../src-shared/errors.js';

const SECRET = Buffer.alloc(32, 7);
const EMAIL = 'alice.smith@corp.io';
const CARD = '4111 1111 1111 1111';
const KEY = `sk-ant-api03-${'Ab3dE'.repeat(18)}xYz9`;

function configError(fn: () => unknown): LunaRouteError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LunaRouteError);
    return err as LunaRouteError;
  }
  throw new Error('expected a LunaRouteError');
}

describe('mask mode', () => {
  const r = compilePolicy({ mode: 'mask' });
  it('replaces each value by its label', () => {
    expect(r.redactString(`mail ${EMAIL}, card ${CARD}, key ${KEY}`).value).toBe(
      'mail [EMAIL], card [CREDIT_CARD], key [API_KEY]',
    );
  });
  it('redacts only the password of a URL and only the value of an assignment', () => {
    expect(r.redactString('postgres://app:hunter2xyz@db:5432/x').value).toBe(
      'postgres://app:[PASSWORD]@db:5432/x',
    );
    expect(r.redactString('DB_PASSWORD=hunter2\nPORT=1').value).toBe('DB_PASSWORD=[SECRET]\nPORT=1');
  });
  it('counts findings per detector', () => {
    expect(r.redactString(`${EMAIL} bob@mail.dev 10.1.2.3`).findings).toEqual({ email: 2, ipv4: 1 });
  });
  it('returns the very same string when nothing matched', () => {
    const s = 'nothing to see here, version 1.2.3';
    const out = r.redactString(s);
    expect(out.value).toBe(s);
    expect(out.findings).toEqual({});
    expect(out.failed).toBe(false);
  });
});

describe('remove mode', () => {
  it('drops the value entirely', () => {
    const r = compilePolicy({ mode: 'remove' });
    expect(r.redactString(`a ${EMAIL} b`).value).toBe('a  b');
    expect(r.redactString('redis://:p4ssw0rd!@cache:6379').value).toBe('redis://:@cache:6379');
  });
});

describe('partial mode', () => {
  const r = compilePolicy({ mode: 'partial' });
  it('keeps the last four characters and stars the rest', () => {
    expect(r.redactString(EMAIL).value).toBe(`${'*'.repeat(EMAIL.length - 4)}p.io`);
    expect(r.redactString(`card ${CARD}`).value).toBe(`card ${'*'.repeat(15)}1111`);
  });
  it('counts code points, never splitting a surrogate pair', () => {
    const p = compilePolicy({
      mode: 'partial',
      custom: [{ name: 'nickname', pattern: 'nick=(\\S+)', group: 1 }],
    });
    const out = p.redactString('nick=😀😀😀😀😀ab').value;
    expect(out).toBe('nick=***😀😀ab');
    expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/); // no lone surrogate
    expect(p.redactString('nick=日本語の名前です').value).toBe('nick=****名前です');
  });
  it('fully masks values of four code points or fewer', () => {
    const p = compilePolicy({ mode: 'partial', custom: [{ name: 'pin', pattern: 'PIN (\\S+)', group: 1 }] });
    expect(p.redactString('PIN 1234').value).toBe('PIN ****');
    expect(p.redactString('PIN 🔑🔑').value).toBe('PIN **');
  });
});

describe('tokenize mode', () => {
  it('emits [LABEL:16 hex] = HMAC-SHA256(HKDF(secret), detector:value)', () => {
    const r = compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET });
    const out = r.redactString(`to ${EMAIL}`).value;
    const expected = tokenDigest(deriveTokenKey(SECRET), 'email', EMAIL);
    expect(expected).toMatch(/^[0-9a-f]{16}$/);
    expect(out).toBe(`to [EMAIL:${expected}]`);
  });
  it('never holds a run of 13 digits (a card number to the next pass), so redacting twice changes nothing', () => {
    const key = deriveTokenKey(SECRET);
    const first16 = (v: string): string =>
      createHmac('sha256', key).update(`email:${v}`).digest('hex').slice(0, 16);
    // An address whose HMAC's first 16 hex characters hold such a run (about one in 1 000).
    let value = '';
    for (let i = 0; !value; i++)
      if (/[0-9]{13}/.test(first16(`alice${i}@corp.io`))) value = `alice${i}@corp.io`;
    const token = tokenDigest(key, 'email', value);
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(token).not.toMatch(/[0-9]{13}/);
    const r = compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET });
    const once = r.redactString(`to ${value}`).value;
    expect(once).toBe(`to [EMAIL:${token}]`);
    expect(r.redactString(once).value).toBe(once);
    // Tokens without such a run are what they always were.
    expect(tokenDigest(key, 'email', EMAIL)).toBe(first16(EMAIL));
  });
  it('is deterministic across policies with the same secret and differs with another secret', () => {
    const a = compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET }).redactString(EMAIL).value;
    const b = compilePolicy({ mode: 'tokenize', tokenizeSecret: Buffer.from(SECRET) }).redactString(
      EMAIL,
    ).value;
    const c = compilePolicy({ mode: 'tokenize', tokenizeSecret: Buffer.alloc(32, 8) }).redactString(
      EMAIL,
    ).value;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
  it('gives equal values equal tokens and different values different tokens', () => {
    const r = compilePolicy({ mode: 'tokenize', tokenizeSecret: SECRET });
    const [x, y, z] = r.redactString(`${EMAIL} ${EMAIL} bob@mail.dev`).value.split(' ');
    expect(x).toBe(y);
    expect(x).not.toBe(z);
  });
  it('refuses to compile without a secret (no silent downgrade)', () => {
    const e = configError(() => compilePolicy({ mode: 'tokenize' }));
    expect(e.code).toBe('TOKENIZE_WITHOUT_SECRET');
    expect(e.message).toMatch(/loadOrCreateSecret/);
    const e2 = configError(() => compilePolicy({ mode: 'mask', detectors: { email: 'tokenize' } }));
    expect(e2.message).toMatch(/email/);
  });
  it('refuses a secret shorter than 16 bytes', () => {
    expect(configError(() => compilePolicy({ mode: 'tokenize', tokenizeSecret: 'short' })).code).toBe(
      'SECRET_TOO_SHORT',
    );
  });
});

describe('loadOrCreateSecret', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'lr-secret-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('creates a 32-byte secret in a 0600 file on first use and returns the same one afterwards', () => {
    const dir = join(tmp(), 'nested', 'data');
    const a = loadOrCreateSecret(dir);
    const file = join(dir, SECRET_FILE_NAME);
    expect(a).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim()).toBe(a.toString('hex'));
    expect(loadOrCreateSecret(dir).equals(a)).toBe(true);
  });
  it('tightens a file that was made group/world readable', () => {
    const dir = tmp();
    loadOrCreateSecret(dir);
    const file = join(dir, SECRET_FILE_NAME);
    chmodSync(file, 0o644);
    loadOrCreateSecret(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
  it('refuses a corrupt file instead of silently replacing it', () => {
    const dir = tmp();
    writeFileSync(join(dir, SECRET_FILE_NAME), 'not hex', { mode: 0o600 });
    expect(configError(() => loadOrCreateSecret(dir)).code).toBe('SECRET_CORRUPT');
  });
  it('feeds compilePolicy for tokenize mode', () => {
    const r = compilePolicy({ mode: 'tokenize', tokenizeSecret: loadOrCreateSecret(tmp()) });
    expect(r.redactString(EMAIL).value).toMatch(/^\[EMAIL:[0-9a-f]{16}\]$/);
  });
});

describe('off mode and per-detector overrides', () => {
  it('off disables everything', () => {
    const s = `${EMAIL} ${CARD} ${KEY}`;
    expect(compilePolicy({ mode: 'off' }).redactString(s).value).toBe(s);
  });
  it('overrides apply per detector on top of the global mode', () => {
    const r = compilePolicy({
      mode: 'mask',
      detectors: { email: 'partial', ipv4: 'off', credit_card: 'remove' },
      tokenizeSecret: SECRET,
    });
    expect(r.redactString(`${EMAIL} 10.1.2.3 [${CARD}] ${KEY}`).value).toBe(
      `${'*'.repeat(EMAIL.length - 4)}p.io 10.1.2.3 [] [API_KEY]`,
    );
    expect(r.modes()).toMatchObject({ email: 'partial', credit_card: 'remove', anthropic_key: 'mask' });
    expect(r.modes()).not.toHaveProperty('ipv4');
  });
  it('a new policy is a new object with its own version; the old one keeps working', () => {
    const a = compilePolicy({ mode: 'mask' });
    const b = compilePolicy({ mode: 'remove' });
    expect(a.version).not.toBe(b.version);
    expect(a.redactString(EMAIL).value).toBe('[EMAIL]');
    expect(b.redactString(EMAIL).value).toBe('');
    expect(compilePolicy({ mode: 'mask' }).version).toBe(a.version);
  });
});

describe('headers', () => {
  const long = `sk-ant-api03-${'x'.repeat(40)}a1b2`;
  it('always masks credentials, whatever the mode, keeping scheme and a 4-character suffix', () => {
    for (const mode of ['off', 'mask', 'remove', 'partial'] as const) {
      const r = compilePolicy({ mode });
      const out = r.redactHeaders({
        authorization: `Bearer ${long}`,
        'x-api-key': long,
        'proxy-authorization': 'Basic dXNlcjpwYXNz',
        'openai-organization': 'org-abcdefghijklmnop1234',
      }).value;
      expect(out['authorization']).toBe('Bearer …[redacted]a1b2');
      expect(out['x-api-key']).toBe('…[redacted]a1b2');
      expect(out['proxy-authorization']).toBe('Basic …[redacted]');
      expect(out['openai-organization']).toBe('…[redacted]1234');
      expect(JSON.stringify(out)).not.toContain(long);
    }
  });
  it('keeps cookie names and set-cookie attributes', () => {
    const { value } = redactHeaders(
      {
        cookie: 'session=abcdefghijklmnopqrstuvwx1234; theme=dark',
        'set-cookie': ['sid=0123456789abcdef0123; Path=/; HttpOnly'],
      },
      null,
    );
    expect(value['cookie']).toBe('session=…[redacted]1234; theme=…[redacted]');
    expect(value['set-cookie']).toEqual(['sid=…[redacted]0123; Path=/; HttpOnly']);
  });
  it('redacts other headers by policy, drops undefined, stringifies numbers, is idempotent', () => {
    const r = compilePolicy({ mode: 'mask' });
    const first = r.redactHeaders({
      'x-forwarded-for': '203.45.67.89',
      'content-length': 42,
      'x-missing': undefined,
      authorization: `Bearer ${long}`,
      'user-agent': 'claude-cli/2.1.3 (external, cli)',
    });
    expect(first.value).toEqual({
      'x-forwarded-for': '[IP_ADDRESS]',
      'content-length': '42',
      authorization: 'Bearer …[redacted]a1b2',
      'user-agent': 'claude-cli/2.1.3 (external, cli)',
    });
    expect(first.findings).toEqual({ ipv4: 1, auth_header: 1 });
    expect(r.redactHeaders(first.value).value).toEqual(first.value);
  });
});

describe('allowlist', () => {
  it('skips exact values and full-match regexes from config', () => {
    const r = compilePolicy({ allowlist: { values: ['10.0.0.5'], patterns: ['.*@corp\\.io'] } });
    expect(r.redactString(`10.0.0.5 10.0.0.6 ${EMAIL} bob@mail.dev`).value).toBe(
      '10.0.0.5 [IP_ADDRESS] alice.smith@corp.io [EMAIL]',
    );
  });
  it('has loopback and documentation defaults that can be turned off', () => {
    const s = 'listen 127.0.0.1 and ::1, docs 192.0.2.1';
    expect(compilePolicy({}).redactString(s).value).toBe(s);
    expect(compilePolicy({ allowlist: { defaults: false } }).redactString(s).value).toBe(
      // `::1` stays: the IPv6 plausibility guard (a group of ≥ 3 hex digits in `::` forms) rejects it anyway.
      'listen [IP_ADDRESS] and ::1, docs [IP_ADDRESS]',
    );
  });
  it('rejects an invalid pattern at compile time', () => {
    expect(configError(() => compilePolicy({ allowlist: { patterns: ['('] } })).code).toBe(
      'INVALID_ALLOWLIST',
    );
  });
});

describe('custom detectors', () => {
  it('use their own name, placeholder, group and mode', () => {
    const r = compilePolicy({
      mode: 'mask',
      custom: [
        { name: 'employee_id', pattern: 'EMP-\\d{6}', placeholder: '[EMPLOYEE]' },
        { name: 'ticket', pattern: 'ticket #(\\d+)', group: 1, mode: 'remove' },
      ],
    });
    const out = r.redactString('EMP-123456 filed ticket #991');
    expect(out.value).toBe('[EMPLOYEE] filed ticket #');
    expect(out.findings).toEqual({ employee_id: 1, ticket: 1 });
  });
  it('below minConfidence are not run', () => {
    const r = compilePolicy({ custom: [{ name: 'maybe', pattern: 'foo\\d+', confidence: 0.5 }] });
    expect(r.redactString('foo123').value).toBe('foo123');
    expect(
      compilePolicy({
        minConfidence: 0.4,
        custom: [{ name: 'maybe', pattern: 'foo\\d+', confidence: 0.5 }],
      }).redactString('foo123').value,
    ).toBe('[MAYBE]');
  });
  it('are validated with messages that name the setting', () => {
    const cases: [RedactionConfig, string, RegExp][] = [
      [
        { custom: [{ name: 'x', pattern: '(' }] },
        'INVALID_CUSTOM',
        /custom\[0\].*not a valid regular expression/,
      ],
      [{ custom: [{ name: 'x', pattern: '(a+)+$' }] }, 'UNSAFE_PATTERN', /nests quantifiers/],
      [{ custom: [{ name: 'x', pattern: 'a*' }] }, 'INVALID_CUSTOM', /empty string/],
      [{ custom: [{ name: 'Bad Name', pattern: 'a' }] }, 'INVALID_CUSTOM', /name must match/],
      [{ custom: [{ name: 'email', pattern: 'a' }] }, 'INVALID_CUSTOM', /already used/],
      [{ custom: [{ name: 'x', pattern: 'a', group: 2 }] }, 'INVALID_CUSTOM', /group must be/],
      [{ custom: [{ name: 'x', pattern: 'a', flags: 'g' }] }, 'INVALID_CUSTOM', /flags/],
      [
        { mode: 'hide' as never },
        'INVALID_MODE',
        /redaction\.mode must be one of mask, remove, tokenize, partial, off/,
      ],
      [{ detectors: { emial: 'mask' } as never }, 'UNKNOWN_DETECTOR', /redaction\.detectors\.emial/],
      [{ timeBudgetMs: 0 }, 'INVALID_NUMBER', /timeBudgetMs must be a number ≥ 1/],
    ];
    for (const [cfg, code, msg] of cases) {
      const e = configError(() => compilePolicy(cfg));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(msg);
    }
  });
  it('nested-quantifier heuristic', () => {
    expect(hasNestedQuantifier('(a+)+')).toBe(true);
    expect(hasNestedQuantifier('(\\w+\\s?)*')).toBe(true);
    expect(hasNestedQuantifier('(?:x{2,})*')).toBe(true);
    expect(hasNestedQuantifier('EMP-\\d{6}')).toBe(false);
    expect(hasNestedQuantifier('(ab)+c*')).toBe(false);
    expect(hasNestedQuantifier('[(+)]+')).toBe(false);
  });
});

describe('fail closed', () => {
  it('a value whose scan exceeds the time budget becomes [REDACTION_FAILED] and is counted', () => {
    let t = 0;
    const r = compilePolicy({ timeBudgetMs: 50 }, { now: () => (t += 40) });
    const big = `secret ${KEY} `.repeat(500);
    const out = r.redactString(big);
    expect(out.value).toBe(FAILED_PLACEHOLDER);
    expect(out.failed).toBe(true);
    expect(r.stats().failures).toBe(1);
    // failures are not cached: the next attempt scans again (and fails again under this clock)
    r.redactString(big);
    expect(r.stats().failures).toBe(2);
  });
  it('a detector that throws fails the value closed, inside JSON too', () => {
    const r = compilePolicy(
      {},
      {
        extraDetectors: [
          {
            name: 'boom',
            label: 'BOOM',
            confidence: 1,
            scan: (s) => {
              if (s.includes('boom')) throw new Error('detector bug');
            },
          },
        ],
      },
    );
    const { value, report } = r.redactJson({ a: `boom ${KEY}`, b: EMAIL, c: [1, 'fine'] });
    expect(value).toEqual({ a: FAILED_PLACEHOLDER, b: '[EMAIL]', c: [1, 'fine'] });
    expect(report.failed).toBe(1);
    expect(JSON.stringify(value)).not.toContain(KEY);
    expect(r.redactText(`log: boom ${KEY}`).value).toBe(FAILED_PLACEHOLDER);
  });
  it('scans pathological inputs in linear time (no catastrophic backtracking, no quadratic loops)', () => {
    const r = compilePolicy({ timeBudgetMs: 60_000 });
    const size = 256 * 1024;
    for (const unit of [
      'token=',
      'a@',
      'a.a@a.',
      ':',
      'ab:',
      'password: "',
      'eyJaaaaa.',
      '4 ',
      '1-',
      'sk-',
      '://a:b',
    ]) {
      const s = unit.repeat(Math.ceil(size / unit.length));
      const t0 = performance.now();
      const out = r.redactText(s);
      const ms = performance.now() - t0;
      expect(out.failed).toBe(false);
      // ~10–100 ms on a loaded 2-core box; a quadratic path takes minutes.
      expect(ms, `${JSON.stringify(unit)} took ${ms.toFixed(0)} ms`).toBeLessThan(3000);
    }
  });

  it('a document too deep to walk fails closed as a whole', () => {
    let deep: unknown = KEY;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const r = compilePolicy({});
    const out = r.redactJson(deep);
    expect(out.value).toBe(FAILED_PLACEHOLDER);
    expect(out.report.failed).toBe(1);
  });
});

describe('redactJson', () => {
  const r = compilePolicy({ mode: 'mask' });
  it('redacts string values, keeps numbers, booleans, null and shape, never mutates the input', () => {
    const input = {
      user: { email: EMAIL, age: 42, ok: true, none: null },
      list: [CARD, 7, { ip: '10.1.2.3' }],
    };
    const snapshot = structuredClone(input);
    const { value, report } = r.redactJson(input);
    expect(value).toEqual({
      user: { email: '[EMAIL]', age: 42, ok: true, none: null },
      list: ['[CREDIT_CARD]', 7, { ip: '[IP_ADDRESS]' }],
    });
    expect(input).toEqual(snapshot);
    expect(report.findings).toEqual({ email: 1, credit_card: 1, ipv4: 1 });
  });
  it('treats the whole value of a secret-named key as a secret', () => {
    const { value } = r.redactJson({
      api_key: 'abc',
      password: 'hunter2',
      headers: { Authorization: 'Bearer x' },
    });
    expect(value).toEqual({
      api_key: '[SECRET]',
      password: '[SECRET]',
      headers: { Authorization: '[SECRET]' },
    });
    expect(r.redactJson({ max_tokens: 4096, token_type: 'bearer', password: '' }).value).toEqual({
      max_tokens: 4096,
      token_type: 'bearer',
      password: '',
    });
  });
  it('redacts object keys and keeps colliding keys apart', () => {
    const { value } = r.redactJson({ [EMAIL]: 1, 'bob@mail.dev': 2, plain: 3 });
    expect(value).toEqual({ '[EMAIL]': 1, '[EMAIL]#2': 2, plain: 3 });
  });
  it('returns unchanged subtrees by identity (no copying of clean data)', () => {
    const clean = { a: ['x', 'y'], b: { c: 'd' } };
    const input = { clean, dirty: EMAIL };
    const { value } = r.redactJson(input);
    expect(value.clean).toBe(clean);
    expect(r.redactJson(clean).value).toBe(clean);
  });
  it('serves re-sent long strings from the cache', () => {
    const p = compilePolicy({});
    const history = `${'lorem ipsum '.repeat(100)} ${EMAIL}`;
    const first = p.redactJson({ messages: [history] });
    const second = p.redactJson({ messages: [history, 'new turn'] });
    expect(first.report.cacheHits).toBe(0);
    expect(second.report.cacheHits).toBe(1);
    expect(second.value.messages[0]).toBe(first.value.messages[0]);
    expect(p.stats().cacheHits).toBe(1);
  });
  it('redactJsonText parses, redacts and serializes; non-JSON is redacted as text', () => {
    expect(r.redactJsonText(`{"a":"${EMAIL}","n":1}`).value).toBe('{"a":"[EMAIL]","n":1}');
    expect(r.redactJsonText(`data: ${EMAIL}`).value).toBe('data: [EMAIL]');
  });
});
