// `--prompt`: fork a conversation at its last typed user message. The message is the one the recorder shows as
// the request's prompt (the last user turn with text, walking back over tool-result-only turns and Claude Code's
// standalone <system-reminder> blocks); its last text part gets the new text, every other part (reminders,
// images, cache_control) stays, and what followed it is left out — the fork point. Pure; works on a copy.
import type { Endpoint } from '../../src-shared/dialects.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import { isSystemReminder } from '../recorder/parse/request-facts.js';
import { LunaRouteError } from '../../src-shared/errors.js';

type JsonObject = { [key: string]: JsonValue };

export interface PromptEdit {
  /** The previous text of the replaced part (null when the input was a bare string that was empty). */
  from: string | null;
  /** Index of the edited message in `messages` / `input`. */
  messageIndex: number;
  /** Messages after it that were left out. */
  dropped: number;
}

/** The request has no user text to replace (REPLAY_PROMPT_NOT_EDITABLE). */
function notEditable(message: string): LunaRouteError<'REPLAY_PROMPT_NOT_EDITABLE'> {
  return new LunaRouteError('REPLAY_PROMPT_NOT_EDITABLE', message);
}

const TEXT_TYPES = new Set(['text', 'input_text']);

function isObject(v: JsonValue | undefined): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The index of the text part to replace in a content value, 'string' for string content, or null for none. */
function textSlot(content: JsonValue | undefined, skipReminders: boolean): number | 'string' | null {
  if (typeof content === 'string') return content === '' ? null : 'string';
  if (!Array.isArray(content)) return null;
  for (let i = content.length - 1; i >= 0; i--) {
    const p = content[i];
    if (!isObject(p) || typeof p['text'] !== 'string' || p['text'] === '') continue;
    if (p['type'] !== undefined && !TEXT_TYPES.has(String(p['type']))) continue;
    if (skipReminders && isSystemReminder(p['text'])) continue;
    return i;
  }
  return null;
}

/** Replace the last typed user text of `body` (mutated) with `text`. Throws REPLAY_PROMPT_NOT_EDITABLE when it has none. */
export function replacePrompt(endpoint: Endpoint, body: JsonObject, text: string): PromptEdit {
  const key = endpoint === 'responses' ? 'input' : 'messages';
  if (!['messages', 'count_tokens', 'chat_completions', 'responses'].includes(endpoint)) {
    throw notEditable(`--prompt works on messages, chat completions and responses requests, not ${endpoint}`);
  }
  const list = body[key];
  if (endpoint === 'responses' && typeof list === 'string') {
    body[key] = text;
    return { from: list === '' ? null : list, messageIndex: 0, dropped: 0 };
  }
  if (!Array.isArray(list)) throw notEditable(`the request has no ${key} array to edit`);
  const anthropic = endpoint === 'messages' || endpoint === 'count_tokens';
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i];
    if (!isObject(m) || m['role'] !== 'user') continue;
    const slot = textSlot(m['content'], anthropic);
    if (slot === null) continue;
    let from: string;
    if (slot === 'string') {
      from = m['content'] as string;
      m['content'] = text;
    } else {
      const part = (m['content'] as JsonValue[])[slot] as JsonObject;
      from = part['text'] as string;
      part['text'] = text;
    }
    const dropped = list.length - 1 - i;
    list.length = i + 1;
    return { from, messageIndex: i, dropped };
  }
  throw notEditable(`the request has no user message with text to replace (in ${key})`);
}
