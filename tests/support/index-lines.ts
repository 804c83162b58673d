// Record lines for index tests: a session, a request, its response and a gap line, with defaults that exercise the
// indexer (tool calls answered by the next turn, limit headers, redaction counts, a failure at turn 2, a free
// count_tokens request at turn 3); `extra` overrides any field.
import type { GapLine, RequestLine, ResponseLine, SessionLine } from '../../src-shared/records.js';

export const FILE = '2026-11-02/sess-m.jsonl';
export const T0 = Date.UTC(2026, 10, 2, 9);

export const session = (id: string, at: number): SessionLine => ({
  type: 'session',
  v: 1,
  session_id: id,
  at,
  client: 'claude_code',
  client_version: '2.0.14',
  user_agent: null,
  id_source: 'session-id',
});

export function request(sid: string, n: number, at: number, extra: Partial<RequestLine> = {}): RequestLine {
  return {
    type: 'request',
    v: 1,
    id: `${sid}-r${n}`,
    session_id: sid,
    at,
    dialect: 'anthropic',
    endpoint: n === 3 ? 'count_tokens' : 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages',
    upstream_url: 'http://127.0.0.1/v1/messages',
    client: 'claude_code',
    headers_ref: null,
    credential_source: 'client',
    body: { model: 'claude-haiku-4-5', max_tokens: 1000 },
    body_text: null,
    body_bytes: 100 + n,
    body_truncated: false,
    body_encoding: null,
    model: 'claude-haiku-4-5',
    stream: n % 2 === 0,
    prompt: `turn ${n} about ${n % 2 === 0 ? 'pelicans' : 'walruses'} in the harbour`,
    message_count: 1 + n,
    tool_count: 2,
    system_chars: 0,
    tool_results:
      n > 0
        ? [{ id: `${sid}-t${n - 1}`, is_error: n % 3 === 0, call_request_id: null, latency_ms: 900 + n }]
        : [],
    redaction: n % 2 === 0 ? { email: 1 + n, api_key: 1 } : { email: 2 },
    ...extra,
  };
}

export function response(
  sid: string,
  n: number,
  at: number,
  extra: Partial<ResponseLine> = {},
): ResponseLine {
  const failed = n === 2;
  return {
    type: 'response',
    v: 1,
    id: `${sid}-r${n}`,
    session_id: sid,
    at,
    status: failed ? 500 : 200,
    // Limit windows: the same two each time, `seen_at` (the line's time) not always rising.
    headers: {
      'anthropic-ratelimit-unified-5h-utilization': String(0.1 + n / 100),
      'anthropic-ratelimit-unified-5h-reset': String(Math.floor(T0 / 1000) + 3600),
      'anthropic-ratelimit-unified-7d-utilization': String(0.5 - n / 100),
      'anthropic-ratelimit-unified-7d-reset': String(Math.floor(T0 / 1000) + 86400),
    },
    outcome: failed ? 'failed' : 'completed',
    reason: failed ? 'upstream_status' : null,
    error: failed ? { type: 'api_error', code: null, message: 'overloaded', status: 500 } : null,
    response: {
      content: [
        { type: 'text', text: `answer ${n} mentions otters` },
        {
          type: 'tool_call',
          kind: 'function',
          id: `${sid}-t${n}`,
          name: n % 2 ? 'Bash' : 'Read',
          arguments: '{}',
        },
      ],
    } as never,
    body_text: null,
    model: 'claude-haiku-4-5',
    usage: failed
      ? { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null, raw: null }
      : { input: 100 + n, cacheRead: 1_000 * n, cacheWrite: 50, output: 20 + n, reasoning: null, raw: null },
    stop_reason: 'end_turn',
    timings: {
      ttfb_ms: 100,
      first_content_ms: 150,
      duration_ms: 2_000 + n,
      provider_ms: null,
      overhead_ms: null,
    },
    response_bytes: 10 + n,
    chunks: 1,
    truncated: false,
    redaction: { email: 1 },
    ...extra,
  };
}

export const gap = (at: number, requests: string[]): GapLine => ({
  type: 'gap',
  v: 1,
  at,
  dropped: requests.length,
  reason: 'queue_full',
  requests,
});
