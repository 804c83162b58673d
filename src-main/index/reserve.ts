// The bytes of an empty SQLite database whose file already holds `bytes` of free pages (a freelist), written out
// here rather than by SQLite: a new index partition opens from them (db.ts), so its rows fill pages that exist
// instead of growing the file. sql.js keeps a database file in a typed array that it grows by copying into one
// 1.125× larger; filling an 8 MiB partition that way allocated and copied ~70 MiB, and making the free pages with
// SQLite (a dropped zeroblob) grew the file the same way. The layout follows the SQLite file format (the
// database header, an empty schema table on page 1, freelist trunk pages each followed by their leaf pages);
// tests/unit/index-reserve.test.ts checks it with SQLite's own integrity check.
import { statfs } from 'node:fs/promises';

const PAGE_SIZE = 4096;
/** Leaf pages per freelist trunk: the limit every SQLite version reads (usable size / 4 - 8). */
const LEAVES_PER_TRUNK = PAGE_SIZE / 4 - 8;
const MAGIC = 'SQLite format 3\0';

/** The most a new file reserves, whatever the cap asked for (a partition without a size cap grows as before). */
export const RESERVE_MAX_BYTES = 32 * 2 ** 20;

export function reservedDatabase(bytes: number): Uint8Array {
  const want = Number.isFinite(bytes) ? Math.min(bytes, RESERVE_MAX_BYTES) : RESERVE_MAX_BYTES;
  const pages = Math.max(2, Math.ceil(want / PAGE_SIZE));
  const buf = new Uint8Array(pages * PAGE_SIZE);
  const v = new DataView(buf.buffer);
  for (let i = 0; i < MAGIC.length; i++) buf[i] = MAGIC.charCodeAt(i);
  v.setUint16(16, PAGE_SIZE);
  buf[18] = 1; // file format write version: legacy (rollback journal)
  buf[19] = 1; // read version
  buf[20] = 0; // bytes reserved per page
  buf[21] = 64; // payload fractions (fixed values)
  buf[22] = 32;
  buf[23] = 32;
  v.setUint32(24, 1); // file change counter
  v.setUint32(28, pages); // database size in pages (valid: see offset 92)
  v.setUint32(32, 2); // first freelist trunk page
  v.setUint32(36, pages - 1); // freelist pages
  v.setUint32(44, 4); // schema format
  v.setUint32(56, 1); // text encoding: UTF-8
  v.setUint32(92, 1); // version-valid-for: the change counter above
  v.setUint32(96, 3_046_000); // the SQLite version that wrote it (informational)
  buf[100] = 0x0d; // page 1: the schema table, an empty table b-tree leaf
  v.setUint16(105, PAGE_SIZE); // its cell content area starts at the end of the page
  for (let trunk = 2; trunk <= pages;) {
    const leaves = Math.min(LEAVES_PER_TRUNK, pages - trunk);
    const next = trunk + leaves + 1;
    const at = (trunk - 1) * PAGE_SIZE;
    v.setUint32(at, next <= pages ? next : 0);
    v.setUint32(at + 4, leaves);
    for (let i = 0; i < leaves; i++) v.setUint32(at + 8 + 4 * i, trunk + 1 + i);
    trunk = next;
  }
  return buf;
}

/**
 * How much a new partition in `dir` may reserve: `bytes`, unless the disk is short of space (less than 16 times
 * that free, or unknown). The reserved pages are written to disk with the file, and on a nearly full disk they
 * would take the room the session files need.
 */
export async function affordableReserve(dir: string, bytes: number): Promise<number> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize >= 16 * bytes ? bytes : 0;
  } catch {
    return 0;
  }
}
