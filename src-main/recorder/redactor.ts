// Compiles the configured redaction policy, loading (or creating, 0600) the per-install secret only when some
// detector tokenizes. Used by the recorder worker for everything stored, and by the core for log lines.
import {
  compilePolicy,
  loadOrCreateSecret,
  type RedactionConfig,
  type Redactor,
} from '../redaction/index.js';
import type { Logger } from '../log.js';

export function buildRedactor(dataDir: string, config: RedactionConfig): Redactor {
  const needsSecret =
    config.mode === 'tokenize' ||
    Object.values(config.detectors ?? {}).includes('tokenize') ||
    (config.custom ?? []).some((c) => c.mode === 'tokenize');
  return compilePolicy({
    ...config,
    ...(needsSecret ? { tokenizeSecret: loadOrCreateSecret(dataDir) } : {}),
  });
}

/** A logger whose every line passes through the redactor first (error messages carry URLs, paths, text). */
export function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  const r = (msg: string): string => redactor.redactText(msg).value;
  return {
    debug: (m) => logger.debug(r(m)),
    info: (m) => logger.info(r(m)),
    warn: (m) => logger.warn(r(m)),
    error: (m) => logger.error(r(m)),
  };
}
