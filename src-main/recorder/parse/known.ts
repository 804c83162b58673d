// What the response parsers know, per dialect: the event types, content block / output item / delta types and
// the fields of the objects they read field by field. Anything else in a response is "drift" (see UnknownItem):
// recorded as received and reported once per client version. The lists come from the providers' API references
// (Anthropic Messages incl. beta features, OpenAI Chat Completions and Responses) and from what the real clients'
// upstreams send (Codex's ChatGPT backend adds `codex.*` events). To teach LunaRoute a new type, add it here.
//
// Deliberately not checked, so that open-ended or echoed data never raises a false alarm: usage objects and
// metadata maps (kept whole), the Responses `response` object (it echoes the request's settings and the backend
// Codex uses adds undocumented fields), fields of Responses items and events, and Chat `choices[]` entries.

const set = (...names: string[]): ReadonlySet<string> => new Set(names);
/** A lookup by type name (a Map: a provider string such as `constructor` must not find Object's prototype). */
const byType = (o: Record<string, ReadonlySet<string>>): ReadonlyMap<string, ReadonlySet<string>> =>
  new Map(Object.entries(o));

export const ANTHROPIC = {
  events: set(
    'message_start',
    'content_block_start',
    'content_block_delta',
    'content_block_stop',
    'message_delta',
    'message_stop',
    'ping',
    'error',
  ),
  /** Content block types of a response (`content_block_start.content_block.type`, `message.content[].type`). */
  blocks: set(
    'text',
    'thinking',
    'redacted_thinking',
    'tool_use',
    'server_tool_use',
    'mcp_tool_use',
    'mcp_tool_result',
    'web_search_tool_result',
    'web_fetch_tool_result',
    'advisor_tool_result',
    'code_execution_tool_result',
    'bash_code_execution_tool_result',
    'text_editor_code_execution_tool_result',
    'tool_search_tool_result',
    'container_upload',
    'compaction',
    'fallback',
  ),
  deltas: set(
    'text_delta',
    'input_json_delta',
    'citations_delta',
    'thinking_delta',
    'signature_delta',
    'compaction_delta',
  ),
  /** Fields per event type (the event envelope). */
  eventFields: byType({
    message_start: set('type', 'message'),
    content_block_start: set('type', 'index', 'content_block'),
    content_block_delta: set('type', 'index', 'delta'),
    content_block_stop: set('type', 'index'),
    message_delta: set('type', 'delta', 'usage', 'context_management'),
    message_stop: set('type'),
    ping: set('type'),
  }),
  /** The message object: `message_start.message`, or a whole non-streaming body. */
  message: set(
    'id',
    'type',
    'role',
    'model',
    'content',
    'stop_reason',
    'stop_sequence',
    'stop_details',
    'usage',
    'container',
    'context_management',
    'diagnostics',
  ),
  /** `message_delta.delta`. */
  messageDelta: set('stop_reason', 'stop_sequence', 'stop_details', 'container'),
  /** Fields of the block types whose content is rebuilt field by field (the others are kept whole). */
  blockFields: byType({
    text: set('type', 'text', 'citations'),
    thinking: set('type', 'thinking', 'signature'),
    redacted_thinking: set('type', 'data'),
    tool_use: set('type', 'id', 'name', 'input', 'caller', 'toolset_name'),
    server_tool_use: set('type', 'id', 'name', 'input', 'caller'),
    mcp_tool_use: set('type', 'id', 'name', 'input', 'server_name'),
  }),
  deltaFields: byType({
    text_delta: set('type', 'text'),
    input_json_delta: set('type', 'partial_json'),
    citations_delta: set('type', 'citation'),
    thinking_delta: set('type', 'thinking'),
    signature_delta: set('type', 'signature'),
    compaction_delta: set('type', 'content', 'encrypted_content'),
  }),
} as const;

/** Fields OpenAI-compatible servers commonly add to Chat objects (OpenRouter, Azure, Perplexity, Groq). */
const CHAT_COMPATIBLE = ['provider', 'prompt_filter_results', 'citations', 'x_groq'];

export const CHAT = {
  /** A streamed `chat.completion.chunk` (and the top level of a `chat.completion` body). */
  chunk: set(
    'id',
    'object',
    'created',
    'model',
    'system_fingerprint',
    'service_tier',
    'choices',
    'usage',
    'obfuscation',
    ...CHAT_COMPATIBLE,
  ),
  /** `choices[].delta` of a chunk and `choices[].message` of a body. */
  delta: set(
    'role',
    'content',
    'refusal',
    'tool_calls',
    'function_call',
    'annotations',
    'audio',
    'reasoning_content', // DeepSeek, vLLM
    'reasoning', // OpenRouter
    'reasoning_details', // OpenRouter
  ),
} as const;

export const RESPONSES = {
  events: set(
    'response.created',
    'response.in_progress',
    'response.queued',
    'response.completed',
    'response.failed',
    'response.incomplete',
    'response.cancelled',
    'error',
    'response.output_item.added',
    'response.output_item.done',
    'response.content_part.added',
    'response.content_part.done',
    'response.output_text.delta',
    'response.output_text.done',
    'response.output_text.annotation.added',
    'response.refusal.delta',
    'response.refusal.done',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.custom_tool_call_input.delta',
    'response.custom_tool_call_input.done',
    'response.reasoning_summary_part.added',
    'response.reasoning_summary_part.done',
    'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done',
    'response.reasoning_text.delta',
    'response.reasoning_text.done',
    'response.audio.delta',
    'response.audio.done',
    'response.audio.transcript.delta',
    'response.audio.transcript.done',
    'response.code_interpreter_call.in_progress',
    'response.code_interpreter_call.interpreting',
    'response.code_interpreter_call.completed',
    'response.code_interpreter_call_code.delta',
    'response.code_interpreter_call_code.done',
    'response.file_search_call.in_progress',
    'response.file_search_call.searching',
    'response.file_search_call.completed',
    'response.web_search_call.in_progress',
    'response.web_search_call.searching',
    'response.web_search_call.completed',
    'response.image_generation_call.in_progress',
    'response.image_generation_call.generating',
    'response.image_generation_call.partial_image',
    'response.image_generation_call.completed',
    'response.mcp_call.in_progress',
    'response.mcp_call.completed',
    'response.mcp_call.failed',
    'response.mcp_call_arguments.delta',
    'response.mcp_call_arguments.done',
    'response.mcp_list_tools.in_progress',
    'response.mcp_list_tools.completed',
    'response.mcp_list_tools.failed',
    'response.shell_call_command.added',
    'response.shell_call_command.delta',
    'response.shell_call_command.done',
    'response.shell_call_output_content.delta',
    'response.shell_call_output_content.done',
    // Sent by the ChatGPT backend Codex talks to (informational: rate limits, response headers, timings).
    'codex.rate_limits',
    'codex.response.metadata',
    'response.metadata',
    'responsesapi.websocket_timing',
  ),
  /** Output item types (`output_item.added/done.item.type`, `response.output[].type`). */
  items: set(
    'message',
    'reasoning',
    'function_call',
    'function_call_output',
    'custom_tool_call',
    'custom_tool_call_output',
    'file_search_call',
    'web_search_call',
    'computer_call',
    'computer_call_output',
    'code_interpreter_call',
    'image_generation_call',
    'local_shell_call',
    'local_shell_call_output',
    'shell_call',
    'shell_call_output',
    'apply_patch_call',
    'apply_patch_call_output',
    'mcp_call',
    'mcp_list_tools',
    'mcp_approval_request',
    'mcp_approval_response',
    'tool_search_call',
    'tool_search_output',
    'additional_tools',
    'program',
    'program_output',
    'compaction',
    'compaction_summary',
  ),
  /** Content part types of a `message` item. */
  parts: set('output_text', 'refusal'),
} as const;

/** The keys of `o` that are not in `known`, in the object's order. */
export function unknownKeys(o: { [key: string]: unknown }, known: ReadonlySet<string>): string[] {
  let out: string[] | null = null;
  for (const k in o) {
    if (!known.has(k)) (out ??= []).push(k);
  }
  return out ?? NONE;
}
const NONE: string[] = [];
