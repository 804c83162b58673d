// Public entry of the redaction engine: compile a policy once, call the Redactor for everything that is persisted.
// Pure module (node:crypto, node:fs for the secret file only); no I/O at redaction time. See README.md.
export { compilePolicy, hasNestedQuantifier, type CompileOptions } from './policy.js';
export {
  DEFAULT_CACHE_MAX_BYTES,
  DEFAULT_CACHE_MAX_ENTRIES,
  DEFAULT_CACHE_MIN_LENGTH,
  DEFAULT_MIN_CONFIDENCE,
  DEFAULT_MODE,
  DEFAULT_TIME_BUDGET_MS,
} from './policy.js';
export { loadOrCreateSecret, deriveTokenKey, SECRET_FILE_NAME } from './secret.js';
export { redactHeaders, isAuthHeader, maskAuthValue, AUTH_HEADER_NAMES } from './headers.js';
export { FAILED_PLACEHOLDER, partialMask, tokenDigest } from './modes.js';
export { DEFAULT_ALLOWED_VALUES, DEFAULT_ALLOWED_PATTERNS } from './allowlist.js';
export { isSecretName } from './detectors.js';
export * from './types.js';
