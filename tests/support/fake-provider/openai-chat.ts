// The OpenAI Chat Completions dialect: a plan as a chat.completion or as chat.completion.chunk SSE events (usage
// only with stream_options.include_usage, a `data: {"error":…}` chunk mid-stream), and the error shape and headers
// that both OpenAI APIs (Chat and Responses) use.
import type { Plan } from './scenarios.js';
import { blockText } from './scenarios.js';
import type { SentUsage } from './types.js';
import { id, type ErrorReply, type Ev, type Json } from './util.js';

/** OpenAI's prompt/input tokens include the cached ones (Anthropic's input_tokens do not). */
export function openaiPromptTokens(u: SentUsage): number {
  return u.input + u.cacheRead + u.cacheWrite;
}

function chatUsage(u: SentUsage): Json {
  const prompt = openaiPromptTokens(u);
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: u.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function chatFinish(plan: Plan): string {
  if (plan.refusal) return 'content_filter';
  return plan.blocks.some((b) => b.kind === 'tool') ? 'tool_calls' : 'stop';
}

export function chatJson(plan: Plan, model: string): Json {
  const text = plan.blocks
    .filter((b) => b.kind === 'text')
    .map(blockText)
    .join('');
  const calls = plan.blocks.flatMap((b) =>
    b.kind === 'tool'
      ? [{ id: `call_${b.id}`, type: 'function', function: { name: b.name, arguments: blockText(b) } }]
      : [],
  );
  const message: Json = {
    role: 'assistant',
    content: plan.refusal ? null : text,
    refusal: plan.refusal ? text : null,
    annotations: [],
  };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: id('chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinish(plan) }],
    usage: chatUsage(plan.usage),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

export function chatEvents(plan: Plan, model: string, includeUsage: boolean, streamError: boolean): Ev[] {
  const base = {
    id: id('chatcmpl-'),
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
  const chunk = (delta: Json, finish: string | null = null): Ev => ({
    data: {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(includeUsage ? { usage: null } : {}),
    },
  });
  const evs: Ev[] = [chunk({ role: 'assistant', content: '', refusal: null })];
  let toolIndex = 0;
  for (const b of plan.blocks) {
    if (b.kind === 'text') {
      for (const t of b.parts) evs.push(chunk(plan.refusal ? { refusal: t } : { content: t }));
    } else if (b.kind === 'tool') {
      const index = toolIndex++;
      evs.push(
        chunk({
          tool_calls: [
            { index, id: `call_${b.id}`, type: 'function', function: { name: b.name, arguments: '' } },
          ],
        }),
      );
      for (const p of b.argParts) evs.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
    }
  }
  if (streamError) {
    const cut = evs.slice(0, Math.max(2, evs.length - 1));
    cut.push({
      data: {
        error: {
          message: 'The server had an error while processing your request.',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    });
    return cut;
  }
  evs.push(chunk({}, chatFinish(plan)));
  if (includeUsage) evs.push({ data: { ...base, choices: [], usage: chatUsage(plan.usage) } });
  evs.push({ data: '[DONE]' });
  return evs;
}

/** An error as the OpenAI APIs (Chat and Responses) send it: `{error: {message, type, param, code}}`,
 * `x-request-id`, and on 429 the `retry-after` and `x-ratelimit-*` headers. */
export function openaiError(status: number, message?: string): ErrorReply {
  const reqId = id('req_');
  const headers: Record<string, string> = { 'x-request-id': reqId };
  let error: Json;
  if (status === 429) {
    Object.assign(headers, {
      'retry-after': '7',
      'x-ratelimit-limit-requests': '500',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '7s',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '7s',
    });
    error = {
      message:
        message ??
        'Rate limit reached for gpt-fake on requests per min (RPM): Limit 500, Used 500, Requested 1.',
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    };
  } else if (status === 401) {
    error = {
      message: message ?? 'Incorrect API key provided.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    };
  } else if (status >= 500) {
    error = {
      message: message ?? 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
      code: null,
    };
  } else {
    error = {
      message: message ?? `Fake provider error ${status}`,
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
  }
  return { status, headers, body: { error } };
}
