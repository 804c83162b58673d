// Session exports and the transcript, from record lines: each dialect's conversation is normalised, re-sent
// history is not repeated, HAR passes the HAR 1.2 schema with LunaRoute's extension fields, Markdown fences
// cannot be broken by recorded backticks, JSONL round-trips, and the redaction report counts only real labels.
import { createRequire } from 'node:module';
import type { Ajv as AjvClass } from 'ajv';
import type { FormatsPlugin } from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { ContentBlock, JsonValue } from '../../src-shared/exchange.js';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import { buildExport } from '../../src-main/export/index.js';
import { redactionReport } from '../../src-main/export/redaction-report.js';
import { collectSession } from '../../src-main/export/session-data.js';
import { buildTranscript } from '../../src-main/export/transcript.js';
import { HAR_SCHEMA } from '../e2e/har-schema.js';

const require = createRequire(import.meta.url);
const SID = 'sess-export';
const usage = {
  input: 10,
  cacheRead: 5,
  cacheWrite: null,
  output: 7,
  reasoning: null,
  raw: { input_tokens: 10 },
};

function request(id: string, at: number, body: JsonValue, p: Partial<RequestLine> = {}): RequestLine {
  return {
    type: 'request',
    v: 1,
    id,
    session_id: SID,
    at,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages?beta=true',
    upstream_url: 'https://api.anthropic.com/v1/messages?beta=true',
    client: 'claude_code',
    headers_ref: 'h1',
    credential_source: 'client',
    body,
    body_text: null,
    body_bytes: 100,
    body_truncated: false,
    body_encoding: null,
    model: 'claude-x',
    stream: true,
    prompt: null,
    message_count: 1,
    tool_count: 0,
    system_chars: 0,
    tool_results: [],
    ...p,
  };
}

function response(
  id: string,
  at: number,
  content: ContentBlock[],
  p: Partial<ResponseLine> = {},
): ResponseLine {
  return {
    type: 'response',
    v: 1,
    id,
    session_id: SID,
    at,
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    outcome: 'completed',
    reason: null,
    error: null,
    response: {
      dialect: p.response?.dialect ?? 'anthropic',
      endpoint: p.response?.endpoint ?? 'messages',
      streamed: true,
      complete: true,
      id: 'msg_1',
      model: 'claude-x',
      role: 'assistant',
      content,
      stopReason: 'end_turn',
      stopDetail: null,
      finishReason: 'stop',
      usage,
      error: null,
      hasRefusal: false,
      counts: { events: 1, chunks: 1, bytes: 1, parseErrors: 0, keepalives: 0 },
      firstContentAtMs: 50,
    },
    body_text: null,
    model: 'claude-x',
    usage,
    stop_reason: 'end_turn',
    timings: { ttfb_ms: 40, first_content_ms: 50, duration_ms: 300, provider_ms: 290, overhead_ms: 0.2 },
    response_bytes: 999,
    chunks: 10,
    truncated: false,
    ...p,
  };
}

const toolUse: ContentBlock = {
  type: 'tool_call',
  kind: 'function',
  id: 'toolu_1',
  name: 'Bash',
  arguments: '{"command":"ls"}',
  input: { command: 'ls' },
  parseError: null,
};
const user: JsonValue = { role: 'user', content: 'List the files' };
const assistantEcho: JsonValue = {
  role: 'assistant',
  content: [
    { type: 'text', text: 'Running it.' },
    { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } },
  ],
};
const toolResult = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt\nb.txt' }],
};

const anthropicLines: RecordLine[] = [
  {
    type: 'session',
    v: 1,
    session_id: SID,
    at: 1000,
    client: 'claude_code',
    client_version: '2.1',
    user_agent: 'claude-cli/2.1',
    id_source: 'x-claude-code-session-id',
  },
  {
    type: 'block',
    v: 1,
    hash: 'h1',
    kind: 'headers',
    value: { 'x-api-key': '…[redacted]', 'user-agent': 'claude-cli/2.1' },
  },
  { type: 'block', v: 1, hash: 'sys', kind: 'system', value: 'You are helpful. Contact [EMAIL] or [EMAIL].' },
  request('r1', 1000, { model: 'claude-x', system: { $ref: 'sys' }, messages: [user] }),
  response('r1', 1300, [
    { type: 'thinking', thinking: 'Let me look.', signature: 'sig' },
    { type: 'text', text: 'Running it.' },
    toolUse,
  ]),
  request('r2', 1500, {
    model: 'claude-x',
    system: { $ref: 'sys' },
    messages: [user, assistantEcho, toolResult],
  }),
  response('r2', 1800, [{ type: 'text', text: 'Two files: a.txt and b.txt ```not a fence``` [TODO]' }]),
];

describe('transcript', () => {
  it('Anthropic: system once, user turn, thinking, tool call, then only the tool result and the answer', () => {
    const turns = buildTranscript(collectSession(anthropicLines).exchanges);
    expect(turns).toHaveLength(2);
    expect(turns[0]!.input.map((i) => i.kind)).toEqual(['system', 'user']);
    expect(turns[0]!.output.map((i) => i.kind)).toEqual(['thinking', 'assistant', 'tool_call']);
    expect(turns[0]!.output[2]).toMatchObject({ name: 'Bash', text: '{"command":"ls"}', tool_id: 'toolu_1' });
    expect(turns[1]!.input).toEqual([
      { kind: 'tool_result', text: 'a.txt\nb.txt', name: null, tool_id: 'toolu_1', is_error: null },
    ]);
    expect(turns[1]!.output.map((i) => i.text)).toEqual([
      'Two files: a.txt and b.txt ```not a fence``` [TODO]',
    ]);
  });

  it('OpenAI Chat: system message, tool calls and tool messages', () => {
    const lines: RecordLine[] = [
      request(
        'c1',
        1,
        {
          model: 'gpt-x',
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: [{ type: 'text', text: 'hi' }] },
            {
              role: 'assistant',
              content: null,
              tool_calls: [
                { id: 'call_1', type: 'function', function: { name: 'read', arguments: '{"p":1}' } },
              ],
            },
            { role: 'tool', tool_call_id: 'call_1', content: 'file body' },
          ],
        },
        { dialect: 'openai', endpoint: 'chat_completions' },
      ),
    ];
    const t = buildTranscript(collectSession(lines).exchanges)[0]!;
    expect(t.input.map((i) => [i.kind, i.name ?? i.tool_id ?? '', i.text])).toEqual([
      ['system', '', 'Be brief.'],
      ['user', '', 'hi'],
      ['tool_call', 'read', '{"p":1}'],
      ['tool_result', 'call_1', 'file body'],
    ]);
  });

  it('OpenAI Responses: instructions, input items, function calls and their outputs', () => {
    const lines: RecordLine[] = [
      request(
        'x1',
        1,
        {
          model: 'gpt-5-codex',
          instructions: 'You are Codex.',
          input: [
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] },
            { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking…' }] },
            { type: 'function_call', call_id: 'c1', name: 'shell', arguments: '{"cmd":["ls"]}' },
            { type: 'function_call_output', call_id: 'c1', output: 'README.md' },
          ],
        },
        { dialect: 'openai', endpoint: 'responses' },
      ),
    ];
    const t = buildTranscript(collectSession(lines).exchanges)[0]!;
    expect(t.input.map((i) => i.kind)).toEqual(['system', 'user', 'thinking', 'tool_call', 'tool_result']);
    expect(t.input[3]).toMatchObject({ name: 'shell', tool_id: 'c1' });
  });

  it('a failed request shows its error; long text is capped with a note', () => {
    const lines: RecordLine[] = [
      request('f1', 1, { messages: [{ role: 'user', content: 'y'.repeat(50) }] }),
      response('f1', 2, [], {
        status: 529,
        outcome: 'failed',
        reason: 'upstream_status',
        error: { type: 'overloaded_error', code: null, message: 'Overloaded', status: 529 },
      }),
    ];
    const t = buildTranscript(collectSession(lines).exchanges, { maxChars: 30 })[0]!;
    expect(t.output).toEqual([
      { kind: 'error', text: 'failed: HTTP 529: Overloaded', name: null, tool_id: null, is_error: true },
    ]);
    expect(t.input[0]!.text).toBe(`${'y'.repeat(30)}\n… (20 more characters)`);
  });
});

describe('exports', () => {
  it('HAR 1.2: valid, one entry per request, rebuilt bodies, reassembled responses, LunaRoute fields', () => {
    const file = buildExport(anthropicLines, 'har', '9.9.9');
    expect(file).toMatchObject({ filename: 'lunaroute-sess-export.har', mime: 'application/json' });
    const har = JSON.parse(file.content) as {
      log: {
        creator: { name: string };
        entries: {
          request: { url: string; postData: { text: string }; queryString: unknown[]; headers: unknown[] };
          response: { status: number; content: { text: string } };
          timings: { wait: number; receive: number };
          time: number;
          _lunaroute: Record<string, unknown>;
        }[];
      };
    };
    const Ajv = (require('ajv') as { default: typeof AjvClass }).default;
    const addFormats = (require('ajv-formats') as { default: FormatsPlugin }).default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(HAR_SCHEMA);
    expect(validate(har), JSON.stringify(validate.errors)).toBe(true);
    expect(har.log.creator.name).toBe('LunaRoute');
    const [e1, e2] = har.log.entries;
    expect(e1!.request.url).toBe('https://api.anthropic.com/v1/messages?beta=true');
    expect(e1!.request.queryString).toEqual([{ name: 'beta', value: 'true' }]);
    expect(e1!.request.headers).toContainEqual({ name: 'x-api-key', value: '…[redacted]' });
    expect(JSON.parse(e1!.request.postData.text)).toMatchObject({
      system: 'You are helpful. Contact [EMAIL] or [EMAIL].',
    });
    const body = JSON.parse(e1!.response.content.text) as { content: { type: string }[] };
    expect(body.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);
    expect(e1!.timings).toMatchObject({ wait: 40, receive: 260 });
    expect(e1!.time).toBe(300);
    expect(e2!._lunaroute).toMatchObject({
      session_id: SID,
      request_id: 'r2',
      outcome: 'completed',
      tokens: { input: 10, output: 7, cache_read: 5, cache_write: null, reasoning: null },
      cost: null,
      cost_note: 'unpriced',
    });
  });

  it('Markdown: header facts, turns, and fences longer than any backtick run inside', () => {
    const md = buildExport(anthropicLines, 'md', '1').content;
    expect(md).toContain('# LunaRoute session sess-export');
    expect(md).toContain('- Cost: unpriced');
    expect(md).toContain('### User\n\n```\nList the files\n```');
    expect(md).toContain('**Tool call** Bash (toolu\\_1)');
    expect(md).toContain('````\nTwo files: a.txt and b.txt ```not a fence``` [TODO]\n````');
  });

  it('JSONL: the recorded lines, one per line, unchanged', () => {
    const f = buildExport(anthropicLines, 'jsonl', '1');
    expect(
      f.content
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(anthropicLines);
  });
});

describe('redaction report', () => {
  it('counts built-in placeholders (plain and tokenized) and failures, not look-alikes', () => {
    const lines: RecordLine[] = [
      ...anthropicLines,
      {
        type: 'block',
        v: 1,
        hash: 'm',
        kind: 'message',
        value: { content: 'key [API_KEY:0123456789abcdef] [REDACTION_FAILED] [NOTE] [API_KEY:xyz]' },
      },
    ];
    expect(redactionReport(lines)).toEqual({
      counts: [
        { label: 'EMAIL', count: 2 },
        { label: 'API_KEY', count: 1 },
      ],
      failed: 1,
    });
  });
});

describe('redaction report from recorded findings', () => {
  it('sums the findings lines carry, by detector, and counts failures apart', () => {
    const lines = [
      { type: 'request', redaction: { email: 2, credit_card: 1 } },
      { type: 'response', redaction: { email: 1, redaction_failed: 1 } },
      { type: 'block', hash: 'h', kind: 'message', value: 'not counted [EMAIL]' },
    ] as unknown as Parameters<typeof redactionReport>[0];
    expect(redactionReport(lines)).toEqual({
      counts: [
        { label: 'email', count: 3 },
        { label: 'credit_card', count: 1 },
      ],
      failed: 1,
    });
  });
});
