// zstd compression of recordings behind one interface with two engines: Node's built-in zlib zstd (Node ≥ 22.15,
// i.e. inside Electron; runs on the libuv thread pool) and zstd-codec's WASM stream binding elsewhere (Node 20).
// zstd-codec compression runs in a worker thread (zstd-worker.ts) so a 50 MB file never stalls the proxy;
// its decompression runs on the calling thread in 64 KiB slices that yield to the event loop between slices.
// Both engines produce and read standard zstd frames (the `zstd` CLI reads ours and we read its output).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';
import type { ZstdBinding } from 'zstd-codec/lib/module.js';
import { PRIVATE_FILE_MODE } from './fsutil.js';
import { workerScript } from '../worker-script.js';
import type { ZstdWorkerInput, ZstdWorkerResult } from './zstd-worker.js';

export type CompressorImpl = 'node-zlib' | 'zstd-codec';

export interface CompressResult {
  bytesIn: number;
  bytesOut: number;
  /** sha256 (hex) of the uncompressed input, to verify a decompression against. */
  sha256In: string;
  /** Wall time of the whole operation, ms. */
  ms: number;
}

export interface Compressor {
  readonly impl: CompressorImpl;
  /** Compress `src` into `dst` (created/truncated with mode 0600 and fsync'd). Does not touch `src`. */
  compressFile(src: string, dst: string): Promise<CompressResult>;
  /** Stream the decompressed content of a zstd file. */
  decompressStream(src: string): Readable;
  /** Decompress a whole (small) zstd file into memory. */
  readAll(src: string): Promise<Buffer>;
}

export interface CompressorOptions {
  /** 'auto' (default) picks node-zlib when this Node has it, zstd-codec otherwise. */
  impl?: 'auto' | CompressorImpl;
  /** zstd level, 1–9 (default 3: ~50 MB/s with zstd-codec, ratio ~7 on JSONL). */
  level?: number;
  /** Absolute path of zstd-codec's `lib/module.js` (injectable for packaged apps). */
  zstdCodecModulePath?: string;
}

/** Slice size for reading/feeding zstd-codec: its WASM heap is a fixed 16 MiB, keep pieces small. */
export const ZSTD_CHUNK = 64 * 1024;
const DECOMPRESS_SLICE = 16 * 1024;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

export function hasNativeZstd(): boolean {
  return typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';
}

/** True when the buffer starts with a zstd frame magic number. */
export function looksLikeZstd(head: Uint8Array): boolean {
  return head.length >= 4 && Buffer.from(head.buffer, head.byteOffset, 4).equals(ZSTD_MAGIC);
}

export function createCompressor(opts: CompressorOptions = {}): Compressor {
  const level = opts.level ?? 3;
  if (!Number.isInteger(level) || level < 1 || level > 19) {
    throw new Error(`compression level must be an integer 1–19 (got ${String(opts.level)})`);
  }
  const impl = opts.impl ?? 'auto';
  if (impl === 'node-zlib' || (impl === 'auto' && hasNativeZstd())) {
    if (!hasNativeZstd()) throw new Error(`node-zlib zstd needs Node ≥ 22.15 (this is ${process.version})`);
    return new NodeZlibCompressor(level);
  }
  if (level > 9) throw new Error('zstd-codec: level must be ≤ 9 (higher levels exceed its 16 MiB heap)');
  const modulePath =
    opts.zstdCodecModulePath ?? createRequire(import.meta.url).resolve('zstd-codec/lib/module.js');
  return new ZstdCodecCompressor(level, modulePath);
}

/** sha256 of what a stream yields, and its length. */
export async function hashStream(
  stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: h.digest('hex'), bytes };
}

async function writeAll(fh: FileHandle, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

class NodeZlibCompressor implements Compressor {
  readonly impl = 'node-zlib' as const;
  constructor(private readonly level: number) {}

  async compressFile(src: string, dst: string): Promise<CompressResult> {
    const t0 = performance.now();
    const hash = createHash('sha256');
    let bytesIn = 0;
    let bytesOut = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        bytesIn += chunk.length;
        cb(null, chunk);
      },
    });
    const z = zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: this.level } });
    const fh = await open(dst, 'w', PRIVATE_FILE_MODE);
    try {
      await pipeline(createReadStream(src, { highWaterMark: ZSTD_CHUNK }), tap, z, async (source) => {
        for await (const piece of source as AsyncIterable<Buffer>) {
          await writeAll(fh, piece);
          bytesOut += piece.length;
        }
      });
      await fh.sync();
    } finally {
      await fh.close();
    }
    return { bytesIn, bytesOut, sha256In: hash.digest('hex'), ms: performance.now() - t0 };
  }

  decompressStream(src: string): Readable {
    return Readable.from(this.frames(src), { objectMode: false });
  }

  /**
   * Node's zstd decompressor stops silently after the first frame (Node 22.23: no multi-frame support, unlike its
   * gunzip). `bytesWritten` says how much input the frame used: continue with a fresh decompressor from there.
   */
  private async *frames(src: string): AsyncGenerator<Buffer> {
    const { size } = await stat(src);
    let offset = 0;
    do {
      const z = zlib.createZstdDecompress();
      const rs = createReadStream(src, { start: offset, highWaterMark: ZSTD_CHUNK });
      rs.on('error', (err) => z.destroy(err));
      rs.pipe(z);
      for await (const piece of z as AsyncIterable<Buffer>) yield piece;
      if (z.bytesWritten === 0) throw new Error(`zstd: no frame at offset ${offset} of ${src}`);
      offset += z.bytesWritten;
    } while (offset < size);
  }

  readAll(src: string): Promise<Buffer> {
    return collect(this.decompressStream(src));
  }
}

class ZstdCodecCompressor implements Compressor {
  readonly impl = 'zstd-codec' as const;
  private binding: Promise<{ b: ZstdBinding }> | undefined;

  constructor(
    private readonly level: number,
    private readonly modulePath: string,
  ) {}

  async compressFile(src: string, dst: string): Promise<CompressResult> {
    const t0 = performance.now();
    const url = workerScript('storage/zstd-worker.js');
    const input: ZstdWorkerInput = {
      modulePath: this.modulePath,
      src,
      dst,
      level: this.level,
      chunkSize: ZSTD_CHUNK,
    };
    const result = await new Promise<ZstdWorkerResult>((resolve, reject) => {
      const worker = new Worker(url, { workerData: input });
      let settled = false;
      worker.once('message', (msg: ZstdWorkerResult) => {
        settled = true;
        resolve(msg);
        void worker.terminate();
      });
      worker.once('error', (err) => {
        settled = true;
        reject(err);
      });
      worker.once('exit', (code) => {
        if (!settled) reject(new Error(`zstd worker exited with code ${code} before finishing`));
      });
    });
    if (!result.ok) {
      throw Object.assign(new Error(`compressing ${src}: ${result.message}`), { code: result.code });
    }
    return {
      bytesIn: result.bytesIn,
      bytesOut: result.bytesOut,
      sha256In: result.sha256In,
      ms: performance.now() - t0,
    };
  }

  decompressStream(src: string): Readable {
    return Readable.from(this.decompressChunks(src), { objectMode: false });
  }

  readAll(src: string): Promise<Buffer> {
    return collect(this.decompressStream(src));
  }

  private loadBinding(): Promise<{ b: ZstdBinding }> {
    // The Emscripten module object has a `then` method: resolving a promise with it directly would treat it as
    // a thenable and never settle. Keep it wrapped whenever it crosses a promise.
    this.binding ??= new Promise<{ b: ZstdBinding }>((resolve) => {
      const mod = createRequire(import.meta.url)(this.modulePath) as {
        run(f: (b: ZstdBinding) => void): void;
      };
      mod.run((b) => resolve({ b }));
    });
    return this.binding;
  }

  private async *decompressChunks(src: string): AsyncGenerator<Buffer> {
    const binding = (await this.loadBinding()).b;
    const stream = new binding.ZstdDecompressStreamBinding();
    const out: Buffer[] = [];
    // Copy each piece out of WASM memory immediately: the binding reuses it.
    const onOutput = (piece: Uint8Array): void => void out.push(Buffer.from(piece));
    try {
      if (!stream.begin()) throw new Error('zstd: decompress begin failed');
      // 16 KiB of input per slice (~100–250 KiB of output for JSONL): short enough not to stall the loop.
      for await (const chunk of createReadStream(src, { highWaterMark: DECOMPRESS_SLICE })) {
        if (!stream.transform(chunk as Buffer, onOutput))
          throw new Error(`zstd: ${src} is not valid zstd data`);
        yield* out.splice(0);
      }
      if (!stream.end(onOutput)) throw new Error(`zstd: ${src} ends in the middle of a frame`);
      yield* out.splice(0);
    } finally {
      stream.delete();
    }
  }
}
