// Retention over real day folders with an injected clock: age deletion, verified crash-safe compression (read back
// with the zstd CLI), size cap oldest-first, open files left alone, crash leftovers repaired, scheduling without
// overlap.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRetention, sweepRetention, validateRetentionPolicy } from '../../src-main/storage/retention.js';
import type { RetentionReport } from '../../src-main/storage/retention.js';
import { ManualTimers } from '../support/timers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lr-retention-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const DAY = 86_400_000;
const now = (): number => NOW;

function freshData(): string {
  const d = path.join(root, `case-${++n}`);
  mkdirSync(path.join(d, 'sessions'), { recursive: true });
  return d;
}

/** Create sessions/<day of mtime>/<name> with `content`, last written `ageDays` ago. */
function put(dataDir: string, name: string, ageDays: number, content: string | Buffer = line(name)): string {
  const mtime = NOW - ageDays * DAY;
  const dir = path.join(dataDir, 'sessions', new Date(mtime).toISOString().slice(0, 10));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = path.join(dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  utimesSync(p, mtime / 1000, mtime / 1000);
  return p;
}

function line(name: string): string {
  return Array.from({ length: 200 }, (_, i) => JSON.stringify({ session: name, seq: i })).join('\n') + '\n';
}

const zstdCat = (p: string): string => execFileSync('zstd', ['-d', '-c', '-q', p], { encoding: 'utf8' });

describe('sweepRetention', () => {
  it('deletes files older than max_age_days, reports them, and removes emptied day folders', async () => {
    const d = freshData();
    const old = put(d, 'old.jsonl', 31);
    const oldZ = put(d, 'oldz.jsonl.zst', 40, 'whatever');
    const recent = put(d, 'recent.jsonl', 2);
    const removedCalls: string[][] = [];
    const r = await sweepRetention({
      dataDir: d,
      now,
      compressAfterDays: 0,
      onRemoved: (p) => void removedCalls.push(p),
    });
    expect(r.removed.sort()).toEqual([old, oldZ].sort());
    expect(removedCalls).toEqual([r.removed]);
    expect(existsSync(recent)).toBe(true);
    expect(r.removedDirs.sort()).toEqual([path.dirname(old), path.dirname(oldZ)].sort());
    expect(r.errors).toEqual([]);
  });

  it('compresses .jsonl older than compress_after_days into a verified, 0600 .jsonl.zst with the same mtime', async () => {
    const d = freshData();
    const content = line('a').repeat(50);
    const a = put(d, 'a.jsonl', 8, content);
    const young = put(d, 'young.jsonl', 6);
    const compressed: Array<[string, string]> = [];
    const r = await sweepRetention({ dataDir: d, now, onCompressed: (f, t) => void compressed.push([f, t]) });
    expect(r.compressed).toEqual([
      expect.objectContaining({ from: a, to: `${a}.zst`, bytesIn: content.length }),
    ]);
    expect(compressed).toEqual([[a, `${a}.zst`]]);
    expect(existsSync(a)).toBe(false);
    expect(zstdCat(`${a}.zst`)).toBe(content);
    expect(statSync(`${a}.zst`).mode & 0o777).toBe(0o600);
    expect(statSync(`${a}.zst`).mtimeMs).toBe(NOW - 8 * DAY);
    expect(existsSync(young)).toBe(true);
    expect(readdirSync(path.dirname(a))).toEqual(['a.jsonl.zst']);
    expect(r.bytesAfter).toBeLessThan(r.bytesBefore);
    // A second sweep finds nothing left to do.
    const again = await sweepRetention({ dataDir: d, now });
    expect(again).toMatchObject({ removed: [], compressed: [], errors: [] });
  });

  it('never compresses or deletes a file the caller says is open', async () => {
    const d = freshData();
    const busyOld = put(d, 'busy-old.jsonl', 45);
    const busy = put(d, 'busy.jsonl', 9);
    const r = await sweepRetention({ dataDir: d, now, isOpen: (p) => p === busy || p === busyOld });
    expect(r).toMatchObject({ removed: [], compressed: [] });
    expect(r.skippedOpen.sort()).toEqual([busy, busyOld].sort());
    expect(existsSync(busy) && existsSync(busyOld)).toBe(true);
  });

  it('deletes the oldest files until the total fits max_size_mb, skipping open ones', async () => {
    const d = freshData();
    const big = (seed: string): Buffer => Buffer.alloc(400 * 1024, seed); // 400 KiB each
    const f1 = put(d, 'f1.jsonl', 5, big('1'));
    const f2 = put(d, 'f2.jsonl', 4, big('2'));
    const f3 = put(d, 'f3.jsonl', 3, big('3'));
    const f4 = put(d, 'f4.jsonl', 2, big('4'));
    const f5 = put(d, 'f5.jsonl', 1, big('5'));
    const r = await sweepRetention({ dataDir: d, now, maxSizeMb: 1, isOpen: (p) => p === f1 });
    // 2000 KiB → ≤ 1024 KiB: f1 is open, so f2, f3 and f4 go; f1 + f5 = 800 KiB remain.
    expect(r.removed).toEqual([f2, f3, f4]);
    expect(existsSync(f1) && existsSync(f5)).toBe(true);
    expect(r.bytesAfter).toBe(800 * 1024);
  });

  it('repairs what a crash left: stale .zst.tmp, and a .jsonl whose verified .zst already exists', async () => {
    const d = freshData();
    const a = put(d, 'a.jsonl', 8);
    execFileSync('zstd', ['-q', '-f', a, '-o', `${a}.zst`]);
    const b = put(d, 'b.jsonl', 8);
    writeFileSync(`${b}.zst.tmp`, 'partial');
    const c = put(d, 'c.jsonl', 3, line('c'));
    writeFileSync(`${c}.zst`, execFileSync('zstd', ['-q', '-c'], { input: 'something else\n' }));
    const compressed: Array<[string, string]> = [];
    const r = await sweepRetention({ dataDir: d, now, onCompressed: (f, t) => void compressed.push([f, t]) });
    expect(existsSync(a)).toBe(false);
    expect(zstdCat(`${a}.zst`)).toBe(line('a.jsonl'));
    expect(existsSync(`${b}.zst.tmp`)).toBe(false);
    expect(zstdCat(`${b}.zst`)).toBe(line('b.jsonl'));
    // c's .zst does not match its .jsonl: the .zst is dropped and c (3 days old) stays uncompressed.
    expect(existsSync(c) && !existsSync(`${c}.zst`)).toBe(true);
    expect(compressed.sort()).toEqual([
      [a, `${a}.zst`],
      [b, `${b}.zst`],
    ]);
    expect(r.errors).toEqual([]);
  });

  it('ignores everything that is not a day folder or a session file', async () => {
    const d = freshData();
    writeFileSync(path.join(d, 'index.sqlite'), 'db');
    writeFileSync(path.join(d, 'sessions', 'notes.txt'), 'keep');
    mkdirSync(path.join(d, 'sessions', '2026-13-45'));
    const weird = path.join(d, 'sessions', '2026-13-45', 'x.jsonl');
    writeFileSync(weird, '{}\n');
    utimesSync(weird, 0, 0);
    const other = put(d, 'readme.md', 90, 'keep me');
    const r = await sweepRetention({ dataDir: d, now });
    expect(r).toMatchObject({ removed: [], compressed: [], errors: [] });
    expect(existsSync(weird) && existsSync(other)).toBe(true);
  });

  it('keeps today’s and yesterday’s empty folders (the writer may be about to use them)', async () => {
    const d = freshData();
    for (const day of ['2026-11-27', '2026-11-26', '2026-11-20']) mkdirSync(path.join(d, 'sessions', day));
    const r = await sweepRetention({ dataDir: d, now });
    expect(r.removedDirs).toEqual([path.join(d, 'sessions', '2026-11-20')]);
  });

  it('copes with a data dir that has no sessions folder yet', async () => {
    const r = await sweepRetention({ dataDir: path.join(root, 'does-not-exist'), now });
    expect(r).toMatchObject({ removed: [], errors: [], bytesBefore: 0 });
  });
});

describe('validateRetentionPolicy', () => {
  it('fills defaults and names the config key, the range and the unit in errors (the ranges of config.yaml)', () => {
    expect(validateRetentionPolicy({})).toEqual({ maxAgeDays: 30, maxSizeMb: 1024, compressAfterDays: 7 });
    expect(() => validateRetentionPolicy({ maxAgeDays: -1 })).toThrow(
      'retention.max_age_days must be an integer from 1 to 36500 (days), got -1',
    );
    // 0 no longer means "disabled" here: config.yaml, settings.json and the Settings view never allowed it.
    expect(() => validateRetentionPolicy({ maxAgeDays: 0 })).toThrow(
      'retention.max_age_days must be an integer from 1 to 36500 (days), got 0',
    );
    expect(() => validateRetentionPolicy({ maxSizeMb: 1.5 })).toThrow(
      'retention.max_size_mb must be an integer from 1 to 10000000 (MB), got 1.5',
    );
    expect(() => validateRetentionPolicy({ compressAfterDays: Number.NaN })).toThrow(
      'retention.compress_after_days must be an integer from 0 to 36500 (days), got NaN',
    );
    expect(validateRetentionPolicy({ compressAfterDays: 0 }).compressAfterDays).toBe(0); // 0 = never
  });
});

describe('startRetention', () => {
  it('sweeps at start-up, then once per interval after each sweep ends, never overlapping', async () => {
    const d = freshData();
    const timers = new ManualTimers();
    const reports: RetentionReport[] = [];
    const h = startRetention({
      dataDir: d,
      now,
      timers,
      intervalMs: 3_600_000,
      onReport: (r) => reports.push(r),
    });
    const first = h.runNow(); // joins the start-up sweep
    expect(h.runNow()).toBe(first);
    expect(timers.pending.size).toBe(0); // next sweep is scheduled only after this one ends
    await first;
    expect(reports).toHaveLength(1);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([3_600_000]);

    put(d, 'late.jsonl', 60);
    timers.fireAll();
    const second = h.runNow();
    const r2 = await second;
    expect(r2.removed).toHaveLength(1);
    expect(reports).toHaveLength(2);
    await h.stop();
    expect(timers.pending.size).toBe(0);
  });

  it('rejects a nonsense interval or policy up front', () => {
    expect(() => startRetention({ dataDir: root, intervalMs: 10 })).toThrow(
      'retention interval must be ≥ 1000 ms',
    );
    expect(() => startRetention({ dataDir: root, maxAgeDays: -3 })).toThrow('retention.max_age_days');
  });
});
