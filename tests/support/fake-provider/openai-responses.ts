// The OpenAI Responses dialect: a plan as output items (reasoning, message or refusal, function and custom tool
// calls), as a response object, and as the SSE event sequence (response.created … response.completed, or
// response.failed mid-stream). The WebSocket transport (responses-websocket.ts) sends the same events as frames.
import { blockText, type Plan } from './scenarios.js';
import type { SentUsage } from './types.js';
import { arr, id, words, type Ev, type Json } from './util.js';
import { openaiPromptTokens } from './openai-chat.js';

export function responsesUsage(u: SentUsage): Json {
  const input = openaiPromptTokens(u);
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + u.output,
  };
}

interface ResponsesItems {
  /** Final output items. */
  output: Json[];
  /** Streaming events for the items (without the sequence numbers). */
  events: Json[];
}

export function responsesItems(plan: Plan): ResponsesItems {
  const output: Json[] = [];
  const events: Json[] = [];
  plan.blocks.forEach((b) => {
    const output_index = output.length;
    if (b.kind === 'thinking') {
      const itemId = id('rs_');
      const done = {
        id: itemId,
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: b.text }],
        encrypted_content: b.signature,
      };
      events.push({ type: 'response.output_item.added', output_index, item: { ...done, summary: [] } });
      const part = { type: 'summary_text', text: '' };
      events.push({
        type: 'response.reasoning_summary_part.added',
        item_id: itemId,
        output_index,
        summary_index: 0,
        part,
      });
      for (const t of words(b.text)) {
        events.push({
          type: 'response.reasoning_summary_text.delta',
          item_id: itemId,
          output_index,
          summary_index: 0,
          delta: t,
        });
      }
      events.push({
        type: 'response.reasoning_summary_text.done',
        item_id: itemId,
        output_index,
        summary_index: 0,
        text: b.text,
      });
      events.push({
        type: 'response.reasoning_summary_part.done',
        item_id: itemId,
        output_index,
        summary_index: 0,
        part: { type: 'summary_text', text: b.text },
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else if (b.kind === 'text') {
      const itemId = id('msg_');
      const text = blockText(b);
      const kind = plan.refusal ? 'refusal' : 'output_text';
      const finalPart = plan.refusal
        ? { type: 'refusal', refusal: text }
        : { type: 'output_text', text, annotations: [], logprobs: [] };
      const done = {
        id: itemId,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [finalPart],
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', content: [] },
      });
      const emptyPart = plan.refusal
        ? { type: 'refusal', refusal: '' }
        : { type: 'output_text', text: '', annotations: [], logprobs: [] };
      events.push({
        type: 'response.content_part.added',
        item_id: itemId,
        output_index,
        content_index: 0,
        part: emptyPart,
      });
      for (const t of b.parts) {
        events.push({
          type: `response.${kind}.delta`,
          item_id: itemId,
          output_index,
          content_index: 0,
          delta: t,
          ...(plan.refusal ? {} : { logprobs: [] }),
        });
      }
      events.push(
        plan.refusal
          ? { type: 'response.refusal.done', item_id: itemId, output_index, content_index: 0, refusal: text }
          : {
              type: 'response.output_text.done',
              item_id: itemId,
              output_index,
              content_index: 0,
              text,
              logprobs: [],
            },
      );
      events.push({
        type: 'response.content_part.done',
        item_id: itemId,
        output_index,
        content_index: 0,
        part: finalPart,
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else if (b.custom) {
      const itemId = id('ctc_');
      const input = blockText(b);
      const done = {
        id: itemId,
        type: 'custom_tool_call',
        status: 'completed',
        call_id: `call_${b.id}`,
        name: b.name,
        input,
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', input: '' },
      });
      for (const p of b.argParts) {
        events.push({
          type: 'response.custom_tool_call_input.delta',
          item_id: itemId,
          output_index,
          delta: p,
        });
      }
      events.push({ type: 'response.custom_tool_call_input.done', item_id: itemId, output_index, input });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    } else {
      const itemId = id('fc_');
      const args = blockText(b);
      const done = {
        id: itemId,
        type: 'function_call',
        status: 'completed',
        arguments: args,
        call_id: `call_${b.id}`,
        name: b.name,
      };
      events.push({
        type: 'response.output_item.added',
        output_index,
        item: { ...done, status: 'in_progress', arguments: '' },
      });
      for (const p of b.argParts) {
        events.push({
          type: 'response.function_call_arguments.delta',
          item_id: itemId,
          output_index,
          delta: p,
        });
      }
      events.push({
        type: 'response.function_call_arguments.done',
        item_id: itemId,
        output_index,
        arguments: args,
      });
      events.push({ type: 'response.output_item.done', output_index, item: done });
      output.push(done);
    }
  });
  return { output, events };
}

export function responseObject(
  body: Json,
  respId: string,
  status: string,
  output: Json[],
  usage: Json | null,
): Json {
  return {
    id: respId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: typeof body.model === 'string' ? body.model : 'gpt-fake',
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: body.reasoning ?? { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: body.tool_choice ?? 'auto',
    tools: arr(body.tools),
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

export function responsesEvents(plan: Plan, body: Json, respId: string, streamError: boolean): Ev[] {
  const items = responsesItems(plan);
  const inProgress = responseObject(body, respId, 'in_progress', [], null);
  const payloads: Json[] = [
    { type: 'response.created', response: inProgress },
    { type: 'response.in_progress', response: inProgress },
    ...items.events,
  ];
  if (streamError) {
    const cut = payloads.slice(0, Math.max(3, payloads.length - 2));
    const failed = responseObject(body, respId, 'failed', [], null);
    failed.error = { code: 'server_error', message: 'The model produced an error.' };
    cut.push({ type: 'response.failed', response: failed });
    return cut.map((data, sequence_number) => ({
      event: String(data.type),
      data: { ...data, sequence_number },
    }));
  }
  payloads.push({
    type: 'response.completed',
    response: responseObject(body, respId, 'completed', items.output, responsesUsage(plan.usage)),
  });
  return payloads.map((data, sequence_number) => ({
    event: String(data.type),
    data: { ...data, sequence_number },
  }));
}
