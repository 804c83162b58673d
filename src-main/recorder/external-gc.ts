// A garbage collection when dead ArrayBuffers pile up in the recorder worker and the worker is idle (issue #11's
// soak, #12's CPU). V8 frees a dead ArrayBuffer's memory when the buffer dies young (a scavenge) or at a full GC,
// and schedules a full GC for external memory only after it has grown by ~64 MB since the last; the worker
// receives the proxy's chunks as packed, transferred buffers, most of which die within a second. When the process
// runs with --expose-gc (bin/tune-allocator.js adds it when serve re-executes itself), the worker collects once
// array buffers have grown by STEP_BYTES since the last collection — but only after IDLE_MS without work.
// A forced collection also drops the optimised code of most of the recording path ("weak objects"): under
// continuous load, one every second or two (the old rule) cost ~50 recompiles each, 100-300 µs of CPU per 1 KB
// request (tests/bench/README.md, stop 7). Under load V8's own collections free the buffers; at rest, this one does.
const STEP_BYTES = 16 * 2 ** 20;
const CHECK_MS = 1_000;
const IDLE_MS = 2_000;

export interface ExternalGcOptions {
  stepBytes?: number;
  everyMs?: number;
  idleMs?: number;
  /** performance.now() when the worker last had work (default: never, so always idle). */
  lastBusyAt?: () => number;
}

/** Start the check when `gc` is available; returns a stop function. The timer never keeps the thread alive. */
export function startExternalGc(
  gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
  o: ExternalGcOptions = {},
): () => void {
  if (typeof gc !== 'function') return () => {};
  const stepBytes = o.stepBytes ?? STEP_BYTES;
  const idleMs = o.idleMs ?? IDLE_MS;
  const lastBusyAt = o.lastBusyAt ?? (() => -Infinity);
  let floor = process.memoryUsage().arrayBuffers;
  const timer = setInterval(() => {
    const now = process.memoryUsage().arrayBuffers;
    if (now < floor) floor = now;
    if (now - floor < stepBytes || performance.now() - lastBusyAt() < idleMs) return;
    gc();
    floor = process.memoryUsage().arrayBuffers;
  }, o.everyMs ?? CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
