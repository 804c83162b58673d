// Worker body for zstd-codec compression: reads `src` in 64 KiB slices, feeds the low-level WASM stream binding
// and writes `dst` (0600, fsync'd), hashing the input on the way so the caller can verify the result. It runs in
// a worker because zstd-codec costs ~20 ms of CPU per MB and would otherwise stall the proxy's event loop.
// Started through worker-script.ts, like every worker; zstd-codec's path comes in workerData.
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type { ZstdBinding } from 'zstd-codec/lib/module.js';

export interface ZstdWorkerInput {
  modulePath: string;
  src: string;
  dst: string;
  level: number;
  chunkSize: number;
}

export type ZstdWorkerResult =
  | { ok: true; bytesIn: number; bytesOut: number; sha256In: string }
  | { ok: false; message: string; code?: string };

function compress(binding: ZstdBinding, input: ZstdWorkerInput): ZstdWorkerResult {
  const inFd = openSync(input.src, 'r');
  let outFd: number | undefined;
  const stream = new binding.ZstdCompressStreamBinding();
  try {
    outFd = openSync(input.dst, 'w', 0o600);
    const fd = outFd;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(input.chunkSize);
    let bytesIn = 0;
    let bytesOut = 0;
    const onOutput = (piece: Uint8Array): void => {
      // `piece` is a view into WASM memory: write it out before the binding reuses it.
      let off = 0;
      while (off < piece.length) off += writeSync(fd, piece, off, piece.length - off);
      bytesOut += piece.length;
    };
    if (!stream.begin(input.level)) throw new Error('zstd: begin failed');
    for (;;) {
      const n = readSync(inFd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      bytesIn += n;
      if (!stream.transform(chunk, onOutput)) throw new Error('zstd: compress transform failed');
    }
    if (!stream.end(onOutput)) throw new Error('zstd: compress end failed');
    fsyncSync(fd);
    return { ok: true, bytesIn, bytesOut, sha256In: hash.digest('hex') };
  } finally {
    stream.delete();
    closeSync(inFd);
    if (outFd !== undefined) closeSync(outFd);
  }
}

const input = workerData as ZstdWorkerInput;
const mod = createRequire(import.meta.url)(input.modulePath) as { run(f: (b: ZstdBinding) => void): void };
mod.run((binding) => {
  let result: ZstdWorkerResult;
  try {
    result = compress(binding, input);
  } catch (err) {
    const e = err as { message?: unknown; code?: unknown };
    result = {
      ok: false,
      message: String(e.message ?? err),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
    };
  }
  parentPort?.postMessage(result);
});
