// A deterministic, Claude-Code-like conversation for the recording benchmark: ~20 KB system prompt, ~40 KB of
// tool definitions, a growing history of tool_use / tool_result turns, `cache_control` on the newest message
// (moving every turn), `metadata.user_id` and the `x-claude-code-session-id` header. The bench upstream imports
// `assistantReply` too, so what it streams back is exactly what the client re-sends in the next turn.

/** Deterministic PRNG (mulberry32). */
function prng(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'the a function return value request response session token input output error handler proxy stream ' +
  'record file path config user model message content tool result const let await async import export from ' +
  'string number boolean interface type class extends implements public private static new this null when ' +
  'should must never always check test build run write read update create delete list find search'
).split(' ');

function textGen(seed) {
  const rnd = prng(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (a) => a[int(a.length)];
  const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
  const ident = () => pick(WORDS) + pick(['', 'Id', 'Name', 'Count', 'Map', 'List', 'Handler', 'Store']);
  const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  /** Roughly `bytes` of text made of sentences. */
  const prose = (bytes) => {
    const out = [];
    let len = 0;
    while (len < bytes) {
      const s = sentence(8 + int(20)) + '.';
      out.push(s[0].toUpperCase() + s.slice(1));
      len += s.length + 1;
    }
    return out.join(' ');
  };
  const code = (lines) =>
    Array.from({ length: lines }, (_, i) =>
      pick([
        `${String(i + 1).padStart(5)}→  const ${ident()} = await ${ident()}(${ident()}, { timeoutMs: ${int(10000)} });`,
        `${String(i + 1).padStart(5)}→  if (${ident()}.length > ${int(100)}) throw new Error('${sentence(4)}');`,
        `${String(i + 1).padStart(5)}→export function ${ident()}(${ident()}: string): Promise<void> {`,
        `${String(i + 1).padStart(5)}→  // ${sentence(8)}`,
        `${String(i + 1).padStart(5)}→  return { ${ident()}: ${ident()}, ${ident()}: '${sentence(2)}' };`,
        `${String(i + 1).padStart(5)}→}`,
      ]),
    ).join('\n');
  return { rnd, int, pick, hex, ident, sentence, prose, code };
}

const G = textGen(0x5eed);

/** ~20 KB system prompt in Claude Code's shape (two text blocks, cache_control on the last). */
export const SYSTEM = [
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
  { type: 'text', text: G.prose(20 * 1024), cache_control: { type: 'ephemeral' } },
];

const TOOL_NAMES = [
  'Task',
  'Bash',
  'Glob',
  'Grep',
  'ExitPlanMode',
  'Read',
  'Edit',
  'MultiEdit',
  'Write',
  'NotebookEdit',
  'WebFetch',
  'TodoWrite',
  'WebSearch',
  'BashOutput',
  'KillShell',
  'SlashCommand',
];

/** ~40 KB of tool definitions (16 tools with long descriptions and JSON schemas). */
export const TOOLS = TOOL_NAMES.map((name) => ({
  name,
  description: G.prose(1650),
  input_schema: {
    type: 'object',
    properties: Object.fromEntries(
      Array.from({ length: 3 + G.int(3) }, () => [
        G.ident(),
        { type: G.pick(['string', 'number', 'boolean']), description: G.prose(60) },
      ]),
    ),
    required: [],
    additionalProperties: false,
    $schema: 'http://json-schema.org/draft-07/schema#',
  },
}));

/**
 * What the assistant answers to request number `turn` (0-based): a tool call most turns, plain text every
 * fifth. Deterministic, so the client and the upstream agree without coordination.
 */
export function assistantReply(turn, seed = 0) {
  const g = textGen(seed * 7919 + 1000 + turn);
  if (turn % 5 === 4) {
    return {
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: g.prose(500 + g.int(700)) }],
      usage: { output_tokens: 180 + g.int(200) },
    };
  }
  const name = g.pick(['Read', 'Bash', 'Grep', 'Edit', 'Glob']);
  const input =
    name === 'Bash'
      ? { command: `npm test -- ${g.ident()}`, description: g.sentence(6) }
      : name === 'Edit'
        ? { file_path: `/home/dev/project/src/${g.ident()}.ts`, old_string: g.code(3), new_string: g.code(4) }
        : name === 'Read'
          ? { file_path: `/home/dev/project/src/${g.ident()}/${g.ident()}.ts` }
          : { pattern: g.ident(), path: '/home/dev/project/src' };
  return {
    stop_reason: 'tool_use',
    content: [
      { type: 'text', text: g.prose(100 + g.int(200)) },
      { type: 'tool_use', id: `toolu_01${g.hex(22)}`, name, input },
    ],
    usage: { output_tokens: 60 + g.int(120) },
  };
}

/** The tool's output for the tool call of `turn` (sizes vary by tool like real ones: 0.2–6 KB). */
function toolResult(turn, call, seed) {
  const g = textGen(seed * 7919 + 2000 + turn);
  let content;
  if (call.name === 'Read') content = g.code(40 + g.int(80));
  else if (call.name === 'Bash') content = g.prose(300 + g.int(1500));
  else if (call.name === 'Grep' || call.name === 'Glob')
    content = Array.from(
      { length: 5 + g.int(25) },
      () => `/home/dev/project/src/${g.ident()}/${g.ident()}.ts:${g.int(900)}: ${g.sentence(6)}`,
    ).join('\n');
  else
    content = `The file /home/dev/project/src/x.ts has been updated. Here's the result of running \`cat -n\`:\n${g.code(8)}`;
  return { type: 'tool_result', tool_use_id: call.id, content };
}

function userPrompt(turn, seed) {
  const g = textGen(seed * 7919 + 3000 + turn);
  return g.prose(80 + g.int(300));
}

/** Deep copy of a message without `cache_control` on its blocks. */
function withoutCacheControl(msg) {
  if (!Array.isArray(msg.content)) return msg;
  return {
    ...msg,
    content: msg.content.map((b) => {
      if (!('cache_control' in b)) return b;
      const copy = { ...b };
      delete copy.cache_control;
      return copy;
    }),
  };
}

function withCacheControl(msg) {
  const content = msg.content.map((b, i) =>
    i === msg.content.length - 1 ? { ...b, cache_control: { type: 'ephemeral' } } : b,
  );
  return { ...msg, content };
}

/**
 * `turns` request bodies of one session (Buffers). Request k re-sends the whole history; only the newest user
 * message carries cache_control. `seed` varies the conversation (not the system prompt or tools), so that a
 * recorder that already saw one seed's content has to redact and hash the next one afresh.
 */
export function claudeCodeSession(
  turns,
  { sessionId = '5f0c6a2e-8d1b-4c3a-9e7f-2b6d4a1c9e80', seed = 0 } = {},
) {
  const g = textGen(seed * 7919 + 42);
  const userId = `user_${g.hex(64)}_account_${sessionId.replace(/.$/, '1')}_session_${sessionId}`;
  const first = {
    role: 'user',
    content: [
      {
        type: 'text',
        text: `<system-reminder>\nAs you answer the user's questions, you can use the following context:\n# claudeMd\n${g.prose(3000)}\n</system-reminder>`,
      },
      { type: 'text', text: userPrompt(0, seed) },
    ],
  };
  const history = [first];
  const bodies = [];
  for (let turn = 0; turn < turns; turn++) {
    const messages = history.map((m, i) => (i === history.length - 1 ? withCacheControl(m) : m));
    const body = {
      model: 'claude-sonnet-4-5-20250929',
      messages,
      temperature: 1,
      system: SYSTEM,
      tools: TOOLS,
      metadata: { user_id: userId },
      max_tokens: 32000,
      stream: true,
    };
    bodies.push(Buffer.from(JSON.stringify(body)));
    const reply = assistantReply(turn, seed);
    history[history.length - 1] = withoutCacheControl(history[history.length - 1]);
    history.push({ role: 'assistant', content: reply.content });
    const call = reply.content.find((b) => b.type === 'tool_use');
    history.push(
      call
        ? { role: 'user', content: [toolResult(turn, call, seed)] }
        : { role: 'user', content: [{ type: 'text', text: userPrompt(turn + 1, seed) }] },
    );
  }
  return { bodies, sessionId, userId, seed };
}

/** Turn number of a Claude-Code-like body: its history holds 2 messages per earlier turn plus the first. */
export function turnOf(body) {
  return Math.max(0, Math.floor(((body.messages?.length ?? 1) - 1) / 2));
}

/** The reply of `turn` as an Anthropic SSE stream (message_start … message_stop), split into small deltas. */
export function anthropicSse(turn, seed = 0) {
  const reply = assistantReply(turn, seed);
  const ev = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const out = [
    ev('message_start', {
      message: {
        id: `msg_01Bench${String(turn).padStart(16, '0')}`,
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5-20250929',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: 4,
          cache_creation_input_tokens: 900 + turn * 40,
          cache_read_input_tokens: 17000 + turn * 900,
          output_tokens: 1,
          service_tier: 'standard',
        },
      },
    }),
  ];
  const chunks = (s, n) => {
    const parts = [];
    for (let i = 0; i < s.length; i += n) parts.push(s.slice(i, i + n));
    return parts;
  };
  reply.content.forEach((block, index) => {
    if (block.type === 'text') {
      out.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of chunks(block.text, 60))
        out.push(ev('content_block_delta', { index, delta: { type: 'text_delta', text } }));
    } else {
      out.push(
        ev('content_block_start', {
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        }),
      );
      for (const partial_json of chunks(JSON.stringify(block.input), 40))
        out.push(ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
    }
    out.push(ev('content_block_stop', { index }));
  });
  out.push(
    ev('message_delta', {
      delta: { stop_reason: reply.stop_reason, stop_sequence: null },
      usage: { output_tokens: reply.usage.output_tokens },
    }),
  );
  out.push(ev('message_stop', {}));
  return out;
}
