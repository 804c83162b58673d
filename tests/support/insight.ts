// Hand-made requests for the insight unit tests: a Claude Code-shaped body (system, tools, messages) and the
// usage the provider reported, as the insight analysis reads them from a session file.
import fs from 'node:fs';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { InsightRequest } from '../../src-main/insight/types.js';

type Json = { [k: string]: JsonValue };

/** A real Claude Code 2.1.332 request body (tests/fixtures/analytics/claude-code). */
export function claudeBody(name = 'hello-01.json'): Json {
  const f = JSON.parse(fs.readFileSync(`tests/fixtures/analytics/claude-code/${name}`, 'utf8')) as {
    body: Json;
  };
  return f.body;
}

let n = 0;
export function req(over: Partial<InsightRequest> & { body: JsonValue }): InsightRequest {
  n++;
  return {
    id: `r${n}`,
    at: 1_000_000 + n * 10_000,
    endedAt: null,
    durationMs: 2_000,
    method: 'POST',
    dialect: 'anthropic',
    endpoint: 'messages',
    model: 'claude-sonnet-4-6',
    prompt: null,
    toolCount: Array.isArray((over.body as Json | null)?.['tools'])
      ? ((over.body as Json)['tools'] as JsonValue[]).length
      : 0,
    usage: { input: 10, output: 50, cacheRead: 0, cacheWrite: 0 },
    calls: [],
    responseId: null,
    outputChars: { messages: 0, thinking: 0 },
    ...over,
  };
}

export const SYSTEM = [
  { type: 'text', text: 'You are Claude Code, a helpful coding assistant. '.repeat(40) },
];
export const TOOLS: Json[] = [
  { name: 'Bash', description: 'Run a shell command. '.repeat(30), input_schema: { type: 'object' } },
  { name: 'Read', description: 'Read a file. '.repeat(30), input_schema: { type: 'object' } },
];

export function user(text: string): Json {
  return { role: 'user', content: [{ type: 'text', text }] };
}
export function assistant(text: string): Json {
  return { role: 'assistant', content: [{ type: 'text', text }] };
}
export function body(messages: Json[], extra: Json = {}): Json {
  return { model: 'claude-sonnet-4-6', system: SYSTEM, tools: TOOLS, messages, ...extra };
}
