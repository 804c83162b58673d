// Request facts from bodies shaped like what Claude Code, OpenCode, Codex (HTTP and WebSocket) and a generic
// Chat Completions client send.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractRequestFacts } from '../../src-main/recorder/parse/request-facts.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/recorder/requests');
const body = (name: string): Buffer => readFileSync(join(FIX, name));
const SID = '3f1c9a52-7b1e-4e0c-9f55-1c2d3e4f5a6b';

describe('extractRequestFacts', () => {
  it('Claude Code: JSON-string user_id, tool results with is_error and array content, last typed user text', () => {
    const f = extractRequestFacts(body('claude-code.json'), { dialect: 'anthropic', endpoint: 'messages' });
    expect(f).toMatchObject({
      parseError: null,
      model: 'claude-sonnet-4-5-20250929',
      stream: true,
      includeUsage: null,
      maxTokens: 32000,
      messageCount: 5,
      toolCount: 8,
      systemPromptChars: "You are Claude Code, Anthropic's official CLI for Claude.".length + 81,
    });
    expect(f.sessionHints).toMatchObject({
      sessionId: SID,
      source: 'metadata.user_id:json',
      accountId: 'a1b2c3d4-0000-4000-8000-000000000001',
    });
    expect(f.sessionHints.deviceId).toMatch(/^4c1b/);
    expect(f.toolResults).toEqual([
      {
        id: 'toolu_01',
        source: 'anthropic_tool_result',
        isError: true,
        contentChars: 'FAIL tests/a.test.ts\n  expected 2, got 3'.length,
        nonTextParts: 0,
        messageIndex: 2,
        inLastTurn: false,
      },
      {
        id: 'toolu_02',
        source: 'anthropic_tool_result',
        isError: false,
        contentChars: 'export const add = (a, b) => a + b + 1;'.length,
        nonTextParts: 0,
        messageIndex: 4,
        inLastTurn: true,
      },
      {
        id: 'toolu_03',
        source: 'anthropic_tool_result',
        isError: false,
        contentChars: 'expect(add(1,1)).toBe(2)'.length,
        nonTextParts: 1,
        messageIndex: 4,
        inLastTurn: true,
      },
    ]);
    // Walks back over the tool-result turn (its only text is a standalone <system-reminder>) to the typed prompt.
    expect(f.lastUserText).toBe('run the tests and fix the failing one');
  });

  it('walks back over tool-result-only turns to the text the user typed', () => {
    const f = extractRequestFacts(body('opencode.json'), { dialect: 'anthropic', endpoint: 'messages' });
    expect(f.lastUserText).toBe('what does src/index.ts export?');
    expect(f.toolResults).toMatchObject([
      { id: 'toolu_oc1', contentChars: 9, inLastTurn: true, isError: false },
    ]);
  });

  it('legacy user_<hash>_account__session_<uuid> and object-shaped user_id', () => {
    const legacy = extractRequestFacts(body('claude-code-legacy.json'), {
      dialect: 'anthropic',
      endpoint: 'messages',
    });
    expect(legacy.sessionHints).toMatchObject({
      sessionId: SID,
      source: 'metadata.user_id:legacy',
      accountId: null,
    });
    expect(legacy.systemPromptChars).toBe('You are Claude Code.'.length);
    expect(legacy.lastUserText).toBe('hello');
    const oc = extractRequestFacts(body('opencode.json'), { dialect: 'anthropic', endpoint: 'messages' });
    expect(oc.sessionHints).toMatchObject({
      sessionId: 'ses_7d2f0a1b9c8e',
      source: 'metadata.user_id:object',
      accountId: 'acc-1',
      userId: '{"session_id":"ses_7d2f0a1b9c8e","account_uuid":"acc-1"}',
    });
  });

  it('Codex over HTTP: instructions + developer items, function and custom tool outputs, prompt_cache_key', () => {
    const f = extractRequestFacts(body('codex.json'), { dialect: 'openai', endpoint: 'responses' });
    expect(f).toMatchObject({
      model: 'gpt-5-codex',
      stream: true,
      maxTokens: null,
      toolCount: 3,
      messageCount: 8,
    });
    expect(f.systemPromptChars).toBe(
      'You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI.'.length +
        '<permissions instructions>sandbox: workspace-write</permissions instructions>'.length,
    );
    expect(f.sessionHints).toMatchObject({
      sessionId: '0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      source: 'prompt_cache_key',
    });
    expect(f.toolResults.map((t) => [t.id, t.source, t.isError, t.inLastTurn])).toEqual([
      ['call_ls', 'responses_function_call_output', null, false],
      ['call_patch', 'responses_custom_tool_call_output', null, true],
    ]);
    expect(f.lastUserText).toBe('add a hello.txt file');
  });

  it('Codex WebSocket response.create: stream implied, previous_response_id kept', () => {
    const f = extractRequestFacts(body('codex-ws-create.json').toString('utf8'), {
      dialect: 'openai',
      endpoint: 'responses',
    });
    expect(f.stream).toBe(true);
    expect(f.sessionHints.previousResponseId).toBe('resp_prev1');
    expect(f.toolResults).toHaveLength(2);
  });

  it('Chat Completions: include_usage, max_completion_tokens, tool role messages, system size', () => {
    const f = extractRequestFacts(body('chat.json'), { dialect: 'openai', endpoint: 'chat_completions' });
    expect(f).toMatchObject({
      includeUsage: true,
      maxTokens: 4096,
      toolCount: 1,
      messageCount: 4,
      systemPromptChars: 'You are a helpful coding assistant.'.length,
      lastUserText: "What's the weather in Paris?",
    });
    expect(f.toolResults).toEqual([
      {
        id: 'call_w1',
        source: 'chat_tool_message',
        isError: null,
        contentChars: '18°C, cloudy'.length,
        nonTextParts: 0,
        messageIndex: 3,
        inLastTurn: true,
      },
    ]);
    const noUsage = extractRequestFacts(
      { model: 'gpt-4.1', stream: true, messages: [] },
      {
        dialect: 'openai',
        endpoint: 'chat_completions',
      },
    );
    expect(noUsage.includeUsage).toBeNull();
  });

  it('accepts an already-parsed object, and reports (never throws on) a body that is not JSON', () => {
    const parsed = JSON.parse(body('chat.json').toString('utf8')) as unknown;
    expect(extractRequestFacts(parsed, { dialect: 'openai', endpoint: 'chat_completions' }).model).toBe(
      'gpt-4.1',
    );
    const bad = extractRequestFacts(Buffer.from('{"model":'), { dialect: 'anthropic', endpoint: 'messages' });
    expect(bad.parseError).toMatch(/JSON/);
    expect(bad.model).toBeNull();
    expect(extractRequestFacts('[1,2]', { dialect: 'openai', endpoint: 'responses' }).parseError).toMatch(
      /object/,
    );
    const weird = extractRequestFacts(
      {
        model: 5,
        messages: [null, 3, { role: 'user', content: [null, { type: 'tool_result' }] }],
        metadata: { user_id: '{oops' },
      },
      { dialect: 'anthropic', endpoint: 'messages' },
    );
    expect(weird.model).toBeNull();
    expect(weird.sessionHints).toMatchObject({ sessionId: null, userId: '{oops' });
    expect(weird.toolResults).toMatchObject([{ id: '', contentChars: 0 }]);
  });
});
