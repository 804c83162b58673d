import { describe, expect, it } from 'vitest';
import { ContextMeter } from '../../src-main/insight/context.js';
import { partLabel } from '../../src-shared/insight.js';
import { claudeBody } from '../support/insight.js';

const sum = (parts: { tokens: number }[]): number => parts.reduce((a, p) => a + p.tokens, 0);

describe('context composition', () => {
  it('splits a real Claude Code request into system, tools and messages that sum to the billed input', () => {
    const c = new ContextMeter().measure('anthropic', 'messages', claudeBody(), 21_337)!;
    expect(sum(c.parts)).toBe(21_337);
    const kinds = c.parts.map((p) => p.kind);
    expect(kinds).toEqual(expect.arrayContaining(['system', 'tools', 'messages']));
    // Claude Code's tool list (~32 KB) outweighs its system prompt (~7 KB): largest first.
    expect(c.parts[0]!.kind).toBe('tools');
    expect(c.parts.map((p) => p.tokens)).toEqual([...c.parts.map((p) => p.tokens)].sort((a, b) => b - a));
  });

  it('groups MCP tools by server and names tool results by the tool that produced them', () => {
    const body = {
      system: 'sys '.repeat(100),
      tools: [
        { name: 'Read', description: 'x'.repeat(400) },
        { name: 'mcp__github__create_issue', description: 'y'.repeat(800) },
        { name: 'mcp__github__list_prs', description: 'y'.repeat(800) },
        { name: 'mcp__linear-server__search', description: 'z'.repeat(400) },
      ],
      messages: [
        { role: 'user', content: 'read the file' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 't'.repeat(800), signature: 'sig' },
            { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a.ts' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'line\n'.repeat(2_000) },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(500_000) } },
          ],
        },
      ],
    };
    const c = new ContextMeter().measure('anthropic', 'messages', body, null)!;
    const by = new Map(c.parts.map((p) => [`${p.kind}:${p.name ?? ''}`, p.tokens]));
    expect(by.get('tool_results:Read')).toBeGreaterThan(2_400);
    expect(by.get('mcp_tools:github')).toBeGreaterThan(by.get('mcp_tools:linear-server')!);
    expect(by.get('tools:')).toBeGreaterThan(0);
    // An image is ~1,600 tokens however large its base64 is.
    expect(by.get('media:image')).toBe(1_600);
    expect(by.get('thinking:')).toBeGreaterThan(150);
    expect(c.parts[0]).toEqual({ kind: 'tool_results', name: 'Read', tokens: by.get('tool_results:Read') });
    expect(partLabel(c.parts[0]!)).toBe('Read results');
    expect(partLabel({ kind: 'mcp_tools', name: 'github' })).toBe('MCP github tools');
  });

  it('reads a Responses (Codex) body: instructions, developer messages, function call outputs by name, reasoning', () => {
    const body = {
      type: 'response.create',
      model: 'gpt-5.1-codex',
      instructions: 'You are Codex. '.repeat(200),
      tools: [{ type: 'function', name: 'shell', parameters: {} }],
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules '.repeat(100) }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
        { type: 'reasoning', summary: [], encrypted_content: 'e'.repeat(2_000) },
        { type: 'function_call', name: 'shell', call_id: 'call_1', arguments: '{"command":["ls"]}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'file\n'.repeat(1_000) },
      ],
    };
    const c = new ContextMeter().measure('openai', 'responses', body, 10_000)!;
    expect(sum(c.parts)).toBe(10_000);
    const kinds = new Map(c.parts.map((p) => [`${p.kind}:${p.name ?? ''}`, p.tokens]));
    expect([...kinds.keys()].sort()).toEqual(
      ['messages:', 'system:', 'thinking:', 'tool_results:shell', 'tools:'].sort(),
    );
    expect(c.parts[0]!.kind).toBe('tool_results');
  });

  it('reads a Chat Completions body: system messages and tool messages named by their call', () => {
    const body = {
      messages: [
        { role: 'system', content: 'You are OpenCode. '.repeat(50) },
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'bash', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'out '.repeat(300) },
      ],
      tools: [{ type: 'function', function: { name: 'bash', parameters: {} } }],
    };
    const c = new ContextMeter().measure('openai', 'chat_completions', body, 1_000)!;
    expect(c.parts.find((p) => p.kind === 'tool_results')?.name).toBe('bash');
    expect(c.parts.find((p) => p.kind === 'system')!.tokens).toBeGreaterThan(100);
    expect(sum(c.parts)).toBe(1_000);
  });

  it('keeps unscaled estimates when the provider reported no usage, and has no context for a non-JSON body', () => {
    const m = new ContextMeter();
    const c = m.measure(
      'anthropic',
      'messages',
      { messages: [{ role: 'user', content: 'x'.repeat(4_000) }] },
      null,
    )!;
    expect(c.parts).toEqual([{ kind: 'messages', tokens: 1_000 }]);
    expect(m.measure('anthropic', 'messages', null, 100)).toBeNull();
    expect(m.measure('anthropic', 'messages', 'text', 100)).toBeNull();
  });
});
