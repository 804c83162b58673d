// JSONL writer and the session-file reader against real files: ordering, batching, bounded queue with gap markers,
// per-file errors that spare other files, close() deadline, 0600/0700 modes, torn lines and .zst reading.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeLines, JsonlWriter } from '../../src-main/storage/jsonl-writer.js';
import type { JsonlWriteError } from '../../src-main/storage/jsonl-writer.js';
import { readSessionFile } from '../../src-main/index/reindex.js';
import { ManualTimers } from '../support/timers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lr-jsonl-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => path.join(root, `case-${++n}`);

const lines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
const records = (file: string): Array<Record<string, unknown>> =>
  lines(file).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('JsonlWriter', () => {
  it('creates 0700 directories and 0600 files and keeps per-file order', async () => {
    const dir = path.join(freshDir(), 'sessions', '2026-11-27');
    const w = new JsonlWriter({ timers: new ManualTimers() });
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    for (let i = 0; i < 250; i++) {
      w.append(a, { seq: i });
      w.append(b, JSON.stringify({ seq: i }));
    }
    await w.flush();
    expect(records(a).map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(records(b).map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(path.dirname(dir)).mode & 0o777).toBe(0o700);
    expect(statSync(a).mode & 0o777).toBe(0o600);
    expect(w.counters()).toMatchObject({
      written: 500,
      queuedLines: 0,
      queuedBytes: 0,
      dropped: 0,
      errors: 0,
    });
    await w.close();
  });

  it('tightens an existing 0755 directory and 0644 file', async () => {
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const f = path.join(dir, 'old.jsonl');
    writeFileSync(f, '{"old":true}\n', { mode: 0o644 });
    chmodSync(f, 0o644);
    const w = new JsonlWriter({ timers: new ManualTimers() });
    w.append(f, { new: true });
    await w.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(records(f)).toEqual([{ old: true }, { new: true }]);
  });

  it('flushes on the interval timer, not before', async () => {
    const timers = new ManualTimers();
    const f = path.join(freshDir(), 's.jsonl');
    const w = new JsonlWriter({ timers, flushIntervalMs: 100 });
    w.append(f, { a: 1 });
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([100]);
    expect(() => statSync(f)).toThrow();
    timers.fireAll();
    await w.flush();
    expect(records(f)).toEqual([{ a: 1 }]);
    await w.close();
  });

  it('flushes early once flushEveryLines lines are queued', async () => {
    const timers = new ManualTimers();
    const f = path.join(freshDir(), 's.jsonl');
    let errors = 0;
    const w = new JsonlWriter({ timers, flushEveryLines: 10, onError: () => errors++ });
    for (let i = 0; i < 10; i++) w.append(f, { i });
    // No timer fired: the early flush is queued as a microtask; flush() chains after it.
    await Promise.resolve();
    await w.flush();
    expect(lines(f)).toHaveLength(10);
    expect(errors).toBe(0);
    await w.close();
  });

  it('drops lines when the queue is full, counts them per file and writes a gap marker when space returns', async () => {
    const timers = new ManualTimers();
    const dir = freshDir();
    const f = path.join(dir, 'busy.jsonl');
    const g = path.join(dir, 'other.jsonl');
    const w = new JsonlWriter({
      timers,
      maxQueuedLines: 5,
      flushEveryLines: 1000,
      now: () => Date.UTC(2026, 10, 27),
    });
    const accepted = Array.from({ length: 8 }, (_, i) => w.append(f, { i }));
    expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
    expect(w.append(g, { other: 1 })).toBe(false);
    expect(w.counters()).toMatchObject({ queuedLines: 5, dropped: 4 });
    await w.flush();
    await w.flush(); // writes the markers queued when space returned
    const recs = records(f);
    expect(recs.slice(0, 5).map((r) => r.i)).toEqual([0, 1, 2, 3, 4]);
    expect(recs[5]).toMatchObject({ type: 'gap', dropped: 3, reasons: ['queue_full'] });
    expect(recs[5]!.first_dropped_at).toBe('2026-11-27T00:00:00.000Z');
    expect(records(g)).toEqual([{ type: 'gap', dropped: 1, reasons: ['queue_full'], ...timesOf(recs[5]!) }]);
    expect(w.append(f, { i: 99 })).toBe(true);
    await w.close();
    expect(records(f).at(-1)).toEqual({ i: 99 });
    expect(w.counters()).toMatchObject({ dropped: 4, gapMarkers: 2, queuedLines: 0 });
  });

  it('puts the gap marker where the lines were lost, before lines accepted later', async () => {
    const timers = new ManualTimers();
    const f = path.join(freshDir(), 'g.jsonl');
    const w = new JsonlWriter({ timers, maxQueuedBytes: 200, flushEveryLines: 1000 });
    expect(w.append(f, { a: 'x'.repeat(100) })).toBe(true);
    expect(w.append(f, { b: 'y'.repeat(150) })).toBe(false);
    expect(w.append(f, { c: 1 })).toBe(true);
    await w.close();
    expect(records(f).map((r) => Object.keys(r)[0])).toEqual(['a', 'type', 'c']);
  });

  it('reports an ENOSPC file via onError and still writes the other files of the same batch', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const full = path.join(dir, 'full.jsonl');
    symlinkSync('/dev/full', full);
    const good = path.join(dir, 'good.jsonl');
    const errors: JsonlWriteError[] = [];
    const w = new JsonlWriter({ timers: new ManualTimers(), onError: (e) => errors.push(e) });
    for (let i = 0; i < 3; i++) {
      w.append(full, { i });
      w.append(good, { i });
    }
    await w.flush();
    expect(records(good).map((r) => r.i)).toEqual([0, 1, 2]);
    expect(errors).toEqual([expect.objectContaining({ file: full, code: 'ENOSPC', lostLines: 3 })]);
    expect(w.counters()).toMatchObject({ errors: 1, failed: 3, written: 3, queuedLines: 0 });
    await w.close();
  });

  it('reports a file whose directory cannot be created, and recovers with a write_error gap marker', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const blocker = path.join(dir, 'day');
    writeFileSync(blocker, 'not a directory');
    const f = path.join(blocker, 's.jsonl');
    const errors: JsonlWriteError[] = [];
    const w = new JsonlWriter({ timers: new ManualTimers(), onError: (e) => errors.push(e) });
    w.append(f, { lost: 1 });
    await w.flush();
    expect(errors.map((e) => e.code)).toEqual([expect.stringMatching(/^(EEXIST|ENOTDIR)$/)]);
    unlinkSync(blocker);
    w.append(f, { kept: 1 });
    await w.close();
    expect(records(f)).toEqual([
      expect.objectContaining({ type: 'gap', dropped: 1, reasons: ['write_error'] }),
      { kept: 1 },
    ]);
  });

  it('never throws on an unserialisable record; reports it and writes the others', async () => {
    const f = path.join(freshDir(), 's.jsonl');
    const errors: JsonlWriteError[] = [];
    const w = new JsonlWriter({ timers: new ManualTimers(), onError: (e) => errors.push(e) });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(w.append(f, circular)).toBe(false);
    expect(w.append(f, 10n)).toBe(false);
    expect(w.append(f, { ok: 1 })).toBe(true);
    await w.close();
    expect(errors.map((e) => e.code)).toEqual(['EINVALID', 'EINVALID']);
    expect(records(f)).toEqual([
      expect.objectContaining({ type: 'gap', dropped: 2, reasons: ['invalid_record'] }),
      { ok: 1 },
    ]);
  });

  it('keeps one record per line even when a string record contains raw newlines', async () => {
    const f = path.join(freshDir(), 's.jsonl');
    const w = new JsonlWriter({ timers: new ManualTimers() });
    w.append(f, JSON.stringify({ a: 'multi\nline', b: [1, 2] }, null, 2));
    w.append(f, { c: 'x\r\ny' });
    await w.close();
    expect(records(f)).toEqual([{ a: 'multi\nline', b: [1, 2] }, { c: 'x\r\ny' }]);
  });

  it('starts on a fresh line after a torn tail left by a crash', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const f = path.join(dir, 'crashed.jsonl');
    writeFileSync(f, '{"a":1}\n{"b":', { mode: 0o600 });
    const w = new JsonlWriter({ timers: new ManualTimers() });
    w.append(f, { c: 3 });
    await w.close();
    expect(lines(f)).toEqual(['{"a":1}', '{"b":', '{"c":3}']);
  });

  it('writes 200 interleaved files in order with only 16 handles open', async () => {
    const dir = freshDir();
    const w = new JsonlWriter({ timers: new ManualTimers(), maxOpenFiles: 16, flushEveryLines: 500 });
    const files = Array.from({ length: 200 }, (_, i) => path.join(dir, `s${i}.jsonl`));
    for (let round = 0; round < 20; round++) {
      for (const f of files) w.append(f, { round });
      await w.flush();
      expect(w.counters().openFiles).toBeLessThanOrEqual(16);
    }
    await w.close();
    for (const f of files)
      expect(records(f).map((r) => r.round)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(w.counters()).toMatchObject({ written: 4000, openFiles: 0 });
  });

  it('close() writes everything pending, then refuses new lines', async () => {
    const f = path.join(freshDir(), 's.jsonl');
    const w = new JsonlWriter({ timers: new ManualTimers(), flushEveryLines: 100_000 });
    for (let i = 0; i < 1000; i++) w.append(f, { i });
    const res = await w.close(5000);
    expect(res).toEqual({ timedOut: false, pendingLines: 0 });
    expect(lines(f)).toHaveLength(1000);
    expect(w.append(f, { late: true })).toBe(false);
    expect(w.isOpen(f)).toBe(false);
  });

  it('close() returns at its deadline when writes are not done', async () => {
    const timers = new ManualTimers();
    const f = path.join(freshDir(), 's.jsonl');
    const w = new JsonlWriter({ timers, flushEveryLines: 100_000 });
    for (let i = 0; i < 100; i++) w.append(f, { i });
    const closing = w.close(50);
    timers.fireAll(); // the deadline passes before any file operation could complete
    const res = await closing;
    expect(res.timedOut).toBe(true);
    expect(res.pendingLines).toBe(100);
  });

  it('closeFile() releases the handle so retention may treat the file as closed', async () => {
    const f = path.join(freshDir(), 's.jsonl');
    const w = new JsonlWriter({ timers: new ManualTimers() });
    w.append(f, { a: 1 });
    expect(w.isOpen(f)).toBe(true);
    await w.closeFile(f);
    expect(w.isOpen(f)).toBe(false);
    expect(lines(f)).toHaveLength(1);
    await w.close();
  });

  it('rejects invalid options with a message naming the option', () => {
    expect(() => new JsonlWriter({ maxQueuedLines: 0 })).toThrow(
      'JsonlWriter: maxQueuedLines must be an integer ≥ 1',
    );
  });
});

function timesOf(r: Record<string, unknown>): Record<string, unknown> {
  return { first_dropped_at: r.first_dropped_at, last_dropped_at: r.last_dropped_at };
}

describe('readSessionFile (the reader reindex and queries use)', () => {
  const rec = (i: number): string => JSON.stringify({ v: 1, type: 'x', i });

  it('returns the records, skips a torn last line and says the tail is torn', async () => {
    const f = path.join(freshDir() + '.jsonl');
    writeFileSync(f, `${rec(1)}\n\n${rec(2)}\n{"c":`);
    const r = await readSessionFile(f);
    expect(r.lines.map((l) => (l as unknown as { i: number }).i)).toEqual([1, 2]);
    expect(r).toMatchObject({ skipped: 1, torn: true });
  });

  it('accepts a complete last line without a trailing newline', async () => {
    const f = path.join(freshDir() + '.jsonl');
    writeFileSync(f, `${rec(1)}\n${rec(2)}`);
    expect((await readSessionFile(f)).lines).toHaveLength(2);
  });

  it('skips lines of a newer record version and lines that are not records', async () => {
    const f = path.join(freshDir() + '.jsonl');
    writeFileSync(f, `${rec(1)}\n{"v":99,"type":"x"}\n[1,2]\n"text"\n${rec(2)}\n`);
    const r = await readSessionFile(f);
    expect(r.lines).toHaveLength(2);
    expect(r).toMatchObject({ skipped: 3, torn: false });
  });

  it('reads long lines with multi-byte characters intact', async () => {
    const f = path.join(freshDir() + '.jsonl');
    const big = { v: 1, type: 'x', t: 'é😀'.repeat(100_000) };
    writeFileSync(f, JSON.stringify(big) + '\n' + rec(2) + '\n');
    expect((await readSessionFile(f)).lines[0]).toEqual(big);
  });

  it('reads a .jsonl.zst written by the zstd CLI', async () => {
    const f = path.join(freshDir() + '.jsonl');
    writeFileSync(f, Array.from({ length: 5000 }, (_, i) => rec(i)).join('\n') + '\n{"torn":');
    execFileSync('zstd', ['-q', '-f', f, '-o', `${f}.zst`]);
    unlinkSync(f);
    const r = await readSessionFile(`${f}.zst`);
    expect(r.lines).toHaveLength(5000);
    expect(r).toMatchObject({ skipped: 1, torn: true });
  });

  it('rejects with ENOENT when the file does not exist', async () => {
    await expect(readSessionFile(path.join(root, 'nope.jsonl'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('encodeLines', () => {
  it('gives the same bytes as joining the lines, for ASCII, Latin-1, astral and mixed lines', () => {
    const lines = ['{"a":1}', '{"t":"café — ✓"}', '{"e":"🙂🙂"}', '', '{"x":"plain"}'];
    for (const lead of [false, true]) {
      const expected = Buffer.from((lead ? '\n' : '') + lines.join('\n') + '\n', 'utf8');
      expect(encodeLines(lines, lead).equals(expected)).toBe(true);
    }
    expect(encodeLines([], false).length).toBe(0);
    expect(encodeLines([], true).toString()).toBe('\n');
  });
});
