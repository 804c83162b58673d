// The configuration schema: one declarative table of keys (file key, env var, CLI flag, default, parser) and
// one function that assembles the typed Config from the parsed values. Adding a section (recording,
// redaction, …) means adding its rows here, its fields to Config, and a few lines in buildConfig.
// The CLI derives its flags and help text from this table, and the README its defaults. Keys that can also
// change live (recording, redaction mode, retention limits, budgets) take their range, default, unit and help
// from their one definition in src-shared/settings.ts.
import type { LogLevel } from '../log.js';
import type { Config } from './types.js';
import type { Parser } from './parsers.js';
import {
  apiKey,
  baseUrl,
  boolean,
  customDetectors,
  detectorModes,
  host,
  integer,
  milliseconds,
  oneOf,
  optionalPath,
  optionalUsd,
  path,
  port,
  priceOverrides,
  stringList,
} from './parsers.js';
import { priceProblem, type PriceOverrides } from '../analytics/prices.js';
import { otelEndpoint, otelHeaders } from '../otel/config.js';
import { allowedHostList } from '../proxy/allowed-hosts.js';
import {
  DEFAULT_INTERCEPT_HOSTS,
  DEFAULT_TUNNEL_POLICY,
  TUNNEL_POLICIES,
  interceptHosts,
  type TunnelPolicy,
} from '../proxy/connect/config.js';
import {
  SETTINGS,
  type BoolSetting,
  type ChoiceSetting,
  type IntSetting,
  type SettingDef,
  type UsdSetting,
} from '../../src-shared/settings.js';
import {
  BUILTIN_DETECTORS,
  REDACTION_MODES,
  type RedactionMode,
  type RedactionConfig,
} from '../redaction/index.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8081;
export const DEFAULT_UI_PORT = 8082;
export const DEFAULT_DATA_DIR = '~/.lunaroute';
export const CONFIG_FILE_NAME = 'config.yaml';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_ANTHROPIC_URL = 'https://api.anthropic.com';
export const DEFAULT_OPENAI_URL = 'https://api.openai.com/v1';
export const DEFAULT_CHATGPT_URL = 'https://chatgpt.com/backend-api/codex';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 2_000;
export const DEFAULT_CODEX_AUTH_FILE = '~/.codex/auth.json';
export const DEFAULT_CODEX_USE_AUTH_FILE = true;

export const DEFAULT_MAX_BODY_MB = 32;
export const DEFAULT_RETENTION_INTERVAL_MINUTES = 60;

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** The config-file location is not a key of the file itself; it has its own flag and variable. */
export const CONFIG_FILE_OPTION = {
  flag: 'config',
  env: 'LUNAROUTE_CONFIG',
  valueName: 'file',
  description: 'YAML config file (a missing explicitly named file is an error)',
  defaultText: `<data dir>/${CONFIG_FILE_NAME}`,
} as const;

export interface KeySpec<T> {
  /** Help text, one line. */
  description: string;
  /** Raw default; runs through `parse` like any other value (so `~` in a default path expands too). */
  default: T | string;
  parse: Parser<T>;
  /** `LUNAROUTE_*` variable that overrides the file. */
  env?: string;
  /** Long CLI flag (without `--`) that overrides everything. */
  flag?: string;
  /** Placeholder in help: `--port <n>`. */
  valueName?: string;
  /** Never echo the value in messages. */
  secret?: boolean;
}

function key<T>(spec: KeySpec<T>): KeySpec<T> {
  return spec;
}

/** Help text, default and parser of a setting that can also change live, from its one definition. */
function setting(d: IntSetting): KeySpec<number>;
function setting(d: UsdSetting): KeySpec<number | null>;
function setting(d: BoolSetting): KeySpec<boolean>;
function setting<T extends string>(d: ChoiceSetting & { values: readonly T[]; default: T }): KeySpec<T>;
function setting(d: SettingDef): KeySpec<unknown> {
  switch (d.kind) {
    case 'int':
      return {
        description: `${d.description} (${d.unit}${d.zero ? `; 0 = ${d.zero}` : ''})`,
        default: d.default,
        parse: integer(d.min, d.max, d.unit),
      };
    case 'usd':
      return {
        description: `${d.description} (${d.unit}; empty = none)`,
        default: '',
        parse: optionalUsd(d),
      };
    case 'bool':
      return { description: d.description, default: d.default, parse: boolean };
    case 'choice':
      return {
        description: `${d.description}: ${d.values.join(', ')}`,
        default: d.default,
        parse: oneOf(d.values),
      };
  }
}

/** Every key of the config file, by its dotted snake_case path. Order = order in help output. */
export const CONFIG_KEYS = {
  host: key({
    description: 'Address the proxy listens on',
    default: DEFAULT_HOST,
    parse: host,
    env: 'LUNAROUTE_HOST',
    flag: 'host',
    valueName: 'addr',
  }),
  port: key({
    description: 'Proxy port (0 = any free port)',
    default: DEFAULT_PORT,
    parse: port,
    env: 'LUNAROUTE_PORT',
    flag: 'port',
    valueName: 'n',
  }),
  ui_port: key({
    description: 'Web UI port (0 = any free port)',
    default: DEFAULT_UI_PORT,
    parse: port,
    env: 'LUNAROUTE_UI_PORT',
    flag: 'ui-port',
    valueName: 'n',
  }),
  data_dir: key({
    description: 'Where sessions, the index, the log and the config file live',
    default: DEFAULT_DATA_DIR,
    parse: path,
    env: 'LUNAROUTE_DATA_DIR',
    flag: 'data-dir',
    valueName: 'dir',
  }),
  log_level: key<LogLevel>({
    description: `Log verbosity: ${LOG_LEVELS.join(', ')}`,
    default: DEFAULT_LOG_LEVEL,
    parse: oneOf(LOG_LEVELS),
    env: 'LUNAROUTE_LOG_LEVEL',
    flag: 'log-level',
    valueName: 'level',
  }),
  'upstreams.anthropic.url': key({
    description: 'Anthropic API base URL (origin; the client path is appended)',
    default: DEFAULT_ANTHROPIC_URL,
    parse: baseUrl,
    env: 'LUNAROUTE_ANTHROPIC_UPSTREAM',
    flag: 'anthropic-upstream',
    valueName: 'url',
  }),
  'upstreams.anthropic.api_key': key({
    description: 'Anthropic key used only when the client sends none',
    default: '',
    parse: apiKey,
    env: 'LUNAROUTE_ANTHROPIC_API_KEY',
    secret: true,
  }),
  'upstreams.openai.url': key({
    description: 'OpenAI API base URL, including /v1',
    default: DEFAULT_OPENAI_URL,
    parse: baseUrl,
    env: 'LUNAROUTE_OPENAI_UPSTREAM',
    flag: 'openai-upstream',
    valueName: 'url',
  }),
  'upstreams.openai.api_key': key({
    description: 'OpenAI key used only when the client sends none',
    default: '',
    parse: apiKey,
    env: 'LUNAROUTE_OPENAI_API_KEY',
    secret: true,
  }),
  'upstreams.chatgpt.url': key({
    description: 'ChatGPT Codex backend for ChatGPT-login Codex traffic',
    default: DEFAULT_CHATGPT_URL,
    parse: baseUrl,
  }),
  'proxy.allowed_hosts': key<string[]>({
    description: 'Extra Host names the proxy answers (name or name:port); others are refused (DNS rebinding)',
    default: [],
    parse: allowedHostList,
  }),
  'timeouts.connect_ms': key({
    description: 'Time allowed to connect to an upstream (ms)',
    default: DEFAULT_CONNECT_TIMEOUT_MS,
    parse: milliseconds,
  }),
  'timeouts.idle_ms': key({
    description: 'Longest upstream silence before the request is cut (ms, 0 = none)',
    default: DEFAULT_IDLE_TIMEOUT_MS,
    parse: milliseconds,
  }),
  'timeouts.shutdown_grace_ms': key({
    description: 'How long in-flight streams may finish on shutdown (ms)',
    default: DEFAULT_SHUTDOWN_GRACE_MS,
    parse: milliseconds,
  }),
  'codex.auth_file': key({
    description: "Codex's auth.json (ChatGPT login)",
    default: DEFAULT_CODEX_AUTH_FILE,
    parse: path,
  }),
  'codex.use_auth_file': key({
    description: 'Use auth.json for Responses requests that carry no Authorization',
    default: DEFAULT_CODEX_USE_AUTH_FILE,
    parse: boolean,
  }),
  'recording.enabled': key({ ...setting(SETTINGS['recording.enabled']), env: 'LUNAROUTE_RECORDING' }),
  'recording.max_body_mb': key({
    description: 'Largest request/response body captured per exchange (MB); larger ones are marked truncated',
    default: DEFAULT_MAX_BODY_MB,
    parse: integer(1, 4096, 'MB'),
  }),
  'redaction.mode': key<RedactionMode>({
    ...setting(SETTINGS['redaction.mode']),
    env: 'LUNAROUTE_REDACTION',
    flag: 'redaction',
    valueName: 'mode',
  }),
  'redaction.detectors': key<Record<string, string>>({
    description: 'Per-detector mode overrides, e.g. {ip_address: off, email: tokenize}',
    default: {},
    parse: detectorModes(BUILTIN_DETECTORS, REDACTION_MODES),
  }),
  'redaction.custom': key({
    description: 'Custom regex detectors: a list of {name, pattern, mode?, placeholder?}',
    default: [],
    parse: customDetectors(REDACTION_MODES),
  }),
  'redaction.allowlist.values': key<string[]>({
    description: 'Exact values never redacted',
    default: [],
    parse: stringList(),
  }),
  'redaction.allowlist.patterns': key<string[]>({
    description: 'Regexes; a matched value that fully matches one is never redacted',
    default: [],
    parse: stringList(true),
  }),
  'retention.max_age_days': key(setting(SETTINGS['retention.max_age_days'])),
  'retention.max_size_mb': key(setting(SETTINGS['retention.max_size_mb'])),
  'retention.compress_after_days': key(setting(SETTINGS['retention.compress_after_days'])),
  'pricing.file': key<string | null>({
    description: 'A JSON price table laid over the bundled one ({source, as_of, models: [...]})',
    default: '',
    parse: optionalPath,
  }),
  'pricing.overrides': key<Record<string, Record<string, unknown>>>({
    description: 'Per-model prices in USD per million tokens, e.g. {my-model: {input: 1, output: 4}}',
    default: {},
    parse: priceOverrides((name, e) => priceProblem(name, e, true)),
  }),
  'retention.interval_minutes': key({
    description: 'How often retention runs after start-up (minutes)',
    default: DEFAULT_RETENTION_INTERVAL_MINUTES,
    parse: integer(1, 10080, 'minutes'),
  }),
  'otel.endpoint': key({
    description:
      "OpenTelemetry OTLP/HTTP endpoint for one span per request ('' = off; /v1/traces is appended)",
    default: '',
    parse: otelEndpoint,
    env: 'LUNAROUTE_OTEL_ENDPOINT',
  }),
  'budgets.daily_usd': key({ ...setting(SETTINGS['budgets.daily_usd']), env: 'LUNAROUTE_BUDGET_DAILY_USD' }),
  'budgets.weekly_usd': key({
    ...setting(SETTINGS['budgets.weekly_usd']),
    env: 'LUNAROUTE_BUDGET_WEEKLY_USD',
  }),
  'budgets.limit_percent': key(setting(SETTINGS['budgets.limit_percent'])),
  'otel.headers': key<Record<string, string>>({
    description: 'Headers sent with every OpenTelemetry export, e.g. {authorization: Bearer …}',
    default: {},
    parse: otelHeaders,
    secret: true,
  }),
  'forward.intercept': key({
    description: 'Hosts whose HTTPS is decrypted and recorded in forward-proxy mode (CONNECT to port 443)',
    default: [...DEFAULT_INTERCEPT_HOSTS],
    parse: interceptHosts,
    env: 'LUNAROUTE_FORWARD_INTERCEPT',
  }),
  'forward.tunnel': key<TunnelPolicy>({
    description: `Other CONNECT targets tunnelled untouched: ${TUNNEL_POLICIES.join(', ')}`,
    default: DEFAULT_TUNNEL_POLICY,
    parse: oneOf(TUNNEL_POLICIES),
    env: 'LUNAROUTE_FORWARD_TUNNEL',
  }),
};

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** The parsed value of every key. */
export type ConfigValues = {
  [K in ConfigKey]: (typeof CONFIG_KEYS)[K] extends KeySpec<infer T> ? T : never;
};

export function buildConfig(v: ConfigValues, configFile: string): Config {
  return {
    host: v.host,
    port: v.port,
    uiPort: v.ui_port,
    dataDir: v.data_dir,
    configFile,
    upstreams: {
      anthropic: { url: v['upstreams.anthropic.url'], apiKey: v['upstreams.anthropic.api_key'] },
      openai: { url: v['upstreams.openai.url'], apiKey: v['upstreams.openai.api_key'] },
      chatgpt: { url: v['upstreams.chatgpt.url'] },
    },
    proxy: { allowedHosts: v['proxy.allowed_hosts'] },
    timeouts: {
      connectMs: v['timeouts.connect_ms'],
      idleMs: v['timeouts.idle_ms'],
      shutdownGraceMs: v['timeouts.shutdown_grace_ms'],
    },
    codex: { authFile: v['codex.auth_file'], useAuthFile: v['codex.use_auth_file'] },
    logLevel: v.log_level,
    recording: { enabled: v['recording.enabled'], maxBodyBytes: v['recording.max_body_mb'] * 1024 * 1024 },
    redaction: {
      mode: v['redaction.mode'],
      detectors: v['redaction.detectors'] as RedactionConfig['detectors'],
      custom: v['redaction.custom'] as RedactionConfig['custom'],
      allowlist: { values: v['redaction.allowlist.values'], patterns: v['redaction.allowlist.patterns'] },
    },
    pricing: { file: v['pricing.file'], overrides: v['pricing.overrides'] as PriceOverrides },
    retention: {
      maxAgeDays: v['retention.max_age_days'],
      maxSizeMb: v['retention.max_size_mb'],
      compressAfterDays: v['retention.compress_after_days'],
      intervalMinutes: v['retention.interval_minutes'],
    },
    otel: { endpoint: v['otel.endpoint'], headers: v['otel.headers'] },
    budgets: {
      dailyUsd: v['budgets.daily_usd'],
      weeklyUsd: v['budgets.weekly_usd'],
      limitPercent: v['budgets.limit_percent'],
    },
    forward: { intercept: v['forward.intercept'], tunnel: v['forward.tunnel'] },
  };
}
