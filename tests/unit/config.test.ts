// loadConfig: precedence of the four layers, ${VAR} expansion in values only, unknown-key warnings, path
// handling, and one test per validation message. Every test uses its own temp home/data dir and an explicit
// env object, so the developer's real ~/.lunaroute and environment never leak in.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadConfigOptions } from '../../src-main/config/load.js';
import { LunaRouteError, type ConfigErrorCode } from '../../src-shared/errors.js';

let home: string;
let dataDir: string;
let file: string;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'lr-config-'));
  dataDir = join(home, '.lunaroute');
  mkdirSync(dataDir);
  file = join(dataDir, 'config.yaml');
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function load(yaml: string | undefined, opts: LoadConfigOptions = {}) {
  if (yaml !== undefined) writeFileSync(file, yaml);
  return loadConfig({ homeDir: home, cwd: home, env: {}, ...opts });
}

function loadError(yaml: string | undefined, opts: LoadConfigOptions = {}): LunaRouteError<ConfigErrorCode> {
  try {
    load(yaml, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(LunaRouteError);
    expect((err as LunaRouteError).code).toMatch(/^CONFIG_/);
    return err as LunaRouteError<ConfigErrorCode>;
  }
  throw new Error('expected loadConfig to throw');
}

describe('defaults', () => {
  it('resolves every key to its documented default when there is no config file', () => {
    const { config, warnings } = load(undefined);
    expect(warnings).toEqual([]);
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 8081,
      uiPort: 8082,
      dataDir,
      configFile: file,
      upstreams: {
        anthropic: { url: 'https://api.anthropic.com', apiKey: '' },
        openai: { url: 'https://api.openai.com/v1', apiKey: '' },
        chatgpt: { url: 'https://chatgpt.com/backend-api/codex' },
      },
      proxy: { allowedHosts: [] },
      timeouts: { connectMs: 10_000, idleMs: 600_000, shutdownGraceMs: 2_000 },
      codex: { authFile: join(home, '.codex', 'auth.json'), useAuthFile: true },
      logLevel: 'info',
      recording: { enabled: true, maxBodyBytes: 32 * 1024 * 1024 },
      redaction: { mode: 'mask', detectors: {}, custom: [], allowlist: { values: [], patterns: [] } },
      retention: { maxAgeDays: 30, maxSizeMb: 1024, compressAfterDays: 7, intervalMinutes: 60 },
      pricing: { file: null, overrides: {} },
      otel: { endpoint: '', headers: {} },
      budgets: { dailyUsd: null, weeklyUsd: null, limitPercent: 80 },
      forward: { intercept: ['api.anthropic.com', 'api.openai.com', 'chatgpt.com'], tunnel: 'all' },
      explicitKeys: [],
    });
  });

  it('treats an empty config file as no settings', () => {
    expect(load('# nothing here\n').config.port).toBe(8081);
  });
});

describe('precedence: default < file < env < flag', () => {
  it('uses the file over the default', () => {
    expect(load('port: 9001\n').config.port).toBe(9001);
  });
  it('uses LUNAROUTE_PORT over the file', () => {
    expect(load('port: 9001\n', { env: { LUNAROUTE_PORT: '9002' } }).config.port).toBe(9002);
  });
  it('uses --port over the environment and the file', () => {
    const { config } = load('port: 9001\n', { env: { LUNAROUTE_PORT: '9002' }, flags: { port: '9003' } });
    expect(config.port).toBe(9003);
  });
  it('maps every LUNAROUTE_* variable and flag to its key', () => {
    const env = {
      LUNAROUTE_HOST: 'localhost',
      LUNAROUTE_UI_PORT: '7000',
      LUNAROUTE_LOG_LEVEL: 'debug',
      LUNAROUTE_ANTHROPIC_UPSTREAM: 'http://127.0.0.1:1/a/',
      LUNAROUTE_OPENAI_UPSTREAM: 'http://127.0.0.1:2/v1',
      LUNAROUTE_ANTHROPIC_API_KEY: 'ak',
      LUNAROUTE_OPENAI_API_KEY: 'ok',
    };
    const { config } = load(undefined, { env });
    expect(config.host).toBe('localhost');
    expect(config.uiPort).toBe(7000);
    expect(config.logLevel).toBe('debug');
    expect(config.upstreams.anthropic).toEqual({ url: 'http://127.0.0.1:1/a', apiKey: 'ak' });
    expect(config.upstreams.openai).toEqual({ url: 'http://127.0.0.1:2/v1', apiKey: 'ok' });

    const flags = { 'ui-port': '7001', 'log-level': 'warn', 'openai-upstream': 'http://127.0.0.1:3/v1' };
    const flagged = load(undefined, { env, flags }).config;
    expect([flagged.uiPort, flagged.logLevel, flagged.upstreams.openai.url]).toEqual([
      7001,
      'warn',
      'http://127.0.0.1:3/v1',
    ]);
  });
  it('does not read ANTHROPIC_API_KEY or OPENAI_API_KEY unless the file asks for them', () => {
    const env = { ANTHROPIC_API_KEY: 'sk-ant-real', OPENAI_API_KEY: 'sk-real' };
    const { config } = load(undefined, { env });
    expect(config.upstreams.anthropic.apiKey).toBe('');
    expect(config.upstreams.openai.apiKey).toBe('');
  });
  it('ignores LUNAROUTE_* variables set to the empty string', () => {
    expect(load('port: 9001\n', { env: { LUNAROUTE_PORT: '' } }).config.port).toBe(9001);
  });
  it('finds config.yaml in the data dir given by --data-dir or LUNAROUTE_DATA_DIR', () => {
    const other = join(home, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'config.yaml'), 'port: 9100\n');
    expect(load(undefined, { flags: { 'data-dir': other } }).config).toMatchObject({
      port: 9100,
      dataDir: other,
    });
    expect(load(undefined, { env: { LUNAROUTE_DATA_DIR: other } }).config.port).toBe(9100);
  });
  it('reads the file named by --config or LUNAROUTE_CONFIG instead of the data dir one', () => {
    const named = join(home, 'named.yaml');
    writeFileSync(named, 'port: 9200\n');
    expect(load('port: 1\n', { flags: { config: named } }).config).toMatchObject({
      port: 9200,
      configFile: named,
    });
    expect(load('port: 1\n', { env: { LUNAROUTE_CONFIG: named } }).config.port).toBe(9200);
  });
});

describe('${VAR} expansion', () => {
  it('expands ${VAR} in string values', () => {
    const { config, warnings } = load('upstreams:\n  anthropic:\n    api_key: ${ANTHROPIC_API_KEY}\n', {
      env: { ANTHROPIC_API_KEY: 'sk-ant-abc' },
    });
    expect(config.upstreams.anthropic.apiKey).toBe('sk-ant-abc');
    expect(warnings).toEqual([]);
  });
  it('uses the default of ${VAR:-x} when the variable is unset or empty, the variable otherwise', () => {
    const yaml = 'port: ${LR_TEST_PORT:-9300}\n';
    expect(load(yaml).config.port).toBe(9300);
    expect(load(yaml, { env: { LR_TEST_PORT: '' } }).config.port).toBe(9300);
    expect(load(yaml, { env: { LR_TEST_PORT: '9301' } }).config.port).toBe(9301);
  });
  it("expands an unset variable without default to '' and warns naming the key", () => {
    const { config, warnings } = load('upstreams:\n  openai:\n    api_key: ${NOPE_NOT_SET}\n');
    expect(config.upstreams.openai.apiKey).toBe('');
    expect(warnings).toEqual([
      `environment variable NOPE_NOT_SET is not set: upstreams.openai.api_key in ${file} uses '' in its place`,
    ]);
  });
  it('never touches comments, even when the variable would inject YAML', () => {
    const yaml = '# set ${EVIL} and ${UNSET_IN_COMMENT}\nport: 9400 # ${EVIL}\n';
    const { config, warnings } = load(yaml, { env: { EVIL: 'x\nport: 1' } });
    expect(config.port).toBe(9400);
    expect(warnings).toEqual([]);
  });
  it('keeps $${VAR} as a literal ${VAR}', () => {
    const { config } = load('upstreams:\n  openai:\n    api_key: a$${B}c\n', { env: { B: 'no' } });
    expect(config.upstreams.openai.apiKey).toBe('a${B}c');
  });
  it('does not expand variables in keys', () => {
    const { warnings } = load('${K}: 1\n', { env: { K: 'port' } });
    expect(warnings).toEqual([`unknown key '\${K}' in ${file} — ignored`]);
  });
});

describe('unknown keys', () => {
  it('warns once per unknown key, with a suggestion when one is close, and ignores it', () => {
    const yaml = [
      'prot: 1',
      'upstreams:',
      '  anthropc:',
      '    url: http://127.0.0.1:1',
      '  openai:',
      '    base: x',
      'telemetry:',
      '  enabled: true',
    ].join('\n');
    const { config, warnings } = load(yaml);
    expect(config.port).toBe(8081);
    expect(config.upstreams.anthropic.url).toBe('https://api.anthropic.com');
    expect(warnings).toEqual([
      `unknown key 'prot' in ${file} — ignored (did you mean 'port'?)`,
      `unknown key 'upstreams.anthropc' in ${file} — ignored (did you mean 'upstreams.anthropic'?)`,
      `unknown key 'upstreams.openai.base' in ${file} — ignored`,
      `unknown key 'telemetry' in ${file} — ignored`,
    ]);
  });
});

describe('paths', () => {
  it('expands ~ to the home directory', () => {
    // (A bare `~` is YAML for null, so it means "not set" in the file.)
    const { config } = load('data_dir: ~/lr-data\ncodex:\n  auth_file: "~"\n');
    expect(config.dataDir).toBe(join(home, 'lr-data'));
    expect(config.codex.authFile).toBe(home);
  });
  it('resolves relative paths in the file against its directory, and in flags against the cwd', () => {
    const cwd = join(home, 'cwd');
    expect(load('codex:\n  auth_file: auth.json\n').config.codex.authFile).toBe(join(dataDir, 'auth.json'));
    expect(load(undefined, { cwd, flags: { 'data-dir': 'rel' } }).config.dataDir).toBe(join(cwd, 'rel'));
  });
  it('expands ~ in --config and --data-dir', () => {
    writeFileSync(join(home, 'c.yaml'), 'port: 9500\n');
    expect(load(undefined, { flags: { config: '~/c.yaml' } }).config.port).toBe(9500);
    expect(load(undefined, { flags: { 'data-dir': '~/d' } }).config.dataDir).toBe(join(home, 'd'));
  });
});

describe('other values', () => {
  it('strips a trailing slash from upstream URLs', () => {
    const { config } = load('upstreams:\n  openai:\n    url: http://127.0.0.1:9/v1/\n');
    expect(config.upstreams.openai.url).toBe('http://127.0.0.1:9/v1');
  });
  it('accepts booleans and numbers written as strings', () => {
    const { config } = load('codex:\n  use_auth_file: "no"\ntimeouts:\n  idle_ms: "0"\n');
    expect(config.codex.useAuthFile).toBe(false);
    expect(config.timeouts.idleMs).toBe(0);
  });
  it('warns when the host is not a loopback address', () => {
    const { config, warnings } = load('host: 0.0.0.0\n');
    expect(config.host).toBe('0.0.0.0');
    expect(warnings[0]).toMatch(/^host 0\.0\.0\.0 is not a loopback address/);
  });
  it('treats an empty section or an empty value as not set', () => {
    const { config } = load('upstreams:\nport:\n');
    expect(config.port).toBe(8081);
  });
});

describe('errors (one per message)', () => {
  const cases: [string, string, string][] = [
    [
      'port: abc\n',
      'CONFIG_INVALID_VALUE',
      `port must be an integer from 0 to 65535, got "abc" (FILE: port)`,
    ],
    [
      'port: 70000\n',
      'CONFIG_INVALID_VALUE',
      `port must be an integer from 0 to 65535, got 70000 (FILE: port)`,
    ],
    [
      'port: 80.5\n',
      'CONFIG_INVALID_VALUE',
      `port must be an integer from 0 to 65535, got 80.5 (FILE: port)`,
    ],
    [
      'ui_port: -1\n',
      'CONFIG_INVALID_VALUE',
      `ui_port must be an integer from 0 to 65535, got -1 (FILE: ui_port)`,
    ],
    [
      'host: "not a host"\n',
      'CONFIG_INVALID_VALUE',
      `host must be a hostname or an IP address, got "not a host" (FILE: host)`,
    ],
    [
      'log_level: loud\n',
      'CONFIG_INVALID_VALUE',
      `log_level must be one of debug, info, warn, error, silent, got "loud" (FILE: log_level)`,
    ],
    [
      'upstreams:\n  anthropic:\n    url: ftp://127.0.0.1/x\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.anthropic.url must be an http:// or https:// URL without query string or fragment, got "ftp://127.0.0.1/x" (FILE: upstreams.anthropic.url)`,
    ],
    [
      'upstreams:\n  openai:\n    url: http://127.0.0.1/v1?x=1\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.openai.url must be an http:// or https:// URL without query string or fragment, got "http://127.0.0.1/v1?x=1" (FILE: upstreams.openai.url)`,
    ],
    [
      'upstreams:\n  chatgpt:\n    url: "http://127.0.0.1/c#frag"\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.chatgpt.url must be an http:// or https:// URL without query string or fragment, got "http://127.0.0.1/c#frag" (FILE: upstreams.chatgpt.url)`,
    ],
    [
      'upstreams:\n  openai:\n    url: not a url\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.openai.url must be an http:// or https:// URL without query string or fragment, got "not a url" (FILE: upstreams.openai.url)`,
    ],
    [
      'upstreams:\n  openai:\n    url: http://user:pw@127.0.0.1/v1\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.openai.url must not contain credentials (put the key in api_key instead), got "http://user:pw@127.0.0.1/v1" (FILE: upstreams.openai.url)`,
    ],
    [
      'upstreams:\n  anthropic:\n    api_key: "sk-ant secret"\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.anthropic.api_key must not contain spaces, newlines or control characters (FILE: upstreams.anthropic.api_key)`,
    ],
    [
      'upstreams:\n  anthropic:\n    api_key: 12345\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.anthropic.api_key must be a string (FILE: upstreams.anthropic.api_key)`,
    ],
    [
      'timeouts:\n  connect_ms: -5\n',
      'CONFIG_INVALID_VALUE',
      `timeouts.connect_ms must be an integer from 0 to 2147483647 (milliseconds), got -5 (FILE: timeouts.connect_ms)`,
    ],
    [
      'timeouts:\n  idle_ms: 1.5\n',
      'CONFIG_INVALID_VALUE',
      `timeouts.idle_ms must be an integer from 0 to 2147483647 (milliseconds), got 1.5 (FILE: timeouts.idle_ms)`,
    ],
    [
      'timeouts:\n  shutdown_grace_ms: 99999999999\n',
      'CONFIG_INVALID_VALUE',
      `timeouts.shutdown_grace_ms must be an integer from 0 to 2147483647 (milliseconds), got 99999999999 (FILE: timeouts.shutdown_grace_ms)`,
    ],
    [
      'codex:\n  use_auth_file: maybe\n',
      'CONFIG_INVALID_VALUE',
      `codex.use_auth_file must be true or false, got "maybe" (FILE: codex.use_auth_file)`,
    ],
    [
      'codex:\n  auth_file: [a, b]\n',
      'CONFIG_INVALID_VALUE',
      `codex.auth_file must be a path, got a list (FILE: codex.auth_file)`,
    ],
    ['data_dir: ""\n', 'CONFIG_INVALID_VALUE', `data_dir must be a non-empty path, got "" (FILE: data_dir)`],
    [
      'upstreams: 5\n',
      'CONFIG_INVALID_VALUE',
      `upstreams must be a mapping of keys, got 5 (FILE: upstreams)`,
    ],
    [
      'upstreams:\n  openai: https://127.0.0.1\n',
      'CONFIG_INVALID_VALUE',
      `upstreams.openai must be a mapping of keys, got "https://127.0.0.1" (FILE: upstreams.openai)`,
    ],
    [
      '- port\n- 1\n',
      'CONFIG_NOT_A_MAPPING',
      `FILE must contain a mapping of keys (host: …, port: …), got a list`,
    ],
  ];
  for (const [yaml, code, message] of cases) {
    it(`rejects ${JSON.stringify(yaml)}: ${message.replaceAll('FILE', 'config.yaml')}`, () => {
      const err = loadError(yaml);
      expect(err.code).toBe(code);
      expect(err.message).toBe(message.replaceAll('FILE', file));
    });
  }

  it('reports malformed YAML with its line and column', () => {
    const err = loadError('port: 1\nupstreams: [\n');
    expect(err.code).toBe('CONFIG_YAML_INVALID');
    expect(err.message).toMatch(
      new RegExp(`^${escape(file)} is not valid YAML \\(line \\d+, column \\d+\\): .+`),
    );
  });

  it('reports duplicate keys as malformed YAML', () => {
    const err = loadError('port: 1\nport: 2\n');
    expect(err.code).toBe('CONFIG_YAML_INVALID');
    expect(err.message).toContain('line 2');
  });

  it('names the environment variable or flag that carried an invalid value', () => {
    expect(loadError(undefined, { env: { LUNAROUTE_PORT: 'x' } }).message).toBe(
      'port must be an integer from 0 to 65535, got "x" (environment variable LUNAROUTE_PORT)',
    );
    expect(loadError(undefined, { flags: { 'log-level': 'chatty' } }).message).toBe(
      'log_level must be one of debug, info, warn, error, silent, got "chatty" (flag --log-level)',
    );
  });

  it('reports an invalid file value even when a flag overrides it', () => {
    expect(loadError('port: x\n', { flags: { port: '1' } }).message).toContain(`(${file}: port)`);
  });

  it('never echoes an API key in a message', () => {
    const err = loadError(undefined, { env: { LUNAROUTE_OPENAI_API_KEY: 'sk-secret value' } });
    expect(err.message).not.toContain('sk-secret');
  });

  it('fails when the explicitly named config file does not exist (flag or env)', () => {
    const missing = join(home, 'missing.yaml');
    for (const opts of [{ flags: { config: missing } }, { env: { LUNAROUTE_CONFIG: missing } }]) {
      const err = loadError(undefined, opts);
      expect(err.code).toBe('CONFIG_FILE_NOT_FOUND');
      expect(err.message).toBe(`config file ${missing} does not exist`);
    }
  });

  it('fails when the config file cannot be read', () => {
    const err = loadError(undefined, { flags: { config: home } });
    expect(err.code).toBe('CONFIG_FILE_UNREADABLE');
    expect(err.message).toBe(`cannot read config file ${home}: EISDIR`);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('recording, redaction and retention', () => {
  it('reads the sections and validates each value', () => {
    const { config } = load(
      [
        'recording:',
        '  enabled: false',
        '  max_body_mb: 8',
        'redaction:',
        '  mode: tokenize',
        '  detectors: { ipv4: "off", email: partial }',
        '  custom:',
        '    - { name: ticket, pattern: "TICKET-[0-9]+", mode: mask }',
        '  allowlist:',
        '    values: [build.internal]',
        'retention:',
        '  max_age_days: 14',
        '  compress_after_days: 2',
      ].join('\n'),
    );
    expect(config.recording).toEqual({ enabled: false, maxBodyBytes: 8 * 1024 * 1024 });
    expect(config.redaction).toMatchObject({
      mode: 'tokenize',
      detectors: { ipv4: 'off', email: 'partial' },
      custom: [{ name: 'ticket', pattern: 'TICKET-[0-9]+', mode: 'mask' }],
      allowlist: { values: ['build.internal'] },
    });
    expect(config.retention).toMatchObject({ maxAgeDays: 14, compressAfterDays: 2, maxSizeMb: 1024 });
  });

  it.each([
    ['redaction:\n  mode: blur\n', /redaction\.mode must be one of mask, remove, tokenize, partial, off/],
    ['redaction:\n  detectors: { emial: mask }\n', /redaction\.detectors names an unknown detector 'emial'/],
    ['redaction:\n  detectors: { email: hide }\n', /redaction\.detectors sets 'email' to "hide"/],
    [
      'redaction:\n  custom: [{ name: t, pattern: "(" }]\n',
      /redaction\.custom item 1 \(t\): pattern is not a valid regular expression/,
    ],
    [
      'redaction:\n  custom: [{ name: Bad Name, pattern: "x" }]\n',
      /redaction\.custom item 1: name must match/,
    ],
    [
      'redaction:\n  allowlist: { patterns: ["[a-"] }\n',
      /redaction\.allowlist\.patterns has an invalid regular expression/,
    ],
    ['recording:\n  max_body_mb: 0\n', /recording\.max_body_mb must be an integer from 1 to 4096 \(MB\)/],
    [
      'retention:\n  max_age_days: -1\n',
      /retention\.max_age_days must be an integer from 1 to 36500 \(days\)/,
    ],
  ])('rejects %j', (yaml, message) => {
    expect(() => load(yaml)).toThrow(message);
  });

  it('takes the redaction mode from LUNAROUTE_REDACTION and --redaction', () => {
    expect(
      loadConfig({
        flags: {},
        env: { LUNAROUTE_REDACTION: 'remove', LUNAROUTE_DATA_DIR: dataDir },
        homeDir: home,
      }).config.redaction.mode,
    ).toBe('remove');
    expect(
      loadConfig({
        flags: { redaction: 'off' },
        env: { LUNAROUTE_REDACTION: 'remove', LUNAROUTE_DATA_DIR: dataDir },
        homeDir: home,
      }).config.redaction.mode,
    ).toBe('off');
  });
});

describe('pricing', () => {
  it('reads overrides and a price file path, and names the key of an invalid entry', () => {
    const { config } = load(
      'pricing:\n  file: prices.json\n  overrides:\n    my-model: { input: 1, output: 4 }\n',
    );
    expect(config.pricing.overrides).toEqual({ 'my-model': { input: 1, output: 4 } });
    expect(config.pricing.file).toBe(join(dataDir, 'prices.json'));
    expect(() => load('pricing:\n  overrides:\n    my-model: { input: -1 }\n')).toThrow(
      /pricing\.overrides has an invalid entry: my-model\.input must be a price in USD per million tokens/,
    );
    expect(() => load('pricing:\n  overrides: [1, 2]\n')).toThrow(
      /pricing\.overrides must be a mapping of model name to rates/,
    );
  });
});

describe('otel', () => {
  it('reads the endpoint (file or LUNAROUTE_OTEL_ENDPOINT) and headers, and refuses a non-http endpoint', () => {
    const { config } = load(
      'otel:\n  endpoint: http://127.0.0.1:4318/\n  headers:\n    Authorization: Bearer abc\n',
    );
    expect(config.otel).toEqual({
      endpoint: 'http://127.0.0.1:4318',
      headers: { authorization: 'Bearer abc' },
    });
    expect(
      load(undefined, { env: { LUNAROUTE_OTEL_ENDPOINT: 'https://127.0.0.1:4318' } }).config.otel.endpoint,
    ).toBe('https://127.0.0.1:4318');
    expect(() => load('otel:\n  endpoint: ftp://127.0.0.1/\n')).toThrow(
      /otel\.endpoint must be '' \(off\) or an http/,
    );
    expect(() => load('otel:\n  headers: [a]\n')).toThrow(/otel\.headers must be a mapping/);
    expect(() => load('otel:\n  headers:\n    "bad name": x\n')).toThrow(
      /otel\.headers has an invalid header name/,
    );
  });
});

describe('forward proxy', () => {
  it('reads forward.intercept as lower-cased host names without duplicates, from the file or LUNAROUTE_FORWARD_INTERCEPT', () => {
    const yaml = 'forward:\n  intercept: [API.Anthropic.com., api.anthropic.com, models.example.test]\n';
    expect(load(yaml).config.forward.intercept).toEqual(['api.anthropic.com', 'models.example.test']);
    const env = { LUNAROUTE_FORWARD_INTERCEPT: 'api.openai.com, chatgpt.com' };
    expect(load(undefined, { env }).config.forward.intercept).toEqual(['api.openai.com', 'chatgpt.com']);
  });
  it.each(['127.0.0.1', '*.openai.com', 'api.openai.com:443', 'https://api.openai.com'])(
    'refuses %s in forward.intercept: the CA is constrained to DNS names',
    (bad) => {
      expect(() => load(`forward:\n  intercept: ["${bad}"]\n`)).toThrow(
        /forward\.intercept must be a list of DNS host names .*no IP addresses, ports or wildcards/,
      );
    },
  );
  it('takes forward.tunnel from all, loopback, none (LUNAROUTE_FORWARD_TUNNEL too)', () => {
    expect(load('forward:\n  tunnel: loopback\n').config.forward.tunnel).toBe('loopback');
    expect(load(undefined, { env: { LUNAROUTE_FORWARD_TUNNEL: 'none' } }).config.forward.tunnel).toBe('none');
    expect(() => load('forward:\n  tunnel: some\n')).toThrow(
      /forward\.tunnel must be one of all, loopback, none/,
    );
  });
});
