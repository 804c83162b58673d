// Opt-in memory log for finding where the process's RSS goes (issue #11's soak): with LUNAROUTE_DEBUG_MEMORY=1
// (every 10 s) or =<ms> (at least 1000), the main thread and the recorder worker each write one line to stderr
// per period: `lunaroute-memory {json}` with the process RSS and their own isolate's heapUsed, heapTotal,
// external and arrayBuffers, plus (worker) the size of each WebAssembly memory instantiated in it (sql.js,
// zstd). Off by default: no timer, no patching, no cost.

export const MEMORY_LOG_ENV = 'LUNAROUTE_DEBUG_MEMORY';
export const MEMORY_LOG_PREFIX = 'lunaroute-memory ';
const DEFAULT_PERIOD_MS = 10_000;

/** The period asked for by LUNAROUTE_DEBUG_MEMORY, or null when the log is off. */
export function memoryLogPeriod(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number | null {
  const raw = env[MEMORY_LOG_ENV];
  if (raw === undefined || raw === '' || raw === '0') return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1000 ? n : DEFAULT_PERIOD_MS;
}

// The main tsconfig has no DOM lib, which is where the WebAssembly types live: the few members used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: abstract new (...args: never[]) => WasmMemory;
  Instance: abstract new (...args: never[]) => { exports: Record<string, unknown> };
  instantiate: (source: unknown, imports?: Record<string, unknown>) => Promise<unknown>;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const wasmMemories: WasmMemory[] = [];

function remember(value: unknown): void {
  if (value instanceof wasm.Memory && !wasmMemories.includes(value)) wasmMemories.push(value);
}

/**
 * Remember every WebAssembly memory this thread instantiates from now on (exported or imported), so the log
 * can tell the sql.js heap apart (V8 counts it inside `external`). Call before the module loads.
 */
export function trackWasmMemories(): void {
  const original = wasm.instantiate.bind(wasm);
  wasm.instantiate = async (source, imports) => {
    for (const ns of Object.values(imports ?? {}))
      if (ns && typeof ns === 'object') Object.values(ns).forEach(remember);
    const result = await original(source, imports);
    const instance = result instanceof wasm.Instance ? result : (result as { instance?: unknown }).instance;
    if (instance instanceof wasm.Instance) Object.values(instance.exports).forEach(remember);
    return result;
  };
}

/** One snapshot: process RSS and this isolate's V8 numbers, in bytes. */
export function memorySnapshot(thread: string): Record<string, unknown> {
  const m = process.memoryUsage();
  return {
    thread,
    at: Date.now(),
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    wasm: wasmMemories.map((w) => w.buffer.byteLength),
  };
}

/** Start the periodic log when `periodMs` is set; returns a stop function. The timer never keeps the process alive. */
export function startMemoryLog(thread: string, periodMs: number | null): () => void {
  if (periodMs === null) return () => {};
  const write = (): void => {
    process.stderr.write(MEMORY_LOG_PREFIX + JSON.stringify(memorySnapshot(thread)) + '\n');
  };
  write();
  const timer = setInterval(write, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}
