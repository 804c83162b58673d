// Redaction end to end: known PII and credentials travel through the real proxy in request bodies (system
// prompt, messages, tool results), headers, the query string, streamed deltas (a card number split across two
// deltas) and tool-call arguments. In every mode, nothing raw may land anywhere in the data directory — JSONL,
// compressed .zst (decompressed with Debian's zstd), the SQLite file — nor in a live UI event. `off` is the
// control: it proves the search would find them. The bytes exchanged with client and upstream never change.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import http from 'node:http';
import { startRecordingStack, type RecordingStack } from '../support/recording-stack.js';
import { openPartitionFile } from '../support/index-file.js';
import type { LiveEvent } from '../../src-shared/live.js';
import type { RedactionMode } from '../../src-main/redaction/index.js';

// Secret-shaped values are assembled at run time, so none is committed as a literal.
const alnum = (n: number): string =>
  randomBytes(n * 2)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, n);
const upper = (n: number): string =>
  alnum(n * 2)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, '')
    .slice(0, n);
const SECRETS = {
  email: ['jane.doe', 'acme-corp.io'].join('@'),
  card: ['4111', '1111', '1111', '1111'].join(' '),
  anthropicKey: ['sk', 'ant', 'api03', alnum(93)].join('-') + 'AA',
  awsKey: 'AKIA' + upper(16),
  githubToken: 'ghp_' + alnum(36),
  iban: 'GB82WEST12345698765432',
  ssn: ['287', '65', '4321'].join('-'),
  phone: '+1 212 736 9241',
};
const RAW = Object.values(SECRETS);

let stack: RecordingStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

function sse(events: [string, unknown][]): string {
  return events.map(([e, d]) => `event: ${e}\ndata: ${JSON.stringify(d)}\n\n`).join('');
}

/** An Anthropic stream whose text carries a card number split across two deltas, an SSN, and a tool call with a token. */
function pii_stream(): string {
  const [c1, c2] = [SECRETS.card.slice(0, 9), SECRETS.card.slice(9)];
  return sse([
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_pii',
          type: 'message',
          role: 'assistant',
          model: 'claude-test',
          content: [],
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      },
    ],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    [
      'content_block_delta',
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: 'Let me check. '.repeat(20) + `Your card is ${c1}` },
      },
    ],
    [
      'content_block_delta',
      {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: `${c2} and SSN ${SECRETS.ssn}. ` + 'filler '.repeat(30) },
      },
    ],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'content_block_start',
      {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_pii', name: 'Bash', input: {} },
      },
    ],
    [
      'content_block_delta',
      {
        type: 'content_block_delta',
        index: 1,
        delta: {
          type: 'input_json_delta',
          partial_json: `{"command":"export GITHUB_TOKEN=${SECRETS.githubToken.slice(0, 10)}`,
        },
      },
    ],
    [
      'content_block_delta',
      {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: `${SECRETS.githubToken.slice(10)}"}` },
      },
    ],
    ['content_block_stop', { type: 'content_block_stop', index: 1 }],
    [
      'message_delta',
      { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 40 } },
    ],
    ['message_stop', { type: 'message_stop' }],
  ]);
}

function post(
  url: string,
  body: string,
  headers: http.OutgoingHttpHeaders,
): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file of the data dir as text (.zst decompressed), except the HMAC secret. */
function dataDirText(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name !== 'redaction.key') {
        const bytes = name.endsWith('.zst') ? execFileSync('zstd', ['-d', '-c', p]) : fs.readFileSync(p);
        out.push({ file: p, text: bytes.toString('latin1') + '\n' + bytes.toString('utf8') });
      }
    }
  };
  walk(dir);
  return out;
}

async function exercise(mode: RedactionMode) {
  stack = await startRecordingStack({ redaction: { mode } });
  const { fake, dataDir } = stack;
  let core = stack.core;
  // Live text needs a running recorder: on a loaded machine start-up may return before it is ready.
  await core.recorder.ready;
  const events: LiveEvent[] = [];
  const unsubscribe = core.recorder.client.subscribe((e) => events.push(e));
  const streamBody = pii_stream();
  // Two writes with a pause: the live view ticks while the card number is still half sent.
  const cut = streamBody.indexOf('event: content_block_delta', streamBody.indexOf('Your card is') + 1);
  // The rest of the stream is held until the window was shown live text (or 10 s passed): what it saw then
  // includes everything sent before the pause, the first half of the card number too.
  const shownLive = (): boolean => events.some((e) => e.type === 'response_progress');
  fake.enqueue((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(streamBody.slice(0, cut));
    const deadline = Date.now() + 10_000;
    const finish = (): void => {
      if (shownLive() || Date.now() > deadline) res.end(streamBody.slice(cut));
      else setTimeout(finish, 20);
    };
    setTimeout(finish, 20);
  });
  const requestBody = JSON.stringify({
    model: 'claude-test',
    max_tokens: 100,
    stream: true,
    system: `Billing card on file: ${SECRETS.card}. Never reveal it.`,
    messages: [
      { role: 'user', content: `Mail ${SECRETS.email} or call ${SECRETS.phone}; IBAN ${SECRETS.iban}.` },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: 'toolu_0', name: 'Bash', input: { command: 'cat .env' } }],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_0',
            content: `AWS_ACCESS_KEY_ID=${SECRETS.awsKey}\nANTHROPIC_API_KEY=${SECRETS.anthropicKey}`,
          },
        ],
      },
    ],
  });
  const reply = await post(
    `${core.proxyUrl}/v1/messages?contact=${encodeURIComponent(SECRETS.email)}`,
    requestBody,
    {
      'x-api-key': SECRETS.anthropicKey,
      'x-claude-code-session-id': `pii-${mode}`,
      'x-note': `from ${SECRETS.email}`,
    },
  );
  // The wire is untouched: upstream got the client's exact bytes, the client got the upstream's.
  expect(createHash('sha256').update(requestBody).digest('hex')).toBe(fake.requests.at(-1)!.bodySha256);
  expect(reply.body.toString()).toBe(streamBody);
  await core.recorder.client.flush();
  unsubscribe();
  const report = await core.recorder.client.query<{ session: { id: string } }>('sessions.get', {
    id: `pii-${mode}`,
  });
  await core.stop();
  // Age the session file and restart once so retention compresses it: the .zst must be clean too.
  const day = fs.readdirSync(path.join(dataDir, 'sessions'))[0]!;
  const file = path.join(dataDir, 'sessions', day, `pii-${mode}.jsonl`);
  const old = new Date(Date.now() - 8 * 86_400_000);
  fs.utimesSync(file, old, old);
  core = await stack.restart();
  const deadline = Date.now() + 10_000;
  while (!fs.existsSync(file + '.zst') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await core.stop();
  expect(fs.existsSync(file + '.zst')).toBe(true);
  return { dataDir, events, report };
}

function findRaw(texts: string[]): string[] {
  const all = texts.join('\n');
  return RAW.filter((v) => all.includes(v) || all.includes(v.replace(/ /g, '')));
}

describe('nothing raw reaches the disk or the UI', () => {
  it.each(['mask', 'remove', 'tokenize', 'partial'] as const)(
    'mode %s',
    async (mode) => {
      const { dataDir, events } = await exercise(mode);
      const files = dataDirText(dataDir);
      expect(files.some((f) => f.file.endsWith('.jsonl.zst'))).toBe(true);
      expect(files.some((f) => /part-\d+\.db$/.test(f.file))).toBe(true);
      expect(files.some((f) => f.file.endsWith('summary.db'))).toBe(true);
      for (const f of files)
        expect({ file: f.file, leaked: findRaw([f.text]) }).toEqual({ file: f.file, leaked: [] });
      expect(events.some((e) => e.type === 'response_progress')).toBe(true);
      const shown = events.map((e) => JSON.stringify(e)).join('\n');
      expect(findRaw([shown])).toEqual([]);
      // Not even the half of the card number that arrived before the pause.
      expect(shown).not.toContain(SECRETS.card.slice(0, 9));
      const db = openPartitionFile(dataDir);
      const rows = execFileSync('sqlite3', [
        db,
        `SELECT detector || '=' || count FROM redactions WHERE session_id = 'pii-${mode}' ORDER BY detector`,
      ])
        .toString()
        .trim()
        .split('\n');
      const counts = Object.fromEntries(rows.map((r) => r.split('=')).map(([k, v]) => [k, Number(v)]));
      for (const d of [
        'email',
        'credit_card',
        'github_token',
        'iban',
        'ssn',
        'phone',
        'anthropic_key',
        'auth_header',
      ])
        expect(counts[d] ?? 0, `${d} in ${JSON.stringify(counts)}`).toBeGreaterThan(0);
      // The `AWS_ACCESS_KEY_ID=…` line is claimed by whichever of two overlapping detectors matches first.
      expect((counts['aws_access_key'] ?? 0) + (counts['secret_assignment'] ?? 0)).toBeGreaterThan(0);
    },
    60_000,
  );

  it('mode off stores the values as they are (the control: the search above would find them)', async () => {
    const { dataDir } = await exercise('off');
    const leaked = findRaw(dataDirText(dataDir).map((f) => f.text));
    // Credentials in auth headers are masked whatever the mode; everything else is there in the clear.
    expect(leaked).toEqual(
      expect.arrayContaining([
        SECRETS.email,
        SECRETS.card,
        SECRETS.awsKey,
        SECRETS.githubToken,
        SECRETS.iban,
        SECRETS.ssn,
      ]),
    );
  }, 60_000);
});
