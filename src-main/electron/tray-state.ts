// What the tray shows, as plain data: the state the shell keeps (listening address, recording, redaction mode,
// today's totals, a start-up error) and the pure functions that turn it into an icon kind and a tooltip. No
// electron import at runtime, so the menu and icon logic are unit-tested in plain Node.
import type { REDACTION_MODES } from '../../src-shared/settings.js';
import { headlineLimits, type Limits } from '../../src-shared/limits.js';

export type RedactionModeName = (typeof REDACTION_MODES)[number];

/** Totals since local midnight. `costUsd` is null when no request today has a price (shown as "cost n/a"). */
export interface TodayTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
}

export interface TrayState {
  /** `starting` until the core answers; `error` when it could not start (port busy…) — the tray says why. */
  phase: 'starting' | 'running' | 'error';
  /** `127.0.0.1:8081` once the proxy listens. */
  listen: string | null;
  /** One line for the user when phase is `error` (or a problem worth showing while running). */
  error: string | null;
  recording: boolean;
  redaction: RedactionModeName;
  startAtLogin: boolean;
  /** null until the first totals arrive. */
  today: TodayTotals | null;
  /** Set while recording cannot write (disk full, folder not writable); cleared once writes succeed again. */
  storageProblem: string | null;
  /** Plan and rate limits as the providers' last response headers said; null until known. */
  limits: Limits | null;
}

export const INITIAL_TRAY_STATE: TrayState = {
  phase: 'starting',
  listen: null,
  error: null,
  recording: true,
  redaction: 'mask',
  startAtLogin: false,
  today: null,
  storageProblem: null,
  limits: null,
};

export const TRAY_ICON_KINDS = ['idle', 'recording', 'recording-redacted', 'error'] as const;
export type TrayIconKind = (typeof TRAY_ICON_KINDS)[number];

export function trayIconKind(s: TrayState): TrayIconKind {
  if (s.phase === 'error' || (s.phase === 'running' && s.recording && s.storageProblem)) return 'error';
  if (s.phase === 'starting' || !s.recording) return 'idle';
  return s.redaction === 'off' ? 'recording' : 'recording-redacted';
}

/** 12 345 → "12.3k"; small numbers as they are. */
export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatCost(usd: number | null): string {
  if (usd === null) return 'cost n/a';
  return usd < 0.01 && usd > 0 ? '< $0.01' : `$${usd.toFixed(2)}`;
}

/** "12 requests · 45.1k tokens in · 3.2k out · $0.41 today". */
export function todayLine(t: TodayTotals | null): string {
  if (!t) return 'Today: …';
  const req = `${t.requests} request${t.requests === 1 ? '' : 's'}`;
  return `Today: ${req} · ${compactCount(t.inputTokens)} in / ${compactCount(t.outputTokens)} out · ${formatCost(t.costUsd)}`;
}

/** "Claude 5 h: 42 % · resets 16:00" — the most used current window (two at most); null when none is known. */
export function limitsLine(limits: Limits | null, now: number, max = 2): string | null {
  const top = headlineLimits(limits ?? {}, now, max);
  if (top.length === 0) return null;
  const name: Record<string, string> = { anthropic: 'Claude', codex: 'Codex', openai: 'OpenAI' };
  // The provider is named once for its windows: "Claude 5 h: 42 % · resets 16:00 · 7 d: 12 % · resets Fri 09:00".
  return top
    .map((h, i) =>
      i > 0 && top[i - 1]!.provider === h.provider ? h.text : `${name[h.provider] ?? h.provider} ${h.text}`,
    )
    .join(' · ');
}

export function statusLine(s: TrayState): string {
  if (s.phase === 'error') return `Not running: ${s.error ?? 'unknown error'}`;
  if (s.phase === 'starting' || !s.listen) return 'Starting…';
  return `Listening on ${s.listen}`;
}

/** The tooltip (kept short: Windows cuts tooltips at 127 characters). */
export function trayTooltip(s: TrayState, now: number = Date.now()): string {
  const head =
    s.phase === 'running' ? `LunaRoute — ${s.recording ? 'recording' : 'not recording'}` : 'LunaRoute';
  const body =
    s.phase === 'error'
      ? statusLine(s)
      : s.storageProblem && s.recording
        ? `Not recording: ${s.storageProblem}`
        : todayLine(s.today);
  const limits = s.phase === 'running' ? limitsLine(s.limits, now, 1) : null;
  return `${head}\n${body}${limits ? `\n${limits}` : ''}`.slice(0, 127);
}
