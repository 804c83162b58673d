// What the recorder writes, end to end: the official SDKs (and a `ws` client speaking Codex's Responses-over-
// WebSocket protocol) talk through the real proxy to the fake provider, and every case checks the JSONL lines
// AND the index rows (through the recorder's queries, and at the end through Debian's `sqlite3` on the saved
// file) against what the fake provider really sent: session grouping, client, model, exact token numbers with
// each provider's semantics, outcome, timings, tool calls and their latency, and the request body rebuilt from
// its blocks. Waits are on promises or bounded polls; the only deliberate wait makes a tool latency measurable.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { silentLogger } from '../../src-main/log.js';
import { openIndex } from '../../src-main/index/db.js';
import {
  ftsQuery,
  type RequestBodies,
  type RequestRow,
  type SessionDetail,
} from '../../src-main/index/queries.js';
import { fileStatements, listSessionFiles, readSessionFile } from '../../src-main/index/reindex.js';
import { dayDirName } from '../../src-main/storage/fsutil.js';
import type { RecordLine, RequestLine, ResponseLine } from '../../src-shared/records.js';
import type { SearchHit } from '../../src-shared/contract.js';
import type { Usage } from '../../src-shared/exchange.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';
import { FAKE_ANSWER, type RecordedRequest, type SentUsage } from '../support/fake-provider/index.js';
import { useRecordingStack } from '../support/recording-stack.js';
import { openPartitionFile } from '../support/index-file.js';

const stack = useRecordingStack({ provider: { slowDelayMs: 40 }, dataDirPrefix: 'lunaroute-golden-' });
const sessionsDir = (): string => path.join(stack.dataDir, 'sessions');

// --- helpers --------------------------------------------------------------------------------------------------

let tagSeq = 0;
/** A word unique to one test's prompt, so its request can be found in the JSONL. */
function tag(name: string): string {
  return `golden${name.replace(/[^a-z]/gi, '')}${String.fromCharCode(97 + (tagSeq++ % 26))}${tagSeq}`;
}

const anthropic = (): Anthropic =>
  new Anthropic({ apiKey: 'sk-ant-golden-key', baseURL: stack.core.proxyUrl, maxRetries: 0 });
const openai = (): OpenAI =>
  new OpenAI({ apiKey: 'sk-golden-key', baseURL: `${stack.core.proxyUrl}/v1`, maxRetries: 0 });

function jsonlFiles(dir = sessionsDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const day of fs.readdirSync(dir).sort())
    for (const f of fs.readdirSync(path.join(dir, day)).sort())
      if (f.endsWith('.jsonl')) out.push(path.join(dir, day, f));
  return out;
}

interface Found {
  file: string;
  lines: RecordLine[];
  request: RequestLine;
  response: ResponseLine;
}

async function findByPrompt(marker: string): Promise<Found[]> {
  const out: Found[] = [];
  for (const file of jsonlFiles()) {
    const { lines } = await readSessionFile(file);
    for (const l of lines) {
      if (l.type !== 'request' || !(l.prompt ?? '').includes(marker)) continue;
      const response = lines.find((r): r is ResponseLine => r.type === 'response' && r.id === l.id);
      if (response) out.push({ file, lines, request: l, response });
    }
  }
  return out.sort((a, b) => a.request.at - b.request.at);
}

/** Poll (flush, then read the JSONL) until `count` requests with `marker` in their prompt have a response line. */
async function recorded(marker: string, count = 1, timeoutMs = 10_000): Promise<Found[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await stack.core.recorder.client.flush();
    const found = await findByPrompt(marker);
    if (found.length >= count) return found;
    if (Date.now() > deadline)
      throw new Error(`only ${found.length} of ${count} request(s) with "${marker}" were recorded`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

async function session(id: string): Promise<SessionDetail> {
  const d = await stack.core.recorder.client.query<SessionDetail | null>('sessions.get', { id });
  if (!d) throw new Error(`session ${id} is not in the index`);
  return d;
}

async function rowOf(f: Found): Promise<RequestRow> {
  const d = await session(f.request.session_id);
  const row = d.requests.find((r) => r.id === f.request.id);
  if (!row) throw new Error(`request ${f.request.id} is not in the index`);
  return row;
}

/** The fake provider's record of the request whose last user text contains `marker`. */
function sentTo(marker: string): RecordedRequest[] {
  return stack.fake.requests.filter((r) => r.body.toString('utf8').includes(marker));
}

type Semantics = 'anthropic' | 'openai';
/** What the recorder must store for what the fake sent, with the provider's semantics. */
function expectedUsage(kind: Semantics, u: SentUsage): Omit<Usage, 'raw'> {
  if (kind === 'anthropic')
    return {
      input: u.input,
      cacheRead: u.cacheRead,
      cacheWrite: u.cacheWrite,
      output: u.output,
      reasoning: null,
    };
  // The fake's OpenAI prompt/input tokens are input + cacheRead + cacheWrite, of which cacheRead were cached.
  return {
    input: u.input + u.cacheWrite,
    cacheRead: u.cacheRead,
    cacheWrite: null,
    output: u.output,
    reasoning: u.reasoning,
  };
}

function expectUsage(f: Found, row: RequestRow, want: Omit<Usage, 'raw'> | null): void {
  const u = f.response.usage;
  const got = {
    input: u.input,
    cacheRead: u.cacheRead,
    cacheWrite: u.cacheWrite,
    output: u.output,
    reasoning: u.reasoning,
  };
  const nulls = { input: null, cacheRead: null, cacheWrite: null, output: null, reasoning: null };
  expect(got).toEqual(want ?? nulls);
  const w = want ?? nulls;
  expect({
    input: row.input_tokens,
    cacheRead: row.cache_read_tokens,
    cacheWrite: row.cache_write_tokens,
    output: row.output_tokens,
    reasoning: row.reasoning_tokens,
  }).toEqual(w);
}

/** Timings present and ordered: ttfb ≤ first content ≤ duration. */
function expectTimings(f: Found, row: RequestRow, withContent = true): void {
  const t = f.response.timings;
  expect(t.ttfb_ms).not.toBeNull();
  expect(t.duration_ms).not.toBeNull();
  expect(t.ttfb_ms!).toBeGreaterThanOrEqual(0);
  if (withContent) {
    expect(t.first_content_ms).not.toBeNull();
    expect(t.ttfb_ms!).toBeLessThanOrEqual(t.first_content_ms!);
    expect(t.first_content_ms!).toBeLessThanOrEqual(t.duration_ms!);
  }
  expect(t.ttfb_ms!).toBeLessThanOrEqual(t.duration_ms!);
  expect(row.ttfb_ms).toBe(t.ttfb_ms);
  expect(row.first_content_ms).toBe(t.first_content_ms);
  expect(row.duration_ms).toBe(t.duration_ms);
}

/** The body rebuilt from the session file's blocks is exactly the JSON the fake provider received. */
async function expectBodyRebuilt(f: Found, sent: RecordedRequest): Promise<void> {
  const b = await stack.core.recorder.client.query<RequestBodies | null>('requests.bodies', {
    id: f.request.id,
  });
  expect(b).not.toBeNull();
  expect(b!.body).toEqual(sent.json);
  expect(JSON.stringify(b!.body)).toBe(JSON.stringify(sent.json));
  expect(b!.response?.id).toBe(f.request.id);
}

function textOf(r: ResponseLine): string {
  return (r.response?.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join('');
}

async function sleep(ms: number): Promise<void> {
  await new Promise<void>((r) => setTimeout(r, ms));
}

// --- Anthropic ------------------------------------------------------------------------------------------------

describe('Anthropic Messages', () => {
  it('SSE: session from metadata.user_id (JSON-string shape), sdk client, exact usage, body rebuilt', async () => {
    const t = tag('anthropic sse');
    const sid = randomUUID();
    const userId = JSON.stringify({ device_id: 'dev1', account_uuid: '', session_id: sid });
    for (let i = 0; i < 2; i++) {
      const final = await anthropic()
        .messages.stream({
          model: 'claude-golden',
          max_tokens: 100,
          metadata: { user_id: userId },
          messages: [{ role: 'user', content: `${t} turn ${i}` }],
        })
        .finalMessage();
      expect((final.content[0] as Anthropic.TextBlock).text).toBe(FAKE_ANSWER);
    }
    const found = await recorded(t, 2);
    expect(found.map((f) => f.request.session_id)).toEqual([sid, sid]);
    expect(found[0]!.file).toBe(found[1]!.file);
    expect(path.basename(found[0]!.file)).toBe(`${sid}.jsonl`);
    const sessionLine = found[0]!.lines.filter((l) => l.type === 'session');
    expect(sessionLine).toHaveLength(1);
    expect(sessionLine[0]).toMatchObject({ session_id: sid, id_source: 'metadata.user_id', client: 'sdk' });
    const sent = sentTo(t);
    expect(sent).toHaveLength(2);
    for (const [i, f] of found.entries()) {
      expect(f.request).toMatchObject({
        dialect: 'anthropic',
        endpoint: 'messages',
        stream: true,
        client: 'sdk',
      });
      expect(f.request.model).toBe('claude-golden');
      expect(f.response).toMatchObject({
        outcome: 'completed',
        reason: null,
        status: 200,
        model: 'claude-golden',
      });
      expect(textOf(f.response)).toBe(FAKE_ANSWER);
      const row = await rowOf(f);
      expect(row).toMatchObject({ outcome: 'completed', status: 200, model: 'claude-golden', client: 'sdk' });
      expectUsage(f, row, expectedUsage('anthropic', sent[i]!.usageSent!));
      expectTimings(f, row);
      await expectBodyRebuilt(f, sent[i]!);
    }
    const d = await session(sid);
    expect(d.session).toMatchObject({ request_count: 2, client: 'sdk', id_source: 'metadata.user_id' });
  });

  it('JSON: x-claude-code-session-id groups and marks the client as claude_code', async () => {
    const t = tag('anthropic json');
    const sid = randomUUID();
    const msg = await anthropic().messages.create(
      { model: 'claude-golden', max_tokens: 100, messages: [{ role: 'user', content: t }] },
      { headers: { 'x-claude-code-session-id': sid } },
    );
    expect((msg.content[0] as Anthropic.TextBlock).text).toBe(FAKE_ANSWER);
    const [f] = await recorded(t);
    expect(f!.request).toMatchObject({ session_id: sid, client: 'claude_code', stream: false });
    expect(f!.lines.find((l) => l.type === 'session')).toMatchObject({
      id_source: 'x-claude-code-session-id',
    });
    const row = await rowOf(f!);
    expectUsage(f!, row, expectedUsage('anthropic', sentTo(t)[0]!.usageSent!));
    expectTimings(f!, row);
    expect(textOf(f!.response)).toBe(FAKE_ANSWER);
    await expectBodyRebuilt(f!, sentTo(t)[0]!);
    expect((await session(sid)).session.client).toBe('claude_code');
  });

  it('thinking: the thinking block is reassembled and billed as output', async () => {
    const t = tag('thinking');
    const final = await anthropic()
      .messages.stream({
        model: 'claude-golden',
        max_tokens: 1000,
        messages: [{ role: 'user', content: `SCENARIO:thinking ${t}` }],
      })
      .finalMessage();
    expect(final.content[0]?.type).toBe('thinking');
    const [f] = await recorded(t);
    const blocks = f!.response.response!.content;
    expect(blocks[0]).toMatchObject({
      type: 'thinking',
      thinking: (final.content[0] as Anthropic.ThinkingBlock).thinking,
    });
    expect(textOf(f!.response)).toBe(FAKE_ANSWER);
    const sent = sentTo(t)[0]!.usageSent!;
    expect(sent.output).toBeGreaterThan(sent.reasoning);
    const row = await rowOf(f!);
    expectUsage(f!, row, expectedUsage('anthropic', sent));
    expectTimings(f!, row);
  });

  it('429: failed, upstream status kept, error message from the body', async () => {
    const t = tag('ratelimit');
    await expect(
      anthropic().messages.create({
        model: 'claude-golden',
        max_tokens: 10,
        messages: [{ role: 'user', content: `SCENARIO:error-429 ${t}` }],
      }),
    ).rejects.toMatchObject({ status: 429 });
    const [f] = await recorded(t);
    const sent = sentTo(t)[0]!;
    const message = (JSON.parse(sent.responseBody.toString('utf8')) as { error: { message: string } }).error
      .message;
    expect(f!.response).toMatchObject({ outcome: 'failed', reason: 'upstream_status', status: 429 });
    expect(f!.response.error).toMatchObject({ status: 429, message });
    const row = await rowOf(f!);
    expect(row).toMatchObject({
      outcome: 'failed',
      reason: 'upstream_status',
      status: 429,
      error_message: message,
    });
    expectUsage(f!, row, null);
  });

  it('in-stream error: failed with reason stream_error', async () => {
    const t = tag('streamerror');
    const stream = anthropic().messages.stream({
      model: 'claude-golden',
      max_tokens: 100,
      messages: [{ role: 'user', content: `SCENARIO:stream-error ${t}` }],
    });
    await expect(stream.finalMessage()).rejects.toThrow();
    const [f] = await recorded(t);
    expect(f!.response).toMatchObject({ outcome: 'failed', reason: 'stream_error', status: 200 });
    expect(f!.response.error?.message).toBe('Overloaded');
    expect(await rowOf(f!)).toMatchObject({
      outcome: 'failed',
      reason: 'stream_error',
      error_message: 'Overloaded',
    });
  });

  it('client abort after the first chunk: interrupted, client_abort, partial text kept', async () => {
    const t = tag('abort');
    const controller = new AbortController();
    const stream = await anthropic().messages.create(
      {
        model: 'claude-golden',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: `SCENARIO:slow SCENARIO:big-40 ${t}` }],
      },
      { signal: controller.signal },
    );
    let seenText = '';
    try {
      for await (const ev of stream) {
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
          seenText += ev.delta.text;
          controller.abort();
        }
      }
    } catch {
      // The SDK may end the iteration with an abort error, or just end it.
    }
    expect(seenText).toBe(FAKE_ANSWER);
    await sentTo(t)[0]!.closedEarly;
    const [f] = await recorded(t);
    expect(f!.response).toMatchObject({ outcome: 'interrupted', reason: 'client_abort' });
    expect(textOf(f!.response).startsWith(FAKE_ANSWER)).toBe(true);
    expect(textOf(f!.response).length).toBeLessThan(FAKE_ANSWER.length + 40 * ' chunk 10'.length);
    expect(await rowOf(f!)).toMatchObject({ outcome: 'interrupted', reason: 'client_abort' });
  });

  it('upstream reset mid-stream: interrupted (upstream_reset), partial text kept', async () => {
    const t = tag('reset');
    // Slow, so the events before the cut are on the wire before the fake destroys the socket.
    let seen = '';
    const stream = anthropic()
      .messages.stream({
        model: 'claude-golden',
        max_tokens: 100,
        messages: [{ role: 'user', content: `SCENARIO:slow SCENARIO:reset-6 ${t}` }],
      })
      .on('text', (d) => (seen += d));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(seen.length).toBeGreaterThan(0);
    const [f] = await recorded(t);
    expect(f!.response).toMatchObject({ outcome: 'interrupted', reason: 'upstream_reset' });
    expect(FAKE_ANSWER.startsWith(textOf(f!.response))).toBe(true);
    expect(textOf(f!.response).length).toBeGreaterThanOrEqual(seen.length);
    expect(await rowOf(f!)).toMatchObject({ outcome: 'interrupted', reason: 'upstream_reset' });
  });

  it('gzip: the recording copy is decoded (stream and JSON), the client gets the compressed bytes', async () => {
    for (const stream of [true, false]) {
      const t = tag(`gzip${stream ? 's' : 'j'}`);
      const body = JSON.stringify({
        model: 'claude-golden',
        max_tokens: 50,
        stream,
        messages: [{ role: 'user', content: `SCENARIO:gzip ${t}` }],
      });
      const got = await new Promise<{ encoding: string | undefined; bytes: number }>((resolve, reject) => {
        const req = http.request(
          `${stack.core.proxyUrl}/v1/messages`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-api-key': 'sk-ant-golden-key',
              'anthropic-version': '2023-06-01',
              'accept-encoding': 'gzip',
            },
          },
          (res) => {
            let bytes = 0;
            res.on('data', (c: Buffer) => (bytes += c.length));
            res.on('end', () => resolve({ encoding: res.headers['content-encoding'], bytes }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(got.encoding).toBe('gzip');
      const [f] = await recorded(t);
      expect(f!.response.outcome).toBe('completed');
      expect(textOf(f!.response)).toBe(FAKE_ANSWER);
      expect(f!.response.response_bytes).toBe(got.bytes);
      const row = await rowOf(f!);
      expectUsage(f!, row, expectedUsage('anthropic', sentTo(t)[0]!.usageSent!));
      expectTimings(f!, row);
    }
  });

  it('a 5-turn tool loop records exactly 5 tool calls, each result matched once with its latency', async () => {
    const t = tag('toolloop');
    const sid = randomUUID();
    const tools: Anthropic.Tool[] = [
      {
        name: 'Bash',
        description: 'run a command',
        input_schema: { type: 'object', properties: { command: { type: 'string' } } },
      },
    ];
    const messages: Anthropic.MessageParam[] = [];
    const GAP = 150;
    for (let turn = 0; turn < 5; turn++) {
      messages.push({ role: 'user', content: `SCENARIO:tool ${t} turn ${turn}` });
      const call = await anthropic()
        .messages.stream(
          { model: 'claude-golden', max_tokens: 100, tools, messages },
          { headers: { 'x-claude-code-session-id': sid } },
        )
        .finalMessage();
      expect(call.stop_reason).toBe('tool_use');
      messages.push({ role: 'assistant', content: call.content });
      const use = call.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      // The "tool" runs for GAP ms: the recorded latency must cover it.
      await sleep(GAP);
      messages.push({
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: use.id, content: 'lunaroute-tool-42' }],
      });
      const answer = await anthropic()
        .messages.stream(
          { model: 'claude-golden', max_tokens: 100, tools, messages },
          { headers: { 'x-claude-code-session-id': sid } },
        )
        .finalMessage();
      expect(answer.stop_reason).toBe('end_turn');
      messages.push({ role: 'assistant', content: answer.content });
    }
    // Every request re-sends the whole history (tool_use and tool_result blocks of earlier turns included).
    await recorded(t, 10);
    const lines = (await stack.core.recorder.client.query<{ lines: RecordLine[] }>('sessions.lines', {
      id: sid,
    }))!.lines;
    const requests = lines.filter((l): l is RequestLine => l.type === 'request');
    expect(requests).toHaveLength(10);
    const results = requests.flatMap((r) => r.tool_results);
    expect(results).toHaveLength(5);
    const responses = lines.filter((l): l is ResponseLine => l.type === 'response');
    for (const [i, r] of results.entries()) {
      const callReq = requests[2 * i]!;
      const resultReq = requests[2 * i + 1]!;
      expect(resultReq.tool_results).toEqual([r]);
      expect(r.call_request_id).toBe(callReq.id);
      expect(r.is_error).toBe(false);
      const callEnd = responses.find((x) => x.id === callReq.id)!.at;
      // Times are kept to 0.1 ms: the latency is the difference of the two recorded times, to 0.1 ms.
      expect(r.latency_ms).toBe(Math.round((resultReq.at - callEnd) * 10) / 10);
      expect(r.latency_ms!).toBeGreaterThanOrEqual(GAP);
      expect(r.latency_ms!).toBeLessThan(GAP + 5_000);
    }
    const d = await session(sid);
    expect(d.toolCalls).toHaveLength(5);
    expect(d.session.tool_call_count).toBe(5);
    expect(d.session.request_count).toBe(10);
    for (const c of d.toolCalls) {
      expect(c).toMatchObject({ name: 'Bash', kind: 'function', is_error: 0 });
      expect(c.result_request_id).not.toBeNull();
      expect(c.latency_ms!).toBeGreaterThanOrEqual(GAP);
      expect(JSON.parse(c.arguments_preview!)).toMatchObject({
        command: expect.stringContaining('echo') as string,
      });
    }
    expect(d.requests.map((r) => r.tool_call_count)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);

    // A turn's typed prompt is searchable with the request that brought it, not again with the tool-result
    // request after it (whose last user text it still is): live, and in an index rebuilt from the session file.
    const [file] = (await listSessionFiles(sessionsDir())).filter((f) => f.rel.endsWith(`/${sid}.jsonl`));
    const rebuilt = (await openIndex(null)).db;
    const result = { files: 0, reindexed: 0, removed: 0, crashed: 0, skippedLines: 0 };
    rebuilt.runSync((await fileStatements(file!, { markCrashed: false }, result))!);
    try {
      for (let turn = 0; turn < 5; turn++) {
        const q = `${t} turn ${turn}`;
        const live = await stack.core.recorder.client.query<{ hits: SearchHit[] }>('search', { q });
        expect(live!.hits.map((h) => h.request_id)).toEqual([requests[2 * turn]!.id]);
        const again = rebuilt.querySync<{ request_id: string }>(
          'SELECT request_id FROM request_text WHERE request_text MATCH ?',
          [ftsQuery(q)!],
        );
        expect(again.map((r) => r.request_id)).toEqual([requests[2 * turn]!.id]);
      }
      // The ids are stored in the full-text table but are not its terms (schema 8): no part of the session id
      // (a UUID) or of a request id is in its vocabulary.
      rebuilt.scratch((db) => db.exec('CREATE VIRTUAL TABLE temp.vocab USING fts4aux(main, request_text)'));
      const terms = new Set(
        rebuilt.querySync<{ term: string }>('SELECT DISTINCT term FROM temp.vocab').map((r) => r.term),
      );
      expect(terms.size).toBeGreaterThan(0);
      for (const id of [sid, ...requests.map((r) => r.id)])
        for (const part of id.toLowerCase().split('-')) expect(terms.has(part), part).toBe(false);
    } finally {
      await rebuilt.close();
    }
  });
});

// --- identity, secrets, refusals ------------------------------------------------------------------------------

describe('identity, secrets and refusals', () => {
  it('a hostile session id is sanitised before it reaches a path', async () => {
    const t = tag('hostile');
    await openai().chat.completions.create(
      { model: 'gpt-golden', messages: [{ role: 'user', content: t }] },
      { headers: { 'x-session-id': '../../etc/passwd x' } },
    );
    const [f] = await recorded(t);
    expect(f!.request.session_id).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    expect(path.relative(sessionsDir(), f!.file).startsWith('..')).toBe(false);
    expect(path.dirname(path.dirname(f!.file))).toBe(sessionsDir());
  });

  it('credentials never reach the recording (headers block masked, no key anywhere in the JSONL)', async () => {
    const t = tag('secret');
    const sid = randomUUID();
    await anthropic().messages.create(
      { model: 'claude-golden', max_tokens: 10, messages: [{ role: 'user', content: t }] },
      { headers: { 'x-claude-code-session-id': sid } },
    );
    const [f] = await recorded(t);
    const b = await stack.core.recorder.client.query<RequestBodies | null>('requests.bodies', {
      id: f!.request.id,
    });
    const headers = JSON.stringify(b!.headers);
    expect(headers).toContain('anthropic-version');
    expect(headers).not.toContain('sk-ant-golden-key');
    expect(fs.readFileSync(f!.file, 'utf8')).not.toContain('sk-ant-golden-key');
  });

  it('has_refusal only for a real refusal, never for end_turn', async () => {
    const t = tag('refusal');
    await anthropic().messages.create({
      model: 'claude-golden',
      max_tokens: 10,
      messages: [{ role: 'user', content: `SCENARIO:refusal ${t} r` }],
    });
    await anthropic().messages.create({
      model: 'claude-golden',
      max_tokens: 10,
      messages: [{ role: 'user', content: `${t} n` }],
    });
    const [refused, normal] = await recorded(t, 2);
    expect(refused!.response.stop_reason).toBe('refusal');
    expect((await rowOf(refused!)).has_refusal).toBe(1);
    expect(normal!.response.stop_reason).toBe('end_turn');
    expect((await rowOf(normal!)).has_refusal).toBe(0);
  });
});

// --- OpenAI Chat Completions -----------------------------------------------------------------------------------

describe('OpenAI Chat Completions', () => {
  it('SSE with stream_options.include_usage: exact usage (input = prompt − cached; reasoning ⊂ output)', async () => {
    const t = tag('chat usage');
    const sid = `golden-chat-${randomUUID()}`;
    const stream = await openai().chat.completions.create(
      {
        model: 'gpt-golden',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: `SCENARIO:thinking ${t}` }],
      },
      { headers: { 'session-id': sid } },
    );
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe(FAKE_ANSWER);
    const [f] = await recorded(t);
    expect(f!.request).toMatchObject({
      session_id: sid,
      dialect: 'openai',
      endpoint: 'chat_completions',
      client: 'sdk',
    });
    expect(f!.lines.find((l) => l.type === 'session')).toMatchObject({ id_source: 'session-id' });
    const sent = sentTo(t)[0]!.usageSent!;
    expect(sent.reasoning).toBeGreaterThan(0);
    const row = await rowOf(f!);
    expectUsage(f!, row, expectedUsage('openai', sent));
    expect(row.output_tokens).toBe(sent.output); // reasoning is inside it, not added
    expectTimings(f!, row);
    expect(f!.response).toMatchObject({ outcome: 'completed', model: 'gpt-golden' });
    await expectBodyRebuilt(f!, sentTo(t)[0]!);
  });

  it('SSE without include_usage: usage is null (unknown), not 0', async () => {
    const t = tag('chat nousage');
    const sid = `golden-xs-${randomUUID()}`;
    const stream = await openai().chat.completions.create(
      { model: 'gpt-golden', stream: true, messages: [{ role: 'user', content: t }] },
      { headers: { 'x-session-id': sid } },
    );
    for await (const _ of stream) void _;
    const [f] = await recorded(t);
    expect(f!.request.session_id).toBe(sid);
    expect(f!.lines.find((l) => l.type === 'session')).toMatchObject({ id_source: 'x-session-id' });
    const row = await rowOf(f!);
    expectUsage(f!, row, null);
    expect(textOf(f!.response)).toBe(FAKE_ANSWER);
    expectTimings(f!, row);
    const d = await session(sid);
    expect(d.session.input_tokens).toBeNull();
    expect(d.session.output_tokens).toBeNull();
  });

  it('JSON without any session id: a fresh UUID session per request', async () => {
    const t = tag('chat json');
    for (let i = 0; i < 2; i++) {
      const r = await openai().chat.completions.create({
        model: 'gpt-golden',
        messages: [{ role: 'user', content: `${t} ${i}` }],
      });
      expect(r.choices[0]?.message.content).toBe(FAKE_ANSWER);
    }
    const found = await recorded(t, 2);
    const [a, b] = found;
    expect(a!.request.session_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(a!.request.session_id).not.toBe(b!.request.session_id);
    expect(a!.lines.find((l) => l.type === 'session')).toMatchObject({ id_source: 'generated' });
    const sent = sentTo(t);
    for (const [i, f] of found.entries()) {
      const row = await rowOf(f);
      expectUsage(f, row, expectedUsage('openai', sent[i]!.usageSent!));
      expectTimings(f, row);
      await expectBodyRebuilt(f, sent[i]!);
    }
  });

  it('session totals are the SUM of the request rows (3-request fixture), not the max', async () => {
    const t = tag('totals');
    const sid = `golden-sum-${randomUUID()}`;
    const prompts = [`${t} a`, `SCENARIO:thinking ${t} b`, `SCENARIO:big-7 ${t} c`];
    for (const p of prompts)
      await openai().chat.completions.create(
        { model: 'gpt-golden', messages: [{ role: 'user', content: p }] },
        { headers: { 'session-id': sid } },
      );
    const found = await recorded(t, 3);
    const sent = sentTo(t).map((r) => expectedUsage('openai', r.usageSent!));
    expect(new Set(sent.map((u) => u.output)).size).toBe(3);
    const d = await session(sid);
    expect(d.requests).toHaveLength(3);
    const sum = (k: keyof Omit<Usage, 'raw'>): number => sent.reduce((s, u) => s + (u[k] ?? 0), 0);
    expect(d.session).toMatchObject({
      request_count: 3,
      input_tokens: sum('input'),
      output_tokens: sum('output'),
      cache_read_tokens: sum('cacheRead'),
      reasoning_tokens: sum('reasoning'),
      cache_write_tokens: null,
    });
    expect(d.session.output_tokens).toBe(d.requests.reduce((s, r) => s + r.output_tokens!, 0));
    expect(found.every((f) => f.file === found[0]!.file)).toBe(true);
  });
});

// --- OpenAI Responses -------------------------------------------------------------------------------------------

describe('OpenAI Responses', () => {
  it('SSE and JSON: exact usage, reasoning ⊂ output, body rebuilt', async () => {
    const t = tag('responses');
    const sid = `golden-resp-${randomUUID()}`;
    const stream = await openai().responses.create(
      {
        model: 'gpt-golden',
        instructions: 'You are a test.',
        input: [{ role: 'user', content: `SCENARIO:thinking ${t} s` }],
        stream: true,
      },
      { headers: { 'session-id': sid } },
    );
    for await (const _ of stream) void _;
    const r = await openai().responses.create(
      { model: 'gpt-golden', input: [{ role: 'user', content: `${t} j` }] },
      { headers: { 'session-id': sid } },
    );
    expect(r.output_text).toBe(FAKE_ANSWER);
    const found = await recorded(t, 2);
    const sent = sentTo(t);
    for (const [i, f] of found.entries()) {
      expect(f.request).toMatchObject({ session_id: sid, endpoint: 'responses', stream: i === 0 });
      expect(f.response.outcome).toBe('completed');
      expect(textOf(f.response)).toBe(FAKE_ANSWER);
      const row = await rowOf(f);
      expectUsage(f, row, expectedUsage('openai', sent[i]!.usageSent!));
      expectTimings(f, row);
      await expectBodyRebuilt(f, sent[i]!);
    }
    expect(found[0]!.response.usage.reasoning).toBeGreaterThan(0);
  });
});

// --- Codex WebSocket ---------------------------------------------------------------------------------------------

describe('Codex Responses over WebSocket', () => {
  it('each response.create is its own request, in the session of the session-id header, client codex', async () => {
    const t = tag('websocket');
    const sid = randomUUID();
    const ws = new WebSocket(`${stack.core.proxyUrl.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: 'Bearer sk-golden-key', 'session-id': sid, originator: 'codex_cli_rs' },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const terminal = (): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        const on = (data: WebSocket.RawData): void => {
          const m = JSON.parse(String(data)) as { type: string; response?: Record<string, unknown> };
          if (/^response\.(completed|failed|incomplete)$|^error$/.test(m.type)) {
            ws.off('message', on);
            resolve(m as unknown as Record<string, unknown>);
          }
        };
        ws.on('message', on);
      });
    const frames = [
      {
        type: 'response.create',
        model: 'gpt-golden',
        instructions: 'codex',
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `${t} one` }] }],
      },
    ];
    let done = terminal();
    ws.send(JSON.stringify(frames[0]));
    const first = (await done) as { type: string; response: { id: string } };
    expect(first.type).toBe('response.completed');
    const second = {
      type: 'response.create',
      model: 'gpt-golden',
      previous_response_id: first.response.id,
      input: [
        {
          type: 'message',
          role: 'user',
          content: [{ type: 'input_text', text: `SCENARIO:thinking ${t} two` }],
        },
      ],
    };
    done = terminal();
    ws.send(JSON.stringify(second));
    expect(((await done) as { type: string }).type).toBe('response.completed');
    ws.close();
    await new Promise<void>((r) => ws.once('close', () => r()));
    const found = await recorded(t, 2);
    const sent = sentTo(t);
    expect(sent).toHaveLength(2);
    for (const [i, f] of found.entries()) {
      expect(f.request).toMatchObject({
        session_id: sid,
        transport: 'websocket',
        client: 'codex',
        stream: true,
      });
      expect(f.response).toMatchObject({ outcome: 'completed', model: 'gpt-golden' });
      expect(textOf(f.response)).toBe(FAKE_ANSWER);
      const row = await rowOf(f);
      expect(row.transport).toBe('websocket');
      expectUsage(f, row, expectedUsage('openai', sent[i]!.usageSent!));
      expectTimings(f, row);
      await expectBodyRebuilt(f, sent[i]!);
    }
    expect(found[0]!.request.id).not.toBe(found[1]!.request.id);
    const d = await session(sid);
    expect(d.session).toMatchObject({ client: 'codex', request_count: 2 });
  });
});

describe('Codex WebSocket cut by the client', () => {
  it('a turn open when the client closes the socket is interrupted (client_abort), partial text kept', async () => {
    const t = tag('wsabort');
    const sid = randomUUID();
    const ws = new WebSocket(`${stack.core.proxyUrl.replace('http', 'ws')}/v1/responses`, {
      headers: { authorization: 'Bearer sk-golden-key', 'session-id': sid, originator: 'codex_cli_rs' },
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const firstDelta = new Promise<void>((resolve) =>
      ws.on('message', (d: WebSocket.RawData) => {
        if (String(d).includes('"response.output_text.delta"')) resolve();
      }),
    );
    ws.send(
      JSON.stringify({
        type: 'response.create',
        model: 'gpt-golden',
        input: [
          {
            type: 'message',
            role: 'user',
            content: [{ type: 'input_text', text: `SCENARIO:slow SCENARIO:big-40 ${t}` }],
          },
        ],
      }),
    );
    await firstDelta;
    ws.close(1000);
    await new Promise<void>((r) => ws.once('close', () => r()));
    const [f] = await recorded(t);
    expect(f!.response).toMatchObject({ outcome: 'interrupted', reason: 'client_abort' });
    expect(textOf(f!.response).startsWith(FAKE_ANSWER)).toBe(true);
    expect(await rowOf(f!)).toMatchObject({
      outcome: 'interrupted',
      reason: 'client_abort',
      transport: 'websocket',
    });
  });
});

// --- upstream unreachable ---------------------------------------------------------------------------------------

describe('upstream unreachable', () => {
  it('is failed, reason upstream_error, status 502 (what the client got)', async () => {
    const dir = makeTempDir('lunaroute-golden-unreach-');
    const other = await startCore(makeTestConfig({ recording: true, dataDir: dir }), silentLogger);
    try {
      const t = tag('unreachable');
      await expect(
        new Anthropic({ apiKey: 'k', baseURL: other.proxyUrl, maxRetries: 0 }).messages.create({
          model: 'claude-golden',
          max_tokens: 10,
          messages: [{ role: 'user', content: t }],
        }),
      ).rejects.toMatchObject({ status: 502 });
      await other.recorder.client.flush();
      const d = await other.recorder.client.query<{ sessions: { id: string }[] }>('sessions.list', {});
      expect(d.sessions).toHaveLength(1);
      const detail = (await other.recorder.client.query<SessionDetail>('sessions.get', {
        id: d.sessions[0]!.id,
      }))!;
      expect(detail.requests[0]).toMatchObject({ outcome: 'failed', reason: 'upstream_error', status: 502 });
      const lines = (await other.recorder.client.query<{ lines: RecordLine[] }>('sessions.lines', {
        id: d.sessions[0]!.id,
      }))!.lines;
      const res = lines.find((l): l is ResponseLine => l.type === 'response')!;
      expect(res).toMatchObject({ outcome: 'failed', reason: 'upstream_error', status: 502 });
      expect(res.error?.status).toBe(502);
      expect(res.error?.message).toMatch(/127\.0\.0\.1:9/);
    } finally {
      await other.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// --- on disk, after stop -----------------------------------------------------------------------------------------

describe('on disk', () => {
  it('one response line per request line, files 0600 in 0700 dirs, and sqlite3 reads the same rows', async () => {
    await stack.core.recorder.client.flush();
    const snapshot: RequestRow[] = [];
    const list = await stack.core.recorder.client.query<{ sessions: { id: string }[] }>('sessions.list', {
      limit: 1000,
    });
    for (const s of list.sessions) snapshot.push(...(await session(s.id)).requests);
    await stack.core.stop();

    let requests = 0;
    for (const file of jsonlFiles()) {
      const { lines, skipped } = await readSessionFile(file);
      expect(skipped).toBe(0);
      const req = lines.filter((l) => l.type === 'request').map((l) => (l as RequestLine).id);
      const res = lines.filter((l) => l.type === 'response').map((l) => (l as ResponseLine).id);
      expect(res.sort()).toEqual([...req].sort());
      expect(new Set(req).size).toBe(req.length);
      requests += req.length;
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
    expect(requests).toBe(snapshot.length);
    expect(fs.statSync(sessionsDir()).mode & 0o777).toBe(0o700);
    expect(fs.statSync(stack.dataDir).mode & 0o777).toBe(0o700);
    const db = openPartitionFile(stack.dataDir);
    expect(fs.statSync(db).mode & 0o777).toBe(0o600);

    const sql = (q: string): Record<string, unknown>[] => {
      const out = execFileSync('sqlite3', ['-json', db, q], { encoding: 'utf8' });
      return out.trim() === '' ? [] : (JSON.parse(out) as Record<string, unknown>[]);
    };
    const rows = sql(
      'SELECT id, session_id, outcome, reason, status, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, ttfb_ms, duration_ms FROM requests ORDER BY id',
    );
    const want = [...snapshot]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => ({
        id: r.id,
        session_id: r.session_id,
        outcome: r.outcome,
        reason: r.reason,
        status: r.status,
        model: r.model,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        cache_read_tokens: r.cache_read_tokens,
        cache_write_tokens: r.cache_write_tokens,
        reasoning_tokens: r.reasoning_tokens,
        ttfb_ms: r.ttfb_ms,
        duration_ms: r.duration_ms,
      }));
    expect(rows).toEqual(want);
    // Session totals are sums of their request rows, everywhere.
    expect(
      sql(`SELECT s.id FROM sessions s WHERE
             s.request_count IS NOT (SELECT COUNT(*) FROM requests r WHERE r.session_id = s.id)
          OR s.input_tokens IS NOT (SELECT SUM(input_tokens) FROM requests r WHERE r.session_id = s.id)
          OR s.output_tokens IS NOT (SELECT SUM(output_tokens) FROM requests r WHERE r.session_id = s.id)
          OR s.cache_read_tokens IS NOT (SELECT SUM(cache_read_tokens) FROM requests r WHERE r.session_id = s.id)`),
    ).toEqual([]);
    expect(sql('SELECT COUNT(*) AS n FROM requests WHERE outcome IS NULL')).toEqual([{ n: 0 }]);
  });

  it('the fake provider speaks only what the parsers know: no response line lists unknown items', async () => {
    // Every golden exchange above (three dialects, HTTP and WebSocket, errors, resets) must raise no false alarm.
    let responses = 0;
    for (const file of jsonlFiles()) {
      for (const l of (await readSessionFile(file)).lines) {
        if (l.type !== 'response') continue;
        responses++;
        expect(l.unknown, `${file} ${l.id}`).toBeUndefined();
        expect(l.response?.unknown).toBeUndefined();
      }
    }
    expect(responses).toBeGreaterThan(20);
  });

  it('a session seen again after its day has passed keeps appending to its first file', async () => {
    // Move a finished session's file into yesterday's folder, as if it had started before midnight.
    const sid = randomUUID();
    const t = tag('midnight');
    const send = async (c: CoreHandle, n: number): Promise<void> => {
      await new Anthropic({ apiKey: 'k', baseURL: c.proxyUrl, maxRetries: 0 }).messages.create(
        { model: 'claude-golden', max_tokens: 10, messages: [{ role: 'user', content: `${t} ${n}` }] },
        { headers: { 'x-claude-code-session-id': sid } },
      );
    };
    // The stack's core was stopped by the test above; start it again on the same data dir.
    let c = await stack.restart();
    await send(c, 1);
    await c.recorder.client.flush();
    await c.stop();
    const today = dayDirName(Date.now());
    const yesterday = dayDirName(Date.now() - 86_400_000);
    const from = path.join(sessionsDir(), today, `${sid}.jsonl`);
    const to = path.join(sessionsDir(), yesterday, `${sid}.jsonl`);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o700 });
    fs.renameSync(from, to);

    c = await stack.restart();
    try {
      await send(c, 2);
      const deadline = Date.now() + 10_000;
      let d: SessionDetail | null = null;
      for (;;) {
        await c.recorder.client.flush();
        d = await c.recorder.client.query<SessionDetail | null>('sessions.get', { id: sid });
        if (d && d.requests.filter((r) => r.outcome !== null).length === 2) break;
        if (Date.now() > deadline) throw new Error(`session ${sid}: ${JSON.stringify(d?.session ?? null)}`);
        await new Promise<void>((r) => setImmediate(r));
      }
      expect(d.session.file).toBe(`${yesterday}/${sid}.jsonl`);
      expect(d.session.request_count).toBe(2);
      expect(fs.existsSync(path.join(sessionsDir(), today, `${sid}.jsonl`))).toBe(false);
      const { lines, skipped } = await readSessionFile(to);
      expect(skipped).toBe(0);
      expect(lines.filter((l) => l.type === 'session')).toHaveLength(1);
      expect(lines.filter((l) => l.type === 'request')).toHaveLength(2);
      expect(lines.filter((l) => l.type === 'response')).toHaveLength(2);
    } finally {
      await c.stop();
    }
  });
});
