// Events pushed live to the UI while traffic flows (over IPC in Electron, an event stream headless).
// Produced by the recorder in batches (~50 ms), only while someone listens. Strings are redacted.
import type { Dialect, Endpoint } from './dialects.js';
import type { UnknownKind, Usage } from './exchange.js';
import type { ClientKind, Outcome, OutcomeReason } from './records.js';

export interface RequestStartedEvent {
  type: 'request_started';
  id: string;
  session_id: string;
  at: number;
  client: ClientKind;
  dialect: Dialect;
  endpoint: Endpoint;
  model: string | null;
  stream: boolean;
  prompt_preview: string | null;
}

export interface ResponseProgressEvent {
  type: 'response_progress';
  id: string;
  session_id: string;
  /**
   * Redacted text appended since the previous progress event of this request; with `reset`, the whole text so
   * far (replace what was shown; only a redaction policy changed mid-stream can cause it). Text is shown once no
   * detector can still be matching it — usually all but the word being written; a possible secret waits until it
   * is decided and then shows redacted. What was shown is a prefix of the final redacted text; the last event of
   * a stream brings the rest.
   */
  text_delta: string;
  reset?: boolean;
  /** Total characters of response text so far. */
  text_chars: number;
}

export interface RequestFinishedEvent {
  type: 'request_finished';
  id: string;
  session_id: string;
  at: number;
  outcome: Outcome;
  reason: OutcomeReason | null;
  status: number | null;
  model: string | null;
  usage: Usage;
  duration_ms: number | null;
  error_message: string | null;
}

export interface RecorderProblemEvent {
  type: 'recorder_problem';
  /** `dropped`: traffic not recorded because the queue was full; `write_error`: storage failed. */
  kind: 'dropped' | 'write_error' | 'index_error' | 'redaction_failed';
  count: number;
  message: string;
}

/**
 * Traffic of a client version held things the parsers do not understand (see UnknownItem): sent once per client
 * and version for the life of the process, when the first such response is recorded (or, if no window listens
 * then, when one starts listening).
 */
export interface ClientDriftEvent {
  type: 'client_drift';
  at: number;
  client: ClientKind;
  client_version: string | null;
  dialect: Dialect | null;
  /** The unknown items of the response that raised the notice (at most 32). */
  items: { kind: UnknownKind; name: string; count: number }[];
  /** E.g. "Claude Code 2.1.332 sent 2 kinds of event this version of LunaRoute does not understand (…) — …". */
  message: string;
}

export type LiveEvent =
  | RequestStartedEvent
  | ResponseProgressEvent
  | RequestFinishedEvent
  | RecorderProblemEvent
  | ClientDriftEvent;
