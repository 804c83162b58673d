// Months of history on disk, fast and format-agnostic: one session is recorded for real through
// `lunaroute serve` (a 50-turn Claude-Code-like session of ~80 KB requests, or 50 small 1 KB requests for the
// synthetic sizes above 100 k), then its JSONL file is copied into N sessions with fresh UUIDs (session and
// request ids: every UUID in the file is replaced), epoch-ms times shifted to the copy's start, and a marker
// word in the first prompt of some copies (the rare search word). Only the JSONL's use of UUIDs and epoch-ms
// times is assumed, so the copies follow whatever line format the recorder writes today.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { claudeCodeSession } from './claude-session.js';
import { anthropicHeaders } from './http-load.js';
import { startServe, writeBenchConfig } from './cli-child.js';

export const COMMON_WORD = 'request';
export const RARE_WORD = 'xylophonequartz';
/** Every copy k with k % RARE_EVERY === RARE_AT carries the rare word (k = 3, 1000, 1997, … of N). */
const RARE_EVERY = 997;
const RARE_AT = 3;
const DAY = 86_400_000;

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const EPOCH_MS = /\b1[6-9]\d{11}(?:\.\d+)?\b/g;

function post(agent, port, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`HTTP ${res.statusCode} recording a template`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const SMALL_WORDS = (
  'fix the failing test in the parser then run the build again and check the output for errors ' +
  'refactor handler module config value stream session record index query page list search cache'
).split(' ');

/** A ~1 KB Anthropic body with a short prose prompt (different per turn, so full-text search has words). */
export function smallBody(turn, stream = false) {
  const words = [];
  let x = (turn + 1) * 2654435761;
  for (let i = 0; i < 120; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    words.push(SMALL_WORDS[x % SMALL_WORDS.length]);
  }
  return Buffer.from(
    JSON.stringify({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 4096,
      stream,
      messages: [{ role: 'user', content: `Turn ${turn}: ${words.join(' ')}.` }],
    }),
  );
}

/**
 * Record one session through a real `lunaroute serve` (recording on, default redaction) into a scratch data
 * dir and return its JSONL text, the epoch ms of its first request and a phrase of its first prompt.
 * kind 'claude': 50 Claude Code turns (66–126 KB requests, SSE replies); kind 'small': 50 ~1 KB JSON requests.
 */
export async function recordTemplate(repoRoot, upstreamUrl, kind, scratchRoot = os.tmpdir()) {
  const dataDir = fs.mkdtempSync(path.join(scratchRoot, `lunaroute-template-${kind}-`));
  try {
    writeBenchConfig(dataDir, upstreamUrl);
    const serve = await startServe(repoRoot, dataDir);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const sessionId = randomUUID();
    const started = Date.now();
    let phrase;
    try {
      if (kind === 'claude') {
        const s = claudeCodeSession(50, { sessionId, seed: 1 });
        phrase = JSON.parse(s.bodies[0].toString('utf8')).messages[0].content[1].text.slice(0, 40);
        for (const body of s.bodies)
          await post(
            agent,
            serve.port,
            {
              ...anthropicHeaders(body.length),
              'x-claude-code-session-id': sessionId,
              'x-bench-claude': 'sse,1',
            },
            body,
          );
      } else {
        phrase = 'Turn 0: ';
        for (let t = 0; t < 50; t++) {
          const body = smallBody(t);
          await post(
            agent,
            serve.port,
            { ...anthropicHeaders(body.length), 'x-claude-code-session-id': sessionId },
            body,
          );
        }
      }
    } finally {
      agent.destroy();
      serve.ui.close();
      await serve.stop();
    }
    const files = fs
      .readdirSync(path.join(dataDir, 'sessions'), { recursive: true })
      .filter((f) => String(f).endsWith('.jsonl'));
    if (files.length !== 1)
      throw new Error(`recording the ${kind} template gave ${files.length} session files, expected 1`);
    const text = fs.readFileSync(path.join(dataDir, 'sessions', String(files[0])), 'utf8');
    if (!text.includes(phrase)) throw new Error(`the ${kind} template does not contain its first prompt`);
    const requests = (text.match(/"type":"request"/g) ?? []).length;
    return { kind, text, started, phrase, requests, bytes: Buffer.byteLength(text) };
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Write `sessions` copies of `template` into `<dataDir>/sessions/YYYY-MM-DD/`, their starts spread evenly
 * over the `days` before `endAt`. Returns { files, bytes, requests, rareSessions, seconds }.
 */
export function writeHistory(dataDir, template, { sessions, days = 20, endAt = Date.now() - 3_600_000 }) {
  const t0 = performance.now();
  const base = template.started;
  const span = days * DAY;
  let bytes = 0;
  let rare = 0;
  const madeDirs = new Set();
  for (let k = 0; k < sessions; k++) {
    const start = endAt - span + Math.floor((k * span) / sessions);
    const delta = start - base;
    const ids = new Map();
    let text = template.text.replace(UUID, (u) => {
      let v = ids.get(u);
      if (!v) ids.set(u, (v = randomUUID()));
      return v;
    });
    text = text.replace(EPOCH_MS, (n) => {
      const v = Number(n);
      // Only times of the recording (within a day of it) move; other 13-digit numbers stay.
      if (Math.abs(v - base) > DAY) return n;
      const dot = n.indexOf('.');
      return dot < 0 ? String(v + delta) : (v + delta).toFixed(n.length - dot - 1);
    });
    const marker = k % RARE_EVERY === RARE_AT ? ` ${RARE_WORD}` : '';
    if (marker) rare += 1;
    text = text.replaceAll(template.phrase, `${template.phrase} copy${k}${marker}`);
    const day = new Date(start).toISOString().slice(0, 10);
    const dir = path.join(dataDir, 'sessions', day);
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      madeDirs.add(dir);
    }
    const sessionId = /"session_id":"([^"]+)"/.exec(text)?.[1] ?? randomUUID();
    fs.writeFileSync(path.join(dir, `${sessionId}.jsonl`), text, { mode: 0o600 });
    bytes += Buffer.byteLength(text);
  }
  return {
    files: sessions,
    bytes,
    requests: sessions * template.requests,
    rareSessions: rare,
    seconds: (performance.now() - t0) / 1000,
  };
}
