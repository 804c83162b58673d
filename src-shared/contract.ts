// The one contract between the core and the renderer: every call (name, argument schema, result schema) and
// every pushed event, with schemas. The headless HTTP/event API (src-main/ui-server), the future preload bridge
// and IPC handlers (src-main/electron) and the renderer's single API module (src-renderer/lib/api.ts) are all
// derived from CALLS and EVENTS below, so they cannot drift. Anything crossing the boundary is parsed with
// these schemas on the receiving side; a payload that fails is rejected with a LunaRouteError (bad_args, …) naming the field.
// Pure TypeScript: no Node, no DOM, no electron.
import { ANALYTICS_BUCKETS, AnalyticsSchema } from './analytics.js';
import { CONTRACT_ERROR_CODES, isLunaRouteError, LunaRouteError, type ContractErrorCode } from './errors.js';
import type { LiveEvent } from './live.js';
import { ReplayComparisonSchema, ReplayPreviewSchema } from './replay.js';
import { SettingsPatchSchema, SettingsSchema } from './settings.js';
import * as s from './schema.js';
import type { Infer, Schema } from './schema.js';
import type {
  RequestRowSchema,
  ToolCallRowSchema,
  TranscriptItemSchema,
  TranscriptTurnSchema,
  RedactionReportSchema,
} from './rows.js';
import {
  EXPORT_FORMATS,
  ProblemSchema,
  SearchHitSchema,
  SessionRowSchema,
  SessionViewSchema,
  SetupSchema,
  StatsSchema,
  STATUS_FILTERS,
  CLIENT_KINDS,
  OUTCOMES,
  OUTCOME_REASONS,
  UsageSchema,
  UNKNOWN_KINDS,
  id,
  nstr,
  nnum,
  count,
} from './rows.js';

export * from './rows.js';

// --- calls ------------------------------------------------------------------------------------------------

interface CallDef<A, R> {
  args: Schema<A>;
  result: Schema<R>;
  /** Changes state (the HTTP API always needs the token; this marks what a confirmation would guard). */
  mutates: boolean;
  summary: string;
}
const call = <A, R>(args: Schema<A>, result: Schema<R>, summary: string, mutates = false): CallDef<A, R> => ({
  args,
  result,
  summary,
  mutates,
});

const epoch = s.number({ min: 0 });
/** What a replay changes: another model, a new text for the last typed prompt. */
const replayChange = {
  model: s.optional(s.string({ min: 1, max: 200 })),
  prompt: s.optional(s.string({ min: 1, max: 200_000 })),
};

export const CALLS = {
  'sessions.list': call(
    s.object(
      {
        since: s.optional(epoch),
        until: s.optional(epoch),
        client: s.optional(s.oneOf(CLIENT_KINDS)),
        model: s.optional(s.string({ max: 200 })),
        status: s.optional(s.oneOf(STATUS_FILTERS)),
        /** Full-text query over prompts and responses (words, all must match). */
        q: s.optional(s.string({ max: 500 })),
        limit: s.optional(s.int({ min: 1, max: 1000 })),
        offset: s.optional(s.int({ min: 0 })),
      },
      { strict: true },
    ),
    s.object({ sessions: s.array(SessionRowSchema), total: count }),
    'Sessions, newest activity first, filtered, one page',
  ),
  'sessions.view': call(
    s.object({ id }, { strict: true }),
    s.nullable(SessionViewSchema),
    'One session: rows, tool calls, transcript, redaction report',
  ),
  'requests.bodies': call(
    s.object({ id }, { strict: true }),
    s.nullable(
      s.object({ request: s.json(), body: s.json(), headers: s.json(), response: s.nullable(s.json()) }),
    ),
    "One request's full JSON (body rebuilt from its blocks) and its response",
  ),
  search: call(
    s.object(
      { q: s.string({ min: 1, max: 500 }), limit: s.optional(s.int({ min: 1, max: 500 })) },
      { strict: true },
    ),
    s.object({ hits: s.array(SearchHitSchema) }),
    'Full-text search over prompts and responses',
  ),
  export: call(
    s.object({ id, format: s.oneOf(EXPORT_FORMATS) }, { strict: true }),
    s.object({ filename: s.string(), mime: s.string(), content: s.string() }),
    'A session as a file: JSONL records, HAR 1.2, or a Markdown transcript (redacted like storage)',
  ),
  'settings.get': call(s.object({}, { strict: true }), SettingsSchema, 'Current settings'),
  'settings.set': call(
    SettingsPatchSchema,
    SettingsSchema,
    'Change settings live; answers the new settings (and pushes settings_changed)',
    true,
  ),
  'setup.get': call(
    s.object({}, { strict: true }),
    SetupSchema,
    'Shell exports of both modes; creates the forward-proxy CA when there is none (like `lunaroute env --mode forward`)',
    true,
  ),
  'stats.get': call(s.object({}, { strict: true }), StatsSchema, 'Totals, filter choices, recent problems'),
  'replay.prepare': call(
    s.object({ id, ...replayChange }, { strict: true }),
    ReplayPreviewSchema,
    'Before a replay: what would be sent (changes, redactions), the credential, the estimated cost',
  ),
  'replay.run': call(
    s.object({ id, ...replayChange }, { strict: true }),
    ReplayComparisonSchema,
    'Send a recorded request again (same or another model, or an edited last prompt) and compare',
    true,
  ),
  'replay.compare': call(
    s.object({ id }, { strict: true }),
    s.nullable(ReplayComparisonSchema),
    'A recorded replay next to its original (null until its answer is recorded)',
  ),
  'requests.curl': call(
    s.object({ id }, { strict: true }),
    s.object({ curl: s.string() }),
    'A request as a cURL command to its upstream (the key as $ANTHROPIC_API_KEY / $OPENAI_API_KEY)',
  ),
  'analytics.get': call(
    s.object({ since: s.optional(epoch), bucket: s.optional(s.oneOf(ANALYTICS_BUCKETS)) }, { strict: true }),
    AnalyticsSchema,
    'Analytics: tokens, cost, errors over time; by model, client, class; cache; tools; time split',
  ),
} as const;

export type CallName = keyof typeof CALLS;
export type CallArgs<N extends CallName> = Infer<(typeof CALLS)[N]['args']>;
export type CallResult<N extends CallName> = Infer<(typeof CALLS)[N]['result']>;
export const CALL_NAMES = Object.keys(CALLS) as CallName[];

export type SessionRow = Infer<typeof SessionRowSchema>;
export type RequestRow = Infer<typeof RequestRowSchema>;
export type ToolCallRow = Infer<typeof ToolCallRowSchema>;
export type TranscriptItem = Infer<typeof TranscriptItemSchema>;
export type TranscriptTurn = Infer<typeof TranscriptTurnSchema>;
export type RedactionReport = Infer<typeof RedactionReportSchema>;
export type SessionView = Infer<typeof SessionViewSchema>;
export type SearchHit = Infer<typeof SearchHitSchema>;
export type Settings = Infer<typeof SettingsSchema>;
export type Setup = Infer<typeof SetupSchema>;
export type Problem = Infer<typeof ProblemSchema>;
export type Stats = Infer<typeof StatsSchema>;
export type Analytics = Infer<typeof AnalyticsSchema>;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ClientKindName = (typeof CLIENT_KINDS)[number];
export type StatusFilter = (typeof STATUS_FILTERS)[number];

// --- events -----------------------------------------------------------------------------------------------

const common = { id: s.string(), session_id: s.string() };

export const EVENTS = {
  request_started: s.object({
    type: s.literal('request_started'),
    ...common,
    at: s.number(),
    client: s.oneOf(CLIENT_KINDS),
    dialect: s.string(),
    endpoint: s.string(),
    model: nstr,
    stream: s.boolean(),
    prompt_preview: nstr,
  }),
  response_progress: s.object({
    type: s.literal('response_progress'),
    ...common,
    text_delta: s.string(),
    text_chars: count,
    /** The delta is the whole (redacted) text so far: replace, do not append. */
    reset: s.optional(s.boolean()),
  }),
  request_finished: s.object({
    type: s.literal('request_finished'),
    ...common,
    at: s.number(),
    outcome: s.oneOf(OUTCOMES),
    reason: s.nullable(s.oneOf(OUTCOME_REASONS)),
    status: s.nullable(s.int()),
    model: nstr,
    usage: UsageSchema,
    duration_ms: nnum,
    error_message: nstr,
  }),
  recorder_problem: s.object({
    type: s.literal('recorder_problem'),
    kind: s.oneOf(['dropped', 'write_error', 'index_error', 'redaction_failed'] as const),
    count,
    message: s.string(),
  }),
  client_drift: s.object({
    type: s.literal('client_drift'),
    at: s.number(),
    client: s.oneOf(CLIENT_KINDS),
    client_version: nstr,
    dialect: nstr,
    items: s.array(s.object({ kind: s.oneOf(UNKNOWN_KINDS), name: s.string({ max: 100 }), count }), {
      max: 32,
    }),
    message: s.string(),
  }),
  settings_changed: s.object({ type: s.literal('settings_changed'), settings: SettingsSchema }),
  problem: s.object({ type: s.literal('problem'), problem: ProblemSchema }),
} as const;

export const EventSchema = s.tagged('type', EVENTS);
export type UiEvent = Infer<typeof EventSchema>;
export type EventType = keyof typeof EVENTS;
export const EVENT_TYPES = Object.keys(EVENTS) as EventType[];

// Compile-time check: every LiveEvent the recorder produces is a valid UiEvent.
type Assignable<A, B extends A> = B;
export type _LiveEventsFitTheContract = Assignable<UiEvent, LiveEvent>;

// --- errors and dispatch ----------------------------------------------------------------------------------

export function isCallName(name: string): name is CallName {
  return Object.hasOwn(CALLS, name);
}

export function parseArgs<N extends CallName>(name: N, raw: unknown): CallArgs<N> {
  try {
    return CALLS[name].args.parse(raw ?? {}) as CallArgs<N>;
  } catch (err) {
    throw new LunaRouteError('bad_args', `${name}: invalid arguments: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function parseResult<N extends CallName>(name: N, raw: unknown): CallResult<N> {
  try {
    return CALLS[name].result.parse(raw) as CallResult<N>;
  } catch (err) {
    throw new LunaRouteError('bad_result', `${name}: invalid result: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

export function parseEvent(raw: unknown): UiEvent {
  try {
    return EventSchema.parse(raw);
  } catch (err) {
    throw new LunaRouteError('bad_event', `invalid event: ${(err as Error).message}`, { cause: err });
  }
}

/** The implementation side of the contract (the UI server and the IPC handlers each hold one). */
export type CallHandlers = { [N in CallName]: (args: CallArgs<N>) => Promise<CallResult<N>> };

/** Parse the arguments, run the handler, parse its result: the one entry point for every transport. */
export async function dispatchCall(handlers: CallHandlers, name: string, rawArgs: unknown): Promise<unknown> {
  if (!isCallName(name)) throw new LunaRouteError('unknown_call', `no such call: ${name.slice(0, 80)}`);
  const args = parseArgs(name, rawArgs);
  let result: unknown;
  try {
    result = await (handlers[name] as (a: unknown) => Promise<unknown>)(args);
  } catch (err) {
    if (isLunaRouteError(err, CONTRACT_ERROR_CODES)) throw err;
    throw new LunaRouteError('failed', `${name} failed: ${(err as Error).message}`, { cause: err });
  }
  return parseResult(name, result);
}

// --- transports -------------------------------------------------------------------------------------------

/** Headless HTTP: `POST ${HTTP_CALL_PREFIX}<name>` with the JSON args; the answer is a CallResponse. */
export const HTTP_CALL_PREFIX = '/api/call/';
/** Headless event stream (text/event-stream); each message's data is a JSON array of events. */
export const HTTP_EVENTS_PATH = '/api/events';
/** Header carrying the per-run token the page receives in `<meta name="lunaroute-token">`. */
export const TOKEN_HEADER = 'x-lunaroute-token';
export const TOKEN_META = 'lunaroute-token';

export type CallResponse =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: ContractErrorCode | 'forbidden'; message: string } };

/** Electron: one ipcMain.handle channel per call, one channel for pushed event batches. */
export const ipcCallChannel = (name: CallName): string => `lunaroute:call:${name}`;
export const IPC_EVENTS_CHANNEL = 'lunaroute:events';
export const IPC_READY_CHANNEL = 'lunaroute:ready';
/** Electron only: save an export through the native save dialog (the browser downloads instead). */
export const IPC_SAVE_CHANNEL = 'lunaroute:save-file';
/** The name under which the preload exposes the bridge on `window`. */
export const BRIDGE_KEY = 'lunaroute';

/** What the renderer may ask to save: a suggested file name (no directories) and the text. */
export const SaveFileSchema = s.object(
  {
    filename: s.string({ min: 1, max: 200, pattern: /^[^/\\\0]+$/ }),
    mime: s.string({ max: 100 }),
    content: s.string({ max: 256 * 1024 * 1024 }),
  },
  { strict: true },
);
export type SaveFile = Infer<typeof SaveFileSchema>;

/** What the preload exposes (built from CALL_NAMES): intent-level functions, never ipcRenderer itself. */
export interface LunarouteBridge {
  calls: { [N in CallName]: (args: unknown) => Promise<unknown> };
  /** Receives raw event batches; returns an unsubscribe function. */
  onEvents(listener: (events: unknown[]) => void): () => void;
  /** Tells main the renderer is listening (main holds pushes until then). */
  ready(): void;
  /** Save a file through the native save dialog; resolves to the path, or null when the user cancelled. */
  saveFile(file: SaveFile): Promise<string | null>;
}
