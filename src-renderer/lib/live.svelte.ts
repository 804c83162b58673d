// The live list store: the current filters, a window of session rows around the viewport (never the whole
// list: 10 000+ sessions stay cheap), and the streaming overlays from pushed events. Big values are $state.raw
// and replaced, never mutated. Refetches are throttled and at most one runs at a time; results of an older
// filter generation are dropped.
import type { CallArgs, StatusFilter, UiEvent } from '../../src-shared/contract.js';
import { call } from './api.js';
import { applyEvents, covers, wantedRange, type LiveWindow, type Streaming } from './live-model.js';

export type TimeRange = 'all' | '1h' | '24h' | '7d' | '30d';
export const TIME_RANGES: Record<TimeRange, number | null> = {
  all: null,
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export interface Filters {
  client: '' | NonNullable<CallArgs<'sessions.list'>['client']>;
  model: string;
  status: '' | StatusFilter;
  range: TimeRange;
  q: string;
}

export const EMPTY_FILTERS: Filters = { client: '', model: '', status: '', range: 'all', q: '' };
const OVERSCAN = 40;
const REFETCH_MS = 200;

export function filterArgs(f: Filters, now: number): CallArgs<'sessions.list'> {
  const a: CallArgs<'sessions.list'> = {};
  if (f.client) a.client = f.client;
  if (f.model) a.model = f.model;
  if (f.status) a.status = f.status;
  const span = TIME_RANGES[f.range];
  if (span !== null) a.since = now - span;
  if (f.q.trim()) a.q = f.q.trim();
  return a;
}

export class LiveStore {
  window = $state.raw<LiveWindow>({ offset: 0, rows: [], total: 0 });
  streaming = $state.raw<Map<string, Streaming>>(new Map());
  filters = $state.raw<Filters>(EMPTY_FILTERS);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Epoch ms of the last finished request per session (for a short highlight). */
  flashed = $state.raw<Map<string, number>>(new Map());
  /** When each request's outcome was applied (performance measurement in the e2e benchmark). */
  readonly outcomeAppliedAt = new Map<string, number>();

  private first = 0;
  private count = 30;
  private gen = 0;
  private running = false;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | null = null;

  get filtered(): boolean {
    const f = this.filters;
    return !!(f.client || f.model || f.status || f.q.trim() || f.range !== 'all');
  }

  setFilters(patch: Partial<Filters>): void {
    this.filters = { ...this.filters, ...patch };
    this.gen++;
    this.first = 0;
    this.window = { offset: 0, rows: [], total: this.window.total };
    void this.fetch();
  }

  /** The viewport moved: fetch if it is not covered. */
  setVisible(first: number, count: number): void {
    this.first = first;
    this.count = count;
    const { from, to } = wantedRange(first, count, this.window.total, Math.floor(OVERSCAN / 2));
    if (!covers(this.window, from, to)) void this.fetch();
  }

  applyEvents(events: UiEvent[]): void {
    const r = applyEvents(this.window, this.streaming, events);
    this.window = r.window;
    this.streaming = r.streaming;
    if (r.finished.length) {
      const now = performance.now();
      for (const id of r.finished) this.outcomeAppliedAt.set(id, now);
      if (this.outcomeAppliedAt.size > 5000) this.outcomeAppliedAt.clear();
      const fl = new Map(this.flashed);
      for (const e of events) if (e.type === 'request_finished') fl.set(e.session_id, Date.now());
      this.flashed = fl;
    }
    if (r.refetch) this.scheduleRefetch();
  }

  scheduleRefetch(ms = REFETCH_MS): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.fetch();
    }, ms);
  }

  async fetch(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const gen = this.gen;
        const total = Math.max(this.window.total, this.first + this.count);
        const { from, to } = wantedRange(this.first, this.count, total, OVERSCAN);
        const res = await call('sessions.list', {
          ...filterArgs(this.filters, Date.now()),
          offset: from,
          limit: Math.min(1000, Math.max(to - from, this.count + OVERSCAN)),
        });
        if (gen !== this.gen) {
          this.again = true;
          continue;
        }
        this.window = { offset: from, rows: res.sessions, total: res.total };
        this.loaded = true;
        this.error = null;
      } while (this.again);
    } catch (err) {
      this.error = (err as Error).message;
    } finally {
      this.running = false;
    }
  }
}
