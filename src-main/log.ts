// A small leveled logger for the core. Lines go to a sink (stderr by default) and every message passes through
// `scrubSecrets` first, so an API key or bearer token that slips into an error message never reaches a log.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

// Credentials as they appear in headers, URLs and error text. Deliberately broad: a false positive in a log
// line costs nothing, a leaked key costs a lot.
const SECRET_PATTERNS: RegExp[] = [
  /\b(sk-ant-[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+/g,
  /\b(sk-(?:proj-)?[A-Za-z0-9_-]{2})[A-Za-z0-9_-]{8,}/g,
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
  /\b((?:x-api-key|authorization|api[_-]?key|access_token|refresh_token|id_token)["']?\s*[:=]\s*["']?)[^\s"',}]{6,}/gi,
  /(\/\/[^/\s:@]+:)[^/\s@]+@/g,
  /\b(eyJ[A-Za-z0-9_-]{4})[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
];

/** Replace anything that looks like a credential with its recognisable prefix followed by `…[redacted]`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (_m, keep: string) => `${keep}…[redacted]`);
  return out;
}

export function createLogger(
  level: LogLevel = 'info',
  sink: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const min = ORDER[level];
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string): void => {
    if (ORDER[lvl] < min) return;
    sink(`${new Date().toISOString()} ${lvl.padEnd(5)} ${scrubSecrets(msg)}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
