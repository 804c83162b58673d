// Retention sweeper over `<dataDir>/sessions/YYYY-MM-DD/*.jsonl[.zst]`: deletes files older than max_age_days,
// compresses `.jsonl` older than compress_after_days to `.jsonl.zst` (written as `.zst.tmp`, verified by
// decompressing, then renamed; the original goes last), then deletes the oldest files until the total fits
// max_size_mb (after compression, so nothing is deleted that compression would have made fit). Age is the file's
// mtime (its last write), not its folder: a session spanning midnight lives in the folder of its first day.
// Files the caller reports open are never touched; removals are reported so the caller drops their index rows.
import { createReadStream } from 'node:fs';
import { lstat, readdir, rename, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createCompressor, hashStream } from './compression.js';
import type { Compressor } from './compression.js';
import { dayDirName, errnoCode, fsyncDir, isErrno, parseDayDirName } from './fsutil.js';
import { realTimers } from './timers.js';
import { inRange, SETTINGS, settingRule, type SettingKey } from '../../src-shared/settings.js';
import type { TimerApi } from './timers.js';

const DAY_MS = 86_400_000;
const MB = 1024 * 1024;

/** Ranges and defaults: SETTINGS['retention.*'] in src-shared/settings.ts. */
export interface RetentionPolicy {
  /** Delete files whose last write is older than this many days. */
  maxAgeDays: number;
  /** Delete oldest files until the total size is at most this many MiB. */
  maxSizeMb: number;
  /** Compress `.jsonl` files whose last write is older than this many days. 0 = never. */
  compressAfterDays: number;
}

const POLICY_KEYS = {
  maxAgeDays: 'retention.max_age_days',
  maxSizeMb: 'retention.max_size_mb',
  compressAfterDays: 'retention.compress_after_days',
} as const satisfies Record<keyof RetentionPolicy, SettingKey>;

export const DEFAULT_RETENTION: RetentionPolicy = {
  maxAgeDays: SETTINGS[POLICY_KEYS.maxAgeDays].default,
  maxSizeMb: SETTINGS[POLICY_KEYS.maxSizeMb].default,
  compressAfterDays: SETTINGS[POLICY_KEYS.compressAfterDays].default,
};
export const DEFAULT_RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionOptions extends Partial<RetentionPolicy> {
  dataDir: string;
  /** True while the recorder may still write the file (it is then never deleted or compressed). */
  isOpen?: (filePath: string) => boolean;
  /** Files deleted by this sweep (once per sweep, if any): drop their index rows. */
  onRemoved?: (paths: string[]) => void | Promise<void>;
  /** A file was replaced by its compressed version: repoint index rows from `from` to `to`. */
  onCompressed?: (from: string, to: string) => void | Promise<void>;
  compressor?: Compressor;
  now?: () => number;
}

export interface RetentionReport {
  removed: string[];
  compressed: Array<{ from: string; to: string; bytesIn: number; bytesOut: number }>;
  removedDirs: string[];
  skippedOpen: string[];
  errors: Array<{ path: string; code: string; message: string }>;
  bytesBefore: number;
  bytesAfter: number;
  ms: number;
}

interface Entry {
  path: string;
  size: number;
  mtimeMs: number;
  atimeMs: number;
}

/** Check a policy once at the edge, against the settings' ranges; messages name the config key and unit. */
export function validateRetentionPolicy(p: Partial<RetentionPolicy>): RetentionPolicy {
  const out = { ...DEFAULT_RETENTION, ...p };
  for (const [k, key] of Object.entries(POLICY_KEYS)) {
    const v = out[k as keyof RetentionPolicy];
    if (!inRange(SETTINGS[key], v)) throw new Error(`${key} must be ${settingRule(SETTINGS[key])}, got ${v}`);
  }
  return out;
}

let defaultCompressor: Compressor | undefined;

/** One sweep. Never throws for a single file's failure: those land in `errors`. */
export async function sweepRetention(options: RetentionOptions): Promise<RetentionReport> {
  const t0 = performance.now();
  const policy = validateRetentionPolicy(options);
  const now = (options.now ?? Date.now)();
  const isOpen = options.isOpen ?? (() => false);
  const compressor = options.compressor ?? (defaultCompressor ??= createCompressor());
  const report: RetentionReport = {
    removed: [],
    compressed: [],
    removedDirs: [],
    skippedOpen: [],
    errors: [],
    bytesBefore: 0,
    bytesAfter: 0,
    ms: 0,
  };
  const fail = (p: string, err: unknown): void => {
    report.errors.push({
      path: p,
      code: errnoCode(err),
      message: err instanceof Error ? err.message : String(err),
    });
  };
  const skipOpen = (p: string): boolean => {
    if (!isOpen(p)) return false;
    if (!report.skippedOpen.includes(p)) report.skippedOpen.push(p);
    return true;
  };
  const remove = async (e: Entry): Promise<boolean> => {
    try {
      await unlink(e.path);
      report.removed.push(e.path);
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return true;
      fail(e.path, err);
      return false;
    }
  };

  const sessionsDir = path.join(options.dataDir, 'sessions');
  const dayDirs = await listDayDirs(sessionsDir, fail);
  let files: Entry[] = [];
  for (const dir of dayDirs)
    files.push(...(await listFiles(dir, fail, async (tmp) => void (await unlinkQuiet(tmp)))));
  report.bytesBefore = files.reduce((s, f) => s + f.size, 0);

  // A crash between "rename .zst into place" and "delete the .jsonl" leaves both: finish that job first.
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const f of files) {
    const zst = byPath.get(`${f.path}.zst`);
    if (!f.path.endsWith('.jsonl') || !zst || skipOpen(f.path)) continue;
    try {
      const [a, b] = await Promise.all([
        hashStream(createReadStream(f.path)),
        hashStream(compressor.decompressStream(zst.path)),
      ]);
      if (a.sha256 === b.sha256) {
        await unlink(f.path);
        byPath.delete(f.path);
        await options.onCompressed?.(f.path, zst.path);
      } else {
        await unlink(zst.path); // stale or partial: compress again below
        byPath.delete(zst.path);
      }
    } catch (err) {
      fail(f.path, err);
    }
  }
  files = [...byPath.values()];

  // 1. Age.
  if (policy.maxAgeDays > 0) {
    const cutoff = now - policy.maxAgeDays * DAY_MS;
    const keep: Entry[] = [];
    for (const f of files) {
      if (f.mtimeMs < cutoff && !skipOpen(f.path) && (await remove(f))) continue;
      keep.push(f);
    }
    files = keep;
  }

  // 2. Compression.
  if (policy.compressAfterDays > 0) {
    const cutoff = now - policy.compressAfterDays * DAY_MS;
    for (let i = 0; i < files.length; i++) {
      const f = files[i]!;
      if (!f.path.endsWith('.jsonl') || f.mtimeMs >= cutoff || skipOpen(f.path)) continue;
      try {
        const done = await compressOne(f, compressor, isOpen);
        if (!done) {
          if (!report.skippedOpen.includes(f.path)) report.skippedOpen.push(f.path);
          continue;
        }
        files[i] = done.entry;
        report.compressed.push({
          from: f.path,
          to: done.entry.path,
          bytesIn: done.bytesIn,
          bytesOut: done.bytesOut,
        });
        await options.onCompressed?.(f.path, done.entry.path);
      } catch (err) {
        fail(f.path, err);
      }
    }
  }

  // 3. Size cap: oldest first.
  if (policy.maxSizeMb > 0) {
    let total = files.reduce((s, f) => s + f.size, 0);
    const cap = policy.maxSizeMb * MB;
    const keep = new Set(files);
    for (const f of [...files].sort((a, b) => a.mtimeMs - b.mtimeMs)) {
      if (total <= cap) break;
      if (skipOpen(f.path)) continue;
      if (await remove(f)) {
        total -= f.size;
        keep.delete(f);
      }
    }
    files = [...keep];
  }
  report.bytesAfter = files.reduce((s, f) => s + f.size, 0);

  // 4. Empty day folders, except today's and yesterday's (the writer may be about to create a file there).
  const recent = new Set([dayDirName(now), dayDirName(now - DAY_MS)]);
  for (const dir of dayDirs) {
    if (recent.has(path.basename(dir))) continue;
    try {
      if ((await readdir(dir)).length === 0) {
        await rmdir(dir);
        report.removedDirs.push(dir);
      }
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTEMPTY')) fail(dir, err);
    }
  }

  if (report.removed.length > 0) {
    try {
      await options.onRemoved?.([...report.removed]);
    } catch (err) {
      fail('onRemoved', err);
    }
  }
  report.ms = performance.now() - t0;
  return report;
}

/**
 * Compress `f` to `f.zst`: write `f.zst.tmp`, check that it decompresses to exactly the original and that the
 * original did not change meanwhile, rename into place (keeping the original mtime, so age rules still apply),
 * then delete the original. Returns null (and leaves everything as it was) if the file was reopened or changed.
 */
async function compressOne(
  f: Entry,
  compressor: Compressor,
  isOpen: (p: string) => boolean,
): Promise<{ entry: Entry; bytesIn: number; bytesOut: number } | null> {
  const dst = `${f.path}.zst`;
  const tmp = `${dst}.tmp`;
  try {
    const res = await compressor.compressFile(f.path, tmp);
    const check = await hashStream(compressor.decompressStream(tmp));
    if (check.sha256 !== res.sha256In || check.bytes !== res.bytesIn) {
      throw new Error(`verification failed: ${tmp} does not decompress to ${f.path}`);
    }
    const after = await stat(f.path);
    if (after.size !== f.size || after.mtimeMs !== f.mtimeMs || isOpen(f.path)) {
      await unlinkQuiet(tmp);
      return null;
    }
    await utimes(tmp, f.atimeMs / 1000, f.mtimeMs / 1000);
    await rename(tmp, dst);
    await fsyncDir(path.dirname(dst));
    await unlink(f.path);
    return { entry: { ...f, path: dst, size: res.bytesOut }, bytesIn: res.bytesIn, bytesOut: res.bytesOut };
  } catch (err) {
    await unlinkQuiet(tmp);
    throw err;
  }
}

async function listDayDirs(sessionsDir: string, fail: (p: string, e: unknown) => void): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(sessionsDir);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) fail(sessionsDir, err);
    return [];
  }
  return names
    .filter((n) => parseDayDirName(n) !== null)
    .sort()
    .map((n) => path.join(sessionsDir, n));
}

async function listFiles(
  dir: string,
  fail: (p: string, e: unknown) => void,
  onStaleTmp: (p: string) => Promise<void>,
): Promise<Entry[]> {
  const out: Entry[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) fail(dir, err);
    return out;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    if (name.endsWith('.jsonl.zst.tmp')) {
      await onStaleTmp(p); // an interrupted compression; the original is still there
      continue;
    }
    if (!name.endsWith('.jsonl') && !name.endsWith('.jsonl.zst')) continue;
    try {
      const st = await lstat(p);
      if (st.isFile()) out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs, atimeMs: st.atimeMs });
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) fail(p, err);
    }
  }
  return out;
}

async function unlinkQuiet(p: string): Promise<void> {
  await unlink(p).catch(() => undefined);
}

// ---------------------------------------------------------------------------------------------------------------

export interface RetentionHandle {
  /** Run a sweep now, or join the one in progress (sweeps never overlap). */
  runNow(): Promise<RetentionReport>;
  /** Stop scheduling and wait for a sweep in progress. */
  stop(): Promise<void>;
}

export interface StartRetentionOptions extends RetentionOptions {
  intervalMs?: number;
  timers?: TimerApi;
  onReport?: (r: RetentionReport) => void;
  /** A sweep failed as a whole (e.g. an invalid policy or a throwing callback outside a file operation). */
  onError?: (err: unknown) => void;
}

/** Sweep at start-up and then every `intervalMs` (default 1 h), measured from the end of the previous sweep. */
export function startRetention(options: StartRetentionOptions): RetentionHandle {
  validateRetentionPolicy(options);
  const timers = options.timers ?? realTimers;
  const intervalMs = options.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1000) {
    throw new Error(`retention interval must be ≥ 1000 ms (got ${intervalMs})`);
  }
  let running: Promise<RetentionReport> | undefined;
  let timer: unknown;
  let stopped = false;

  const schedule = (): void => {
    if (stopped) return;
    timer = timers.setTimeout(() => {
      timer = undefined;
      void runNow().catch(() => undefined);
    }, intervalMs);
  };

  const runNow = (): Promise<RetentionReport> => {
    if (running) return running;
    if (timer !== undefined) {
      timers.clearTimeout(timer);
      timer = undefined;
    }
    running = sweepRetention(options)
      .then((r) => {
        options.onReport?.(r);
        return r;
      })
      .catch((err: unknown) => {
        options.onError?.(err);
        throw err;
      })
      .finally(() => {
        running = undefined;
        schedule();
      });
    return running;
  };

  void runNow().catch(() => undefined);
  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
