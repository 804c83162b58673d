// Typed errors of the redaction engine. Configuration problems are RedactionConfigError with a stable code and a
// message that names the setting and how to fix it; they are thrown by compilePolicy, never at redaction time.

export type RedactionConfigErrorCode =
  | 'INVALID_MODE'
  | 'UNKNOWN_DETECTOR'
  | 'TOKENIZE_WITHOUT_SECRET'
  | 'SECRET_TOO_SHORT'
  | 'SECRET_CORRUPT'
  | 'INVALID_CUSTOM'
  | 'UNSAFE_PATTERN'
  | 'INVALID_ALLOWLIST'
  | 'INVALID_NUMBER';

export class RedactionConfigError extends Error {
  override readonly name = 'RedactionConfigError';
  constructor(
    readonly code: RedactionConfigErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Thrown inside the engine when a value exceeds its time budget; always caught and turned into a failure. */
export class RedactionBudgetError extends Error {
  override readonly name = 'RedactionBudgetError';
}
