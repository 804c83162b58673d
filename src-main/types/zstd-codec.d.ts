// Types for zstd-codec 0.1.5 (the package ships none). Only what LunaRoute uses: the high-level `ZstdCodec`
// (Simple/Streaming; Simple aborts on inputs above ~4 MB, so storage uses the low-level stream bindings) and
// `lib/module.js`, whose `run` hands over the Emscripten binding with the incremental stream classes.

declare module 'zstd-codec/lib/module.js' {
  /** Called with each output piece; the array is a view into WASM memory: copy it before the next call. */
  export type ZstdOutputCallback = (chunk: Uint8Array) => void;

  export interface ZstdCompressStreamBinding {
    begin(compressionLevel: number): boolean;
    transform(chunk: Uint8Array, onOutput: ZstdOutputCallback): boolean;
    flush(onOutput: ZstdOutputCallback): boolean;
    end(onOutput: ZstdOutputCallback): boolean;
    /** Free the WASM-side object. */
    delete(): void;
  }

  export interface ZstdDecompressStreamBinding {
    begin(): boolean;
    transform(chunk: Uint8Array, onOutput: ZstdOutputCallback): boolean;
    flush(onOutput: ZstdOutputCallback): boolean;
    end(onOutput: ZstdOutputCallback): boolean;
    delete(): void;
  }

  export interface ZstdBinding {
    ZstdCompressStreamBinding: new () => ZstdCompressStreamBinding;
    ZstdDecompressStreamBinding: new () => ZstdDecompressStreamBinding;
  }

  /** Instantiate the WASM module (asynchronously) and call `f` with the binding once it is ready. */
  export function run(f: (binding: ZstdBinding) => void): void;
}

declare module 'zstd-codec' {
  export interface ZstdSimple {
    compress(content: Uint8Array, level?: number): Uint8Array | null;
    decompress(compressed: Uint8Array): Uint8Array | null;
  }
  export interface ZstdStreaming {
    compress(content: Uint8Array, level?: number): Uint8Array | null;
    compressChunks(chunks: Iterable<Uint8Array>, sizeHint?: number, level?: number): Uint8Array | null;
    decompress(compressed: Uint8Array, sizeHint?: number): Uint8Array | null;
    decompressChunks(chunks: Iterable<Uint8Array>, sizeHint?: number): Uint8Array | null;
  }
  export interface ZstdApi {
    Simple: new () => ZstdSimple;
    Streaming: new () => ZstdStreaming;
  }
  export const ZstdCodec: { run(f: (zstd: ZstdApi) => void): void };
}
