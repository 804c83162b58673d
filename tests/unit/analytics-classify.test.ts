// Request classification against recorded Claude Code 2.1.332 traffic (tests/fixtures/analytics/claude-code: main
// turns captured through the proxy by tests/integration/stats-capture.test.ts; title, count_tokens, compaction and
// subagent calls derived from them with the prompts of that client version), and through the indexer: a main
// turn whose system block is a subagent's prompt is classified by the block's hint.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyRequest, systemTextOf, type RequestClass } from '../../src-main/analytics/classify.js';
import { resolveRoute } from '../../src-main/proxy/routes.js';
import { openIndex } from '../../src-main/index/db.js';
import { statementsFor } from '../../src-main/index/indexer.js';
import { extractRequestFacts } from '../../src-main/recorder/parse/request-facts.js';
import type { BlockLine, RequestLine, SessionLine } from '../../src-shared/records.js';

const DIR = path.resolve(import.meta.dirname, '..', 'fixtures', 'analytics', 'claude-code');

interface Fixture {
  method: string;
  url: string;
  body: Record<string, unknown> | null;
}

function load(name: string): Fixture {
  return JSON.parse(fs.readFileSync(path.join(DIR, name), 'utf8')) as Fixture;
}

function classify(f: Fixture): RequestClass {
  const pathOnly = f.url.split('?')[0]!;
  const route = resolveRoute(f.method, pathOnly, {});
  const endpoint = route.kind === 'upstream' ? route.endpoint : 'other';
  const facts = extractRequestFacts(f.body ?? {}, { dialect: 'anthropic', endpoint });
  return classifyRequest({
    method: f.method,
    endpoint,
    toolCount: facts.toolCount,
    maxTokens: facts.maxTokens,
    lastUserText: facts.lastUserText,
    systemText: systemTextOf(f.body?.['system']),
  });
}

describe('classifyRequest on Claude Code traffic', () => {
  const cases: [string, RequestClass][] = [
    ['hello-01.json', 'main'],
    ['tool-02.json', 'main'],
    ['derived-title.json', 'title'],
    // Captured from interactive Claude Code through the proxy (tests/clients/claude-interactive.test.ts).
    ['interactive-title.json', 'title'],
    ['interactive-main.json', 'main'],
    ['interactive-count-tokens.json', 'count_tokens'],
    ['derived-count-tokens.json', 'count_tokens'],
    ['derived-compaction.json', 'compaction'],
    ['derived-subagent.json', 'subagent'],
    ['probe-head.json', 'probe'],
  ];
  for (const [file, expected] of cases) {
    it(`${file} is ${expected}`, () => {
      expect(classify(load(file))).toBe(expected);
    });
  }

  it('a quota check (max_tokens 1, no tools) is a probe; a main turn mentioning titles is not a title call', () => {
    const base = { method: 'POST', endpoint: 'messages', lastUserText: 'quota', systemText: null };
    expect(classifyRequest({ ...base, toolCount: 0, maxTokens: 1 })).toBe('probe');
    expect(
      classifyRequest({
        ...base,
        toolCount: 12,
        maxTokens: 32_000,
        lastUserText: 'Generate a short title for my blog',
      }),
    ).toBe('main');
  });
});

describe('class column in the index', () => {
  it("takes a subagent's class from its stored system block, and a title call's from its prompt", async () => {
    const { db } = await openIndex(null);
    const file = '2026-11-27/s1.jsonl';
    const agent = load('derived-subagent.json');
    const session: SessionLine = {
      type: 'session',
      v: 1,
      session_id: 's1',
      at: 1,
      client: 'claude_code',
      client_version: '2.1.332',
      user_agent: null,
      id_source: 'x-claude-code-session-id',
    };
    const block: BlockLine = {
      type: 'block',
      v: 1,
      hash: 'h-agent',
      kind: 'system',
      value: agent.body!['system'] as never,
    };
    const req = (id: string, over: Partial<RequestLine>): RequestLine => ({
      type: 'request',
      v: 1,
      id,
      session_id: 's1',
      at: 2,
      dialect: 'anthropic',
      endpoint: 'messages',
      transport: 'http',
      method: 'POST',
      url: '/v1/messages?beta=true',
      upstream_url: 'http://127.0.0.1/v1/messages',
      client: 'claude_code',
      headers_ref: null,
      credential_source: 'client',
      body: { model: 'claude-opus-5-5', system: { $ref: 'h-agent' }, max_tokens: 32000 },
      body_text: null,
      body_bytes: 100,
      body_truncated: false,
      body_encoding: null,
      model: 'claude-opus-5-5',
      stream: true,
      prompt: 'Find the files',
      message_count: 1,
      tool_count: 5,
      system_chars: 100,
      tool_results: [],
      ...over,
    });
    const lines = [
      session,
      block,
      req('r-agent', {}),
      req('r-main', { body: { model: 'claude-opus-5-5', system: { $ref: 'h-other' } } }),
      req('r-title', {
        tool_count: 0,
        prompt: '<session>\nSay hello\n</session>',
        body: { max_tokens: 32000 },
      }),
      req('r-count', { endpoint: 'count_tokens', url: '/v1/messages/count_tokens' }),
    ];
    db.runSync(lines.flatMap((l) => statementsFor(l, file)));
    const rows = db.querySync<{ id: string; class: string }>('SELECT id, class FROM requests ORDER BY id');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.class]))).toEqual({
      'r-agent': 'subagent',
      'r-count': 'count_tokens',
      'r-main': 'main',
      'r-title': 'title',
    });
    db.db.close();
  });
});
