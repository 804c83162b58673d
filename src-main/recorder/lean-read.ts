// Reading lean (version 2) lines back into the full shape, a whole session file at a time: the session line,
// the blocks and each response's request line supply what the lean lines leave out (lean-lines.ts,
// lean-response.ts). Version 1 lines pass through unchanged.
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine, StoredRequestLine, StoredResponseLine } from '../../src-shared/records.js';
import {
  hydrateRequest,
  type PreviousBases,
  type RecordedCall,
  type RequestFactsForResponse,
  type SessionFacts,
} from './lean-lines.js';
import { hydrateResponse } from './lean-response.js';

/**
 * Every line of one session's record (all parts, in order) in the full shape: version 2 request and response
 * lines are filled in from the session line (`fallbackId`, the file name's session id, when there is none),
 * their request lines and the file's blocks. Other lines, and v1 lines, are returned as they are.
 */
export function hydrateLines(lines: RecordLine[], fallbackId: string): RecordLine[] {
  if (!lines.some((l) => (l.v ?? 1) >= 2 && (l.type === 'request' || l.type === 'response'))) return lines;
  const blocks = new Map<string, JsonValue>();
  let session: SessionFacts | null = null;
  for (const l of lines) {
    if (l.type === 'block') blocks.set(l.hash, l.value);
    else if (l.type === 'session' && session === null)
      session = { session_id: l.session_id, client: l.client, client_version: l.client_version };
  }
  const facts: SessionFacts = session ?? { session_id: fallbackId, client: null, client_version: null };
  const requests = new Map<string, RequestFactsForResponse>();
  // Tool calls by id, from the responses read so far (a tool result stored as an id answers the latest).
  const calls = new Map<string, RecordedCall>();
  // The base blocks of the previous lean request and response lines (a lean line without `base_ref` uses them).
  const previous: PreviousBases = {};
  return lines.map((l) => {
    if (l.type === 'request') {
      const full = hydrateRequest(l as unknown as StoredRequestLine, facts, blocks, calls, previous);
      requests.set(full.id, {
        at: full.at,
        dialect: full.dialect,
        endpoint: full.endpoint,
        model: full.model,
      });
      return full;
    }
    if (l.type === 'response') {
      const full = hydrateResponse(
        l as unknown as StoredResponseLine,
        facts,
        requests.get(l.id) ?? null,
        blocks,
        previous,
      );
      for (const b of full.response?.content ?? [])
        if (b.type === 'tool_call' && b.kind !== 'server')
          calls.set(b.id, { requestId: full.id, endAt: full.at });
      return full;
    }
    return l;
  });
}
