// HAR 1.2 from a session: one entry per request with its rebuilt JSON body, the response reassembled into the
// provider's non-streaming JSON shape (a streamed answer becomes the message it streamed), and LunaRoute's own
// facts in `_lunaroute` extension fields (HAR allows custom fields that start with `_`): session and request
// ids, outcome, tokens, and cost — null with `cost_note: "unpriced"` until a price table exists. Loads in
// Chrome DevTools' Network panel. Built from the stored (redacted) lines only. Pure.
import type { ContentBlock, JsonValue, ReassembledResponse } from '../../src-shared/exchange.js';
import type { ResponseLine } from '../../src-shared/records.js';
import type { SessionData, SessionExchange } from './session-data.js';

type HarHeader = {
  name: string;
  value: string;
};

function headerList(h: JsonValue | null): HarHeader[] {
  if (!h || typeof h !== 'object' || Array.isArray(h)) return [];
  const out: HarHeader[] = [];
  for (const [name, v] of Object.entries(h)) {
    if (Array.isArray(v)) for (const x of v) out.push({ name, value: String(x) });
    else if (v !== null && v !== undefined) out.push({ name, value: String(v) });
  }
  return out;
}

function absoluteUrl(ex: SessionExchange): URL {
  try {
    return new URL(ex.request.upstream_url);
  } catch {
    return new URL(ex.request.url, 'http://127.0.0.1');
  }
}

function anthropicBlock(b: ContentBlock): JsonValue {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: b.text };
    case 'thinking':
      return { type: 'thinking', thinking: b.thinking, signature: b.signature };
    case 'redacted_thinking':
      return { type: 'redacted_thinking', data: b.data };
    case 'tool_call':
      return {
        type: b.kind === 'server' ? 'server_tool_use' : 'tool_use',
        id: b.id,
        name: b.name,
        input: b.input ?? b.arguments,
      };
    case 'refusal':
      return { type: 'text', text: b.refusal };
    case 'other':
      return b.raw;
  }
}

/** The response as the provider would have sent it without streaming. */
export function reassembledJson(r: ReassembledResponse): JsonValue {
  const text = r.content
    .filter((b) => b.type === 'text')
    .map((b) => (b as { text: string }).text)
    .join('');
  const calls = r.content.filter((b) => b.type === 'tool_call');
  if (r.dialect === 'anthropic') {
    return {
      id: r.id,
      type: 'message',
      role: r.role ?? 'assistant',
      model: r.model,
      content: r.content.map(anthropicBlock),
      stop_reason: r.stopReason,
      stop_sequence: r.stopDetail,
      usage: r.usage.raw,
      ...(r.error ? { error: { type: r.error.type, message: r.error.message } } : {}),
    };
  }
  if (r.endpoint === 'responses') {
    const output: JsonValue[] = [];
    for (const b of r.content) {
      if (b.type === 'text') {
        output.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: b.text }] });
      } else if (b.type === 'thinking') {
        output.push({ type: 'reasoning', summary: [{ type: 'summary_text', text: b.thinking }] });
      } else if (b.type === 'tool_call') {
        output.push(
          b.kind === 'custom'
            ? { type: 'custom_tool_call', call_id: b.id, name: b.name, input: b.arguments }
            : { type: 'function_call', call_id: b.id, name: b.name, arguments: b.arguments },
        );
      } else if (b.type === 'refusal') {
        output.push({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'refusal', refusal: b.refusal }],
        });
      } else if (b.type === 'other') output.push(b.raw);
    }
    return { id: r.id, object: 'response', model: r.model, status: r.stopReason, output, usage: r.usage.raw };
  }
  const thinking = r.content.find((b) => b.type === 'thinking');
  return {
    id: r.id,
    object: 'chat.completion',
    model: r.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || null,
          ...(thinking ? { reasoning_content: (thinking as { thinking: string }).thinking } : {}),
          ...(calls.length
            ? {
                tool_calls: calls.map((c) => ({
                  id: (c as { id: string }).id,
                  type: 'function',
                  function: {
                    name: (c as { name: string }).name,
                    arguments: (c as { arguments: string }).arguments,
                  },
                })),
              }
            : {}),
        },
        finish_reason: r.stopReason,
      },
    ],
    usage: r.usage.raw,
  };
}

function responseContent(r: ResponseLine | null): { mimeType: string; text: string; size: number } {
  if (!r) return { mimeType: 'text/plain', text: '', size: 0 };
  if (r.response) {
    const text = JSON.stringify(reassembledJson(r.response), null, 2);
    return { mimeType: 'application/json', text, size: text.length };
  }
  if (r.body_text !== null) return { mimeType: 'text/plain', text: r.body_text, size: r.body_text.length };
  if (r.error) {
    const text = JSON.stringify({ error: r.error });
    return { mimeType: 'application/json', text, size: text.length };
  }
  return { mimeType: 'text/plain', text: '', size: 0 };
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  529: 'Overloaded',
};

function entry(ex: SessionExchange, sessionId: string): JsonValue {
  const rq = ex.request;
  const rs = ex.response;
  const url = absoluteUrl(ex);
  const t = rs?.timings;
  const wait = Math.max(0, t?.ttfb_ms ?? 0);
  const receive = Math.max(0, (t?.duration_ms ?? wait) - wait);
  const postText = ex.body !== null ? JSON.stringify(ex.body) : rq.body_text;
  const u = rs?.usage;
  return {
    startedDateTime: new Date(rq.at).toISOString(),
    time: wait + receive,
    request: {
      method: rq.method,
      url: url.href,
      httpVersion: rq.transport.endsWith('websocket') ? 'WebSocket' : 'HTTP/1.1',
      cookies: [],
      headers: headerList(ex.headers),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      ...(postText !== null
        ? {
            postData: {
              mimeType: ex.body !== null ? 'application/json' : 'text/plain',
              text: postText,
              params: [],
            },
          }
        : {}),
      headersSize: -1,
      bodySize: rq.body_bytes,
    },
    response: {
      status: rs?.status ?? 0,
      statusText: rs?.status ? (STATUS_TEXT[rs.status] ?? '') : rs ? 'No response' : 'In flight',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headerList(rs?.headers ?? null),
      content: responseContent(rs),
      redirectURL: '',
      headersSize: -1,
      bodySize: rs?.response_bytes ?? -1,
    },
    cache: {},
    timings: { blocked: -1, dns: -1, connect: -1, ssl: -1, send: 0, wait, receive },
    _lunaroute: {
      session_id: sessionId,
      request_id: rq.id,
      client: rq.client,
      dialect: rq.dialect,
      endpoint: rq.endpoint,
      model: rs?.model ?? rq.model,
      stream: rq.stream,
      outcome: rs?.outcome ?? null,
      reason: rs?.reason ?? null,
      tokens: {
        input: u?.input ?? null,
        output: u?.output ?? null,
        cache_read: u?.cacheRead ?? null,
        cache_write: u?.cacheWrite ?? null,
        reasoning: u?.reasoning ?? null,
      },
      cost: null,
      cost_note: 'unpriced',
      streamed_response: rs?.response?.streamed ?? null,
      first_content_ms: t?.first_content_ms ?? null,
      truncated: rq.body_truncated || (rs?.truncated ?? false),
    },
  };
}

export function buildHar(data: SessionData, creatorVersion: string): JsonValue {
  const sessionId = data.sessionId ?? 'unknown';
  return {
    log: {
      version: '1.2',
      creator: { name: 'LunaRoute', version: creatorVersion },
      comment: `LunaRoute session ${sessionId} (redacted as stored)`,
      entries: data.exchanges.map((ex) => entry(ex, sessionId)),
      _lunaroute: { session_id: sessionId, client: data.session?.client ?? null, gaps: data.gaps },
    },
  };
}
