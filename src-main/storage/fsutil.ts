// File-system primitives shared by the storage layer: private directories (0700), atomic private files (0600),
// and turning client-supplied ids into safe single path segments. Threat model: ids come from request headers
// and bodies of any local client, so they are never trusted as paths (no separators, no dots, bounded length);
// recordings contain prompts and code, so nothing we create is readable by other local users.
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const SAFE_ID = /^[A-Za-z0-9_-]{1,255}$/;
const TMP_SUFFIX = '.tmp';

/** mkdir -p with mode 0700; an existing leaf directory with wider permissions is tightened to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (process.platform === 'win32') return; // POSIX modes are meaningless there; ACLs are the shell's job.
  const st = await stat(dir);
  if (!st.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  // Only our own directories: never re-mode someone else's (or a system) directory we were pointed at.
  const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (mine && (st.mode & 0o777) !== PRIVATE_DIR_MODE) await chmod(dir, PRIVATE_DIR_MODE);
}

/**
 * Map any client-supplied id to `[A-Za-z0-9_-]{1,255}`. Safe ids pass unchanged; anything else has its unsafe
 * characters replaced by `_` and a hash of the original appended, so two different unsafe ids never collide
 * with each other or with a safe id of the same shape. The result never contains `.` or a separator.
 */
export function sanitizeId(raw: string): string {
  if (SAFE_ID.test(raw)) return raw;
  const hash = createHash('sha256').update(raw, 'utf8').digest('hex').slice(0, 16);
  const cleaned = raw.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 200);
  return cleaned.replace(/_/g, '') === '' ? `id-${hash}` : `${cleaned}-${hash}`;
}

export function isSafeId(s: string): boolean {
  return SAFE_ID.test(s);
}

/**
 * Join path segments under `base`, refusing anything that could escape it: each segment must be a safe id or a
 * plain file name built from one (`<id>.jsonl`), never empty, `.`/`..` or containing a separator.
 */
export function safeJoin(base: string, ...segments: string[]): string {
  for (const seg of segments) {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,254}$/.test(seg) || seg.includes('..')) {
      throw new Error(
        `unsafe path segment ${JSON.stringify(seg.slice(0, 80))}: sanitize ids with sanitizeId()`,
      );
    }
  }
  const joined = path.join(base, ...segments);
  const rel = path.relative(base, joined);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`path escapes ${base}`);
  return joined;
}

/** `YYYY-MM-DD` (UTC) for the daily session folders. */
export function dayDirName(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/** Parse a `YYYY-MM-DD` folder name to the UTC epoch ms of its midnight, or null if it is not one. */
export function parseDayDirName(name: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(name)) return null;
  const ms = Date.parse(`${name}T00:00:00Z`);
  return Number.isNaN(ms) || dayDirName(ms) !== name ? null : ms;
}

/** fsync a directory so a rename/create inside it survives a power cut. Not supported on Windows: skipped. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, fsc.O_RDONLY);
  try {
    await fh.sync();
  } catch (err) {
    // Some file systems refuse fsync on a directory; the rename itself already happened.
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'EISDIR')) throw err;
  } finally {
    await fh.close();
  }
}

/** Name of a temporary sibling used by writeFileAtomic (recognised by removeStaleTmpFiles). */
export function tmpSiblingName(target: string): string {
  return `${target}.${process.pid}-${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
}

/**
 * Write `data` to `target` atomically with mode 0600: a temp file in the same directory, fsync, rename over the
 * target, fsync the directory. A reader (or a crash) sees either the old file or the new one, never a mix.
 */
export async function writeFileAtomic(
  target: string,
  data: Uint8Array | string,
  opts: {
    /**
     * Leave every all-zero block of this many bytes (aligned) unwritten: the file reads the same, but those
     * blocks are holes (no bytes written, no space used where the file system supports it). An index file's
     * reserve of free pages is mostly such blocks.
     */
    sparseBlock?: number;
  } = {},
): Promise<void> {
  const tmp = tmpSiblingName(target);
  const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE);
  let renamed = false;
  try {
    try {
      if (opts.sparseBlock && typeof data !== 'string') {
        for (const [from, to] of nonZeroRuns(data, opts.sparseBlock))
          await fh.write(data, from, to - from, from);
        await fh.truncate(data.length);
      } else await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    renamed = true;
    await fsyncDir(path.dirname(target));
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}

/** [start, end) byte ranges of `data` made of `block`-sized blocks that are not all zero (the last may be short). */
export function nonZeroRuns(data: Uint8Array, block: number): [number, number][] {
  const runs: [number, number][] = [];
  // Four bytes at a time where the view allows it.
  const words =
    data.byteOffset % 4 === 0 && block % 4 === 0
      ? new Uint32Array(data.buffer, data.byteOffset, Math.floor(data.length / 4))
      : null;
  const zero = (from: number, to: number): boolean => {
    if (words) {
      const end = Math.floor(to / 4);
      for (let i = from / 4; i < end; i++) if (words[i] !== 0) return false;
      for (let i = end * 4; i < to; i++) if (data[i] !== 0) return false;
      return true;
    }
    for (let i = from; i < to; i++) if (data[i] !== 0) return false;
    return true;
  };
  let start = -1;
  for (let at = 0; at < data.length; at += block) {
    const end = Math.min(at + block, data.length);
    if (!zero(at, end)) {
      if (start < 0) start = at;
    } else if (start >= 0) {
      runs.push([start, at]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, data.length]);
  return runs;
}

/** Remove `<target>.<pid>-<hex>.tmp` leftovers of a crashed writeFileAtomic. Returns the removed paths. */
export async function removeStaleTmpFiles(target: string): Promise<string[]> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  const re = new RegExp(`^${escapeRegExp(base)}\\.\\d+-[0-9a-f]{8}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!re.test(name)) continue;
    const p = path.join(dir, name);
    await unlink(p).catch(() => undefined);
    removed.push(p);
  }
  return removed;
}

export function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export function errnoCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'EUNKNOWN';
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
