// Content decoding for the recording copy only: gzip, deflate, br and zstd responses (and Codex's zstd request
// bodies) are decoded here so the parsers see JSON/SSE; the bytes forwarded to the client are never touched.
// zstd uses Node's zlib where it exists (Node ≥ 22.15, i.e. inside Electron) and zstd-codec's streaming
// transform otherwise (never its Simple API, which aborts on inputs over ~4 MB).
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';

interface ZstdStreams {
  ZstdDecompressTransform: new () => Transform;
}

let zstdStreams: Promise<ZstdStreams> | null = null;
function loadZstdCodec(): Promise<ZstdStreams> {
  zstdStreams ??= new Promise((resolve) => {
    const require = createRequire(import.meta.url);
    (require('zstd-codec/lib/zstd-stream.js') as { run(f: (s: ZstdStreams) => void): void }).run(resolve);
  });
  return zstdStreams;
}

/** Encodings we can decode; anything else is recorded as raw (undecoded) bytes. */
export function isDecodable(encoding: string | null): boolean {
  return (
    encoding === 'gzip' ||
    encoding === 'x-gzip' ||
    encoding === 'deflate' ||
    encoding === 'br' ||
    encoding === 'zstd'
  );
}

export interface StreamDecoder {
  write(chunk: Uint8Array): void;
  /** Resolves after every decoded byte was delivered; never rejects (errors are reported via `error`). */
  end(): Promise<void>;
  error: string | null;
}

/** A streaming decoder that calls `onData` with decoded bytes, in order. Null for identity/unknown encodings. */
export function createDecoder(
  encoding: string | null,
  onData: (chunk: Buffer) => void,
): StreamDecoder | null {
  if (!encoding || !isDecodable(encoding)) return null;
  const decoder: StreamDecoder = {
    error: null,
    write() {},
    end: () => Promise.resolve(),
  };
  let transform: Promise<Transform>;
  if (encoding === 'zstd') {
    const native = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    transform = native
      ? Promise.resolve(native())
      : loadZstdCodec().then((s) => new s.ZstdDecompressTransform());
  } else if (encoding === 'br') {
    transform = Promise.resolve(zlib.createBrotliDecompress());
  } else if (encoding === 'deflate') {
    // Servers send zlib-wrapped deflate (RFC 9110) or, wrongly, raw deflate; `createUnzip` handles only the former.
    transform = Promise.resolve(zlib.createInflate());
  } else {
    transform = Promise.resolve(zlib.createGunzip());
  }
  // Until the transform is ready (zstd-codec initialises asynchronously), writes queue here.
  const pending: Uint8Array[] = [];
  let ended = false;
  const done: Promise<void> = transform.then(
    (t) =>
      new Promise<void>((resolve) => {
        t.on('data', onData);
        t.on('error', (err: Error) => {
          decoder.error = `${encoding} decoding failed: ${err.message}`;
          resolve();
        });
        t.on('end', () => resolve());
        decoder.write = (chunk) => {
          if (!decoder.error) t.write(chunk);
        };
        decoder.end = () => {
          t.end();
          return done;
        };
        for (const c of pending) t.write(c);
        pending.length = 0;
        if (ended) t.end();
      }),
  );
  decoder.write = (chunk) => void pending.push(chunk);
  decoder.end = () => {
    ended = true;
    return done;
  };
  return decoder;
}

/** Decode a whole buffer (request bodies). Returns null and the error when it cannot be decoded. */
export async function decodeAll(
  encoding: string,
  data: Buffer,
): Promise<{ data: Buffer | null; error: string | null }> {
  const parts: Buffer[] = [];
  const d = createDecoder(encoding, (c) => parts.push(c));
  if (!d) return { data, error: null };
  d.write(data);
  await d.end();
  return d.error ? { data: null, error: d.error } : { data: Buffer.concat(parts), error: null };
}
