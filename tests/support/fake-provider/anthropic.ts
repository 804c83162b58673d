// The Anthropic Messages dialect: a plan as a JSON message or as SSE events (message_start … message_stop, or an
// `event: error` mid-stream), the API's error shape and headers, and the Message Batches API (kept in memory,
// every batch ends at once with the default answer for each request).
import type { ServerResponse } from 'node:http';
import { blockText, makePlan, type Plan } from './scenarios.js';
import type { FakeProviderOptions, RecordedRequest, SentUsage } from './types.js';
import { arr, id, isObj, sendJson, words, type ErrorReply, type Ev, type Json } from './util.js';

function anthropicUsage(u: SentUsage, output: number): Json {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: output,
    service_tier: 'standard',
  };
}

function anthropicContent(plan: Plan): Json[] {
  return plan.blocks.map((b) =>
    b.kind === 'thinking'
      ? { type: 'thinking', thinking: b.text, signature: b.signature }
      : b.kind === 'text'
        ? { type: 'text', text: blockText(b) }
        : { type: 'tool_use', id: `toolu_${b.id}`, name: b.name, input: JSON.parse(blockText(b)) as unknown },
  );
}

function anthropicStop(plan: Plan): string {
  if (plan.refusal) return 'refusal';
  return plan.blocks.some((b) => b.kind === 'tool') ? 'tool_use' : 'end_turn';
}

export function anthropicJson(plan: Plan, model: string): Json {
  return {
    id: id('msg_'),
    type: 'message',
    role: 'assistant',
    model,
    content: anthropicContent(plan),
    stop_reason: anthropicStop(plan),
    stop_sequence: null,
    usage: anthropicUsage(plan.usage, plan.usage.output),
  };
}

export function anthropicEvents(plan: Plan, model: string, streamError: boolean): Ev[] {
  const msg: Json = {
    ...anthropicJson(plan, model),
    content: [],
    stop_reason: null,
    usage: anthropicUsage(plan.usage, 1),
  };
  const evs: Ev[] = [{ event: 'message_start', data: { type: 'message_start', message: msg } }];
  evs.push({ event: 'ping', data: { type: 'ping' } });
  plan.blocks.forEach((b, index) => {
    const start =
      b.kind === 'thinking'
        ? { type: 'thinking', thinking: '', signature: '' }
        : b.kind === 'text'
          ? { type: 'text', text: '' }
          : { type: 'tool_use', id: `toolu_${b.id}`, name: b.name, input: {} };
    evs.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: start },
    });
    const delta = (d: Json): Ev => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index, delta: d },
    });
    if (b.kind === 'thinking') {
      for (const t of words(b.text)) evs.push(delta({ type: 'thinking_delta', thinking: t }));
      evs.push(delta({ type: 'signature_delta', signature: b.signature }));
    } else if (b.kind === 'text') {
      for (const t of b.parts) evs.push(delta({ type: 'text_delta', text: t }));
    } else {
      evs.push(delta({ type: 'input_json_delta', partial_json: '' }));
      for (const p of b.argParts) evs.push(delta({ type: 'input_json_delta', partial_json: p }));
    }
    evs.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  if (streamError) {
    const cut = evs.slice(0, Math.max(3, evs.length - 2));
    cut.push({
      event: 'error',
      data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    });
    return cut;
  }
  const { service_tier: _tier, ...finalUsage } = anthropicUsage(plan.usage, plan.usage.output);
  evs.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: anthropicStop(plan), stop_sequence: null },
      usage: finalUsage,
    },
  });
  evs.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return evs;
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** An error as the Messages API sends it: `{type: 'error', error: {type, message}}`, `request-id`, and on 429 the
 * `retry-after` and `anthropic-ratelimit-*` headers. */
export function anthropicError(status: number, message?: string): ErrorReply {
  const reqId = id('req_');
  const reset = new Date(Date.now() + 7000).toISOString().replace(/\.\d+Z$/, 'Z');
  const headers: Record<string, string> = {
    'request-id': reqId,
    'x-should-retry': status >= 500 || status === 429 ? 'true' : 'false',
  };
  if (status === 429) {
    Object.assign(headers, {
      'retry-after': '7',
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': reset,
      'anthropic-ratelimit-input-tokens-limit': '30000',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': '10000',
      'anthropic-ratelimit-output-tokens-remaining': '0',
      'anthropic-ratelimit-output-tokens-reset': reset,
    });
  }
  const type = ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const msg =
    message ??
    (status === 429
      ? 'This request would exceed the rate limit for your organization of 50 requests per minute.'
      : status === 529
        ? 'Overloaded'
        : status >= 500
          ? 'Internal server error'
          : `Fake provider error ${status}`);
  return { status, headers, body: { type: 'error', error: { type, message: msg }, request_id: reqId } };
}

/** /v1/messages/batches: create, list, get, results (JSONL), cancel, delete. */
export function handleBatches(
  rec: RecordedRequest,
  res: ServerResponse,
  batches: Map<string, Json>,
  opts: Required<FakeProviderOptions>,
): void {
  const parts = rec.path.split('/').slice(4); // after /v1/messages/batches
  const now = new Date().toISOString();
  if (rec.method === 'POST' && parts.length === 0) {
    const n = isObj(rec.json) ? arr(rec.json.requests).length : 0;
    const batch: Json = {
      id: id('msgbatch_'),
      type: 'message_batch',
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: n, errored: 0, canceled: 0, expired: 0 },
      ended_at: now,
      created_at: now,
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
    };
    batch.results_url = `http://${rec.headers.host ?? '127.0.0.1'}/v1/messages/batches/${String(batch.id)}/results`;
    batches.set(String(batch.id), { ...batch, requests: isObj(rec.json) ? arr(rec.json.requests) : [] });
    sendJson(res, 200, batch);
    return;
  }
  if (rec.method === 'GET' && parts.length === 0) {
    const data = [...batches.values()].map(({ requests: _r, ...b }) => b);
    sendJson(res, 200, {
      data,
      has_more: false,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
    });
    return;
  }
  const batch = batches.get(parts[0] ?? '');
  if (!batch) {
    const e = anthropicError(404, 'Batch not found');
    sendJson(res, 404, e.body, e.headers);
    return;
  }
  const { requests: reqs, ...pub } = batch;
  if (parts[1] === 'results') {
    const lines = arr(reqs)
      .filter(isObj)
      .map((r) =>
        JSON.stringify({
          custom_id: r.custom_id,
          result: {
            type: 'succeeded',
            message: anthropicJson(
              makePlan({ lastUserText: '', toolResult: undefined, tools: [] }, [], opts).plan,
              isObj(r.params) && typeof r.params.model === 'string' ? r.params.model : 'fake-model',
            ),
          },
        }),
      );
    res.writeHead(200, { 'content-type': 'application/binary' });
    res.end(lines.join('\n') + '\n');
    return;
  }
  if (parts[1] === 'cancel') pub.cancel_initiated_at = now;
  if (rec.method === 'DELETE') {
    batches.delete(String(pub.id));
    sendJson(res, 200, { id: pub.id, type: 'message_batch_deleted' });
    return;
  }
  sendJson(res, 200, pub);
}
