// A garbage collection when dead ArrayBuffers pile up in the recorder worker (issue #11's soak). V8 frees a dead
// ArrayBuffer's memory at a full GC, and schedules one for external memory only after it has grown by ~64 MB
// since the last; the worker receives the proxy's chunks as packed, transferred buffers (~2.5 MB/s under the
// soak's 50 req/s), which die within a second but wait for that GC: a 55 MB sawtooth in RSS. When the process
// runs with --expose-gc (bin/tune-allocator.js adds it when serve re-executes itself), the worker collects once
// array buffers have grown by STEP_BYTES since the last collection (every several seconds under that load; its
// CPU was not measured apart, and the soak's recorder kept up, dropping nothing). Without `gc` nothing runs.
const STEP_BYTES = 16 * 2 ** 20;
const CHECK_MS = 1_000;

/** Start the check when `gc` is available; returns a stop function. The timer never keeps the thread alive. */
export function startExternalGc(
  gc: (() => void) | undefined = (globalThis as { gc?: () => void }).gc,
  stepBytes = STEP_BYTES,
  everyMs = CHECK_MS,
): () => void {
  if (typeof gc !== 'function') return () => {};
  let floor = process.memoryUsage().arrayBuffers;
  const timer = setInterval(() => {
    const now = process.memoryUsage().arrayBuffers;
    if (now < floor) floor = now;
    if (now - floor < stepBytes) return;
    gc();
    floor = process.memoryUsage().arrayBuffers;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
