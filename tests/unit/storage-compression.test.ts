// zstd compression: byte-exact interop with the Debian `zstd` CLI in both directions (including a 20 MB file),
// private file modes, and that compressing 50 MB leaves the event loop responsive.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createCompressor,
  hasNativeZstd,
  hashStream,
  looksLikeZstd,
} from '../../src-main/storage/compression.js';
import type { CompressorImpl } from '../../src-main/storage/compression.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lr-zstd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Deterministic JSONL-ish content of about `bytes` bytes (compresses like real recordings, ratio ~5–10). */
function makeJsonl(bytes: number, seed = 1): Buffer {
  let x = seed;
  const rnd = (): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  const words = [
    'tool_use',
    'assistant',
    'function',
    'const',
    'return',
    'import',
    'claude',
    'stream',
    'delta',
  ];
  const parts: string[] = [];
  let size = 0;
  let i = 0;
  while (size < bytes) {
    const text = Array.from({ length: 8 + (rnd() % 24) }, () => words[rnd() % words.length]).join(' ');
    const line = JSON.stringify({ type: 'response_delta', seq: i++, id: rnd().toString(36), text }) + '\n';
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

const impls: CompressorImpl[] = hasNativeZstd() ? ['node-zlib', 'zstd-codec'] : ['zstd-codec'];

describe.each(impls)('compressor %s', (impl) => {
  const c = createCompressor({ impl });

  it('writes a 0600 file that `zstd -d` decompresses byte-exactly (20 MB)', async () => {
    const src = path.join(tmp, `${impl}-20m.jsonl`);
    const data = makeJsonl(20 * 1024 * 1024);
    writeFileSync(src, data);
    const dst = `${src}.zst`;
    const res = await c.compressFile(src, dst);
    expect(res.bytesIn).toBe(data.length);
    expect(res.bytesOut).toBe(statSync(dst).size);
    expect(statSync(dst).mode & 0o777).toBe(0o600);
    expect(looksLikeZstd(readFileSync(dst).subarray(0, 4))).toBe(true);
    const out = execFileSync('zstd', ['-d', '-c', '-q', dst], { maxBuffer: 64 * 1024 * 1024 });
    expect(out.equals(data)).toBe(true);
    const mbps = data.length / 1024 / 1024 / (res.ms / 1000);
    console.log(
      `[${impl}] 20 MB: ${res.ms.toFixed(0)} ms (${mbps.toFixed(1)} MB/s), ratio ${(data.length / res.bytesOut).toFixed(1)}`,
    );
  });

  it('reads `zstd` CLI output byte-exactly (20 MB, streamed and readAll)', async () => {
    const src = path.join(tmp, `${impl}-cli.jsonl`);
    const data = makeJsonl(20 * 1024 * 1024, 7);
    writeFileSync(src, data);
    execFileSync('zstd', ['-q', '-f', '-3', src, '-o', `${src}.zst`]);
    const all = await c.readAll(`${src}.zst`);
    expect(all.equals(data)).toBe(true);
    const { sha256, bytes } = await hashStream(c.decompressStream(`${src}.zst`));
    expect(bytes).toBe(data.length);
    expect(sha256).toBe((await hashStream([data])).sha256);
  });

  it('reads multi-frame files (two concatenated zstd frames)', async () => {
    const a = path.join(tmp, `${impl}-a.txt`);
    const b = path.join(tmp, `${impl}-b.txt`);
    writeFileSync(a, 'first frame\n');
    writeFileSync(b, 'second frame\n');
    const za = execFileSync('zstd', ['-q', '-c', a]);
    const zb = execFileSync('zstd', ['-q', '-c', b]);
    const cat = path.join(tmp, `${impl}-cat.zst`);
    writeFileSync(cat, Buffer.concat([za, zb]));
    expect((await c.readAll(cat)).toString()).toBe('first frame\nsecond frame\n');
  });

  it('compresses an empty file into a valid frame', async () => {
    const src = path.join(tmp, `${impl}-empty.jsonl`);
    writeFileSync(src, '');
    await c.compressFile(src, `${src}.zst`);
    expect(execFileSync('zstd', ['-d', '-c', '-q', `${src}.zst`]).length).toBe(0);
    expect((await c.readAll(`${src}.zst`)).length).toBe(0);
  });

  it('rejects a file that is not zstd', async () => {
    const bad = path.join(tmp, `${impl}-bad.zst`);
    writeFileSync(bad, 'this is not zstd at all, just text that goes on for a while');
    await expect(c.readAll(bad)).rejects.toThrow();
  });

  it('rejects a missing source file with ENOENT', async () => {
    await expect(
      c.compressFile(path.join(tmp, 'missing.jsonl'), path.join(tmp, 'x.zst')),
    ).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('keeps the event loop responsive while compressing 50 MB', async () => {
    const src = path.join(tmp, `${impl}-50m.jsonl`);
    writeFileSync(src, makeJsonl(50 * 1024 * 1024, 3));
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const res = await c.compressFile(src, `${src}.zst`);
    h.disable();
    const ms = (ns: number): string => (ns / 1e6).toFixed(1);
    console.log(
      `[${impl}] 50 MB: ${res.ms.toFixed(0)} ms (${(50 / (res.ms / 1000)).toFixed(1)} MB/s); ` +
        `event-loop delay p50 ${ms(h.percentile(50))} ms, p99 ${ms(h.percentile(99))} ms, max ${ms(h.max)} ms`,
    );
    // The compression itself takes ~1 s of CPU; the loop must never be blocked for anything close to that.
    expect(h.max / 1e6).toBeLessThan(150);
  });
});

it('refuses the native engine where this Node lacks zlib zstd', () => {
  if (hasNativeZstd()) return;
  expect(() => createCompressor({ impl: 'node-zlib' })).toThrow(/Node ≥ 22\.15/);
});
