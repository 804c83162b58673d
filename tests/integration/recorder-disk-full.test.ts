// A full disk, for real: the data dir is a 4 MiB tmpfs filled to the last byte. Requests are still answered;
// every request that could not be written is counted exactly in lunaroute_recorder_dropped_exchanges_total and
// never as a recorded completion; the window hears of it; once space returns, recording resumes by itself and
// the session says how many requests were lost and when. A restart on the full disk serves instead of hanging.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { createLogger } from '../../src-main/log.js';
import type { LiveEvent } from '../../src-shared/live.js';
import type { GapLine, RecordLine } from '../../src-shared/records.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';
import { startFakeProvider, type FakeProvider } from '../support/fake-provider/index.js';

const mountDir = makeTempDir('lr-diskfull-');
let mounted = false;
let skipReason = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountDir], { stdio: 'pipe' });
  mounted = true;
} catch (err) {
  skipReason = `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}); needs root`;
  console.warn(`disk-full tests skipped: ${skipReason}`);
}

let fake: FakeProvider;
afterAll(async () => {
  await fake?.close();
  if (mounted) execFileSync('umount', ['-l', mountDir]);
  fs.rmSync(mountDir, { recursive: true, force: true });
});
beforeAll(async () => {
  fake = await startFakeProvider();
});

/** Fill the file system holding `dir` until a write fails with ENOSPC. Returns the filler's path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) fs.writeSync(fd, chunk.subarray(0, 512));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  fs.closeSync(fd);
  return filler;
}

function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function metric(text: string, name: string, labels = ''): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || l.startsWith(`${name}${labels}{`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function scrape(core: CoreHandle): Promise<string> {
  const res = await fetch(`${core.proxyUrl}/metrics`);
  return res.text();
}

const ask = (core: CoreHandle, n: number): Promise<number> =>
  post(
    `${core.proxyUrl}/v1/messages`,
    JSON.stringify({
      model: 'claude-test',
      max_tokens: 10,
      messages: [{ role: 'user', content: `question ${n}` }],
    }),
    { 'x-api-key': 'sk-test', 'x-claude-code-session-id': 'disk-full' },
  );

describe.skipIf(!mounted)('recording on a full disk', () => {
  it('answers every request, counts each unrecorded one exactly, and resumes by itself with a gap that names them', async () => {
    const dataDir = path.join(mountDir, 'data');
    const config = makeTestConfig({ anthropicUrl: fake.url, recording: true, dataDir });
    const core = await startCore(config, createLogger('silent'));
    try {
      const events: LiveEvent[] = [];
      const unsubscribe = core.recorder.client.subscribe((e) => events.push(e));
      // One request recorded while there is space: the session file exists.
      expect(await ask(core, 0)).toBe(200);
      await core.recorder.client.flush();

      const filler = fillDisk(mountDir);
      const statuses: number[] = [];
      for (let i = 1; i <= 40; i++) statuses.push(await ask(core, i));
      expect(statuses.every((s) => s === 200)).toBe(true);
      await core.recorder.client.flush();

      // tmpfs allocates in pages: the tail of the session file's last page may still take a line or two, so an
      // exchange may be partly (or, rarely, wholly) written. The accounting must be exact either way.
      const full = await scrape(core);
      const lost = metric(full, 'lunaroute_recorder_dropped_exchanges_total');
      expect(lost).toBeGreaterThanOrEqual(36);
      expect(lost).toBeLessThanOrEqual(40);
      const whole = 40 - lost;
      // Only exchanges whose lines all reached the disk count as recorded completions.
      expect(
        metric(full, 'lunaroute_recorded_requests_total', '{dialect="anthropic",outcome="completed"}'),
      ).toBe(1 + whole);
      expect(events.some((e) => e.type === 'recorder_problem' && e.kind === 'write_error')).toBe(true);
      const problem = events.find((e) => e.type === 'recorder_problem' && e.kind === 'write_error');
      expect(problem && 'message' in problem ? problem.message : '').toMatch(/disk is full/);

      // Space returns: the next request of the session is recorded, after a gap line naming the lost ones.
      fs.rmSync(filler);
      expect(await ask(core, 41)).toBe(200);
      await core.recorder.client.flush();
      unsubscribe();
      const day = fs.readdirSync(path.join(dataDir, 'sessions'))[0]!;
      const lines = fs
        .readFileSync(path.join(dataDir, 'sessions', day, 'disk-full.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as RecordLine);
      // Usually one gap line; a second when a write fit into the page tail mid-outage (its gap line then names the
      // requests lost so far, the last one the rest). Together they name each lost request exactly once.
      const gaps = lines.filter((l): l is GapLine => l.type === 'gap');
      expect(gaps.length).toBeGreaterThanOrEqual(1);
      const named = gaps.flatMap((g) => g.requests ?? []);
      expect(gaps.reduce((n, g) => n + (g.requests_lost ?? 0), 0)).toBe(lost);
      expect(named).toHaveLength(lost);
      expect(new Set(named).size).toBe(lost);
      for (const g of gaps) expect(g.reason).toContain('write_error');
      // Every request is either complete in the file or named in a gap line, never both, never neither.
      const requestIds = new Set(lines.flatMap((l) => (l.type === 'request' ? [l.id] : [])));
      const complete = lines.flatMap((l) => (l.type === 'response' && requestIds.has(l.id) ? [l.id] : []));
      expect(complete).toHaveLength(2 + whole);
      for (const id of named) expect(complete).not.toContain(id);

      const detail = await core.recorder.client.query<{
        session: { lost_requests: number; last_gap_at: number | null; gaps: number };
        requests: unknown[];
      }>('sessions.get', { id: 'disk-full' });
      expect(detail.session.lost_requests).toBe(lost);
      expect(detail.session.last_gap_at).toBeGreaterThan(0);
      const rows = detail.requests as { id: string; outcome: string | null }[];
      expect(
        rows
          .filter((r) => r.outcome === 'completed')
          .map((r) => r.id)
          .sort(),
      ).toEqual([...complete].sort());
      expect(rows.filter((r) => r.outcome === null)).toEqual([]);
      const after = await scrape(core);
      expect(
        metric(after, 'lunaroute_recorded_requests_total', '{dialect="anthropic",outcome="completed"}'),
      ).toBe(2 + whole);
    } finally {
      await core.stop();
    }
  }, 60_000);

  it('starts and serves on a full disk instead of hanging, and says so', async () => {
    const dataDir = path.join(mountDir, 'restart');
    const config = makeTestConfig({ anthropicUrl: fake.url, recording: true, dataDir });
    const first = await startCore(config, createLogger('silent'));
    expect(await ask(first, 1)).toBe(200);
    await first.stop();
    const filler = fillDisk(mountDir);
    const lines: string[] = [];
    const logger = createLogger('info', (l) => lines.push(l));
    // A hang here fails the test by its timeout.
    const core = await startCore(config, logger);
    try {
      expect(await ask(core, 2)).toBe(200);
      await core.recorder.client.flush();
    } finally {
      await core.stop();
      fs.rmSync(filler);
    }
    // Said in words a person reads (the index's first save or a session file's lines, whichever failed first).
    expect(lines.join('\n')).toMatch(
      /(saving the index failed at start-up|not recorded) \(the disk is full\)/,
    );
  }, 60_000);
});

it.skipIf(mounted)('recording on a full disk: skipped where a tmpfs cannot be mounted', () => {
  expect(skipReason).not.toBe('');
});
