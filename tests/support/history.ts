// Session files for index tests: a few sessions of a few turns each, written as JSONL under
// `<dataDir>/sessions/<day>/<id>.jsonl` the way the recorder writes them (session, request, response lines), with
// two clients and models, cache reads, a failure, and a tool call answered by the next turn.
import fs from 'node:fs';
import path from 'node:path';
import type { RecordLine, RequestLine, ResponseLine, SessionLine } from '../../src-shared/records.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface HistorySession {
  id: string;
  /** Epoch ms of its first request. */
  at: number;
  turns: number;
  client?: SessionLine['client'];
  model?: string;
}

function lines(s: HistorySession): RecordLine[] {
  const client = s.client ?? 'claude_code';
  const model = s.model ?? 'claude-haiku-4-5';
  const out: RecordLine[] = [
    {
      type: 'session',
      v: 1,
      session_id: s.id,
      at: s.at,
      client,
      client_version: null,
      user_agent: null,
      id_source: 'session-id',
    },
  ];
  for (let i = 0; i < s.turns; i++) {
    const at = s.at + i * 7 * 60_000;
    const id = `${s.id}-r${i}`;
    const req: RequestLine = {
      type: 'request',
      v: 1,
      id,
      session_id: s.id,
      at,
      dialect: client === 'codex' ? 'openai' : 'anthropic',
      endpoint: client === 'codex' ? 'chat_completions' : 'messages',
      transport: 'http',
      method: 'POST',
      url: '/v1/x',
      upstream_url: 'http://127.0.0.1/v1/x',
      client,
      headers_ref: null,
      credential_source: 'client',
      body: { model, max_tokens: 1000 },
      body_text: null,
      body_bytes: 10,
      body_truncated: false,
      body_encoding: null,
      model,
      stream: false,
      prompt: `turn ${i} of ${s.id} about ${i % 2 === 0 ? 'pelicans' : 'walruses'}`,
      message_count: 1 + i,
      tool_count: 2,
      system_chars: 0,
      tool_results:
        i > 0
          ? [
              {
                id: `${s.id}-t${i - 1}`,
                is_error: i % 3 === 0,
                call_request_id: null,
                latency_ms: 1_000 + i * 37,
              },
            ]
          : [],
    };
    const failed = i === 2;
    const res: ResponseLine = {
      type: 'response',
      v: 1,
      id,
      session_id: s.id,
      at: at + 2_000 + i * 10,
      status: failed ? 500 : 200,
      headers: null,
      outcome: failed ? 'failed' : 'completed',
      reason: failed ? 'upstream_status' : null,
      error: null,
      response: {
        content: [
          { type: 'text', text: `answer ${i} for ${s.id}` },
          {
            type: 'tool_call',
            kind: 'function',
            id: `${s.id}-t${i}`,
            name: i % 2 ? 'Bash' : 'Read',
            arguments: '{}',
          },
        ],
      } as never,
      body_text: null,
      model,
      usage: failed
        ? { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null }
        : {
            input: 100 + i,
            cacheRead: 1_000 * i,
            cacheWrite: 50,
            output: 20 + i,
            reasoning: null,
            raw: null,
          },
      stop_reason: null,
      timings: {
        ttfb_ms: 100,
        first_content_ms: 150,
        duration_ms: 2_000 + i * 10,
        provider_ms: null,
        overhead_ms: null,
      },
      response_bytes: 10,
      chunks: 1,
      truncated: false,
    };
    out.push(req, res);
  }
  return out;
}

/** The file of a session, relative to the sessions dir. */
export function sessionRel(s: HistorySession): string {
  return `${new Date(s.at).toISOString().slice(0, 10)}/${s.id}.jsonl`;
}

/** Write the sessions' files under `<dataDir>/sessions`; returns the sessions dir. */
export function writeHistory(dataDir: string, sessions: readonly HistorySession[]): string {
  const dir = path.join(dataDir, 'sessions');
  for (const s of sessions) {
    const file = path.join(dir, sessionRel(s));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(
      file,
      lines(s)
        .map((l) => JSON.stringify(l) + '\n')
        .join(''),
    );
  }
  return dir;
}
