// App-wide state: the connection to the core, settings, totals, visible problems, and the hash route. One
// instance, created in App.svelte and shared through context with typed get/set helpers.
import { getContext, setContext } from 'svelte';
import type { Problem, Settings, Stats, UiEvent } from '../../src-shared/contract.js';
import { call, subscribe, type ConnectionState } from './api.js';
import { LiveStore } from './live.svelte.js';

export type Route =
  | { name: 'live' }
  | { name: 'session'; id: string }
  | { name: 'settings' }
  | { name: 'analytics' }
  /** A request's Replay page; `replay` = a recorded replay to show next to it. */
  | { name: 'replay'; id: string; replay: string | null };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  if (h.startsWith('session/')) {
    const id = decodeURIComponent(h.slice('session/'.length));
    if (id) return { name: 'session', id };
  }
  if (h.startsWith('replay/')) {
    const [id, replay] = h.slice('replay/'.length).split('/').map(decodeURIComponent);
    if (id) return { name: 'replay', id, replay: replay || null };
  }
  if (h === 'settings') return { name: 'settings' };
  if (h === 'analytics') return { name: 'analytics' };
  return { name: 'live' };
}

export class AppStore {
  route = $state.raw<Route>(parseRoute(location.hash));
  connection = $state<ConnectionState>('connecting');
  settings = $state.raw<Settings | null>(null);
  stats = $state.raw<Stats | null>(null);
  problems = $state.raw<Problem[]>([]);
  dismissedAt = $state(0);
  /** Bumped when a session's requests start or finish (an open session view reloads). */
  sessionVersion = $state.raw<Map<string, number>>(new Map());
  readonly live = new LiveStore();
  private statsTimer: ReturnType<typeof setTimeout> | null = null;
  private buffered: UiEvent[] | null = [];

  /** Snapshot, then subscribe — with events that arrive during the snapshot applied after it. */
  start(): () => void {
    const onHash = (): void => {
      this.route = parseRoute(location.hash);
    };
    addEventListener('hashchange', onHash);
    const off = subscribe(
      (events) => (this.buffered ? this.buffered.push(...events) : this.onEvents(events)),
      (s) => {
        const wasDown = this.connection === 'reconnecting';
        this.connection = s;
        // After a reconnect, what happened meanwhile is only in the index: refetch.
        if (s === 'open' && wasDown) void this.refresh();
      },
      (m) => this.addProblem({ kind: 'dropped', message: `An event was rejected: ${m}`, at: Date.now() }),
    );
    void this.refresh().finally(() => {
      const pending = this.buffered ?? [];
      this.buffered = null;
      if (pending.length) this.onEvents(pending);
    });
    return () => {
      off();
      removeEventListener('hashchange', onHash);
    };
  }

  async refresh(): Promise<void> {
    const [settings, stats] = await Promise.all([
      call('settings.get', {}),
      call('stats.get', {}),
      this.live.fetch(),
    ]);
    this.settings = settings;
    this.stats = stats;
    this.problems = stats.problems;
  }

  private onEvents(events: UiEvent[]): void {
    this.live.applyEvents(events);
    let statsDirty = false;
    let versions: Map<string, number> | null = null;
    for (const e of events) {
      if (e.type === 'settings_changed') this.settings = e.settings;
      else if (e.type === 'problem') this.addProblem(e.problem);
      else if (e.type === 'request_started' || e.type === 'request_finished') {
        statsDirty = true;
        versions ??= new Map(this.sessionVersion);
        versions.set(e.session_id, (versions.get(e.session_id) ?? 0) + 1);
      }
    }
    if (versions) this.sessionVersion = versions;
    if (statsDirty && !this.statsTimer) {
      this.statsTimer = setTimeout(() => {
        this.statsTimer = null;
        void call('stats.get', {}).then((s) => (this.stats = s));
      }, 1000);
    }
  }

  addProblem(p: Problem): void {
    this.problems = [...this.problems.slice(-19), p];
  }

  get visibleProblems(): Problem[] {
    return this.problems.filter((p) => p.at > this.dismissedAt);
  }

  async setSettings(patch: Parameters<typeof call<'settings.set'>>[1]): Promise<void> {
    this.settings = await call('settings.set', patch);
  }
}

const KEY = Symbol('lunaroute-app');
export const setApp = (app: AppStore): AppStore => setContext(KEY, app);
export const getApp = (): AppStore => getContext<AppStore>(KEY);
