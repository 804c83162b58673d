// Gathers what the transcript and the exports need from one session file's record lines: each request with its
// body rebuilt from the blocks, its headers and its response. Pure (lines in, plain objects out): it serves the
// recorder worker's queries and the `lunaroute export` CLI alike. Everything in the lines is already redacted.
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine, RequestLine, ResponseLine, SessionLine } from '../../src-shared/records.js';
import { rebuildBody } from '../recorder/parse/blocks.js';

export interface SessionExchange {
  request: RequestLine;
  /** The full request body (null when it was not JSON, or its blocks are missing: see `bodyError`). */
  body: JsonValue | null;
  bodyError: string | null;
  headers: JsonValue | null;
  response: ResponseLine | null;
}

export interface SessionData {
  session: SessionLine | null;
  sessionId: string | null;
  exchanges: SessionExchange[];
  gaps: number;
}

export function collectSession(lines: readonly RecordLine[]): SessionData {
  const blocks = new Map<string, JsonValue>();
  const responses = new Map<string, ResponseLine>();
  const requests: RequestLine[] = [];
  let session: SessionLine | null = null;
  let gaps = 0;
  for (const l of lines) {
    if (l.type === 'block') blocks.set(l.hash, l.value);
    else if (l.type === 'response') responses.set(l.id, l);
    else if (l.type === 'request') requests.push(l);
    else if (l.type === 'session') session ??= l;
    else if (l.type === 'gap') gaps += l.dropped;
  }
  const exchanges = requests.map((request): SessionExchange => {
    let body: JsonValue | null = null;
    let bodyError: string | null = null;
    if (request.body !== null) {
      try {
        body = rebuildBody(request.dialect, request.endpoint, request.body, blocks);
      } catch (err) {
        bodyError = (err as Error).message;
        body = request.body;
      }
    }
    return {
      request,
      body,
      bodyError,
      headers: request.headers_ref ? (blocks.get(request.headers_ref) ?? null) : null,
      response: responses.get(request.id) ?? null,
    };
  });
  return { session, sessionId: session?.session_id ?? requests[0]?.session_id ?? null, exchanges, gaps };
}
