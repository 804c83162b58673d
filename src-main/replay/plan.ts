// What a replay sends: the recorded request rebuilt from its stored blocks (JSON-equal to what the client sent,
// keys in the same order), changed only where asked (`model`, the last typed prompt), to the same path and
// query, with the client's headers minus credentials (masked in the recording, never re-sent), connection
// headers and LunaRoute's own. A Codex WebSocket turn is sent as an HTTP stream. Values the redactor replaced are
// listed, since the replay carries the redacted text. Pure.
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import type { ReplayChanges, ReplayRedaction } from '../../src-shared/replay.js';
import { placeholderLabels } from '../export/redaction-report.js';
import { isAuthHeader, MASKED_MARK } from '../redaction/headers.js';
import { isLunaRouteError, LunaRouteError, type ReplayErrorCode } from '../../src-shared/errors.js';
import { replacePrompt } from './prompt.js';

type JsonObject = { [key: string]: JsonValue };

/** A recorded request as the index's `requests.bodies` query gives it. */
export interface ReplaySource {
  request: RequestLine;
  body: JsonValue | null;
  headers: JsonValue | null;
  response: ResponseLine | null;
}

/** What the user asked to change; absent = as recorded. */
export interface ReplayRequest {
  model?: string;
  prompt?: string;
  /** Upstream base URL for this replay (like upstreams.<provider>.url). */
  upstream?: string;
}

export interface ReplayPlan {
  source: ReplaySource;
  method: 'POST';
  /** Path and query as the client sent them. */
  path: string;
  /** The client's headers to send again (no credentials: see credentials.ts). */
  headers: Record<string, string | string[]>;
  /** The JSON text to send. */
  body: string;
  /** The model the replay asks for. */
  model: string | null;
  changes: ReplayChanges;
  redactions: ReplayRedaction[];
  notes: string[];
}

/** A replay failure with a message for the user (REPLAY_NOT_FOUND, REPLAY_BAD_CHANGE, …). */
export function isReplayError(err: unknown): err is LunaRouteError<ReplayErrorCode> {
  return isLunaRouteError(err) && err.code.startsWith('REPLAY_');
}

/** Headers never sent again: connection-level, recomputed, or LunaRoute's own. Credentials go by isAuthHeader. */
const DROP_HEADERS = new Set([
  'host',
  'content-length',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

/** Why a recorded request cannot be replayed, or null when it can. */
export function notReplayable(src: ReplaySource): string | null {
  const q = src.request;
  if (q.body_truncated)
    return `its body was cut at the recording limit when it was recorded (${q.body_bytes} bytes; recording.max_body_mb), so it cannot be rebuilt`;
  if (src.body === null || typeof src.body !== 'object' || Array.isArray(src.body))
    return q.body_text !== null
      ? 'its body was not JSON (only JSON request bodies can be replayed)'
      : `it has no JSON body (${q.method} ${q.url.split('?')[0]})`;
  if (q.transport === 'http' && q.method !== 'POST')
    return `only POST requests can be replayed (this was ${q.method})`;
  return null;
}

function keptHeaders(stored: JsonValue | null): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return out;
  for (const [name, v] of Object.entries(stored)) {
    const lower = name.toLowerCase();
    if (DROP_HEADERS.has(lower) || lower.startsWith('x-lunaroute-') || isAuthHeader(lower)) continue;
    const values = Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [v];
    if (values.some((x) => typeof x !== 'string' || x.includes(MASKED_MARK))) continue;
    out[lower] = Array.isArray(v) ? (values as string[]) : (v as string);
  }
  return out;
}

type Found = Map<string, ReplayRedaction>;

function addFound(found: Found, label: string, where: string): void {
  const r = found.get(label) ?? { label, count: 0, where: [] };
  r.count++;
  if (r.where.length < 3 && !r.where.includes(where)) r.where.push(where);
  found.set(label, r);
}

/** Redaction placeholders in a JSON value, by label, with JSON paths of where they are. */
function placeholdersIn(value: JsonValue, found: Found = new Map()): Found {
  const visit = (v: JsonValue, path: string): void => {
    if (typeof v === 'string')
      for (const label of placeholderLabels(v)) addFound(found, label, path || '(body)');
    else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i}]`));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v))
        visit(x, /^[A-Za-z_]\w*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`);
  };
  visit(value, '');
  return found;
}

/**
 * Redaction placeholders in the body to send and the headers (by label, with where). When the stored body holds
 * none at all, the mode left no placeholder (partial, remove): then the line's own findings are listed, by detector.
 */
export function findRedactions(
  body: JsonValue,
  headers: Record<string, string | string[]>,
  findings: Record<string, number> | undefined,
  storedBody: JsonValue = body,
): ReplayRedaction[] {
  const found = placeholdersIn(body);
  for (const [name, v] of Object.entries(headers))
    for (const x of Array.isArray(v) ? v : [v])
      for (const label of placeholderLabels(x)) addFound(found, label, `header ${name}`);
  const leavesPlaceholders = found.size > 0 || placeholdersIn(storedBody).size > 0;
  if (!leavesPlaceholders) {
    for (const [detector, n] of Object.entries(findings ?? {})) {
      // Masked credential headers are never sent again (credentials.ts brings its own).
      if (detector === 'auth_header' || n <= 0) continue;
      found.set(detector.toUpperCase(), { label: detector.toUpperCase(), count: n, where: [] });
    }
  }
  return [...found.values()].sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
}

/** Build what the replay sends. Throws REPLAY_NOT_REPLAYABLE or REPLAY_BAD_CHANGE with a message for the user. */
export function planReplay(src: ReplaySource, want: ReplayRequest = {}): ReplayPlan {
  const why = notReplayable(src);
  if (why)
    throw new LunaRouteError('REPLAY_NOT_REPLAYABLE', `request ${src.request.id} cannot be replayed: ${why}`);
  const q = src.request;
  // A deep copy that keeps key order (JSON.parse restores insertion order exactly).
  const body = JSON.parse(JSON.stringify(src.body)) as JsonObject;
  const notes: string[] = [];
  if (q.transport === 'websocket') {
    if (body['type'] === 'response.create') delete body['type'];
    if (body['stream'] === undefined) body['stream'] = true;
    notes.push('a Codex WebSocket turn is replayed as an HTTP stream (POST, stream: true)');
  }
  if (typeof body['previous_response_id'] === 'string')
    notes.push(
      `it refers to previous_response_id ${body['previous_response_id']}: the upstream must still hold that response`,
    );
  const changes: ReplayChanges = { model: null, prompt: null, upstream: want.upstream ?? null };
  const recordedModel = typeof body['model'] === 'string' ? body['model'] : null;
  if (want.model !== undefined) {
    if (want.model.trim() === '') throw new LunaRouteError('REPLAY_BAD_CHANGE', '--model needs a model name');
    if (want.model !== recordedModel) changes.model = { from: recordedModel, to: want.model };
    body['model'] = want.model;
  }
  if (want.prompt !== undefined) {
    try {
      const edit = replacePrompt(q.endpoint, body, want.prompt);
      changes.prompt = {
        from: edit.from,
        to: want.prompt,
        message_index: edit.messageIndex,
        dropped: edit.dropped,
      };
      if (edit.dropped > 0)
        notes.push(
          `forked at message ${edit.messageIndex + 1}: the ${edit.dropped} message(s) after it are left out`,
        );
    } catch (err) {
      if (isLunaRouteError(err, 'REPLAY_PROMPT_NOT_EDITABLE'))
        throw new LunaRouteError('REPLAY_BAD_CHANGE', err.message);
      throw err;
    }
  }
  const headers = keptHeaders(src.headers);
  return {
    source: src,
    method: 'POST',
    path: q.url,
    headers,
    body: JSON.stringify(body),
    model: typeof body['model'] === 'string' ? body['model'] : null,
    changes,
    redactions: findRedactions(body, headers, q.redaction, src.body ?? body),
    notes,
  };
}
