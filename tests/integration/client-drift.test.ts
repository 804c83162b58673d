// Client drift end to end: a provider stream carrying an event type, a block type and a delta type this version
// does not know goes through the real proxy to the client byte for byte; the recorder's response line lists them
// in `unknown` (with the client and its version) and keeps them as received; /metrics counts them by dialect and
// kind; one `client_drift` notice per client version reaches whoever listens (held until someone does), and the
// UI state turns it into a problem the window shows. Known traffic raises nothing.
import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { silentLogger } from '../../src-main/log.js';
import type { ClientDriftEvent, LiveEvent } from '../../src-shared/live.js';
import type { RecordLine, ResponseLine } from '../../src-shared/records.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';
import { FAKE_ANSWER, startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';
import { rawRequest } from '../support/http.js';
import { parsePrometheus, sampleValue } from '../support/prom-parse.js';

let fake: FakeProvider;
let core: CoreHandle;
let dataDir: string;

beforeAll(async () => {
  fake = await startFakeProvider();
  dataDir = makeTempDir('lunaroute-drift-');
  core = await startCore(
    makeTestConfig({ anthropicUrl: fake.url, openaiUrl: `${fake.url}/v1`, recording: true, dataDir }),
    silentLogger,
  );
});

afterAll(async () => {
  await core?.stop();
  await fake?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** A value the default (mask) redaction policy replaces: unknown items are stored redacted, like everything. */
const EMAIL = ['drift.person', 'example-corp.io'].join('@');

const sse = (events: Record<string, unknown>[]): string =>
  events.map((e) => `event: ${String(e.type)}\ndata: ${JSON.stringify(e)}\n\n`).join('');

/** An Anthropic stream with two `message_annotation` events, a `hologram` block and its `hologram_delta`s. */
function driftingStream(text: string): string {
  return sse([
    {
      type: 'message_start',
      message: {
        id: 'msg_drift',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 12, output_tokens: 1 },
      },
    },
    { type: 'message_annotation', note: 'one' },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    { type: 'content_block_delta', index: 0, delta: { type: 'sparkle_delta', sparkle: 1 } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'hologram', frames: [] } },
    { type: 'content_block_delta', index: 1, delta: { type: 'hologram_delta', frame: 'A' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'message_annotation', note: `two, from ${EMAIL}` },
    {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 5 },
    },
    { type: 'message_stop' },
  ]);
}

/** The next upstream request answers with `body` as an event stream. */
function answerNextWith(body: string): void {
  fake.enqueue((_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_drift' });
    res.end(body);
  });
}

async function send(
  session: string,
  userAgent: string,
  prompt: string,
): Promise<{ status: number; body: string }> {
  const res = await rawRequest(`${core.proxyUrl}/v1/messages`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'sk-ant-drift',
      'anthropic-version': '2023-06-01',
      'user-agent': userAgent,
      'x-claude-code-session-id': session,
    },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      stream: true,
      messages: [{ role: 'user', content: prompt }],
    }),
  });
  return { status: res.status, body: res.body.toString('utf8') };
}

async function responseLines(session: string): Promise<ResponseLine[]> {
  await core.recorder.client.flush();
  const file = await core.recorder.client.query<{ lines: RecordLine[] } | null>('sessions.lines', {
    id: session,
  });
  return (file?.lines ?? []).filter((l): l is ResponseLine => l.type === 'response');
}

describe('client drift', () => {
  it('records unknown items as received, counts them, and notifies once per client version', async () => {
    // 1. Nobody listens yet: Claude Code 2.1.332 gets a stream with unknown items.
    const first = driftingStream('first answer');
    answerNextWith(first);
    const a = await send('drift-a', 'claude-cli/2.1.332 (external, cli)', 'hello');
    expect(a.status).toBe(200);
    expect(a.body).toBe(first); // the proxy passed every byte, unknown ones included
    const [lineA] = await responseLines('drift-a');
    expect(lineA!.outcome).toBe('completed');
    expect(lineA!.client).toBe('claude_code');
    expect(lineA!.client_version).toBe('2.1.332');
    expect(lineA!.unknown!.map((u) => [u.kind, u.name, u.count])).toEqual([
      ['event', 'message_annotation', 2],
      ['delta', 'sparkle_delta', 1],
      ['block', 'hologram', 1],
      ['delta', 'hologram_delta', 1],
    ]);
    expect(lineA!.unknown![0]!.received).toEqual([
      { type: 'message_annotation', note: 'one' },
      { type: 'message_annotation', note: 'two, from [EMAIL]' },
    ]);
    expect(JSON.stringify(lineA)).not.toContain(EMAIL);
    expect(lineA!.redaction).toMatchObject({ email: 1 });
    expect(lineA!.response!.unknown).toBeUndefined(); // moved to the line, not stored twice
    expect(lineA!.response!.content).toEqual([
      { type: 'text', text: 'first answer' },
      {
        type: 'other',
        rawType: 'hologram',
        raw: { type: 'hologram', frames: [] },
        deltas: [{ type: 'hologram_delta', frame: 'A' }],
      },
    ]);

    // 2. A window starts listening: the held notice arrives, once.
    const events: LiveEvent[] = [];
    let gotFirst!: (e: ClientDriftEvent) => void;
    const firstNotice = new Promise<ClientDriftEvent>((r) => (gotFirst = r));
    const off = core.recorder.client.subscribe((e) => {
      core.uiState.observe(e);
      events.push(e);
      if (e.type === 'client_drift') gotFirst(e);
    });
    try {
      const n = await firstNotice;
      expect(n).toMatchObject({ client: 'claude_code', client_version: '2.1.332', dialect: 'anthropic' });
      expect(n.message).toBe(
        'Claude Code 2.1.332 sent 1 kind of event, 2 kinds of delta and 1 kind of content block this version ' +
          'of LunaRoute does not understand (message_annotation, sparkle_delta, hologram, hologram_delta) — recorded as received.',
      );

      // 3. The same version again: recorded, counted, no second notice. A new version: one notice.
      answerNextWith(driftingStream('second answer'));
      expect((await send('drift-a', 'claude-cli/2.1.332 (external, cli)', 'again')).status).toBe(200);
      answerNextWith(driftingStream('third answer'));
      expect((await send('drift-b', 'claude-cli/2.1.333 (external, cli)', 'new version')).status).toBe(200);
      // 4. Known traffic (the fake provider's own stream) from yet another version: nothing unknown.
      const known = await send('drift-c', 'claude-cli/2.1.334 (external, cli)', 'plain');
      expect(known.body).toContain(FAKE_ANSWER.split(' ')[0]);

      const linesA = await responseLines('drift-a');
      expect(linesA).toHaveLength(2);
      expect(linesA[1]!.unknown!.length).toBe(4);
      const [lineC] = await responseLines('drift-c');
      expect(lineC!.outcome).toBe('completed');
      expect(lineC!.unknown).toBeUndefined();
      expect(lineC!.client).toBeUndefined();

      // flush() resolved after the worker sent every live event it had: the notices are all in.
      const notices = events.filter((e): e is ClientDriftEvent => e.type === 'client_drift');
      expect(notices.map((e) => e.client_version)).toEqual(['2.1.332', '2.1.333']);
      const problems = core.uiState.recentProblems().filter((p) => p.kind === 'client_drift');
      expect(problems.map((p) => p.message)).toEqual(notices.map((e) => e.message));
    } finally {
      off();
    }

    // 5. /metrics: three drifting responses, each with 2 events, 2 deltas and 1 block (by dialect and kind).
    const res = await rawRequest(core.proxyUrl + '/metrics');
    const f = parsePrometheus(res.body.toString());
    const name = 'lunaroute_unknown_items_total';
    expect(f.get(name)?.type).toBe('counter');
    expect(sampleValue(f, name, { dialect: 'anthropic', kind: 'event' })).toBe(6);
    expect(sampleValue(f, name, { dialect: 'anthropic', kind: 'delta' })).toBe(6);
    expect(sampleValue(f, name, { dialect: 'anthropic', kind: 'block' })).toBe(3);
    for (const s of f.get(name)!.samples) expect(Object.keys(s.labels).sort()).toEqual(['dialect', 'kind']);
  });
});
