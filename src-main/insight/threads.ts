// Which thread a request belongs to — the main conversation, one subagent, or a side call (title, token count,
// probe) — and where a thread's history was replaced by a summary. A Claude Code subagent (the Agent tool; Task
// in older versions) starts a conversation whose first user message is that tool call's `prompt`, under its own
// system prompt; the spawning call is found in a response's tool calls or in a later request's history. A
// compaction is the first request of a thread whose history opens with the client's summary (Claude Code:
// "This session is being continued…"; Codex: a compaction item or its summary prefix). Pure.
import type { Agent } from '../../src-shared/insight.js';
import { classifyRequest, systemTextOf, type RequestClass } from '../analytics/classify.js';
import { asArray, asObject, asString, type JsonObject } from '../recorder/parse/json.js';
import { isSystemReminder } from '../recorder/parse/request-facts.js';
import type { InsightRequest } from './types.js';

/** Tools that start a Claude Code subagent. */
const SPAWN_TOOLS = new Set(['Agent', 'Task']);
const CLAUDE_SUMMARY = /This session is being continued from a previous conversation/;
/** Codex's prefix for a summary that replaced the history (codex-rs compact summary_prefix). */
const CODEX_SUMMARY = /Another language model started to solve this problem/;

/** Side calls: not part of any conversation thread (no cache chain, no compaction). */
export const SIDE_CLASSES: ReadonlySet<RequestClass> = new Set(['title', 'count_tokens', 'probe']);

export interface Spawn {
  toolUseId: string;
  prompt: string;
  label: string;
}

export interface Thread {
  /** `main`, an agent id, or `side` for side calls. */
  key: string;
  agent: Agent | null;
}

export function bodyObject(r: InsightRequest): JsonObject | null {
  const o = asObject(r.body);
  if (o !== null && o['type'] === 'response.create') return asObject(o['response']) ?? o;
  return o;
}

/** The conversation items of a body: Anthropic/Chat `messages`, Responses `input`. */
export function itemsOf(o: JsonObject | null): unknown[] {
  if (o === null) return [];
  const input = o['input'];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  return asArray(o['messages']) ?? asArray(input) ?? [];
}

/** Text a human (or the spawning model) wrote in the first user message, reminders left out. */
export function firstUserText(o: JsonObject | null): string | null {
  for (const raw of itemsOf(o)) {
    const m = asObject(raw);
    if (m === null || m['role'] !== 'user') continue;
    const c = m['content'];
    if (typeof c === 'string') return c;
    const texts: string[] = [];
    for (const p of asArray(c) ?? []) {
      const t = asString(asObject(p)?.['text']);
      if (t !== null && !isSystemReminder(t)) texts.push(t);
    }
    return texts.join('\n');
  }
  return null;
}

export function requestClass(r: InsightRequest): RequestClass {
  const o = bodyObject(r);
  const max = o?.['max_tokens'] ?? o?.['max_completion_tokens'] ?? o?.['max_output_tokens'];
  return classifyRequest({
    method: r.method,
    endpoint: r.endpoint,
    toolCount: r.toolCount,
    maxTokens: typeof max === 'number' ? max : null,
    lastUserText: r.prompt,
    systemText: systemTextOf(o?.['system'] ?? o?.['instructions']),
  });
}

function spawnFrom(id: string, input: JsonObject | null): Spawn | null {
  const prompt = asString(input?.['prompt'])?.trim();
  if (!id || !prompt) return null;
  const description = asString(input?.['description']);
  const type = asString(input?.['subagent_type']);
  const label =
    [type, description].filter(Boolean).join(': ') || prompt.slice(0, 60) + (prompt.length > 60 ? '…' : '');
  return { toolUseId: id, prompt, label };
}

/** Every Agent/Task call seen in the session: in responses, and in the history later requests re-send. */
export function findSpawns(requests: readonly InsightRequest[]): Spawn[] {
  const byId = new Map<string, Spawn>();
  for (const r of requests) {
    for (const c of r.calls) {
      if (!SPAWN_TOOLS.has(c.name) || byId.has(c.id)) continue;
      let args: JsonObject | null = null;
      try {
        args = asObject(JSON.parse(c.arguments));
      } catch {
        // a cut stream: the arguments are incomplete; the history of a later request may still have them
      }
      const s = spawnFrom(c.id, args);
      if (s) byId.set(c.id, s);
    }
    for (const raw of itemsOf(bodyObject(r))) {
      const m = asObject(raw);
      if (m?.['role'] !== 'assistant') continue;
      for (const p of asArray(m['content']) ?? []) {
        const part = asObject(p);
        const name = asString(part?.['name']);
        const id = asString(part?.['id']);
        if (part?.['type'] !== 'tool_use' || !name || !SPAWN_TOOLS.has(name) || !id || byId.has(id)) continue;
        const s = spawnFrom(id, asObject(part['input']));
        if (s) byId.set(id, s);
      }
    }
  }
  return [...byId.values()];
}

function matches(first: string, prompt: string): boolean {
  const f = first.trim();
  return f === prompt || (prompt.length >= 20 && f.includes(prompt));
}

/**
 * Assign each request (in arrival order) its thread. Subagent ids are `agent-1`, `agent-2`… in the order
 * their first request arrived; a subagent whose spawning call was not recorded (its system prompt says it is
 * one) is keyed by its first message.
 */
export function assignThreads(
  requests: readonly InsightRequest[],
  classes: readonly RequestClass[],
): Thread[] {
  const spawns = findSpawns(requests);
  const agents = new Map<string, Agent>();
  const agentFor = (key: string, make: () => Omit<Agent, 'id'>): Agent => {
    let a = agents.get(key);
    if (!a) {
      a = { id: `agent-${agents.size + 1}`, ...make() };
      agents.set(key, a);
    }
    return a;
  };
  return requests.map((r, i): Thread => {
    const cls = classes[i]!;
    if (SIDE_CLASSES.has(cls)) return { key: 'side', agent: null };
    const first = firstUserText(bodyObject(r));
    const spawn = first === null ? undefined : spawns.find((s) => matches(first, s.prompt));
    if (spawn) {
      const a = agentFor(`spawn:${spawn.toolUseId}`, () => ({
        parent_tool_use_id: spawn.toolUseId,
        label: spawn.label,
      }));
      return { key: a.id, agent: a };
    }
    if (cls === 'subagent') {
      const text = (first ?? '').trim();
      const a = agentFor(`first:${text}`, () => ({
        parent_tool_use_id: null,
        label: text.slice(0, 60) + (text.length > 60 ? '…' : '') || 'subagent',
      }));
      return { key: a.id, agent: a };
    }
    return { key: 'main', agent: null };
  });
}

/** Whether a body's history opens with a summary that replaced an earlier history. */
export function startsFromSummary(o: JsonObject | null): boolean {
  const first = firstUserText(o);
  const head = first?.slice(0, 4_000) ?? null;
  if (head !== null && (CLAUDE_SUMMARY.test(head) || CODEX_SUMMARY.test(head))) return true;
  for (const raw of itemsOf(o)) {
    const m = asObject(raw);
    const t = m?.['type'];
    if (t === 'compaction' || t === 'compaction_summary') return true;
    if (m?.['role'] === 'user') {
      const text = asString(m['content']) ?? asString(asObject(asArray(m['content'])?.[0])?.['text']);
      if (text !== null && CODEX_SUMMARY.test(text)) return true;
    }
  }
  return false;
}
