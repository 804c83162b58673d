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
 * The template cut once at its UUIDs, epoch-ms times of the recording and first-prompt phrase, so a copy is a
 * concatenation instead of three regex passes over the whole text (a 1M-request history is 20k copies).
 */
export function compileTemplate(template) {
  const phrase = template.phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${UUID.source}|${EPOCH_MS.source}|${phrase}`, 'g');
  const parts = [];
  const slots = new Map();
  let last = 0;
  for (const m of template.text.matchAll(re)) {
    const s = m[0];
    parts.push(template.text.slice(last, m.index));
    last = m.index + s.length;
    if (s === template.phrase) parts.push({ phrase: true });
    else if (s.includes('-')) {
      if (!slots.has(s)) slots.set(s, slots.size);
      parts.push({ uuid: slots.get(s) });
    } else if (Math.abs(Number(s) - template.started) > DAY)
      parts.push(s); // only times of the recording (within a day of it) move; other 13-digit numbers stay
    else parts.push({ at: Number(s), decimals: s.includes('.') ? s.length - s.indexOf('.') - 1 : -1 });
  }
  parts.push(template.text.slice(last));
  return {
    parts,
    slots: slots.size,
    base: template.started,
    phrase: template.phrase,
    requests: template.requests,
  };
}

/** Copy k of `sessions` (see writeHistory): its JSONL text, start, day folder and session id. */
export function copySession(compiled, k, { sessions, days = 20, endAt = Date.now() - 3_600_000 }) {
  const span = days * DAY;
  const start = endAt - span + Math.floor((k * span) / sessions);
  const delta = start - compiled.base;
  const ids = Array.from({ length: compiled.slots }, () => randomUUID());
  const rare = k % RARE_EVERY === RARE_AT;
  const phrase = `${compiled.phrase} copy${k}${rare ? ` ${RARE_WORD}` : ''}`;
  let text = '';
  for (const p of compiled.parts) {
    if (typeof p === 'string') text += p;
    else if (p.uuid !== undefined) text += ids[p.uuid];
    else if (p.phrase) text += phrase;
    else text += p.decimals < 0 ? String(p.at + delta) : (p.at + delta).toFixed(p.decimals);
  }
  const sessionId = /"session_id":"([^"]+)"/.exec(text)?.[1] ?? randomUUID();
  return { text, start, day: new Date(start).toISOString().slice(0, 10), sessionId, rare };
}

/**
 * Write `sessions` copies of `template` into `<dataDir>/sessions/YYYY-MM-DD/`, their starts spread evenly
 * over the `days` before `endAt`. Returns { files, bytes, requests, rareSessions, seconds }.
 */
export function writeHistory(dataDir, template, { sessions, days = 20, endAt = Date.now() - 3_600_000 }) {
  const t0 = performance.now();
  const compiled = compileTemplate(template);
  let bytes = 0;
  let rare = 0;
  const madeDirs = new Set();
  for (let k = 0; k < sessions; k++) {
    const c = copySession(compiled, k, { sessions, days, endAt });
    if (c.rare) rare += 1;
    const dir = path.join(dataDir, 'sessions', c.day);
    if (!madeDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      madeDirs.add(dir);
    }
    fs.writeFileSync(path.join(dir, `${c.sessionId}.jsonl`), c.text, { mode: 0o600 });
    bytes += Buffer.byteLength(c.text);
  }
  return {
    files: sessions,
    bytes,
    requests: sessions * template.requests,
    rareSessions: rare,
    seconds: (performance.now() - t0) / 1000,
  };
}
