// What a replay sends, decided without a network: the rebuilt body (key order kept, only what a flag changed),
// the headers sent again (never a credential), the prompt fork per dialect, the redactions listed, the credential
// picked, the estimated cost, the cURL command, and the proxy's replay-header check.
import { execFileSync } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RequestLine } from '../../src-shared/records.js';
import { bundledPrices } from '../../src-main/analytics/prices.js';
import { requestCost } from '../../src-main/analytics/cost.js';
import { planReplay, findRedactions, notReplayable, type ReplaySource } from '../../src-main/replay/plan.js';
import { replacePrompt } from '../../src-main/replay/prompt.js';
import { missingCredentialMessage, resolveReplayCredential } from '../../src-main/replay/credentials.js';
import { estimateReplayCost } from '../../src-main/replay/estimate.js';
import { curlCommand, shellQuote } from '../../src-main/replay/curl.js';
import { takeReplayHeaders } from '../../src-main/proxy/replay-header.js';
import { replaySession } from '../../src-main/recorder/sessions.js';
import { makeTestConfig } from '../support/config.js';

type JsonObject = { [key: string]: JsonValue };

function request(over: Partial<RequestLine> = {}): RequestLine {
  return {
    type: 'request',
    v: 1,
    id: 'req-1',
    session_id: 'sess-1',
    at: 1,
    dialect: 'anthropic',
    endpoint: 'messages',
    transport: 'http',
    method: 'POST',
    url: '/v1/messages?beta=true',
    upstream_url: 'https://api.anthropic.com/v1/messages?beta=true',
    client: 'claude_code',
    headers_ref: 'h',
    credential_source: 'client',
    body: {},
    body_text: null,
    body_bytes: 100,
    body_truncated: false,
    body_encoding: null,
    model: 'claude-sonnet-4-5',
    stream: true,
    prompt: 'hello',
    message_count: 1,
    tool_count: 0,
    system_chars: 0,
    tool_results: [],
    ...over,
  };
}

function source(body: JsonValue, over: Partial<RequestLine> = {}, headers: JsonValue = {}): ReplaySource {
  return { request: request(over), body, headers, response: null };
}

const claudeBody = (): JsonObject => ({
  model: 'claude-sonnet-4-5',
  max_tokens: 32000,
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'list the files' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 't1', content: 'a b' },
        { type: 'text', text: '<system-reminder>be nice</system-reminder>' },
      ],
    },
  ],
  system: [{ type: 'text', text: 'You are Claude Code.' }],
  tools: [{ name: 'Bash', input_schema: { type: 'object' } }],
  metadata: { user_id: 'u' },
  stream: true,
});

describe('planReplay', () => {
  it('sends the recorded body unchanged, byte for byte as the client compacted it', () => {
    const body = claudeBody();
    const p = planReplay(source(body));
    expect(p.body).toBe(JSON.stringify(body));
    expect(p.path).toBe('/v1/messages?beta=true');
    expect(p.changes).toEqual({ model: null, prompt: null, upstream: null });
  });

  it('changes only the model, in its place among the keys', () => {
    const p = planReplay(source(claudeBody()), { model: 'claude-haiku-4-5' });
    const sent = JSON.parse(p.body) as JsonObject;
    expect(Object.keys(sent)).toEqual(Object.keys(claudeBody()));
    expect(sent).toEqual({ ...claudeBody(), model: 'claude-haiku-4-5' });
    expect(p.changes.model).toEqual({ from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5' });
    expect(p.model).toBe('claude-haiku-4-5');
  });

  it('sends the client headers again without credentials, connection headers or masked values', () => {
    const p = planReplay(
      source(
        claudeBody(),
        {},
        {
          host: '127.0.0.1:8081',
          'x-api-key': '…[redacted]abcd',
          authorization: 'Bearer …[redacted]wxyz',
          cookie: 'a=b',
          'content-length': '123',
          'content-encoding': 'zstd',
          connection: 'keep-alive',
          'x-lunaroute-replay-of': 'x',
          'x-custom-token': 'value',
          'anthropic-version': '2023-06-01',
          'anthropic-beta': ['a', 'b'],
          'user-agent': 'claude-cli/2.1.332',
          'accept-encoding': 'gzip',
          'x-claude-code-session-id': 's1',
        },
      ),
    );
    expect(p.headers).toEqual({
      'anthropic-version': '2023-06-01',
      'anthropic-beta': ['a', 'b'],
      'user-agent': 'claude-cli/2.1.332',
      'accept-encoding': 'gzip',
      'x-claude-code-session-id': 's1',
    });
  });

  it('turns a Codex WebSocket turn into an HTTP stream and says so', () => {
    const p = planReplay(
      source(
        { type: 'response.create', model: 'gpt-5-codex', input: 'hi', previous_response_id: 'resp_1' },
        {
          dialect: 'openai',
          endpoint: 'responses',
          transport: 'websocket',
          method: 'GET',
          url: '/v1/responses',
        },
        { upgrade: 'websocket', 'sec-websocket-key': 'k', 'openai-beta': 'responses_websockets=1' },
      ),
    );
    expect(JSON.parse(p.body)).toEqual({
      model: 'gpt-5-codex',
      input: 'hi',
      previous_response_id: 'resp_1',
      stream: true,
    });
    expect(p.headers).toEqual({ 'openai-beta': 'responses_websockets=1' });
    expect(p.notes.join('\n')).toMatch(/WebSocket turn is replayed as an HTTP stream/);
    expect(p.notes.join('\n')).toMatch(/previous_response_id resp_1/);
  });

  it('refuses what cannot be rebuilt: a truncated body, a non-JSON body, a GET', () => {
    expect(notReplayable(source(null, { body_truncated: true, body_bytes: 99 }))).toMatch(
      /cut at the recording limit .*recording\.max_body_mb/,
    );
    expect(notReplayable(source(null, { body: null, body_text: 'plain' }))).toMatch(/not JSON/);
    expect(notReplayable(source({}, { method: 'GET' }))).toMatch(/only POST requests/);
    expect(() => planReplay(source(null, { body_text: 'x' }))).toThrow(/req-1 cannot be replayed/);
  });
});

describe('replacePrompt (a fork at the last typed user message)', () => {
  it('Anthropic: walks back over a tool-result turn, keeps reminders and cache markers, leaves out what followed', () => {
    const body = claudeBody();
    (body['messages'] as JsonObject[])[0]!['content'] = [
      { type: 'text', text: '<system-reminder>ctx</system-reminder>' },
      { type: 'text', text: 'list the files', cache_control: { type: 'ephemeral' } },
    ];
    const edit = replacePrompt('messages', body, 'count the files');
    expect(edit).toEqual({ from: 'list the files', messageIndex: 0, dropped: 2 });
    expect(body['messages']).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>ctx</system-reminder>' },
          { type: 'text', text: 'count the files', cache_control: { type: 'ephemeral' } },
        ],
      },
    ]);
  });

  it('Chat: replaces string content of the last user message', () => {
    const body: JsonObject = {
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'two' },
        { role: 'user', content: 'three' },
      ],
    };
    expect(replacePrompt('chat_completions', body, 'four')).toEqual({
      from: 'three',
      messageIndex: 3,
      dropped: 0,
    });
    expect((body['messages'] as JsonObject[])[3]).toEqual({ role: 'user', content: 'four' });
  });

  it('Responses: a string input, or the last user item with input_text', () => {
    const a: JsonObject = { input: 'hi' };
    expect(replacePrompt('responses', a, 'bye')).toEqual({ from: 'hi', messageIndex: 0, dropped: 0 });
    expect(a['input']).toBe('bye');
    const b: JsonObject = {
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'do it' }] },
        { type: 'function_call', call_id: 'c', name: 'shell', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c', output: 'ok' },
      ],
    };
    expect(replacePrompt('responses', b, 'do that')).toEqual({ from: 'do it', messageIndex: 0, dropped: 2 });
    expect(b['input']).toEqual([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'do that' }] },
    ]);
  });

  it('says why when there is nothing to replace', () => {
    expect(() => replacePrompt('messages', { messages: [{ role: 'assistant', content: 'x' }] }, 'y')).toThrow(
      /no user message with text to replace/,
    );
    expect(() => replacePrompt('embeddings', {}, 'y')).toThrow(/--prompt works on messages/);
    expect(() => planReplay(source({ model: 'm', messages: [] }), { prompt: 'x' })).toThrow(
      /no user message with text/,
    );
  });
});

describe('findRedactions', () => {
  it('lists placeholders by label with where they are, in the body and the headers', () => {
    const r = findRedactions(
      { messages: [{ role: 'user', content: 'mail [EMAIL] and [EMAIL:0123456789abcdef], key [API_KEY]' }] },
      { 'user-agent': 'x [EMAIL]' },
      { email: 3, api_key: 1, auth_header: 1 },
    );
    expect(r).toEqual([
      { label: 'EMAIL', count: 3, where: ['messages[0].content', 'header user-agent'] },
      { label: 'API_KEY', count: 1, where: ['messages[0].content'] },
    ]);
  });

  it('falls back to the line’s findings when the mode left no placeholder, ignoring masked credentials', () => {
    expect(findRedactions({ a: 'j***@x.io' }, {}, { email: 1, auth_header: 2 })).toEqual([
      { label: 'EMAIL', count: 1, where: [] },
    ]);
    expect(findRedactions({ a: 'plain' }, {}, undefined)).toEqual([]);
  });
});

describe('resolveReplayCredential', () => {
  const config = makeTestConfig();
  const ctx = (over: Record<string, unknown> = {}) => ({
    dialect: 'anthropic' as const,
    endpoint: 'messages' as const,
    client: 'claude_code',
    credentialSource: 'client',
    upstreamUrl: 'https://api.anthropic.com/v1/messages',
    config,
    env: {},
    ...over,
  });

  it('prefers the configured key, then the provider variables, and never returns a source without a value', () => {
    const withKey = { ...config, upstreams: { ...config.upstreams, anthropic: { url: 'u', apiKey: 'cfg' } } };
    expect(
      resolveReplayCredential(ctx({ config: withKey, env: { ANTHROPIC_API_KEY: 'env' } }), null),
    ).toEqual({
      headers: { 'x-api-key': 'cfg' },
      label: 'upstreams.anthropic.api_key',
    });
    expect(resolveReplayCredential(ctx({ env: { ANTHROPIC_API_KEY: 'env' } }), null)?.label).toBe(
      'ANTHROPIC_API_KEY',
    );
    expect(resolveReplayCredential(ctx({ env: { ANTHROPIC_AUTH_TOKEN: 'tok' } }), null)).toEqual({
      headers: { authorization: 'Bearer tok' },
      label: 'ANTHROPIC_AUTH_TOKEN',
    });
    expect(resolveReplayCredential(ctx({ env: { ANTHROPIC_API_KEY: '  ' } }), null)).toBeNull();
  });

  it('uses Codex’s login for Codex traffic, and its ChatGPT login first for what went to the ChatGPT backend', () => {
    const openai = { dialect: 'openai' as const, endpoint: 'responses' as const, client: 'codex' };
    const chatgpt = { kind: 'chatgpt' as const, accessToken: 'at', accountId: 'acc' };
    expect(resolveReplayCredential(ctx({ ...openai }), { kind: 'api_key', apiKey: 'ck' })?.headers).toEqual({
      authorization: 'Bearer ck',
    });
    const viaChatgpt = ctx({ ...openai, credentialSource: 'codex_chatgpt', env: { OPENAI_API_KEY: 'env' } });
    expect(resolveReplayCredential(viaChatgpt, chatgpt)?.headers).toEqual({
      authorization: 'Bearer at',
      'chatgpt-account-id': 'acc',
    });
    expect(resolveReplayCredential(ctx({ ...openai, env: { OPENAI_API_KEY: 'env' } }), chatgpt)?.label).toBe(
      'OPENAI_API_KEY',
    );
    expect(
      resolveReplayCredential(
        ctx({ dialect: 'openai', endpoint: 'chat_completions', client: 'sdk' }),
        chatgpt,
      ),
    ).toBeNull();
  });

  it('names every way to provide one when there is none', () => {
    expect(missingCredentialMessage({ dialect: 'anthropic', config })).toMatch(
      /upstreams\.anthropic\.api_key in the config file .*LUNAROUTE_ANTHROPIC_API_KEY.*ANTHROPIC_API_KEY.*ANTHROPIC_AUTH_TOKEN/,
    );
    expect(missingCredentialMessage({ dialect: 'openai', config })).toMatch(
      /upstreams\.openai\.api_key .*LUNAROUTE_OPENAI_API_KEY.*OPENAI_API_KEY.*Codex/,
    );
  });
});

describe('estimateReplayCost', () => {
  const usage = { input: 1000, output: 500, cacheRead: 20_000, cacheWrite: 0, reasoning: null, raw: null };
  const prices = bundledPrices();

  it('prices the original tokens at the same model as the original cost', () => {
    const e = estimateReplayCost(
      {
        dialect: 'anthropic',
        endpoint: 'messages',
        usage,
        originalModel: 'claude-sonnet-4-5',
        targetModel: 'claude-sonnet-4-5',
      },
      prices,
    );
    expect(e.usd).toBe(requestCost({ model: 'claude-sonnet-4-5', usage }).usd);
    expect(e.status).toBe('priced');
  });

  it('counts cache reads as cache writes for another Anthropic model (caches are per model)', () => {
    const e = estimateReplayCost(
      {
        dialect: 'anthropic',
        endpoint: 'messages',
        usage,
        originalModel: 'claude-sonnet-4-5',
        targetModel: 'claude-haiku-4-5',
      },
      prices,
    );
    // haiku 4.5: input 1, output 5, cache write 1.25 per million.
    expect(e.usd).toBeCloseTo((1000 * 1 + 500 * 5 + 20_000 * 1.25) / 1e6, 9);
    expect(e.note).toMatch(/written again/);
  });

  it('says so when the target model has no price or the original no usage', () => {
    const u = { dialect: 'openai', endpoint: 'chat_completions', originalModel: 'gpt-5' };
    expect(estimateReplayCost({ ...u, usage, targetModel: 'my-local-model' }, prices)).toMatchObject({
      usd: null,
      status: 'unpriced',
      note: expect.stringMatching(/my-local-model has no price/) as string,
    });
    expect(estimateReplayCost({ ...u, usage: null, targetModel: 'gpt-5' }, prices).note).toMatch(
      /recorded no token usage/,
    );
  });
});

describe('curlCommand', () => {
  it('names the key as $ANTHROPIC_API_KEY, never a value, and quotes the body for the shell', () => {
    const body = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: "it's $HOME `x`" }] };
    const cmd = curlCommand(
      source(body, {}, { 'x-api-key': '…[redacted]abcd', 'anthropic-version': '2023-06-01' }),
    );
    expect(cmd).toContain(`curl 'https://api.anthropic.com/v1/messages?beta=true'`);
    expect(cmd).toContain('-H "x-api-key: $ANTHROPIC_API_KEY"');
    expect(cmd).not.toContain('redacted');
    expect(cmd).toContain('-N');
    const data = /--data-raw ('(?:[^']|'\\'')*')\n$/.exec(cmd)![1]!;
    expect(execFileSync('sh', ['-c', `printf '%s' ${data}`]).toString()).toBe(JSON.stringify(body));
  });

  it('uses $OPENAI_API_KEY for OpenAI requests', () => {
    const cmd = curlCommand(
      source(
        { model: 'gpt-5', messages: [] },
        {
          dialect: 'openai',
          endpoint: 'chat_completions',
          stream: false,
          upstream_url: 'https://api.openai.com/v1/chat/completions',
        },
      ),
    );
    expect(cmd).toContain('-H "Authorization: Bearer $OPENAI_API_KEY"');
    expect(cmd).not.toContain('-N');
  });

  it('shellQuote survives a round trip through sh', () => {
    for (const s of ["a'b", "''", 'plain', '$(rm -rf /)', 'x\ny']) {
      expect(execFileSync('sh', ['-c', `printf '%s' ${shellQuote(s)}`]).toString()).toBe(s);
    }
  });
});

describe('takeReplayHeaders', () => {
  const req = (headers: Record<string, string>, remote = '127.0.0.1'): IncomingMessage =>
    ({
      headers: { host: '127.0.0.1:8081', ...headers },
      socket: { remoteAddress: remote },
    }) as unknown as IncomingMessage;

  it('honours them from a local client and takes them off the request', () => {
    const r = req({
      'x-lunaroute-replay-of': 'abc-123',
      'x-lunaroute-replay-upstream': 'http://127.0.0.1:9/',
    });
    expect(takeReplayHeaders(r)).toEqual({ replayOf: 'abc-123', upstream: 'http://127.0.0.1:9' });
    expect(r.headers).toEqual({ host: '127.0.0.1:8081' });
    expect(takeReplayHeaders(req({}))).toBeNull();
  });

  it('refuses them from a web page, another machine, a foreign Host, or with bad values', () => {
    const of = { 'x-lunaroute-replay-of': 'abc' };
    expect(takeReplayHeaders(req({ ...of, origin: 'https://evil.example' }))).toEqual({
      refused: expect.stringMatching(/only from a local client: it came from a web page/) as string,
    });
    expect(takeReplayHeaders(req({ ...of, 'sec-fetch-site': 'cross-site' }))).toHaveProperty('refused');
    expect(takeReplayHeaders(req(of, '10.0.0.5'))).toHaveProperty('refused');
    expect(takeReplayHeaders(req({ ...of, host: 'evil.example:8081' }))).toHaveProperty('refused');
    expect(takeReplayHeaders(req({ 'x-lunaroute-replay-of': '../etc' }))).toHaveProperty('refused');
    expect(
      takeReplayHeaders(req({ ...of, 'x-lunaroute-replay-upstream': 'http://user:pw@127.0.0.1:9' })),
    ).toHaveProperty('refused');
    expect(takeReplayHeaders(req({ ...of, 'x-lunaroute-replay-upstream': 'file:///etc' }))).toHaveProperty(
      'refused',
    );
    expect(takeReplayHeaders(req(of, '::ffff:127.0.0.1'))).toEqual({ replayOf: 'abc', upstream: null });
  });
});

describe('replaySession', () => {
  it('records replays of a session together, and a replay of a replay in the same place', () => {
    expect(replaySession({ session_id: 'abc', replay_of: null }, 'r1')).toEqual({
      id: 'replay-abc',
      source: 'replay',
    });
    expect(replaySession({ session_id: 'replay-abc', replay_of: 'r0' }, 'r1').id).toBe('replay-abc');
    expect(replaySession({ session_id: 'replay-team', replay_of: null }, 'r1').id).toBe('replay-replay-team');
    expect(replaySession(null, 'r1').id).toBe('replay-r1');
  });
});
