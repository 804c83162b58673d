// File-system helpers: private modes, atomic writes, id sanitising that can never produce a path escape, day-folder
// names, and the rule that worker scripts stay self-contained (they may be transpiled and run from a cache dir).
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  chmodSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dayDirName,
  ensurePrivateDir,
  isSafeId,
  nonZeroRuns,
  parseDayDirName,
  removeStaleTmpFiles,
  safeJoin,
  sanitizeId,
  writeFileAtomic,
} from '../../src-main/storage/fsutil.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lr-fsutil-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sanitizeId', () => {
  it('passes safe ids unchanged', () => {
    expect(sanitizeId('session_123-abc')).toBe('session_123-abc');
    expect(sanitizeId('a'.repeat(255))).toBe('a'.repeat(255));
  });

  it('maps unsafe ids to distinct safe ones, never containing dots or separators', () => {
    const dotdot = sanitizeId('..');
    const slash = sanitizeId('../../etc/passwd');
    expect(dotdot).toMatch(/^id-[0-9a-f]{16}$/);
    expect(slash).toMatch(/^_etc_passwd-[0-9a-f]{16}$/);
    expect(sanitizeId('a/b')).not.toBe(sanitizeId('a_b'));
    expect(sanitizeId('a/b')).not.toBe(sanitizeId('a\\b'));
    expect(sanitizeId('')).toMatch(/^id-/);
    expect(sanitizeId('x'.repeat(256))).toHaveLength(217);
  });

  it('always yields [A-Za-z0-9_-]{1,255} for any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (s) => {
        const id = sanitizeId(s);
        expect(isSafeId(id)).toBe(true);
        expect(path.basename(safeJoin(root, id))).toBe(id);
      }),
    );
  });
});

describe('safeJoin', () => {
  it('joins safe segments and refuses anything that could escape', () => {
    expect(safeJoin('/data', 'sessions', '2026-11-27', 'abc.jsonl')).toBe(
      '/data/sessions/2026-11-27/abc.jsonl',
    );
    for (const bad of ['..', '.', '', 'a/b', '../x', 'a\\b', '.hidden', 'a..b', 'x\0y']) {
      expect(() => safeJoin('/data', bad), bad).toThrow(/unsafe path segment/);
    }
  });
});

describe('day folders', () => {
  it('formats UTC days and parses only real dates', () => {
    expect(dayDirName(Date.UTC(2026, 10, 27, 23, 59))).toBe('2026-11-27');
    expect(parseDayDirName('2026-11-27')).toBe(Date.UTC(2026, 10, 27));
    expect(parseDayDirName('2026-02-30')).toBeNull();
    expect(parseDayDirName('2026-13-01')).toBeNull();
    expect(parseDayDirName('notes')).toBeNull();
  });
});

describe('ensurePrivateDir', () => {
  it('creates nested 0700 directories and tightens an existing one', async () => {
    const nested = path.join(root, 'p1', 'a', 'b');
    await ensurePrivateDir(nested);
    expect(statSync(nested).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(root, 'p1', 'a')).mode & 0o777).toBe(0o700);
    const loose = path.join(root, 'loose');
    mkdirSync(loose);
    chmodSync(loose, 0o755);
    await ensurePrivateDir(loose);
    expect(statSync(loose).mode & 0o777).toBe(0o700);
  });

  it('refuses a path that is a file', async () => {
    const f = path.join(root, 'afile');
    writeFileSync(f, 'x');
    await expect(ensurePrivateDir(f)).rejects.toThrow();
  });
});

describe('writeFileAtomic', () => {
  it('writes a 0600 file, replaces the previous content and leaves no tmp file', async () => {
    const dir = path.join(root, 'atomic');
    await ensurePrivateDir(dir);
    const target = path.join(dir, 'index.sqlite');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, Buffer.from('two'));
    expect(readFileSync(target, 'utf8')).toBe('two');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['index.sqlite']);
  });

  it('leaves the old file and no tmp file when the write fails', async () => {
    const dir = path.join(root, 'atomic-fail');
    await ensurePrivateDir(dir);
    const target = path.join(dir, 'x');
    await writeFileAtomic(target, 'old');
    mkdirSync(path.join(dir, 'y'));
    // Renaming a file over a directory fails after the tmp file was written.
    await expect(writeFileAtomic(path.join(dir, 'y'), 'new')).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['x', 'y']);
    expect(readFileSync(target, 'utf8')).toBe('old');
  });

  it('removeStaleTmpFiles removes only its own tmp pattern', async () => {
    const dir = path.join(root, 'stale');
    await ensurePrivateDir(dir);
    const target = path.join(dir, 'index.sqlite');
    writeFileSync(`${target}.123-0badf00d.tmp`, '');
    writeFileSync(`${target}.keep.tmp`, '');
    writeFileSync(target, '');
    expect(await removeStaleTmpFiles(target)).toEqual([`${target}.123-0badf00d.tmp`]);
    expect(readdirSync(dir).sort()).toEqual(['index.sqlite', 'index.sqlite.keep.tmp']);
  });
});

describe('a sparse atomic write', () => {
  it('reads back byte for byte, whatever the zero blocks, offsets and tail', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.constant(2)), { maxLength: 24 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 300 }),
        async (kinds, offset, tail) => {
          // Blocks of 256 bytes: all zero (0), one non-zero byte at a random spot (1), or all non-zero (2).
          const backing = new Uint8Array(offset + kinds.length * 256 + tail);
          const data = backing.subarray(offset);
          kinds.forEach((k, i) => {
            if (k === 1) data[i * 256 + ((i * 37) % 256)] = 7;
            if (k === 2) data.fill(9, i * 256, (i + 1) * 256);
          });
          if (tail > 0 && kinds.length % 2 === 1) data[data.length - 1] = 5;
          const target = path.join(root, `sparse-${kinds.length}-${offset}-${tail}.db`);
          await writeFileAtomic(target, data, { sparseBlock: 256 });
          expect(Buffer.compare(readFileSync(target), Buffer.from(data))).toBe(0);
          for (const [from, to] of nonZeroRuns(data, 256)) {
            expect(from % 256).toBe(0);
            expect(to === data.length || to % 256 === 0).toBe(true);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes only the non-zero blocks: a mostly empty 8 MiB file takes little space', async () => {
    const data = new Uint8Array(8 * 2 ** 20);
    data.fill(1, 0, 4096); // a header page
    data.fill(2, 4 * 2 ** 20, 4 * 2 ** 20 + 8192); // two pages in the middle; the end stays zero
    expect(nonZeroRuns(data, 4096)).toEqual([
      [0, 4096],
      [4 * 2 ** 20, 4 * 2 ** 20 + 8192],
    ]);
    const sparse = path.join(root, 'reserve-sparse.db');
    const dense = path.join(root, 'reserve-dense.db');
    await writeFileAtomic(sparse, data, { sparseBlock: 4096 });
    await writeFileAtomic(dense, data);
    expect(statSync(sparse).size).toBe(data.length);
    expect(Buffer.compare(readFileSync(sparse), Buffer.from(data))).toBe(0);
    // Blocks allocated (512-byte units): the three written pages and file-system overhead, not 8 MiB (the dense
    // copy's). A file system without holes would allocate it all: this test says so rather than pass.
    expect(statSync(dense).blocks * 512).toBeGreaterThanOrEqual(data.length);
    expect(statSync(sparse).blocks * 512).toBeLessThan(256 * 1024);
  });
});
