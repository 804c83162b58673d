// Plan and rate limits as last seen in the providers' response headers: per provider, per window (the 5-hour and
// 7-day plan windows, or the per-minute request/token limits of an API key), how much is used and when it resets.
// Shared by the core (stats, the tray, the notification) and the window's header, which all phrase a window the
// same way: "5 h: 42 % · resets 16:00". Pure TypeScript: no Node, no DOM.
import * as s from './schema.js';

export const LIMIT_PROVIDERS = ['anthropic', 'openai', 'codex'] as const;
export type LimitProvider = (typeof LIMIT_PROVIDERS)[number];

export const LimitWindowSchema = s.object({
  /** Share of the window used, 0–1 (from a utilization or used-percent header, or 1 − remaining/limit). */
  utilization: s.nullable(s.number()),
  /** When the window resets (epoch ms); null when the provider did not say. */
  reset_at: s.nullable(s.number()),
  /** When these headers were seen (epoch ms: the end of the response that carried them). */
  seen_at: s.number(),
  /** The window's size in requests or tokens, when the provider states it (API-key limits). */
  limit: s.nullable(s.number()),
  remaining: s.nullable(s.number()),
  /** The provider's own word on the window (`allowed`, `allowed_warning`, `rejected`…), when it gives one. */
  status: s.nullable(s.string()),
  /** The window the provider names as the one that binds now (Anthropic's representative claim). */
  binding: s.boolean(),
});
export type LimitWindow = s.Infer<typeof LimitWindowSchema>;

/** `limits` in `lunaroute stats --json` and `stats.get`: provider → window name → the window as last seen. */
export const LimitsSchema = s.record(s.record(LimitWindowSchema));
export type Limits = Record<string, Record<string, LimitWindow>>;

/** "5h" → "5 h", "7d" → "7 d", "input_tokens" → "input tokens". */
export function windowLabel(window: string): string {
  const m = /^(\d+)([mhd])$/.exec(window);
  return m ? `${m[1]} ${m[2]}` : window.replace(/_/g, ' ');
}

function clock(t: number, now: number): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  if (t - now < 20 * 3_600_000) return hm;
  return `${d.toLocaleDateString('en-GB', { weekday: 'short' })} ${hm}`;
}

/** "5 h: 42 % · resets 16:00" (local time; the weekday too when the reset is a day or more away). */
export function formatLimit(window: string, w: LimitWindow, now: number): string {
  const pct = w.utilization === null ? '?' : `${Math.round(w.utilization * 100)} %`;
  let tail = '';
  if (w.reset_at !== null) tail = w.reset_at > now ? ` · resets ${clock(w.reset_at, now)}` : ' · reset since';
  return `${windowLabel(window)}: ${pct}${tail}`;
}

export interface HeadlineLimit {
  provider: string;
  window: string;
  limit: LimitWindow;
  text: string;
}

/**
 * The windows worth a glance, most used first: those whose reset is still ahead (a passed reset means the usage
 * shown is history) and that were seen in the last 7 days. Plan windows (5 h, 7 d) come before per-minute ones.
 */
export function headlineLimits(limits: Limits, now: number, max = 2): HeadlineLimit[] {
  const out: HeadlineLimit[] = [];
  for (const [provider, windows] of Object.entries(limits)) {
    for (const [window, w] of Object.entries(windows)) {
      if (w.utilization === null || now - w.seen_at > 7 * 86_400_000) continue;
      if (w.reset_at !== null && w.reset_at <= now) continue;
      out.push({ provider, window, limit: w, text: formatLimit(window, w, now) });
    }
  }
  const plan = (h: HeadlineLimit): number => (/^\d+[hd]$/.test(h.window) ? 1 : 0);
  out.sort((a, b) => plan(b) - plan(a) || b.limit.utilization! - a.limit.utilization!);
  return out.slice(0, max);
}
