// The one error class of LunaRoute. Every expected failure is a LunaRouteError with a stable `code` (what the CLI
// maps to an exit code and the UI shows), a message meant for the user (what happened and how to fix it),
// optional structured `details` ({ host, port }, { exitCode }, …) and the underlying `cause`. Codes that travel on
// the wire (the contract's `error.code`) or that users' scripts may match keep their original spelling.
// Pure TypeScript: no Node, no DOM (the renderer uses it too).

/** Configuration: config.yaml, environment variables and flags (the CLI exits 2). */
export type ConfigErrorCode =
  /** An explicit --config file does not exist. */
  | 'CONFIG_FILE_NOT_FOUND'
  /** The config file exists but cannot be read. */
  | 'CONFIG_FILE_UNREADABLE'
  /** The config file is not valid YAML. */
  | 'CONFIG_YAML_INVALID'
  /** The config file's top level (or a section) is not a mapping. */
  | 'CONFIG_NOT_A_MAPPING'
  /** A setting has a value outside its rule; the message names the key and where the value came from. */
  | 'CONFIG_INVALID_VALUE'
  /** A value parser's rule was broken ("must be an integer …"); the loader turns it into CONFIG_INVALID_VALUE. */
  | 'CONFIG_VALUE_RULE';

/** The command line. */
export type CliErrorCode =
  /** Wrong usage (unknown flag, missing argument): one line plus "see --help", exit 2. */
  | 'CLI_USAGE'
  /** An expected failure of a command: its message as is, exit `details.exitCode`. */
  | 'CLI_FAILED';

/** The loopback proxy. */
export type ProxyErrorCode =
  /** The proxy's host:port is taken by another program (`details: { host, port }`). */
  'PROXY_PORT_IN_USE';

/** The headless web UI server. */
export type UiErrorCode =
  /** The web UI's host:port is taken (`details: { host, port }`); the core runs on without the UI. */
  'UI_PORT_IN_USE';

/** PII redaction: configuration problems from compilePolicy, and the per-value time budget. */
export type RedactionErrorCode =
  /** redaction.mode (or a detector's mode) is not one of the known modes. */
  | 'INVALID_MODE'
  /** A detector name in the config is not a built-in detector. */
  | 'UNKNOWN_DETECTOR'
  /** tokenize mode is on but no tokenize secret is set or stored. */
  | 'TOKENIZE_WITHOUT_SECRET'
  /** The tokenize secret is too short to be safe. */
  | 'SECRET_TOO_SHORT'
  /** The stored tokenize secret file exists but is corrupt. */
  | 'SECRET_CORRUPT'
  /** A custom detector entry is malformed. */
  | 'INVALID_CUSTOM'
  /** A custom pattern could backtrack catastrophically (or does not compile). */
  | 'UNSAFE_PATTERN'
  /** An allowlist entry is malformed. */
  | 'INVALID_ALLOWLIST'
  /** A numeric redaction setting is out of range. */
  | 'INVALID_NUMBER'
  /** Redacting one value took longer than its budget (caught inside the engine, turned into a failure). */
  | 'REDACTION_BUDGET_EXCEEDED';

/** Replaying a recorded request. */
export type ReplayErrorCode =
  /** No recorded request has that id. */
  | 'REPLAY_NOT_FOUND'
  /** The recorded request cannot be sent again (not a model call, body not kept, …). */
  | 'REPLAY_NOT_REPLAYABLE'
  /** The requested change (model, prompt) cannot be applied to this request. */
  | 'REPLAY_BAD_CHANGE'
  /** No credential for the provider is available to send the replay. */
  | 'REPLAY_NO_CREDENTIALS'
  /** LunaRoute's proxy refused the replay. */
  | 'REPLAY_REFUSED'
  /** Sending the replay failed (network, upstream). */
  | 'REPLAY_SEND_FAILED'
  /** The replay was sent but its record never showed up, or recording is paused. */
  | 'REPLAY_NOT_RECORDED'
  /** The request has no user text to replace with --prompt; becomes REPLAY_BAD_CHANGE. */
  | 'REPLAY_PROMPT_NOT_EDITABLE';

/** The forward proxy's local certificate authority. */
export type CaErrorCode =
  /** The CA on disk may not issue for this host (`details: { host, caHosts }`): run `lunaroute ca rotate`. */
  'CA_HOST_NOT_COVERED';

/** The UI contract (HTTP and IPC calls): spelled as sent in a CallResponse's `error.code`. */
export type ContractErrorCode =
  /** No call by that name (HTTP 404). */
  | 'unknown_call'
  /** The call's arguments do not match its schema (HTTP 400). */
  | 'bad_args'
  /** The handler's result does not match its schema (HTTP 500). */
  | 'bad_result'
  /** A pushed event does not match the event schema. */
  | 'bad_event'
  /** The handler failed (HTTP 500). */
  | 'failed';

/** Runtime schemas of what crosses a process boundary. */
export type SchemaErrorCode =
  /** A value does not match its schema (`details: { path, expected, got }`). */
  'SCHEMA_MISMATCH';

/** Recorded data on disk. */
export type StorageErrorCode =
  /** A content-addressed block or chain a record refers to is missing (or a chain loops). */
  'STORAGE_BLOCK_MISSING';

export type ErrorCode =
  | ConfigErrorCode
  | CliErrorCode
  | ProxyErrorCode
  | UiErrorCode
  | RedactionErrorCode
  | ReplayErrorCode
  | CaErrorCode
  | ContractErrorCode
  | SchemaErrorCode
  | StorageErrorCode;

export const CONTRACT_ERROR_CODES: readonly ContractErrorCode[] = [
  'unknown_call',
  'bad_args',
  'bad_result',
  'bad_event',
  'failed',
];

/** The structured data some codes always carry. */
interface DetailsByCode {
  CLI_USAGE: { command?: string };
  CLI_FAILED: { exitCode: number };
  PROXY_PORT_IN_USE: { host: string; port: number };
  UI_PORT_IN_USE: { host: string; port: number };
  CA_HOST_NOT_COVERED: { host: string; caHosts: readonly string[] };
  SCHEMA_MISMATCH: { path: string; expected: string; got: string };
}

export type ErrorDetails<C extends ErrorCode = ErrorCode> = C extends keyof DetailsByCode
  ? DetailsByCode[C]
  : Readonly<Record<string, unknown>> | undefined;

export type LunaRouteErrorOptions<C extends ErrorCode> = C extends keyof DetailsByCode
  ? { details: DetailsByCode[C]; cause?: unknown }
  : { details?: Readonly<Record<string, unknown>>; cause?: unknown };

type OptionsArg<C extends ErrorCode> = C extends keyof DetailsByCode
  ? [options: LunaRouteErrorOptions<C>]
  : [options?: LunaRouteErrorOptions<C>];

export class LunaRouteError<C extends ErrorCode = ErrorCode> extends Error {
  override readonly name = 'LunaRouteError';
  readonly code: C;
  readonly details: ErrorDetails<C>;

  constructor(code: C, message: string, ...[options]: OptionsArg<C>) {
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.code = code;
    this.details = options?.details as ErrorDetails<C>;
  }
}

/** Is `err` a LunaRouteError (with `code`, or one of `code` when a list is given)? */
export function isLunaRouteError<C extends ErrorCode = ErrorCode>(
  err: unknown,
  code?: C | readonly C[],
): err is LunaRouteError<C> {
  if (!(err instanceof LunaRouteError)) return false;
  if (code === undefined) return true;
  return typeof code === 'string' ? err.code === code : code.includes(err.code as C);
}
