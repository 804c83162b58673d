// What the tray and notifications learn from the core without subscribing to its live event stream (which
// would make the recorder worker produce events for every streamed delta): a poll every few seconds of
// in-process counters — proxy requests, upstream transport errors, recorder write/index errors and drops.
// Only when a counter moved (or the day changed) does it ask the index for today's totals. An idle app
// reads a few numbers every 5 s and does nothing else.
import type { CoreHandle } from '../app/core.js';
import type { IndexStats } from '../index/queries.js';
import type { TodayTotals } from './tray-state.js';
import type { Limits } from '../../src-shared/limits.js';

export const MONITOR_INTERVAL_MS = 5_000;

export interface CoreCounters {
  requests: number;
  /** JSONL lines handed to the OS. */
  linesWritten: number;
  upstreamErrors: number;
  writeErrors: number;
  indexErrors: number;
  linesDropped: number;
  dropped: number;
  redactionFailures: number;
}

export type NoticeKind = 'upstream_unreachable' | 'storage_error' | 'dropped' | 'redaction_failed';

export interface Notice {
  kind: NoticeKind;
  title: string;
  body: string;
}

/** The notices a change of counters deserves (pure). */
export function noticesBetween(prev: CoreCounters, next: CoreCounters): Notice[] {
  const out: Notice[] = [];
  const d = (k: keyof CoreCounters): number => next[k] - prev[k];
  if (d('upstreamErrors') > 0) {
    out.push({
      kind: 'upstream_unreachable',
      title: 'Upstream unreachable',
      body: `${d('upstreamErrors')} request(s) could not reach the provider (network, timeout or reset).`,
    });
  }
  const storage = d('writeErrors') + d('indexErrors') + d('linesDropped');
  if (storage > 0) {
    out.push({
      kind: 'storage_error',
      title: 'Recording: storage error',
      body: `${storage} write(s) to the data folder failed (disk full or not writable?). Traffic still flows.`,
    });
  }
  if (d('dropped') > 0) {
    out.push({
      kind: 'dropped',
      title: 'Recording fell behind',
      body: `${d('dropped')} exchange(s) were not fully recorded. Traffic was not slowed.`,
    });
  }
  if (d('redactionFailures') > 0) {
    out.push({
      kind: 'redaction_failed',
      title: 'Redaction failed',
      body: `${d('redactionFailures')} value(s) were stored as [REDACTION_FAILED] rather than risk a leak.`,
    });
  }
  return out;
}

/**
 * The tray's storage problem after a poll (pure): set when writes failed or lines were lost since the last poll,
 * kept while nothing is written, cleared once lines are written again with no new failure.
 */
export function storageProblemAfter(
  current: string | null,
  prev: CoreCounters,
  next: CoreCounters,
): string | null {
  const failed = next.writeErrors - prev.writeErrors + (next.linesDropped - prev.linesDropped);
  if (failed > 0) return 'the data folder is full or not writable; traffic still flows';
  if (next.linesWritten > prev.linesWritten) return null;
  return current;
}

/** Local midnight before `t` (epoch ms). */
export function startOfLocalDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const sum = (values: { value: number }[]): number => values.reduce((a, v) => a + v.value, 0);

/** Read the counters from a running core (in-process; no I/O). */
export async function readCounters(core: Pick<CoreHandle, 'proxy' | 'recorder'>): Promise<CoreCounters> {
  const m = core.proxy.metrics;
  const [requests, upstream] = await Promise.all([m.requests.get(), m.upstreamErrors.get()]);
  const stats = core.recorder.client.lastStats;
  return {
    requests: sum(requests.values),
    linesWritten: stats?.linesWritten ?? 0,
    upstreamErrors: sum(upstream.values),
    writeErrors: stats?.writeErrors ?? 0,
    indexErrors: stats?.indexErrors ?? 0,
    linesDropped: stats?.linesDropped ?? 0,
    dropped: core.recorder.client.dropped + (stats?.exchangesLost ?? 0),
    redactionFailures: stats?.redactionFailures ?? 0,
  };
}

/** Today's totals from the index (the worker answers; nothing runs on the proxy's loop). */
export async function queryToday(
  query: <T>(name: string, args: unknown) => Promise<T>,
  now: number,
): Promise<TodayTotals & { limits: Limits }> {
  const s = await query<IndexStats>('stats', { since: startOfLocalDay(now) });
  // The priced requests' cost; null (shown as unknown) when none is priced — never an invented $0.
  return {
    requests: s.requests,
    inputTokens: s.input_tokens,
    outputTokens: s.output_tokens,
    costUsd: s.cost_usd,
    limits: s.limits,
  };
}

export interface MonitorOptions {
  read: () => Promise<CoreCounters>;
  today: (now: number) => Promise<TodayTotals & { limits?: Limits }>;
  onToday: (t: TodayTotals & { limits?: Limits }) => void;
  onNotice: (n: Notice) => void;
  /** The storage problem changed (see storageProblemAfter). */
  onStorage?: (problem: string | null) => void;
  onError?: (err: Error) => void;
  intervalMs?: number;
  now?: () => number;
}

export interface Monitor {
  /** One poll now (also what the timer runs). */
  tick(): Promise<void>;
  stop(): void;
}

export function startMonitor(o: MonitorOptions): Monitor {
  const now = o.now ?? Date.now;
  let prev: CoreCounters | null = null;
  let storage: string | null = null;
  let day = -1;
  let running = false;
  // The index learns of a request after the proxy counted it: after activity, refresh once more next tick.
  let settle = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const next = await o.read();
      const t = now();
      const today = startOfLocalDay(t);
      if (prev) {
        for (const n of noticesBetween(prev, next)) o.onNotice(n);
        const problem = storageProblemAfter(storage, prev, next);
        if (problem !== storage) o.onStorage?.((storage = problem));
      }
      const moved = !prev || next.requests !== prev.requests;
      if (moved || settle || today !== day) {
        o.onToday(await o.today(t));
        day = today;
      }
      settle = moved;
      prev = next;
    } catch (err) {
      o.onError?.(err as Error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), o.intervalMs ?? MONITOR_INTERVAL_MS);
  timer.unref();
  return { tick, stop: () => clearInterval(timer) };
}
