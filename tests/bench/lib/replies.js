// What the benchmark's fake upstream answers to a plain (non-streaming) Messages request: a ~1 KB Anthropic-style
// JSON message and its headers. Shared by the upstream child and the recorder engine benchmark, which feeds the
// same bytes to the recorder without a socket.

const text = 'The quick brown fox jumps over the lazy dog. '.repeat(18);
export const JSON_REPLY = Buffer.from(
  JSON.stringify({
    id: 'msg_01BenchBenchBenchBenchBench',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: 1234,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 20480,
      output_tokens: 210,
      service_tier: 'standard',
    },
  }),
);
export const JSON_REPLY_HEADERS = {
  'content-type': 'application/json',
  'content-length': String(JSON_REPLY.length),
  'request-id': 'req_01BenchBenchBenchBenchBench',
  'anthropic-organization-id': '00000000-0000-0000-0000-000000000000',
  'anthropic-ratelimit-requests-limit': '4000',
  'anthropic-ratelimit-requests-remaining': '3999',
};
export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};
