// Lean (version 2) lines, end to end through the real proxy and recorder: a Claude Code-like conversation (a tool
// call, its result, a plain text turn) is recorded, and the raw file is checked for what the lean format
// promises — response headers in a shared block plus per-response values, the assistant message written once
// (the response's block is the one the next request's history refers to), nothing the session line says — while
// everything read back stays exact: bodies rebuilt byte for byte, headers and content per response, and an index
// rebuilt from the file equal to the one built live.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openIndex } from '../../src-main/index/db.js';
import { getSession, type RequestBodies, type SessionDetail } from '../../src-main/index/queries.js';
import { readSessionFile, reconcile } from '../../src-main/index/reindex.js';
import { expandChain } from '../../src-main/recorder/parse/blocks.js';
import type { JsonValue } from '../../src-shared/exchange.js';
import type { RequestLine, ResponseLine } from '../../src-shared/records.js';
import { FAKE_ANSWER } from '../support/fake-provider/index.js';
import { rawRequest } from '../support/http.js';
import { useRecordingStack } from '../support/recording-stack.js';

const stack = useRecordingStack({ dataDirPrefix: 'lunaroute-lean-' });
const SID = '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';

type Obj = Record<string, unknown>;

/** The assistant message as the SDK accumulates it from the SSE (what Claude Code re-sends). */
function accumulate(sse: Buffer): JsonValue {
  const blocks: Obj[] = [];
  const json: string[] = [];
  for (const line of sse.toString('utf8').split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const e = JSON.parse(line.slice(6)) as Obj & { index: number; content_block: Obj; delta: Obj };
    if (e.type === 'content_block_start') {
      blocks[e.index] = { ...e.content_block };
      json[e.index] = '';
    } else if (e.type === 'content_block_delta') {
      const b = blocks[e.index]!;
      const d = e.delta as Record<string, string>;
      if (d.type === 'text_delta') b.text = String(b.text) + d.text;
      if (d.type === 'input_json_delta') json[e.index] += d.partial_json!;
    } else if (e.type === 'content_block_stop') {
      const b = blocks[e.index]!;
      if (b.type === 'tool_use') b.input = json[e.index] ? JSON.parse(json[e.index]!) : {};
    }
  }
  return { role: 'assistant', content: blocks as JsonValue[] };
}

describe('lean lines', () => {
  it('store headers, the assistant message and the session facts once, and read back exactly', async () => {
    const headers = {
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-api03-leanleanleanleanleanlean',
      'anthropic-version': '2023-06-01',
      'user-agent': 'claude-cli/2.0.14 (external, cli)',
      'x-app': 'cli',
      'x-claude-code-session-id': SID,
    };
    const base = {
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 1000,
      stream: true,
      system: [{ type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." }],
      tools: [
        {
          name: 'Bash',
          description: 'Run a shell command',
          input_schema: { type: 'object', properties: { command: { type: 'string' } } },
        },
      ],
      metadata: { user_id: `user_abc_account__session_${SID}` },
    };
    const post = (messages: JsonValue[]) =>
      rawRequest(`${stack.core.proxyUrl}/v1/messages?beta=true`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ ...base, messages }),
      });
    const u1 = { role: 'user', content: 'SCENARIO:tool run the tests' };
    const r1 = await post([u1]);
    const a1 = accumulate(r1.body);
    const call = ((a1 as Obj).content as Obj[]).find((b) => b.type === 'tool_use')!;
    const history: JsonValue[] = [
      u1,
      a1,
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: String(call.id), content: 'ok' }] },
    ];
    const r2 = await post(history);
    history.push(accumulate(r2.body), { role: 'user', content: 'thanks' });
    const r3 = await post(history);
    expect(r3.status).toBe(200);
    const detail = await waitForSession(3);

    const file = fs
      .readdirSync(path.join(stack.dataDir, 'sessions'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name === `${SID}.jsonl`)
      .map((e) => path.join(e.parentPath, e.name))[0]!;
    const raw = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const stored = raw.map((l) => JSON.parse(l) as Obj);
    const requests = stored.filter((l) => l.type === 'request');
    const responses = stored.filter((l) => l.type === 'response');
    expect(requests).toHaveLength(3);
    expect(responses).toHaveLength(3);
    for (const l of [...requests, ...responses]) {
      expect(l.v).toBe(2);
      expect(l).not.toHaveProperty('session_id');
      expect(l).not.toHaveProperty('client');
      expect(l).not.toHaveProperty('headers');
    }
    const blocks = new Map(
      stored.filter((l) => l.type === 'block').map((l) => [l.hash as string, l.value as JsonValue]),
    );
    // What repeats from response to response (the headers block reference, the usage keys…) is in a base block.
    // A line without `base_ref` has the previous one of its kind (only the first names it when it stays the same).
    expect(responses[0]!.base_ref).toEqual(expect.any(String));
    expect(requests[0]!.base_ref).toEqual(expect.any(String));
    const bases = new Map<unknown, string>();
    let lastBase: Record<string, string> = {};
    for (const l of stored) {
      if (l.type !== 'request' && l.type !== 'response') continue;
      lastBase = { ...lastBase, [l.type as string]: (l.base_ref as string) ?? lastBase[l.type as string] };
      bases.set(l, lastBase[l.type as string]!);
    }
    const baseOf = (l: Obj): Obj => blocks.get(bases.get(l)!) as Obj;
    for (const l of responses) {
      expect(baseOf(l).headers_ref).toEqual(expect.any(String));
      expect(l).not.toHaveProperty('model');
      expect((l.response as Obj).content_ref).toEqual(expect.any(String));
      for (const t of l.timings as (number | null)[]) if (t !== null) expect(Math.round(t * 10) / 10).toBe(t);
    }
    // One response-headers block serves all three responses; their request ids stay on each line.
    expect(new Set(responses.map((l) => baseOf(l).headers_ref)).size).toBe(1);
    for (const l of responses) expect(l.headers_var).toHaveProperty('request-id');
    const blockCount = (hash: string): number => stored.filter((l) => l.hash === hash).length;
    // The assistant message of turns 1 and 2 is the block their responses wrote, referred to by the next
    // request's history, and stored once.
    for (const turn of [0, 1]) {
      const ref = (responses[turn]!.response as Obj).content_ref as string;
      expect(blockCount(ref)).toBe(1);
      const next = requests[turn + 1]!;
      const chain = (next.body_chain ?? ((next.body as Obj).messages as Obj).$chain) as string;
      const chainBlock = blocks.get(chain) as { items: (string | { h: string })[] } | undefined;
      const items = chainBlock ? expandChain(chain, blocks) : [];
      expect(items[2 * turn + 1]).toEqual(blocks.get(ref));
    }

    // The tool result answers a call recorded in the file: stored as the call's id alone; its prompt is the
    // previous request's, so the line leaves it out.
    expect(requests[1]!.tool_results).toEqual([call.id]);
    expect(requests[1]).not.toHaveProperty('prompt');
    expect(requests[1]).not.toHaveProperty('prompt_ref');

    // Read back: full lines, exact bodies, headers and content per response.
    const { lines } = await readSessionFile(file);
    const fullRequests = lines.filter((l): l is RequestLine => l.type === 'request');
    expect(fullRequests[1]!.prompt).toBe(fullRequests[0]!.prompt);
    expect(fullRequests[0]!.prompt).toBe('SCENARIO:tool run the tests');
    const callAt = lines.find(
      (l): l is ResponseLine => l.type === 'response' && l.id === requests[0]!.id,
    )!.at;
    expect(fullRequests[1]!.tool_results).toEqual([
      {
        id: call.id,
        is_error: false,
        call_request_id: requests[0]!.id,
        latency_ms: Math.round(Math.max(0, fullRequests[1]!.at - callAt) * 10) / 10,
      },
    ]);
    const full = lines.filter((l): l is ResponseLine => l.type === 'response');
    for (const r of full) {
      expect(r.session_id).toBe(SID);
      expect(r.headers).toMatchObject({ 'content-type': expect.stringMatching(/^text\/event-stream/) });
      expect(r.model).toBe('claude-sonnet-4-5-20250929');
    }
    // Per-response values (the request id) come back per response.
    const ids = full.map((r) => (r.headers as Obj)['request-id']);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^req_/);
    const text = (r: ResponseLine): string =>
      (r.response?.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(text(full[2]!)).toBe(FAKE_ANSWER);
    expect(full[0]!.response!.content.some((b) => b.type === 'tool_call' && b.id === call.id)).toBe(true);
    const sent = stack.fake.requests.slice(-3);
    for (const [n, r] of detail.requests.entries()) {
      const b = await stack.core.recorder.client.query<RequestBodies | null>('requests.bodies', { id: r.id });
      expect(JSON.stringify(b!.body)).toBe(JSON.stringify(sent[n]!.json));
    }

    // An index rebuilt from the file alone equals the one the recorder built live.
    const { db } = await openIndex(null);
    try {
      await reconcile(db, path.join(stack.dataDir, 'sessions'), { full: true, markCrashed: false });
      const rebuilt = getSession(
        { index: db, sessionsDir: path.join(stack.dataDir, 'sessions') },
        { id: SID },
      );
      expect(rebuilt!.requests).toEqual(detail.requests);
      expect(rebuilt!.toolCalls).toEqual(detail.toolCalls);
      expect(rebuilt!.session).toEqual(detail.session);
    } finally {
      await db.close();
    }

    // A plain streamed turn (turn 3: a short prompt, the 29-character answer) costs this much besides blocks.
    const bytes = (id: unknown, type: string): number =>
      Buffer.byteLength(raw[stored.findIndex((l) => l.type === type && l.id === id)]!) + 1;
    const id3 = requests[2]!.id;
    const plain = { request: bytes(id3, 'request'), response: bytes(id3, 'response') };
    console.log(`plain streamed turn: request line ${plain.request} B, response line ${plain.response} B`);
    expect(plain.request + plain.response).toBeLessThanOrEqual(600);
  });

  it('are used for every dialect and outcome, and an index rebuilt from them equals the live one', async () => {
    const post = (url: string, headers: Record<string, string>, body: unknown) =>
      rawRequest(`${stack.core.proxyUrl}${url}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const anthropic = {
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-api03-leanleanleanleanleanlean',
      'anthropic-version': '2023-06-01',
      'x-claude-code-session-id': 'lean-mixed-anthropic',
    };
    await post('/v1/messages', anthropic, {
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'SCENARIO:thinking hello' }],
    });
    await post('/v1/messages', anthropic, {
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'SCENARIO:stream-error hello' }],
    });
    await post('/v1/messages', anthropic, {
      model: 'claude-haiku-4-5',
      max_tokens: 10,
      stream: true,
      messages: [{ role: 'user', content: 'SCENARIO:error-429 hello' }],
    });
    const openai = {
      'content-type': 'application/json',
      authorization: 'Bearer sk-lean-openai-key',
      'x-session-id': 'lean-mixed-openai',
    };
    await post('/v1/chat/completions', openai, {
      model: 'gpt-4.1',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'SCENARIO:tool list files' }],
      tools: [{ type: 'function', function: { name: 'bash', parameters: { type: 'object' } } }],
    });
    await post('/v1/responses', openai, {
      model: 'gpt-5-codex',
      instructions: 'You are Codex.',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'SCENARIO:thinking hi' }] },
      ],
      stream: true,
    });
    const live = {
      anthropic: await waitForSession(3, 'lean-mixed-anthropic'),
      openai: await waitForSession(2, 'lean-mixed-openai'),
    };
    const sessionsDir = path.join(stack.dataDir, 'sessions');
    for (const sid of ['lean-mixed-anthropic', 'lean-mixed-openai']) {
      const file = fs
        .readdirSync(sessionsDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name === `${sid}.jsonl`)
        .map((e) => path.join(e.parentPath, e.name))[0]!;
      const stored = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Obj);
      // Lean forms all round (the recorder falls back to the full line only when a lean one would not read back).
      // The first lean line of each kind names its base block; later ones only when it changes.
      const seen = new Set<unknown>();
      for (const l of stored.filter((x) => x.type === 'request' || x.type === 'response')) {
        expect(l.v).toBe(2);
        expect(l).not.toHaveProperty('session_id');
        expect(l).not.toHaveProperty('headers');
        if (!seen.has(l.type)) expect(l.base_ref).toEqual(expect.any(String));
        seen.add(l.type);
      }
    }
    const { db } = await openIndex(null);
    try {
      await reconcile(db, sessionsDir, { full: true, markCrashed: false });
      for (const [sid, d] of [
        ['lean-mixed-anthropic', live.anthropic],
        ['lean-mixed-openai', live.openai],
      ] as const) {
        const rebuilt = getSession({ index: db, sessionsDir }, { id: sid });
        expect(rebuilt!.requests).toEqual(d.requests);
        expect(rebuilt!.toolCalls).toEqual(d.toolCalls);
        expect(rebuilt!.session).toEqual(d.session);
      }
      const outcomes = live.anthropic.requests.map((r) => [r.outcome, r.reason, r.status]);
      expect(outcomes).toEqual([
        ['completed', null, 200],
        ['failed', 'stream_error', 200],
        ['failed', 'upstream_status', 429],
      ]);
    } finally {
      await db.close();
    }
  });
});

async function waitForSession(count: number, sid = SID): Promise<SessionDetail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await stack.core.recorder.client.flush();
    const d = await stack.core.recorder.client.query<SessionDetail | null>('sessions.get', { id: sid });
    if (d && d.requests.filter((r) => r.outcome !== null).length >= count) return d;
    if (Date.now() > deadline) throw new Error(`session ${sid}: fewer than ${count} requests finished`);
    await new Promise<void>((r) => setTimeout(r, 20));
  }
}
