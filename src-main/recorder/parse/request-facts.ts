// Reads the facts the recorder needs from a request body (Anthropic Messages, OpenAI Chat Completions, OpenAI
// Responses incl. a Codex WebSocket `response.create` message): model, stream flags, session hints from
// `metadata.user_id` (three shapes) / `prompt_cache_key`, tool results carried, the last user text, sizes.
// Pure; never throws. Parsing an 80 KB body costs ~1 ms: callers should do it off the request's hot path.
import { Buffer } from 'node:buffer';
import type { Dialect, Endpoint } from '../../../src-shared/dialects.js';
import type { JsonValue, RequestFacts, SessionHints, ToolResultFact } from '../../../src-shared/exchange.js';
import { asArray, asNumber, asObject, asString, type JsonObject } from './json.js';

export interface RequestContext {
  dialect: Dialect;
  endpoint: Endpoint;
}

function emptyHints(): SessionHints {
  return {
    sessionId: null,
    source: null,
    userId: null,
    accountId: null,
    deviceId: null,
    previousResponseId: null,
    promptCacheKey: null,
  };
}

function emptyFacts(ctx: RequestContext, parseError: string | null): RequestFacts {
  return {
    dialect: ctx.dialect,
    endpoint: ctx.endpoint,
    parseError,
    model: null,
    stream: false,
    includeUsage: null,
    maxTokens: null,
    sessionHints: emptyHints(),
    toolResults: [],
    lastUserText: null,
    messageCount: 0,
    toolCount: 0,
    systemPromptChars: 0,
  };
}

/**
 * Extracts RequestFacts. `body` may be the raw bytes, the text, or an already-parsed object (the proxy may have
 * parsed it for marker routing; do not parse twice).
 */
export function extractRequestFacts(body: Uint8Array | string | unknown, ctx: RequestContext): RequestFacts {
  let parsed: unknown = body;
  if (body instanceof Uint8Array || typeof body === 'string') {
    const text =
      typeof body === 'string'
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return emptyFacts(ctx, e instanceof Error ? e.message : String(e));
    }
  }
  let o = asObject(parsed);
  if (o === null) return emptyFacts(ctx, 'request body is not a JSON object');
  // Codex WebSocket: `{"type":"response.create", ...fields}`; the SDK form nests them in `response`.
  const isWsCreate = o.type === 'response.create';
  if (isWsCreate) o = asObject(o.response) ?? o;

  const f = emptyFacts(ctx, null);
  f.model = asString(o.model);
  f.stream = o.stream === true || isWsCreate;
  f.sessionHints = sessionHints(o);
  try {
    if (ctx.dialect === 'anthropic') anthropicFacts(o, f);
    else if (ctx.endpoint === 'responses' || isWsCreate || o.input !== undefined) responsesFacts(o, f);
    else chatFacts(o, f);
  } catch {
    // Only reachable through a bug here; keep the top-level facts.
  }
  return f;
}

// --- session hints ---------------------------------------------------------------------------------------

// Legacy Claude Code: user_<64 hex>_account_<uuid or empty>_session_<uuid>
const LEGACY_USER_ID = /^user_([A-Za-z0-9]+)_account_([A-Za-z0-9-]*)_session_([A-Za-z0-9-]+)$/;

function sessionHints(o: JsonObject): SessionHints {
  const h = emptyHints();
  const meta = asObject(o.metadata);
  const uid = meta?.user_id;
  if (typeof uid === 'string' && uid !== '') {
    h.userId = uid;
    const t = uid.trimStart();
    if (t.startsWith('{')) {
      // Claude Code ≥ 2: a JSON-encoded object {"device_id","account_uuid","session_id"}.
      try {
        fromUserObject(h, asObject(JSON.parse(t)), 'metadata.user_id:json');
      } catch {
        // not JSON after all: treated as an opaque user id
      }
    } else {
      const m = LEGACY_USER_ID.exec(uid);
      if (m !== null) {
        h.deviceId = m[1] ?? null;
        h.accountId = m[2] === '' ? null : (m[2] ?? null);
        h.sessionId = m[3] ?? null;
        h.source = 'metadata.user_id:legacy';
      }
    }
  } else if (asObject(uid) !== null) {
    h.userId = JSON.stringify(uid);
    fromUserObject(h, asObject(uid), 'metadata.user_id:object');
  }
  if (h.sessionId === null) {
    const sid = asString(meta?.session_id);
    if (sid !== null && sid !== '') {
      h.sessionId = sid;
      h.source = 'metadata.session_id';
    }
  }
  h.promptCacheKey = asString(o.prompt_cache_key);
  h.previousResponseId = asString(o.previous_response_id);
  if (h.sessionId === null && h.promptCacheKey !== null && h.promptCacheKey !== '') {
    h.sessionId = h.promptCacheKey;
    h.source = 'prompt_cache_key';
  }
  return h;
}

function fromUserObject(h: SessionHints, u: JsonObject | null, source: SessionHints['source']): void {
  if (u === null) return;
  h.accountId = asString(u.account_uuid) ?? asString(u.account_id);
  h.deviceId = asString(u.device_id);
  const sid = asString(u.session_id);
  if (sid !== null && sid !== '') {
    h.sessionId = sid;
    h.source = source;
  }
}

// --- content measuring -----------------------------------------------------------------------------------

const TEXT_PART_TYPES = new Set(['text', 'input_text', 'output_text']);

/** Characters of text and number of non-text parts in a string / content-part array. */
function measure(content: JsonValue | undefined): { chars: number; nonText: number } {
  if (typeof content === 'string') return { chars: content.length, nonText: 0 };
  let chars = 0;
  let nonText = 0;
  for (const p of asArray(content) ?? []) {
    if (typeof p === 'string') {
      chars += p.length;
      continue;
    }
    const part = asObject(p);
    if (part === null) continue;
    const t = asString(part.text);
    if (t !== null && (part.type === undefined || TEXT_PART_TYPES.has(String(part.type)))) chars += t.length;
    else if (part.type === 'tool_result') chars += measure(part.content).chars;
    else nonText++;
  }
  return { chars, nonText };
}

/** Text of a content value, text parts joined by newlines; null when it has none. `anthropic`: skip tool
 * results and Claude Code's standalone reminders. */
/** The text of a message's content a human typed (Anthropic: tool results and system reminders left out). */
export function textOf(content: JsonValue | undefined, anthropic: boolean): string | null {
  if (typeof content === 'string') return content === '' ? null : content;
  const out: string[] = [];
  for (const p of asArray(content) ?? []) {
    const part = asObject(p);
    if (part === null) continue;
    if (anthropic && part.type === 'tool_result') continue;
    const t = asString(part.text);
    if (t === null || t === '' || (part.type !== undefined && !TEXT_PART_TYPES.has(String(part.type))))
      continue;
    // Claude Code appends standalone <system-reminder> blocks to user turns (even tool-result turns): they are
    // not what the user typed, so they do not count as the turn's text.
    if (anthropic && isSystemReminder(t)) continue;
    out.push(t);
  }
  return out.length === 0 ? null : out.join('\n');
}

export function isSystemReminder(t: string): boolean {
  const s = t.trim();
  return s.startsWith('<system-reminder>') && s.endsWith('</system-reminder>');
}

/** The text of the last user message a human typed (walking back over tool-result-only user turns). */
function lastUserText(messages: unknown[], anthropic: boolean): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = asObject(messages[i]);
    if (m?.role !== 'user') continue;
    const t = textOf(m.content, anthropic);
    if (t !== null) return t;
  }
  return null;
}

// --- per dialect -----------------------------------------------------------------------------------------

function anthropicFacts(o: JsonObject, f: RequestFacts): void {
  f.maxTokens = asNumber(o.max_tokens);
  f.toolCount = asArray(o.tools)?.length ?? 0;
  f.systemPromptChars = measure(o.system).chars;
  const messages = asArray(o.messages) ?? [];
  f.messageCount = messages.length;
  const lastAssistant = messages.findLastIndex((m) => asObject(m)?.role === 'assistant');
  messages.forEach((raw, i) => {
    const m = asObject(raw);
    if (m === null || m.role !== 'user') return;
    for (const p of asArray(m.content) ?? []) {
      const block = asObject(p);
      if (block === null || block.type !== 'tool_result') continue;
      const size = measure(block.content);
      f.toolResults.push({
        id: asString(block.tool_use_id) ?? '',
        source: 'anthropic_tool_result',
        isError: block.is_error === true,
        contentChars: size.chars,
        nonTextParts: size.nonText,
        messageIndex: i,
        inLastTurn: i > lastAssistant,
      });
    }
  });
  f.lastUserText = lastUserText(messages, true);
}

function chatFacts(o: JsonObject, f: RequestFacts): void {
  f.maxTokens = asNumber(o.max_completion_tokens) ?? asNumber(o.max_tokens);
  const so = asObject(o.stream_options);
  f.includeUsage = so !== null && typeof so.include_usage === 'boolean' ? so.include_usage : null;
  f.toolCount = (asArray(o.tools)?.length ?? 0) + (asArray(o.functions)?.length ?? 0);
  const messages = asArray(o.messages) ?? [];
  f.messageCount = messages.length;
  const lastAssistant = messages.findLastIndex((m) => asObject(m)?.role === 'assistant');
  messages.forEach((raw, i) => {
    const m = asObject(raw);
    if (m === null) return;
    if (m.role === 'system' || m.role === 'developer') f.systemPromptChars += measure(m.content).chars;
    else if (m.role === 'tool') {
      const size = measure(m.content);
      f.toolResults.push({
        id: asString(m.tool_call_id) ?? '',
        source: 'chat_tool_message',
        isError: null,
        contentChars: size.chars,
        nonTextParts: size.nonText,
        messageIndex: i,
        inLastTurn: i > lastAssistant,
      });
    }
  });
  f.lastUserText = lastUserText(messages, false);
}

/** Output item types a model produces; a tool result after the last of these is new in this request. */
const MODEL_ITEM_TYPES = new Set([
  'function_call',
  'custom_tool_call',
  'reasoning',
  'local_shell_call',
  'web_search_call',
]);

function responsesFacts(o: JsonObject, f: RequestFacts): void {
  f.maxTokens = asNumber(o.max_output_tokens);
  f.toolCount = asArray(o.tools)?.length ?? 0;
  f.systemPromptChars = asString(o.instructions)?.length ?? 0;
  if (typeof o.input === 'string') {
    f.messageCount = 1;
    f.lastUserText = o.input === '' ? null : o.input;
    return;
  }
  const items = asArray(o.input) ?? [];
  f.messageCount = items.length;
  let lastModel = -1;
  items.forEach((it, i) => {
    const item = asObject(it);
    if (item === null) return;
    if (item.role === 'assistant' || MODEL_ITEM_TYPES.has(String(item.type))) lastModel = i;
  });
  items.forEach((it, i) => {
    const item = asObject(it);
    if (item === null) return;
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    if (type === 'message' && (item.role === 'system' || item.role === 'developer')) {
      f.systemPromptChars += measure(item.content).chars;
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      // `output` is a string, or (newer) an array of input_text/input_image parts.
      const size = measure(item.output);
      const r: ToolResultFact = {
        id: asString(item.call_id) ?? '',
        source:
          type === 'function_call_output'
            ? 'responses_function_call_output'
            : 'responses_custom_tool_call_output',
        isError: null,
        contentChars: size.chars,
        nonTextParts: size.nonText,
        messageIndex: i,
        inLastTurn: i > lastModel,
      };
      f.toolResults.push(r);
    }
  });
  for (let i = items.length - 1; i >= 0; i--) {
    const item = asObject(items[i]);
    if (item === null || item.role !== 'user') continue;
    const t = textOf(item.content, false);
    if (t !== null) {
      f.lastUserText = t;
      break;
    }
  }
}
