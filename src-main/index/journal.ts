// The index's statement journal (`<index>.journal`): the write batches committed since the last whole-file save,
// appended as checksummed records so a save costs the bytes of what changed, not the size of the index. A
// 16-byte header names the generation of the index file it applies to (the file's `PRAGMA user_version`); each
// record is `len u32 | seq u32 | crc32 u32 | payload`, the payload being JSON `{q: [sql…], b: [[[sqlNo, …params]]]}`.
// Readers take the longest valid prefix: a torn, corrupt or out-of-sequence record ends the journal. Threat
// model: the file is ours (0600) and only ever holds what this process committed; its bytes are validated, not
// trusted — a record that fails its checksum is never replayed.
import { constants as fsc } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { PRIVATE_FILE_MODE, isErrno, writeFileAtomic } from '../storage/fsutil.js';
import type { SqlValue, Stmt } from './types.js';

export const JOURNAL_HEADER_BYTES = 16;
const RECORD_HEAD_BYTES = 12;
const MAGIC = 0x4c524a31; // "LRJ1"
const FORMAT = 1;
/** A record longer than this is garbage, not a record (the store checkpoints long before). */
const MAX_RECORD_BYTES = 512 * 1024 * 1024;

export function journalPathFor(indexFile: string): string {
  // Never `-journal` or `-wal`: the sqlite3 CLI would take those for its own and "recover" the index with them.
  return `${indexFile}.journal`;
}

/** The generation an index file carries: its `PRAGMA user_version` (header bytes 60..63, big-endian). */
export function fileGeneration(bytes: Uint8Array): number {
  if (bytes.length < 64) return 0;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(60);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function encodeHeader(generation: number): Buffer {
  const b = Buffer.alloc(JOURNAL_HEADER_BYTES);
  b.writeUInt32BE(MAGIC, 0);
  b.writeUInt32BE(FORMAT, 4);
  b.writeUInt32BE(generation >>> 0, 8);
  b.writeUInt32BE(crc32(b.subarray(0, 12)), 12);
  return b;
}

type Encoded = number | string | null | { n: string };

/** One record holding `batches` (each one transaction), with its sequence number (1 for the first). */
export function encodeRecord(seq: number, batches: readonly Stmt[][]): Buffer {
  const sqls = new Map<string, number>();
  const b = batches.map((batch) =>
    batch.map((s) => {
      let q = sqls.get(s.sql);
      if (q === undefined) sqls.set(s.sql, (q = sqls.size));
      // JSON has no Infinity (sql.js binds NaN as NULL either way, but keep every value exact).
      const ps: Encoded[] = s.params.map((p) =>
        typeof p === 'number' && !Number.isFinite(p) ? { n: String(p) } : p,
      );
      return [q, ...ps];
    }),
  );
  const payload = Buffer.from(JSON.stringify({ q: [...sqls.keys()], b }), 'utf8');
  const head = Buffer.alloc(RECORD_HEAD_BYTES);
  head.writeUInt32BE(payload.length, 0);
  head.writeUInt32BE(seq >>> 0, 4);
  head.writeUInt32BE(crc32(payload, crc32(head.subarray(4, 8))), 8);
  return Buffer.concat([head, payload]);
}

function decodePayload(payload: Buffer): Stmt[][] {
  const { q, b } = JSON.parse(payload.toString('utf8')) as { q: string[]; b: Encoded[][][] };
  return b.map((batch) =>
    batch.map(([qi, ...ps]) => {
      const sql = q[qi as number];
      if (typeof sql !== 'string') throw new Error(`statement ${String(qi)} is not in the record`);
      const params: SqlValue[] = ps.map((p) => (typeof p === 'object' && p !== null ? Number(p.n) : p));
      return { sql, params };
    }),
  );
}

export interface JournalContents {
  generation: number;
  /** Committed batches in order (each one transaction). */
  batches: Stmt[][];
  records: number;
  /** Bytes of the valid prefix (header + whole records). */
  validBytes: number;
  /** Bytes after it: a torn or corrupt tail, ignored. */
  ignoredBytes: number;
}

/** Read a journal: null when it is missing or its header is not ours; otherwise its longest valid prefix. */
export async function readJournal(file: string): Promise<JournalContents | null> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
  if (buf.length < JOURNAL_HEADER_BYTES) return null;
  if (buf.readUInt32BE(0) !== MAGIC || buf.readUInt32BE(4) !== FORMAT) return null;
  if (buf.readUInt32BE(12) !== crc32(buf.subarray(0, 12))) return null;
  const out: JournalContents = {
    generation: buf.readUInt32BE(8),
    batches: [],
    records: 0,
    validBytes: JOURNAL_HEADER_BYTES,
    ignoredBytes: 0,
  };
  let at = JOURNAL_HEADER_BYTES;
  while (at + RECORD_HEAD_BYTES <= buf.length) {
    const len = buf.readUInt32BE(at);
    const seq = buf.readUInt32BE(at + 4);
    const end = at + RECORD_HEAD_BYTES + len;
    if (seq !== out.records + 1 || len > MAX_RECORD_BYTES || end > buf.length) break;
    const payload = buf.subarray(at + RECORD_HEAD_BYTES, end);
    if (buf.readUInt32BE(at + 8) !== crc32(payload, crc32(buf.subarray(at + 4, at + 8)))) break;
    let batches: Stmt[][];
    try {
      batches = decodePayload(payload);
    } catch {
      break; // a checksum collision on garbage; as torn as any other tail
    }
    out.batches.push(...batches);
    out.records++;
    at = end;
  }
  out.validBytes = at;
  out.ignoredBytes = buf.length - at;
  return out;
}

/** The writer's side: a journal file that starts at a generation and grows by whole, fsynced records. */
export class JournalWriter {
  /** Bytes of header + records written and synced; the next record goes exactly here. */
  size = 0;
  records = 0;

  constructor(readonly file: string) {}

  /** Replace the journal (atomically) by an empty one for `generation`. */
  async reset(generation: number): Promise<void> {
    await writeFileAtomic(this.file, encodeHeader(generation));
    this.size = JOURNAL_HEADER_BYTES;
    this.records = 0;
  }

  /**
   * Append one record and fsync it. It is written at `size`, so a failed or torn attempt is overwritten by the
   * next one; readers stop at the first record that does not check out, so a tail left behind is never read.
   */
  async append(batches: readonly Stmt[][]): Promise<number> {
    const rec = encodeRecord(this.records + 1, batches);
    let fh: FileHandle | null = null;
    try {
      fh = await open(this.file, fsc.O_WRONLY, PRIVATE_FILE_MODE);
      let off = 0;
      while (off < rec.length) {
        const { bytesWritten } = await fh.write(rec, off, rec.length - off, this.size + off);
        off += bytesWritten;
      }
      await fh.datasync();
    } finally {
      await fh?.close();
    }
    this.size += rec.length;
    this.records++;
    return rec.length;
  }
}
