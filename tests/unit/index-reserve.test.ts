// A new index partition opens from a file that already holds its size cap in free pages (reserve.ts): SQLite
// must read it as a sound, empty database, fill those pages before the file grows, and stay sound; a huge cap
// reserves a bounded amount.
import initSqlJs from 'sql.js';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openIndex } from '../../src-main/index/db.js';
import { affordableReserve, RESERVE_MAX_BYTES, reservedDatabase } from '../../src-main/index/reserve.js';

describe('a reserved database file', () => {
  it('is an empty, sound database whose free pages SQLite fills before it grows the file', async () => {
    const SQL = await initSqlJs();
    // A cap far above what a file should hold reserves at most RESERVE_MAX_BYTES.
    expect(reservedDatabase(1e12).length).toBe(RESERVE_MAX_BYTES);
    for (const bytes of [4096, 8192, 1_000_000, 8 * 2 ** 20]) {
      const file = reservedDatabase(bytes);
      const db = new SQL.Database(file);
      const one = (sql: string): unknown => db.exec(sql)[0]?.values[0]?.[0];
      const pages = Math.max(2, Math.ceil(bytes / 4096));
      expect(file.length).toBe(pages * 4096);
      expect(one('PRAGMA integrity_check')).toBe('ok');
      expect(one('PRAGMA page_count')).toBe(pages);
      expect(one('PRAGMA freelist_count')).toBe(pages - 1);
      expect(one('SELECT COUNT(*) FROM sqlite_master')).toBe(0);
      // Rows fill the free pages first; past them the file grows as any database does.
      db.exec('PRAGMA journal_mode = MEMORY; CREATE TABLE t (x TEXT); CREATE INDEX t_x ON t (x)');
      const insert = db.prepare('INSERT INTO t VALUES (?)');
      let rows = 0;
      while (Number(one('PRAGMA freelist_count')) > 4) {
        db.exec('BEGIN');
        for (let i = 0; i < 50; i++) insert.run([`row ${rows++} `.repeat(20)]);
        db.exec('COMMIT');
        expect(one('PRAGMA page_count')).toBe(pages);
      }
      for (let i = 0; i < 400; i++) insert.run([`more ${i} `.repeat(40)]);
      expect(Number(one('PRAGMA page_count'))).toBeGreaterThan(pages);
      db.exec('DELETE FROM t WHERE rowid % 2 = 0');
      expect(one('PRAGMA integrity_check')).toBe('ok');
      expect(one('SELECT COUNT(*) FROM t')).toBe(Math.ceil((rows + 400) / 2));
      // Written out and read again, it is the same database.
      const again = new SQL.Database(db.export());
      expect(again.exec('PRAGMA integrity_check')[0]!.values[0]![0]).toBe('ok');
      expect(again.exec('SELECT COUNT(*) FROM t')[0]!.values[0]![0]).toBe(Math.ceil((rows + 400) / 2));
      insert.free();
      again.close();
      db.close();
    }
  });

  it('is reserved only where the disk has room for it many times over', async () => {
    const free = (await import('node:fs/promises')).statfs(os.tmpdir());
    const room = Number((await free).bavail) * Number((await free).bsize);
    expect(await affordableReserve(os.tmpdir(), 8 * 2 ** 20)).toBe(
      room >= 16 * 8 * 2 ** 20 ? 8 * 2 ** 20 : 0,
    );
    expect(await affordableReserve(os.tmpdir(), room)).toBe(0);
    expect(await affordableReserve(path.join(os.tmpdir(), 'no-such-dir-lr'), 4096)).toBe(0);
  });

  it('leaves no copy of itself behind: the reserve and each export are given back at once, the file stays whole', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-release-'));
    const file = path.join(dir, 'part.db');
    const MiB = 2 ** 20;
    const buffers = (): number => process.memoryUsage().arrayBuffers;
    try {
      // sql.js's own copy of the file (its in-memory file system) is the only one that may stay.
      let before = buffers();
      const first = (await openIndex(file, { reserveBytes: 8 * MiB })).db;
      expect(buffers() - before).toBeLessThan(10 * MiB);
      first.runSync([{ sql: `INSERT INTO meta (key, value) VALUES ('k', 'v')`, params: [] }]);
      before = buffers();
      await first.save(); // a new file: written whole (an export)
      expect(first.checkpoints).toBe(1);
      expect(buffers() - before).toBeLessThan(2 * MiB);
      await first.close(); // nothing journaled since: no export
      before = buffers();
      const again = (await openIndex(file)).db;
      expect(buffers() - before).toBeLessThan(10 * MiB);
      expect(again.querySync(`SELECT value FROM meta WHERE key = 'k'`)).toEqual([{ value: 'v' }]);
      await again.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
