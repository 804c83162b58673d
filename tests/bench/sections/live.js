// Benchmark section "live": how far the window's live text trails the wire. An upstream in this process streams
// a 135-character answer as 30 deltas over 4.5 s through LunaRoute (its own process, recording on, mask
// redaction) — plain prose for the target, then one holding an e-mail address; this process also reads the web
// UI's event stream (/api/events, the transport the window uses). Lag of a delta = when its text (redacted) first shows in the live text − when the upstream
// wrote it. Text never shown as progress counts from `request_finished`, when the row gets the recorded text.
// Also checked: the live text is at every moment a prefix of the final redacted text (no fragment of the address).
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startChild } from '../lib/children.js';
import { formatTable } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';
import { percentile, round } from '../lib/stats.js';

export const name = 'live';
export const description =
  'Live text lag behind the wire: 135 characters in 30 deltas over 4.5 s, recording + mask redaction, via /api/events';

const TARGET_P95_MS = 400;
const GOAL_P95_MS = 150;
const SECRET = 'ops.lead@acme-c0rp.io';
/** The measured answer: ordinary prose, nothing to redact (the case the target is about). */
const PROSE =
  'Sure. The report covers three regions, and the totals match the ledger. I will send the final numbers ' +
  'before the weekly stand-up calls.';
/** The same length with an e-mail address: its deltas can only show once the address is decided and masked. */
const WITH_SECRET =
  `Sure. Send the report to ${SECRET} by Friday; I will review it and reply with the final numbers ` +
  'before the weekly stand-up.';
const DELTAS = 30;
for (const t of [PROSE, WITH_SECRET])
  if (t.length !== 135) throw new Error(`the live bench answers must be 135 characters (one is ${t.length})`);
const STREAM_MS = 4500;

/** An answer split into 30 deltas of 4–5 characters; `end` is each delta's raw end position. */
function deltas(answer) {
  const out = [];
  for (let k = 0; k < DELTAS; k++) {
    const from = Math.round((k * answer.length) / DELTAS);
    const end = Math.round(((k + 1) * answer.length) / DELTAS);
    out.push({ text: answer.slice(from, end), end });
  }
  return out;
}

const sse = (type, data) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Upstream: each POST /v1/messages streams `current.parts`; `writes` gets each delta's write time. */
function startUpstream(current, gapMs, writes) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const times = [];
      writes.push(times);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.write(
        sse('message_start', {
          message: {
            id: `msg_01Live${String(writes.length).padStart(16, '0')}`,
            type: 'message',
            role: 'assistant',
            model: 'claude-sonnet-4-5-20250929',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 12, output_tokens: 1 },
          },
        }) + sse('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      );
      const parts = current.parts;
      let k = 0;
      const next = () => {
        if (res.destroyed) return;
        res.write(
          sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: parts[k].text } }),
        );
        times.push(performance.now());
        k += 1;
        if (k < parts.length) return void setTimeout(next, gapMs);
        res.end(
          sse('content_block_stop', { index: 0 }) +
            sse('message_delta', {
              delta: { stop_reason: 'end_turn', stop_sequence: null },
              usage: { output_tokens: 40 },
            }) +
            sse('message_stop', {}),
        );
      };
      setTimeout(next, gapMs);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Read the UI's event stream: calls `onEvent(event, at)` for each event of each batch frame. */
function openEvents(port, token, onEvent) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/api/events?token=${encodeURIComponent(token)}` });
    req.on('error', reject);
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/api/events answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk) => {
        const at = performance.now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) !== -1) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (frame.includes(': connected')) resolve(req);
          for (const line of frame.split('\n')) {
            if (!line.startsWith('data: ')) continue;
            for (const e of JSON.parse(line.slice(6))) onEvent(e, at);
          }
        }
      });
    });
  });
}

function post(port, i) {
  const body = JSON.stringify({
    model: 'claude-sonnet-4-5-20250929',
    max_tokens: 256,
    stream: true,
    messages: [{ role: 'user', content: `Where do I send the report? (${i})` }],
  });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/messages',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'anthropic-version': '2023-06-01',
          'x-api-key': 'sk-bench-not-a-key',
          'user-agent': 'claude-cli/2.0.0 (external, cli)',
        },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function run(ctx) {
  const rounds = Number(ctx.flags.rounds ?? (ctx.flags.quick ? 2 : 6));
  const dist = ctx.flags['candidate-dist'] ?? path.join(ctx.repoRoot, 'dist');
  const { compilePolicy } = await import(pathToFileURL(path.join(dist, 'src-main/redaction/index.js')).href);
  const policy = compilePolicy({ mode: 'mask' });

  const current = { parts: [] };
  const writes = [];
  const upstream = await startUpstream(current, STREAM_MS / DELTAS, writes);
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}`;
  const child = await startChild(
    path.join(ctx.benchDir, 'children/lunaroute.js'),
    [
      upstreamUrl,
      ...(ctx.flags['candidate-dist'] ? [ctx.flags['candidate-dist']] : []),
      '--recording=on',
      '--redaction=mask',
    ],
    { name: 'lunaroute' },
  );
  const streams = new Map(); // request id → { text, seen: [{len, at}], finishedAt, final }
  const scenario = { final: '' };
  let events;
  const measured = {};
  try {
    const { uiPort, uiToken } = child.info ?? {};
    if (!uiPort || !uiToken) throw new Error('the LunaRoute child announced no web UI port/token');
    events = await openEvents(uiPort, uiToken, (e, at) => {
      if (e.type === 'request_started')
        streams.set(e.id, {
          text: '',
          seen: [],
          finishedAt: null,
          final: scenario.final,
          violations: 0,
          resets: 0,
        });
      const s = streams.get(e.id);
      if (!s) return;
      if (e.type === 'response_progress') {
        if (e.reset) s.resets += 1;
        s.text = e.reset ? e.text_delta : s.text + e.text_delta;
        s.seen.push({ len: s.text.length, at });
        if (!s.final.startsWith(s.text)) s.violations += 1;
      } else if (e.type === 'request_finished') s.finishedAt = at;
    });
    for (const [key, answer] of [
      ['prose', PROSE],
      ['secret', WITH_SECRET],
    ]) {
      current.parts = deltas(answer);
      scenario.final = policy.redactText(answer).value;
      ctx.log(`${key}: warm-up stream (not measured)`);
      await post(child.port, 0);
      await new Promise((r) => setTimeout(r, 300));
      streams.clear();
      writes.length = 0;
      for (let i = 1; i <= rounds; i++) {
        ctx.log(`${key}: stream ${i} of ${rounds}`);
        await post(child.port, i);
      }
      await new Promise((r) => setTimeout(r, 500)); // the last events of the last stream
      measured[key] = lagsOf(answer, scenario.final, current.parts, [...streams.values()], writes);
    }
  } finally {
    events?.destroy();
    await child.stop();
    upstream.close();
  }

  const { prose, secret } = measured;
  const la = loadavg();
  const table = formatTable(
    `Live text behind the wire (${rounds} streams × ${DELTAS} deltas each; load ${la['1m']} / ${la['5m']} / ${la['15m']})`,
    ['measure', 'value', 'target'],
    [
      [
        'live text lag behind the wire, p95 (ms)',
        String(prose.p95),
        `≤ ${TARGET_P95_MS} (goal ≤ ${GOAL_P95_MS})`,
      ],
      ['  p50 / max (ms)', `${prose.p50} / ${prose.max}`, '–'],
      [
        '  same with an e-mail in the answer, p95 / p50 / max (ms)',
        `${secret.p95} / ${secret.p50} / ${secret.max}`,
        '–',
      ],
      ['deltas measured (prose / with e-mail)', `${prose.n} / ${secret.n}`, `${rounds * DELTAS} each`],
      [
        'live text not a prefix of the final redaction (a secret fragment shown)',
        String(prose.violations + secret.violations),
        '0',
      ],
      ['resets (shown text taken back)', String(prose.resets + secret.resets), '0'],
    ],
  );
  const violations = prose.violations + secret.violations;
  return {
    tables: [table],
    results: { lag_ms: { prose, with_email: secret }, rounds, dist, loadavg: la },
    checks: [
      {
        name: 'Live text lag behind the wire, p95 (ms), no secret fragment shown',
        value: violations === 0 ? prose.p95 : `${prose.p95} with ${violations} violation(s)`,
        target: `<= ${TARGET_P95_MS}`,
        pass: violations === 0 && prose.p95 <= TARGET_P95_MS && prose.n === rounds * DELTAS,
      },
    ],
  };
}

/**
 * Lag of every delta of every stream: when the live text first reaches the redacted length of the delta's end
 * (inside a masked value: its placeholder), else when the request finished, minus when the upstream wrote it.
 */
function lagsOf(answer, final, parts, streams, writes) {
  const a = answer.indexOf(SECRET);
  const placeholder = a === -1 ? '' : final.slice(a, final.length - (answer.length - a - SECRET.length));
  const shownAt = (p) =>
    a === -1 || p <= a
      ? p
      : p >= a + SECRET.length
        ? p - SECRET.length + placeholder.length
        : a + placeholder.length;
  const lags = [];
  let violations = 0;
  let resets = 0;
  streams.forEach((s, i) => {
    violations += s.violations;
    resets += s.resets;
    const times = writes[i] ?? [];
    parts.forEach((part, k) => {
      const hit = s.seen.find((x) => x.len >= shownAt(part.end));
      const at = hit?.at ?? s.finishedAt;
      if (at !== null && times[k] !== undefined) lags.push(at - times[k]);
    });
  });
  return {
    p50: round(percentile(lags, 50), 0),
    p95: round(percentile(lags, 95), 0),
    max: round(percentile(lags, 100), 0),
    n: lags.length,
    violations,
    resets,
  };
}
