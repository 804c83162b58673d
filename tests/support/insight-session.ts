// A Claude Code-shaped session file for the insight tests and screenshots, written in the recorder's own JSONL
// format (blocks split by the recorder's SessionBlocks): a main thread that reads files and grows, an Agent-tool
// subagent, an MCP server connected mid-session (tools change → cache break), a 7-minute pause (TTL), and a
// /compact (summary request, then the history replaced). Usage follows what Anthropic's prefix cache would report.
import fs from 'node:fs';
import path from 'node:path';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { BlockLine, RecordLine } from '../../src-shared/records.js';
import { RedactionMemo, SessionBlocks } from '../../src-main/recorder/parse/blocks.js';

type Json = { [k: string]: JsonValue };

export const INSIGHT_SESSION_ID = 'insight-demo-session';
const MODEL = 'claude-sonnet-4-6';
const SUB_MODEL = 'claude-haiku-4-5';
const SYSTEM: JsonValue = [
  { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.332; cc_entrypoint=cli;' },
  {
    type: 'text',
    text: 'You are Claude Code, an interactive CLI tool that helps users with software engineering. '.repeat(
      60,
    ),
    cache_control: { type: 'ephemeral' },
  },
];
const SUB_SYSTEM: JsonValue = [
  {
    type: 'text',
    text: "You are an agent for Claude Code, Anthropic's official CLI for Claude. Search the code. ".repeat(
      25,
    ),
  },
];
const tool = (name: string, size: number): Json => ({
  name,
  description: `${name}: ` + 'Describes what the tool does and how to call it. '.repeat(size),
  input_schema: { type: 'object', properties: { arg: { type: 'string' } } },
});
const BUILTIN = ['Agent', 'Bash', 'Edit', 'Glob', 'Grep', 'Read', 'Write', 'TodoWrite'].map((n) =>
  tool(n, 18),
);
const MCP = ['create_issue', 'list_pull_requests', 'get_file_contents', 'search_code'].map((n) =>
  tool(`mcp__github__${n}`, 14),
);
const SUB_PROMPT = 'Find every file that defines a proxy route and summarise what each route does.';

interface Turn {
  body: Json;
  at: number;
  ms: number;
  model?: string;
  usage: { input: number; output: number; cacheRead: number; cacheWrite: number };
  calls?: { id: string; name: string; input: Json }[];
}

const tokensOf = (v: JsonValue): number => Math.round(JSON.stringify(v).length / 4);

/** Builds the turns: usage from the body size, as the prefix cache would have it. */
function turns(t0: number): Turn[] {
  const out: Turn[] = [];
  let at = t0;
  let tools: Json[] = BUILTIN;
  let history: Json[] = [
    { role: 'user', content: [{ type: 'text', text: 'The proxy drops streams under load; find out why.' }] },
  ];
  let cached = 0;
  const main = (calls: Turn['calls'], ms: number, cause: 'ok' | 'reset' = 'ok', output = 400): Turn => {
    const body = { model: MODEL, system: SYSTEM, tools, messages: history, max_tokens: 32000, stream: true };
    const total = tokensOf(body);
    const read = cause === 'reset' ? 0 : Math.min(cached, total);
    const t: Turn = {
      body,
      at,
      ms,
      usage: { input: 3, output, cacheRead: read, cacheWrite: total - read - 3 },
      calls,
    };
    cached = total - 3;
    at += ms + 1_500;
    return t;
  };
  const say = (id: string, name: string, input: Json, result: string): void => {
    history = [
      ...history,
      {
        role: 'assistant',
        content: [
          { type: 'text', text: `Let me use ${name}.` },
          { type: 'tool_use', id, name, input },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: result }] },
    ];
  };
  const reads = ['src/proxy/server.ts', 'src/proxy/tap.ts', 'src/recorder/engine.ts', 'src/proxy/forward.ts'];
  out.push(main([{ id: 'toolu_r0', name: 'Read', input: { file_path: reads[0]! } }], 4_000));
  reads.forEach((f, i) => {
    say(
      `toolu_r${i}`,
      'Read',
      { file_path: f },
      `// ${f}\n` + 'export function handle(req, res) { /* … */ }\n'.repeat(120 + i * 40),
    );
    const next =
      i + 1 < reads.length
        ? [{ id: `toolu_r${i + 1}`, name: 'Read', input: { file_path: reads[i + 1]! } }]
        : [
            {
              id: 'toolu_agent',
              name: 'Agent',
              input: { description: 'Find proxy routes', prompt: SUB_PROMPT, subagent_type: 'Explore' },
            },
          ];
    out.push(main(next, 5_000 + i * 800));
  });
  // The subagent: its own system prompt and tools, its conversation starts with the call's prompt.
  const subStart = out[out.length - 1]!.at + out[out.length - 1]!.ms + 300;
  let sub: Json[] = [{ role: 'user', content: SUB_PROMPT }];
  let subAt = subStart;
  for (let i = 0; i < 3; i++) {
    const body = { model: SUB_MODEL, system: SUB_SYSTEM, tools: BUILTIN.slice(3, 6), messages: sub };
    const total = tokensOf(body);
    out.push({
      body,
      at: subAt,
      ms: 2_500,
      model: SUB_MODEL,
      usage: { input: total, output: 300, cacheRead: 0, cacheWrite: 0 },
      calls: i < 2 ? [{ id: `toolu_g${i}`, name: 'Grep', input: { pattern: 'route' } }] : [],
    });
    sub = [
      ...sub,
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: `toolu_g${i}`, name: 'Grep', input: { pattern: 'route' } }],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: `toolu_g${i}`,
            content: 'src/proxy/routes.ts:12: route\n'.repeat(60),
          },
        ],
      },
    ];
    subAt += 2_800;
  }
  at = subAt + 500;
  say(
    'toolu_agent',
    'Agent',
    { prompt: SUB_PROMPT },
    'Routes: /v1/messages, /v1/chat/completions, /v1/responses (src/proxy/routes.ts).',
  );
  out.push(main([{ id: 'toolu_b1', name: 'Bash', input: { command: 'npm test' } }], 6_000));
  say('toolu_b1', 'Bash', { command: 'npm test' }, 'FAIL tests/proxy.test.ts\n'.repeat(80));
  // The user connects the GitHub MCP server: the tool list changes, the whole cache is written again.
  tools = [...BUILTIN, ...MCP];
  history = [
    ...history,
    { role: 'user', content: [{ type: 'text', text: 'Open an issue for it on GitHub.' }] },
  ];
  out.push(
    main(
      [{ id: 'toolu_m1', name: 'mcp__github__create_issue', input: { title: 'Streams dropped' } }],
      5_500,
      'reset',
    ),
  );
  say('toolu_m1', 'mcp__github__create_issue', { title: 'Streams dropped' }, '{"number": 42}');
  out.push(main([], 3_000));
  // Seven minutes away: the 5-minute cache has expired.
  at += 7 * 60_000;
  history = [
    ...history,
    { role: 'assistant', content: [{ type: 'text', text: 'Issue #42 opened.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Now fix it.' }] },
  ];
  out.push(main([{ id: 'toolu_e1', name: 'Edit', input: { file_path: reads[1]! } }], 7_000, 'reset'));
  say('toolu_e1', 'Edit', { file_path: reads[1]! }, 'ok');
  out.push(main([], 4_000));
  // /compact: the summary request, then the history replaced by the summary.
  history = [
    ...history,
    { role: 'assistant', content: [{ type: 'text', text: 'Fixed.' }] },
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text: 'Your task is to create a detailed summary of the conversation so far, paying close attention to the user requests.',
        },
      ],
    },
  ];
  out.push(main([], 9_000, 'ok', 2_000));
  history = [
    {
      role: 'user',
      content: [
        {
          type: 'text',
          text: 'This session is being continued from a previous conversation that ran out of context. Summary: the proxy dropped streams under load because the tap did not honour backpressure; fixed in src/proxy/tap.ts, issue #42.',
        },
      ],
    },
  ];
  out.push(main([], 3_000, 'reset'));
  history = [
    ...history,
    { role: 'assistant', content: [{ type: 'text', text: 'Continuing.' }] },
    { role: 'user', content: [{ type: 'text', text: 'Run the tests again.' }] },
  ];
  out.push(main([], 3_500));
  return out;
}

/** The session's record lines, in the recorder's format. */
export function insightSessionLines(t0 = Date.now() - 3_600_000): RecordLine[] {
  const blocks = new SessionBlocks(new RedactionMemo(), (value) => ({ value, findings: {} }));
  const lines: RecordLine[] = [
    {
      type: 'session',
      v: 1,
      session_id: INSIGHT_SESSION_ID,
      at: t0,
      client: 'claude_code',
      client_version: '2.1.332',
      user_agent: 'claude-cli/2.1.332 (external, cli)',
      id_source: 'x-claude-code-session-id',
    },
  ];
  turns(t0).forEach((t, i) => {
    const id = `req-${String(i + 1).padStart(2, '0')}`;
    const out: BlockLine[] = [];
    const body = blocks.split('anthropic', 'messages', t.body, out);
    const msgs = t.body['messages'] as Json[];
    const lastUser = [...msgs].reverse().find((m) => m['role'] === 'user');
    const c = lastUser?.['content'];
    const prompt =
      typeof c === 'string'
        ? c
        : (((c as Json[] | undefined)?.find((p) => p['type'] === 'text')?.['text'] as string | undefined) ??
          null);
    const model = t.model ?? MODEL;
    lines.push(...out, {
      type: 'request',
      v: 1,
      id,
      session_id: INSIGHT_SESSION_ID,
      at: t.at,
      dialect: 'anthropic',
      endpoint: 'messages',
      transport: 'http',
      method: 'POST',
      url: '/v1/messages?beta=true',
      upstream_url: 'http://127.0.0.1:9/v1/messages?beta=true',
      client: 'claude_code',
      headers_ref: null,
      credential_source: 'client',
      body,
      body_text: null,
      body_bytes: JSON.stringify(t.body).length,
      body_truncated: false,
      body_encoding: null,
      model,
      stream: true,
      prompt,
      message_count: msgs.length,
      tool_count: (t.body['tools'] as JsonValue[]).length,
      system_chars: 0,
      tool_results: [],
    });
    const calls = t.calls ?? [];
    lines.push({
      type: 'response',
      v: 1,
      id,
      session_id: INSIGHT_SESSION_ID,
      at: t.at + t.ms,
      status: 200,
      headers: null,
      outcome: 'completed',
      reason: null,
      error: null,
      response: {
        dialect: 'anthropic',
        endpoint: 'messages',
        streamed: true,
        complete: true,
        id: `msg_${i}`,
        model,
        role: 'assistant',
        content: [
          { type: 'text', text: calls.length ? 'Working on it.' : 'Done.' },
          ...calls.map((k) => ({
            type: 'tool_call' as const,
            kind: 'function' as const,
            id: k.id,
            name: k.name,
            arguments: JSON.stringify(k.input),
            input: k.input,
            parseError: null,
          })),
        ],
        stopReason: calls.length ? 'tool_use' : 'end_turn',
        stopDetail: null,
        finishReason: calls.length ? 'tool_calls' : 'stop',
        usage: { ...t.usage, reasoning: null, raw: null },
        error: null,
        hasRefusal: false,
        counts: { events: 10, chunks: 10, bytes: 1000, parseErrors: 0, keepalives: 0 },
        firstContentAtMs: 800,
      },
      body_text: null,
      model,
      usage: { ...t.usage, reasoning: null, raw: null },
      stop_reason: calls.length ? 'tool_use' : 'end_turn',
      timings: {
        ttfb_ms: 600,
        first_content_ms: 800,
        duration_ms: t.ms,
        provider_ms: t.ms - 1,
        overhead_ms: 0.4,
      },
      response_bytes: 2_000,
      chunks: 20,
      truncated: false,
    });
  });
  return lines;
}

/** Write the session file into `<dataDir>/sessions/<day>/`; returns its path. */
export function writeInsightSession(dataDir: string, t0?: number): string {
  const lines = insightSessionLines(t0);
  const day = new Date((lines[0] as { at: number }).at).toISOString().slice(0, 10);
  const dir = path.join(dataDir, 'sessions', day);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${INSIGHT_SESSION_ID}.jsonl`);
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}
