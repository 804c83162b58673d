// Loads the resolved Config: defaults < YAML config file < LUNAROUTE_* environment < CLI flags, every value
// validated by the parser of its key (schema.ts). Invalid values, unreadable files and malformed YAML throw a
// LunaRouteError (CONFIG_*) naming the file and key; unknown keys and unset ${VAR}s only produce warnings. Pure apart from
// reading the one config file: env, home directory and cwd are passed in.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import type { Config } from './types.js';
import { describeSource, type ValueSource } from './errors.js';
import { isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';
import { expandVars } from './expand.js';
import { describeValue, path as parsePath, type ParseContext } from './parsers.js';
import {
  buildConfig,
  CONFIG_FILE_NAME,
  CONFIG_FILE_OPTION,
  CONFIG_KEYS,
  DEFAULT_DATA_DIR,
  type ConfigKey,
  type ConfigValues,
  type KeySpec,
} from './schema.js';

export * from './schema.js';

export interface LoadConfigOptions {
  /** CLI flag values by long flag name without `--` (`{ port: '0', 'data-dir': '/tmp/x' }`). */
  flags?: Readonly<Record<string, string | undefined>>;
  env?: Readonly<Record<string, string | undefined>>;
  homeDir?: string;
  /** Relative paths given by flags or env resolve against this (default process.cwd()). */
  cwd?: string;
}

export interface LoadedConfig {
  config: Config;
  warnings: string[];
}

type FileTree = Record<string, unknown>;

const KEY_NAMES = Object.keys(CONFIG_KEYS) as ConfigKey[];
const SECTIONS = new Set(
  KEY_NAMES.flatMap((k) =>
    k
      .split('.')
      .slice(0, -1)
      .map((_, i, a) => a.slice(0, i + 1).join('.')),
  ),
);

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const flags = options.flags ?? {};
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? homedir();
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const shellCtx: ParseContext = { homeDir, baseDir: cwd };

  // Env vars set to '' count as unset, as most tools treat them.
  const envValue = (name: string | undefined): string | undefined =>
    name === undefined || env[name] === undefined || env[name] === '' ? undefined : env[name];

  // The value a flag or LUNAROUTE_* variable gives a key, if any (flag wins).
  const shellLayer = (spec: { flag?: string; env?: string }): [string, ValueSource] | undefined => {
    const fromFlag = spec.flag === undefined ? undefined : flags[spec.flag];
    if (fromFlag !== undefined) return [fromFlag, { kind: 'flag', name: spec.flag! }];
    const fromEnv = envValue(spec.env);
    if (fromEnv !== undefined) return [fromEnv, { kind: 'env', name: spec.env! }];
    return undefined;
  };

  // 1. Where is the config file? It may live in the data dir, so resolve that first (flag > env > default).
  const explicitFile = shellLayer(CONFIG_FILE_OPTION);
  let configFile: string;
  if (explicitFile) {
    const fileSpec: KeySpec<string> = { description: '', default: '', parse: parsePath };
    configFile = parseValue('config', fileSpec, explicitFile[0], explicitFile[1], shellCtx);
  } else {
    const dataDirSpec = CONFIG_KEYS.data_dir;
    const [raw, source] = shellLayer(dataDirSpec) ?? [DEFAULT_DATA_DIR, { kind: 'default' }];
    configFile = join(parseValue('data_dir', dataDirSpec, raw, source, shellCtx), CONFIG_FILE_NAME);
  }

  // 2. Read and parse it. A missing default file is normal; a missing named one is a mistake.
  const tree = readConfigFile(configFile, explicitFile !== undefined);
  checkShape(tree, '', configFile, warnings);
  const fileCtx: ParseContext = { homeDir, baseDir: dirname(configFile) };

  // 3. Every key: parse each layer that has a value, so a bad value is reported even when a higher layer
  //    overrides it, and keep the highest-precedence one.
  const values: Record<string, unknown> = {};
  const explicit: string[] = [];
  for (const name of KEY_NAMES) {
    const spec = CONFIG_KEYS[name] as KeySpec<unknown>;
    let value = parseValue(name, spec, spec.default, { kind: 'default' }, shellCtx);

    const fileRaw = lookup(tree, name);
    if (fileRaw !== undefined && fileRaw !== null) {
      const expanded =
        typeof fileRaw === 'string'
          ? expandVars(fileRaw, env, (v) =>
              warnings.push(
                `environment variable ${v} is not set: ${name} in ${configFile} uses '' in its place`,
              ),
            )
          : fileRaw;
      value = parseValue(name, spec, expanded, { kind: 'file', file: configFile, key: name }, fileCtx);
    }
    const fromEnv = envValue(spec.env);
    if (fromEnv !== undefined)
      value = parseValue(name, spec, fromEnv, { kind: 'env', name: spec.env! }, shellCtx);
    const fromFlag = spec.flag === undefined ? undefined : flags[spec.flag];
    if (fromFlag !== undefined)
      value = parseValue(name, spec, fromFlag, { kind: 'flag', name: spec.flag! }, shellCtx);
    if (fromEnv !== undefined || fromFlag !== undefined) explicit.push(name);
    values[name] = value;
  }

  // Safe: each entry was produced by the parser declared for that key.
  const config = buildConfig(values as ConfigValues, configFile);
  config.explicitKeys = explicit;
  if (!isLoopback(config.host)) {
    warnings.push(
      `host ${config.host} is not a loopback address: other machines can reach the proxy and use any configured API keys`,
    );
  }
  return { config, warnings };
}

function parseValue<T>(
  name: string,
  spec: KeySpec<T>,
  raw: unknown,
  source: ValueSource,
  ctx: ParseContext,
): T {
  try {
    return spec.parse(raw, ctx);
  } catch (err) {
    if (!isLunaRouteError(err, 'CONFIG_VALUE_RULE')) throw err;
    const got = spec.secret ? '' : `, got ${describeValue(raw)}`;
    throw new LunaRouteError(
      'CONFIG_INVALID_VALUE',
      `${name} ${err.message}${got} (${describeSource(source)})`,
    );
  }
}

function readConfigFile(file: string, explicit: boolean): FileTree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !explicit) return {};
    if (code === 'ENOENT')
      throw new LunaRouteError('CONFIG_FILE_NOT_FOUND', `config file ${file} does not exist`);
    throw new LunaRouteError(
      'CONFIG_FILE_UNREADABLE',
      `cannot read config file ${file}: ${code ?? String(err)}`,
      {
        cause: err,
      },
    );
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const where = first.linePos
      ? `line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : 'unknown position';
    const what = first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new LunaRouteError('CONFIG_YAML_INVALID', `${file} is not valid YAML (${where}): ${what}`, {
      cause: first,
    });
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return {};
  if (!isMapping(data)) {
    throw new LunaRouteError(
      'CONFIG_NOT_A_MAPPING',
      `${file} must contain a mapping of keys (host: …, port: …), got ${describeValue(data)}`,
    );
  }
  return data;
}

/** Warn about unknown keys; sections (upstreams, upstreams.anthropic, …) must be mappings when present. */
function checkShape(tree: FileTree, prefix: string, file: string, warnings: string[]): void {
  for (const [k, v] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (name in CONFIG_KEYS) continue;
    if (SECTIONS.has(name)) {
      if (v === null) continue;
      if (!isMapping(v)) {
        throw new LunaRouteError(
          'CONFIG_INVALID_VALUE',
          `${name} must be a mapping of keys, got ${describeValue(v)} (${file}: ${name})`,
        );
      }
      checkShape(v, name, file, warnings);
      continue;
    }
    const guess = suggest(name);
    warnings.push(`unknown key '${name}' in ${file} — ignored${guess ? ` (did you mean '${guess}'?)` : ''}`);
  }
}

function lookup(tree: FileTree, name: string): unknown {
  let node: unknown = tree;
  for (const part of name.split('.')) {
    if (!isMapping(node)) return undefined;
    node = node[part];
  }
  return node;
}

function isMapping(v: unknown): v is FileTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The closest known key or section within edit distance 2, for "did you mean". */
function suggest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of [...KEY_NAMES, ...SECTIONS]) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
