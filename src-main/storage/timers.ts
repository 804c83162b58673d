// Injectable timers for the storage layer: tests drive flushes, saves and sweeps by hand instead of sleeping.
// The real ones are unref'd, so a pending flush or save never keeps the process alive: call close() on shutdown.

export interface TimerApi {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: TimerApi = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
