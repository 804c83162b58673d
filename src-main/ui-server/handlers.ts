// The contract's calls implemented over the running core: reads go to the recorder worker's named queries (the
// worker owns the index, so nothing here blocks the proxy); settings change the recorder live and are announced
// as `settings_changed`; problems (recorder trouble, unreachable upstreams) are kept briefly so a page that
// opens later still sees them. Shared by the headless UI server and, later, the Electron IPC handlers.
import type { CallHandlers, Problem, Settings, UiEvent } from '../../src-shared/contract.js';
import type { LiveEvent } from '../../src-shared/live.js';
import { SETTINGS } from '../../src-shared/settings.js';
import { baseUrlExports, forwardExports } from '../../src-shared/shell-exports.js';
import { ensureCa } from '../ca/store.js';
import type { Config } from '../config/types.js';
import type { RecorderClient } from '../recorder/client.js';
import type { IndexStats } from '../index/queries.js';
import type { SettingsStore } from '../settings/store.js';
import { replayHandlers } from '../replay/handlers.js';

export interface CoreAccess {
  config: Config;
  recorder: Pick<RecorderClient, 'query' | 'enabled' | 'dropped' | 'setRedaction' | 'lastStats'> &
    Partial<Pick<RecorderClient, 'setRetention' | 'flush'>>;
  proxyUrl: string;
  /** The UI's own URL once it listens (null in Electron or before). */
  uiUrl(): string | null;
  /** Where changes made in the UI persist (settings.json); none = live only. */
  settings?: Pick<SettingsStore, 'set'>;
}

const MAX_PROBLEMS = 20;
const DEFAULT_MODE = SETTINGS['redaction.mode'].default;

export class UiState {
  private readonly problems: Problem[] = [];
  private readonly settings: Settings;

  constructor(
    private readonly core: CoreAccess,
    /** Pushes an event to every connected view. */
    private readonly push: (e: UiEvent) => void,
    private readonly now: () => number = Date.now,
  ) {
    const r = core.config.retention;
    this.settings = {
      recording: core.recorder.enabled,
      redaction_mode: core.config.redaction.mode ?? DEFAULT_MODE,
      retention: {
        max_age_days: r.maxAgeDays,
        max_size_mb: r.maxSizeMb,
        compress_after_days: r.compressAfterDays,
      },
      budgets: { daily_usd: null, weekly_usd: null, limit_percent: 0 }, // read live from the config in getSettings
      data_dir: core.config.dataDir,
      proxy_url: core.proxyUrl,
      ui_url: null,
    };
  }

  getSettings(): Settings {
    const b = this.core.config.budgets;
    return {
      ...this.settings,
      recording: this.core.recorder.enabled,
      budgets: { daily_usd: b.dailyUsd, weekly_usd: b.weeklyUsd, limit_percent: b.limitPercent },
      ui_url: this.core.uiUrl(),
    };
  }

  problem(kind: Problem['kind'], message: string): void {
    const p: Problem = { kind, message, at: this.now() };
    this.problems.push(p);
    if (this.problems.length > MAX_PROBLEMS) this.problems.shift();
    this.push({ type: 'problem', problem: p });
  }

  recentProblems(): Problem[] {
    return [...this.problems];
  }

  /** Derive user-visible problems from the recorder's live events. */
  observe(e: LiveEvent): void {
    if (e.type === 'recorder_problem') {
      const kind = e.kind === 'write_error' && /ENOSPC|no space/i.test(e.message) ? 'storage_full' : e.kind;
      this.problem(kind, e.message);
    } else if (e.type === 'client_drift') {
      this.problem('client_drift', e.message);
    } else if (e.type === 'request_finished' && e.reason === 'upstream_error') {
      this.problem('upstream_unreachable', e.error_message ?? 'the upstream could not be reached');
    }
  }

  /** A reloaded config file's redaction policy (the caller resolves the mode: the user's choice wins). */
  reloadRedaction(next: Config['redaction']): void {
    this.core.config.redaction = next;
    this.core.recorder.setRedaction({ t: 'redaction', config: next });
    const changed = (next.mode ?? DEFAULT_MODE) !== this.settings.redaction_mode;
    this.settings.redaction_mode = next.mode ?? DEFAULT_MODE;
    if (changed) this.push({ type: 'settings_changed', settings: this.getSettings() });
  }

  handlers(): CallHandlers {
    const q = <T>(name: string, args: unknown): Promise<T> => this.core.recorder.query<T>(name, args);
    return {
      'sessions.list': (a) => q('sessions.list', a),
      'sessions.view': (a) => q('sessions.view', a),
      'requests.bodies': (a) => q('requests.bodies', a),
      search: (a) => q('search', a),
      export: async (a) => {
        const file = await q<{ filename: string; mime: string; content: string } | null>('export', a);
        if (!file) throw new Error(`no session ${a.id} (or its file is gone)`);
        return file;
      },
      'settings.get': async () => this.getSettings(),
      'setup.get': async () => {
        const { dataDir, forward } = this.core.config;
        const { ca } = await ensureCa(dataDir, forward.intercept);
        return {
          base: baseUrlExports(this.core.proxyUrl),
          forward: forwardExports(this.core.proxyUrl, ca.paths.cert, forward.intercept),
          ca: {
            cert_path: ca.paths.cert,
            sha256: ca.fingerprint,
            hosts: ca.hosts,
            not_after: ca.notAfter.getTime(),
          },
        };
      },
      'settings.set': async (a) => {
        if (a.retention) {
          // The recorder worker restarts its sweeper with the new policy and sweeps at once.
          const r = { ...this.settings.retention, ...a.retention };
          this.settings.retention = r;
          const policy = {
            maxAgeDays: r.max_age_days,
            maxSizeMb: r.max_size_mb,
            compressAfterDays: r.compress_after_days,
          };
          this.core.config.retention = { ...this.core.config.retention, ...policy };
          this.core.recorder.setRetention?.(this.core.config.retention);
        }
        if (a.budgets) {
          // Read by the budget watch at its next check (the core runs one on settings_changed).
          const b = this.core.config.budgets;
          if (a.budgets.daily_usd !== undefined) b.dailyUsd = a.budgets.daily_usd;
          if (a.budgets.weekly_usd !== undefined) b.weeklyUsd = a.budgets.weekly_usd;
          if (a.budgets.limit_percent !== undefined) b.limitPercent = a.budgets.limit_percent;
        }
        if (a.recording !== undefined) this.core.recorder.enabled = a.recording;
        if (a.redaction_mode !== undefined && a.redaction_mode !== this.settings.redaction_mode) {
          this.core.recorder.setRedaction({
            t: 'redaction',
            config: { ...this.core.config.redaction, mode: a.redaction_mode },
          });
          this.settings.redaction_mode = a.redaction_mode;
        }
        try {
          this.core.settings?.set({
            recording: a.recording,
            redaction_mode: a.redaction_mode,
            retention: a.retention ? { ...this.settings.retention } : undefined,
            budget_daily_usd: a.budgets?.daily_usd,
            budget_weekly_usd: a.budgets?.weekly_usd,
            budget_limit_percent: a.budgets?.limit_percent,
          });
        } catch (err) {
          // Applied live anyway; the user learns that it will not survive a restart.
          this.problem('write_error', `settings could not be saved: ${(err as Error).message}`);
        }
        const next = this.getSettings();
        this.push({ type: 'settings_changed', settings: next });
        return next;
      },
      'analytics.get': (a) => q('analytics', a),
      ...replayHandlers(this.core),
      'stats.get': async () => {
        const s = await q<IndexStats>('stats', {});
        return { ...s, dropped: this.core.recorder.dropped, problems: this.recentProblems() };
      },
    };
  }
}
