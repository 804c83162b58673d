// Retention through the running recorder: at start-up, session files past compress_after_days become .jsonl.zst
// (byte-identical through Debian's `zstd -d`) and stay browsable; files past max_age_days are deleted and leave
// the index; the recorder keeps writing to a compressed session's file without losing what was compressed.
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import Anthropic from '@anthropic-ai/sdk';
import type { CoreHandle } from '../../src-main/app/core.js';
import { startRecordingStack, type RecordingStack } from '../support/recording-stack.js';
import type { SessionDetail, ListSessionsArgs } from '../../src-main/index/queries.js';

let stack: RecordingStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

async function send(c: CoreHandle, session: string, text: string): Promise<void> {
  const a = new Anthropic({
    apiKey: 'k',
    baseURL: c.proxyUrl,
    maxRetries: 0,
    defaultHeaders: { 'x-claude-code-session-id': session },
  });
  await a.messages.create({
    model: 'claude-test',
    max_tokens: 10,
    messages: [{ role: 'user', content: text }],
  });
}

function sessionFile(dataDir: string, id: string): string {
  const day = fs.readdirSync(path.join(dataDir, 'sessions'))[0]!;
  return path.join(dataDir, 'sessions', day, `${id}.jsonl`);
}

describe('retention', () => {
  it('compresses files past compress_after_days, deletes files past max_age_days, and keeps the index in step', async () => {
    stack = await startRecordingStack();
    const dataDir = stack.dataDir;
    let c = stack.core;
    for (const id of ['fresh', 'week-old', 'ancient']) await send(c, id, `hello from ${id}`);
    await c.recorder.client.flush();
    await c.stop();
    const DAY = 86_400_000;
    const age = (id: string, days: number): void => {
      const t = new Date(Date.now() - days * DAY);
      fs.utimesSync(sessionFile(dataDir, id), t, t);
    };
    age('week-old', 8);
    age('ancient', 31);
    const weekOldText = fs.readFileSync(sessionFile(dataDir, 'week-old'));

    c = await stack.restart();
    // Retention runs at start-up; wait (bounded) for its result on disk.
    // All three effects are awaited: the .zst appears before the .jsonl it replaces is removed.
    const deadline = Date.now() + 30_000;
    while (
      Date.now() < deadline &&
      (fs.existsSync(sessionFile(dataDir, 'ancient')) ||
        fs.existsSync(sessionFile(dataDir, 'week-old')) ||
        !fs.existsSync(sessionFile(dataDir, 'week-old') + '.zst'))
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(fs.existsSync(sessionFile(dataDir, 'fresh'))).toBe(true);
    expect(fs.existsSync(sessionFile(dataDir, 'ancient'))).toBe(false);
    expect(fs.existsSync(sessionFile(dataDir, 'week-old'))).toBe(false);
    const zst = sessionFile(dataDir, 'week-old') + '.zst';
    expect(fs.statSync(zst).mode & 0o777).toBe(0o600);
    expect(execFileSync('zstd', ['-d', '-c', zst])).toEqual(weekOldText);

    const list = await c.recorder.client.query<{ sessions: { id: string }[] }>(
      'sessions.list',
      {} satisfies ListSessionsArgs,
    );
    expect(list.sessions.map((s) => s.id).sort()).toEqual(['fresh', 'week-old']);
    const detail = await c.recorder.client.query<SessionDetail>('sessions.get', { id: 'week-old' });
    expect(detail.requests).toHaveLength(1);
    const bodies = await c.recorder.client.query<{ body: { messages: { content: string }[] } }>(
      'requests.bodies',
      { id: detail.requests[0]!.id },
    );
    expect(bodies.body.messages[0]!.content).toBe('hello from week-old');

    // The compressed session comes back: its new lines go to a fresh .jsonl beside the .zst, and both are read.
    await send(c, 'week-old', 'back again');
    await c.recorder.client.flush();
    const again = await c.recorder.client.query<SessionDetail>('sessions.get', { id: 'week-old' });
    expect(again.requests).toHaveLength(2);
    expect(again.session.request_count).toBe(2);
    const firstAgain = await c.recorder.client.query<{ body: { messages: { content: string }[] } } | null>(
      'requests.bodies',
      { id: detail.requests[0]!.id },
    );
    expect(firstAgain?.body.messages[0]!.content).toBe('hello from week-old');
    const lines = await c.recorder.client.query<{ lines: { type: string }[] }>('sessions.lines', {
      id: 'week-old',
    });
    expect(lines.lines.filter((l) => l.type === 'request')).toHaveLength(2);

    // And after a restart that re-reads both parts (index deleted), nothing of either part is lost.
    await c.stop();
    fs.rmSync(path.join(dataDir, 'index'), { recursive: true });
    c = await stack.restart();
    const rebuilt = await c.recorder.client.query<SessionDetail>('sessions.get', { id: 'week-old' });
    expect(rebuilt.requests).toHaveLength(2);
  });
});

describe('retention changed live', () => {
  it('applies a new max_age_days from the settings call at once, without a restart', async () => {
    stack = await startRecordingStack();
    const dataDir = stack.dataDir;
    let c = stack.core;
    await send(c, 'two-days-old', 'hello');
    await send(c, 'today', 'hello');
    await c.recorder.client.flush();
    await c.stop();
    const old = new Date(Date.now() - 2 * 86_400_000);
    fs.utimesSync(sessionFile(dataDir, 'two-days-old'), old, old);
    // Restarted (sessions idle: files being written are never touched); the start-up sweep keeps it (30 days).
    c = await stack.restart();
    expect(fs.existsSync(sessionFile(dataDir, 'two-days-old'))).toBe(true);
    const settings = await c.uiState.handlers()['settings.set']({ retention: { max_age_days: 1 } });
    expect(settings.retention.max_age_days).toBe(1);
    const deadline = Date.now() + 10_000;
    while (fs.existsSync(sessionFile(dataDir, 'two-days-old')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(fs.existsSync(sessionFile(dataDir, 'two-days-old'))).toBe(false);
    expect(fs.existsSync(sessionFile(dataDir, 'today'))).toBe(true);
    const list = await c.recorder.client.query<{ sessions: { id: string }[] }>('sessions.list', {});
    expect(list.sessions.map((s) => s.id)).toEqual(['today']);
  });
});
