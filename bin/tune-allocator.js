// Allocator tuning for the long-running process (`lunaroute serve`, headless `npm start`), issue #11's soak.
// glibc's malloc raises its mmap threshold each time a large block is freed (up to 32 MiB), after which every
// ArrayBuffer below that size is carved from the heap arenas, and memory freed there is rarely given back. The
// recorder frees large buffers all the time (the index's in-memory file grows by copying, a checkpoint exports
// a copy), so RSS climbed by 100-150 MB of freed-but-kept memory in a 10-minute soak while every V8 figure stayed
// flat. A fixed threshold (MALLOC_MMAP_THRESHOLD_, read by glibc only at process start) keeps blocks over 128 KiB
// in their own mappings, returned to the system when freed: the same soak kept that part flat (30-55 MB).
// So the process re-executes itself once, in place (process.execve: same pid, signals and stdio), with it set,
// and with two V8 flags: --expose-gc, so the recorder worker can collect dead chunk buffers before V8's 64 MB
// external-memory trigger would (src-main/recorder/external-gc.ts), and --max-semi-space-size=4: the proxy
// thread's heap total grew from 29 to 53 MB over the soak with about 20 MB in use. With both, the 30-minute soak
// plateaued at 194 MB (276 at its end and still rising without them).
// Needs Node >= 22.15 (older Node runs untuned); Linux only; skipped when the variable is already set (the
// user's own choice, or this re-execution) or LUNAROUTE_NO_ALLOCATOR_TUNING is set. Other C libraries ignore it.
const THRESHOLD = '131072';

export function tuneAllocator() {
  if (process.platform !== 'linux' || typeof process.execve !== 'function') return;
  if (process.env.MALLOC_MMAP_THRESHOLD_ !== undefined || process.env.LUNAROUTE_NO_ALLOCATOR_TUNING) return;
  try {
    const flags = ['--expose-gc', '--max-semi-space-size=4'];
    process.execve(
      process.execPath,
      [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)],
      {
        ...process.env,
        MALLOC_MMAP_THRESHOLD_: THRESHOLD,
      },
    );
  } catch {
    // Not re-executed: run as we are.
  }
}
