// Per-partition term filters (issue #11: a rare word must not open every partition). Beside each closed partition
// `part-NNNNNN.db` lies `part-NNNNNN.terms`: a blocked Bloom filter over the FTS vocabulary of the partition (the
// terms as the FTS index stores them, read back through fts4aux) and over every prefix of a term up to
// MAX_PREFIX characters, so the prefix word a search ends with is decided too. Search opens a closed partition only
// when the filter says it may hold every term of the query. A filter can only say "maybe" wrongly, never "no":
// query words are split by the FTS table's own tokenizer (fts3tokenize with the arguments of schema.ts), the last
// token is always taken as a prefix (a prefix holds whenever the exact term does), a query of any other shape, a
// token too short or none at all decides nothing, and a missing, stale or corrupt filter (checked by SHA-1, by
// partition id, and by the partition having grown since it was built) means "open it" — then the filter is
// written again from the loaded partition. Closed partitions only lose rows, so a filter stays a superset.
// Size and error rate: 12 bits per key and 8 bit probes inside one 512-bit block (one 64-byte read per key) give
// ≈0.5 % false positives for a whole word and ≈1.2 % for a prefix word (two keys asked); a standard Bloom filter
// at 12 bits/key would give 0.3 %. So a rare word opens about one needless partition per 100-200. Measured on a
// 10,000-request partition of the history bench (28 MB): 39,806 terms + their prefixes = 154,417 keys, a 232 KB
// file; building it (fts4aux + hashing) ≈350 ms CPU at close, asking it ≈0.2 ms, against ≈270 ms CPU to open the
// partition (the FTS query itself: ≈12 ms).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { IndexStore } from './db.js';
import { SCHEMA_SQL } from './schema.js';
import { writeFileAtomic } from '../storage/fsutil.js';

const MAGIC = 0x4654524c; // "LRTF" little-endian
const FORMAT = 1;
/** magic, format, partition, blocks, requests, keys (u32 each), last_at (f64), SHA-1 of the rest (20). */
const HEADER = 52;
const BLOCK_BYTES = 64;
const BLOCK_BITS = BLOCK_BYTES * 8;
const BITS_PER_KEY = 12;
const PROBES = 8;
/** Prefixes are kept up to this many characters; a longer query prefix is decided by its first MAX_PREFIX. */
export const MAX_PREFIX = 10;

/** The summary row of a partition that a filter is checked against. */
export interface FilterPart {
  id: number;
  requests: number;
  last_at: number | null;
}

/** The tokens a query needs in a partition: all `exact` ones, and one starting with `prefix` (if not null). */
export interface QueryTerms {
  exact: string[];
  prefix: string | null;
}

export function termsFile(dataDir: string, id: number): string {
  return path.join(dataDir, 'index', `part-${String(id).padStart(6, '0')}.terms`);
}

/** A 32-bit murmur3-style hash of a string's UTF-16 units. */
function hash(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) {
    let c = Math.imul(s.charCodeAt(i), 0xcc9e2d51);
    c = Math.imul((c << 15) | (c >>> 17), 0x1b873593);
    h ^= c;
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  h ^= s.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The block of a key and its PROBES bit positions inside it (double hashing; odd step, so all distinct). */
function probes(key: string, blocks: number): { block: number; bits: number[] } {
  const h2 = hash(key, 0x5bd1e995);
  const a = h2 & (BLOCK_BITS - 1);
  const b = ((h2 >>> 9) & (BLOCK_BITS - 1)) | 1;
  const bits: number[] = [];
  for (let i = 0; i < PROBES; i++) bits.push((a + i * b) & (BLOCK_BITS - 1));
  return { block: hash(key, 0x9747b28c) % blocks, bits };
}

const exactKey = (t: string): string => `=${t}`;
const prefixKey = (p: string): string => `>${p}`;

/** The filter's keys for one term: itself, and its proper prefixes of up to MAX_PREFIX characters. */
function addKeys(term: string, prefixes: Set<string>): void {
  const cps = Array.from(term);
  let p = '';
  for (let i = 0; i < Math.min(cps.length - 1, MAX_PREFIX); i++) {
    p += cps[i]!;
    prefixes.add(p);
  }
}

/** The filter file of a partition's vocabulary (terms as stored by the FTS index). */
export function buildFilter(part: FilterPart, terms: Iterable<string>): Buffer {
  const exact: string[] = [];
  const prefixes = new Set<string>();
  for (const t of terms) {
    exact.push(t);
    addKeys(t, prefixes);
  }
  const keys = exact.length + prefixes.size;
  const blocks = Math.max(1, Math.ceil((keys * BITS_PER_KEY) / BLOCK_BITS));
  const buf = Buffer.alloc(HEADER + blocks * BLOCK_BYTES);
  const set = (key: string): void => {
    const { block, bits } = probes(key, blocks);
    const base = HEADER + block * BLOCK_BYTES;
    for (const bit of bits) buf[base + (bit >>> 3)]! |= 1 << (bit & 7);
  };
  for (const t of exact) set(exactKey(t));
  for (const p of prefixes) set(prefixKey(p));
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(FORMAT, 4);
  buf.writeUInt32LE(part.id, 8);
  buf.writeUInt32LE(blocks, 12);
  buf.writeUInt32LE(part.requests, 16);
  buf.writeUInt32LE(keys, 20);
  buf.writeDoubleLE(part.last_at ?? -1, 24);
  digest(buf).copy(buf, 32);
  return buf;
}

function digest(buf: Buffer): Buffer {
  return createHash('sha1').update(buf.subarray(0, 32)).update(buf.subarray(HEADER)).digest();
}

/** Every term of the partition's FTS index (fts4aux, all columns). */
export function vocabulary(store: IndexStore): string[] {
  return store.scratch((db) => {
    db.exec('CREATE VIRTUAL TABLE IF NOT EXISTS temp.lr_vocab USING fts4aux(main, request_text)');
    const st = db.prepare(`SELECT term FROM temp.lr_vocab WHERE col = '*'`);
    const out: string[] = [];
    try {
      while (st.step()) out.push(String(st.get()[0]));
    } finally {
      st.free();
    }
    return out;
  });
}

/** The arguments of the FTS table's tokenizer, as schema.ts declares it (e.g. `unicode61`). */
function tokenizerArgs(): string[] | null {
  const m = /request_text USING fts4\([^)]*tokenize=([^,)]+)/.exec(SCHEMA_SQL);
  if (!m) return null;
  return m[1]!
    .trim()
    .split(/\s+/)
    .map((a) => a.replace(/^["']|["']$/g, ''));
}

/**
 * What a MATCH string of queries.ts ftsQuery (`"w1" "w2" … "wn*"`: an AND of quoted words) needs in a partition,
 * split by the table's own tokenizer; null when the filter cannot decide it (another shape, a token-less word).
 */
export function queryTerms(tokenizerDb: IndexStore, fts: string): QueryTerms | null {
  if (!/^"[^"*]+\*?"(?: "[^"*]+\*?")*$/.test(fts)) return null;
  const args = tokenizerArgs();
  if (!args) return null;
  const phrases = [...fts.matchAll(/"([^"*]+)\*?"/g)].map((m) => m[1]!);
  const split = tokenizerDb.scratch((db) => {
    db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS temp.lr_tok USING fts3tokenize(${args.map((a) => `'${a.replace(/'/g, "''")}'`).join(', ')})`,
    );
    return phrases.map((p) => {
      const r = db.exec('SELECT token FROM temp.lr_tok WHERE input = ? ORDER BY position', [p]);
      return (r[0]?.values ?? []).map((v) => String(v[0]));
    });
  });
  if (split.some((t) => t.length === 0)) return null;
  const tokens = split.flat();
  const prefix = tokens.pop()!;
  return { exact: tokens, prefix };
}

interface Known {
  /** Identity of the file checked: size and mtime (a rewritten file is checked again). */
  stamp: string;
  blocks: number;
  valid: boolean;
}

/** The filters of one index directory: checks (reading only the blocks asked for), writes and removals. */
export class TermFilters {
  private readonly known = new Map<number, Known>();
  /** Partitions whose filter was missing or unusable when last asked: written once the partition is loaded. */
  private readonly wanted = new Set<number>();

  constructor(
    private readonly dataDir: string,
    private readonly readOnly: boolean,
    private readonly log?: (level: 'info' | 'warn', message: string) => void,
  ) {}

  /** False only when the partition certainly holds no row matching every term; true when unsure. */
  mayMatch(part: FilterPart, q: QueryTerms | null): boolean {
    if (!q) return true;
    let fd: number;
    try {
      fd = fs.openSync(termsFile(this.dataDir, part.id), 'r');
    } catch {
      this.wanted.add(part.id);
      return true;
    }
    try {
      const k = this.check(fd, part);
      if (!k) {
        this.wanted.add(part.id);
        return true;
      }
      const block = Buffer.alloc(BLOCK_BYTES);
      const has = (key: string): boolean => {
        const { block: b, bits } = probes(key, k.blocks);
        if (fs.readSync(fd, block, 0, BLOCK_BYTES, HEADER + b * BLOCK_BYTES) !== BLOCK_BYTES) return true;
        return bits.every((bit) => (block[bit >>> 3]! & (1 << (bit & 7))) !== 0);
      };
      if (!q.exact.every((t) => has(exactKey(t)))) return false;
      if (q.prefix === null) return true;
      const cps = Array.from(q.prefix);
      if (has(exactKey(q.prefix))) return true;
      return has(prefixKey(cps.slice(0, MAX_PREFIX).join('')));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The file open as `fd` is this partition's and intact (its checksum is verified once per version). */
  private check(fd: number, part: FilterPart): Known | null {
    const st = fs.fstatSync(fd);
    const stamp = `${st.size}:${st.mtimeMs}:${st.ino}`;
    let k = this.known.get(part.id);
    if (!k || k.stamp !== stamp) {
      const buf = Buffer.alloc(st.size);
      const n = st.size >= HEADER ? fs.readSync(fd, buf, 0, st.size, 0) : 0;
      const blocks = n >= HEADER ? buf.readUInt32LE(12) : 0;
      const valid =
        n === st.size &&
        buf.readUInt32LE(0) === MAGIC &&
        buf.readUInt32LE(4) === FORMAT &&
        buf.readUInt32LE(8) === part.id &&
        blocks > 0 &&
        st.size === HEADER + blocks * BLOCK_BYTES &&
        digest(buf).equals(buf.subarray(32, HEADER));
      k = { stamp, blocks, valid };
      if (valid) {
        // Closed partitions only shrink: one larger or newer than the filter is another partition's.
        k.valid = part.requests <= buf.readUInt32LE(16) && (part.last_at ?? -1) <= buf.readDoubleLE(24);
      }
      this.known.set(part.id, k);
    }
    return k.valid ? k : null;
  }

  /** Write the filter of a closed partition from its loaded store (at close, after a rebuild). */
  async write(part: FilterPart, store: IndexStore): Promise<void> {
    this.wanted.delete(part.id);
    if (this.readOnly) return;
    try {
      await writeFileAtomic(termsFile(this.dataDir, part.id), buildFilter(part, vocabulary(store)));
    } catch (err) {
      this.log?.('warn', `index term filter of partition ${part.id} not written: ${(err as Error).message}`);
    }
  }

  /** After a search loaded a partition whose filter was missing or unusable: write it now. */
  async repair(part: FilterPart, store: IndexStore): Promise<void> {
    if (this.wanted.has(part.id)) await this.write(part, store);
  }

  /** The partition is gone or rebuilt from scratch: its filter goes too. */
  remove(id: number): void {
    this.known.delete(id);
    this.wanted.delete(id);
    if (!this.readOnly) fs.rmSync(termsFile(this.dataDir, id), { force: true });
  }
}
