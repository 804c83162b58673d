// Reads plan and rate limits from a response's headers (pure), and watches them for a threshold (LimitWatch).
// Anthropic: the subscription windows `anthropic-ratelimit-unified-{5h,7d}-{utilization,reset}` (fraction, Unix
// seconds) and an API key's `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,
// reset}` (RFC 3339). OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset as a Go duration,
// "6m0s"). Codex on a ChatGPT plan: `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at,
// reset-after-seconds}`. A header that does not parse is skipped, never guessed: a window without numbers is left out.
import type { LimitWindow, Limits } from '../../src-shared/limits.js';
import { formatLimit } from '../../src-shared/limits.js';

export interface LimitReading extends LimitWindow {
  provider: 'anthropic' | 'openai' | 'codex';
  window: string;
}

type Headers = Record<string, string | string[] | undefined> | null | undefined;

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v.trim());
  return Number.isFinite(n) ? n : null;
}

/** "1h2m3.5s", "6m0s", "20ms", "0.5s" → milliseconds; null when it is not such a duration. */
export function goDurationMs(v: string | undefined): number | null {
  if (!v) return null;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  const text = v.trim();
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : null;
}

/** Unix seconds (or ms, when the number is too large to be seconds) → epoch ms. */
function unixMs(v: string | undefined): number | null {
  const n = num(v);
  if (n === null || n <= 0) return null;
  return n > 1e11 ? Math.round(n) : Math.round(n * 1000);
}

function isoMs(v: string | undefined): number | null {
  if (!v) return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

function lower(h: Headers): Map<string, string> {
  const out = new Map<string, string>();
  if (!h || typeof h !== 'object') return out;
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out.set(k.toLowerCase(), Array.isArray(v) ? String(v[0] ?? '') : String(v));
  }
  return out;
}

function used(limit: number | null, remaining: number | null): number | null {
  if (limit === null || remaining === null || limit <= 0) return null;
  return Math.min(1, Math.max(0, Math.round(((limit - remaining) / limit) * 1e6) / 1e6));
}

/** Minutes of a Codex window → its name: 300 → "5h", 10080 → "7d", 45 → "45m". */
export function windowName(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

const CLAIM_WINDOW: Record<string, string> = { five_hour: '5h', seven_day: '7d' };

/** Every window the headers describe, as seen at `seenAt` (epoch ms). */
export function readLimitHeaders(headers: Headers, seenAt: number): LimitReading[] {
  const h = lower(headers);
  if (h.size === 0) return [];
  const out: LimitReading[] = [];
  const base = { seen_at: seenAt, limit: null, remaining: null, status: null, binding: false };

  const unifiedStatus = h.get('anthropic-ratelimit-unified-status') ?? null;
  const claim = CLAIM_WINDOW[h.get('anthropic-ratelimit-unified-representative-claim') ?? ''] ?? null;
  for (const w of ['5h', '7d']) {
    const utilization = num(h.get(`anthropic-ratelimit-unified-${w}-utilization`));
    const reset = unixMs(h.get(`anthropic-ratelimit-unified-${w}-reset`));
    if (utilization === null && reset === null) continue;
    out.push({
      ...base,
      provider: 'anthropic',
      window: w,
      utilization: utilization === null ? null : Math.min(1, Math.max(0, utilization)),
      reset_at: reset,
      status: h.get(`anthropic-ratelimit-unified-${w}-status`) ?? unifiedStatus,
      binding: claim === w,
    });
  }
  for (const kind of ['requests', 'tokens', 'input-tokens', 'output-tokens']) {
    const limit = num(h.get(`anthropic-ratelimit-${kind}-limit`));
    const remaining = num(h.get(`anthropic-ratelimit-${kind}-remaining`));
    if (limit === null && remaining === null) continue;
    out.push({
      ...base,
      provider: 'anthropic',
      window: kind.replace('-', '_'),
      utilization: used(limit, remaining),
      reset_at: isoMs(h.get(`anthropic-ratelimit-${kind}-reset`)),
      limit,
      remaining,
    });
  }
  for (const kind of ['requests', 'tokens']) {
    const limit = num(h.get(`x-ratelimit-limit-${kind}`));
    const remaining = num(h.get(`x-ratelimit-remaining-${kind}`));
    if (limit === null && remaining === null) continue;
    const after = goDurationMs(h.get(`x-ratelimit-reset-${kind}`));
    out.push({
      ...base,
      provider: 'openai',
      window: kind,
      utilization: used(limit, remaining),
      reset_at: after === null ? null : seenAt + after,
      limit,
      remaining,
    });
  }
  const active = h.get('x-codex-active-limit') ?? null;
  for (const which of ['primary', 'secondary']) {
    const pct = num(h.get(`x-codex-${which}-used-percent`));
    const minutes = num(h.get(`x-codex-${which}-window-minutes`));
    if (pct === null) continue;
    const at = unixMs(h.get(`x-codex-${which}-reset-at`));
    const after = num(h.get(`x-codex-${which}-reset-after-seconds`));
    out.push({
      ...base,
      provider: 'codex',
      window: minutes !== null && minutes > 0 ? windowName(minutes) : which,
      utilization: Math.min(1, Math.max(0, pct / 100)),
      reset_at: at ?? (after !== null ? seenAt + after * 1000 : null),
      status: h.get('x-codex-rate-limit-reached-type') ?? null,
      binding: active === which,
    });
  }
  return out;
}

/**
 * Raises a notification once per window and reset when a window's use reaches `percent` of it. The threshold is
 * read live (Settings); null turns the watch off.
 */
export class LimitWatch {
  private readonly alerted = new Set<string>();

  constructor(
    private readonly threshold: () => number | null,
    private readonly current: () => Promise<Limits>,
    private readonly onCross: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<void> {
    const percent = this.threshold();
    if (percent === null) return;
    const limits = await this.current();
    const t = this.now();
    for (const [provider, windows] of Object.entries(limits)) {
      for (const [window, w] of Object.entries(windows)) {
        if (w.utilization === null || w.utilization * 100 < percent) continue;
        if (w.reset_at !== null && w.reset_at <= t) continue;
        const key = `${provider}:${window}:${w.reset_at ?? 'none'}:${percent}`;
        if (this.alerted.has(key)) continue;
        this.alerted.add(key);
        if (this.alerted.size > 200) this.alerted.delete(this.alerted.values().next().value!);
        const name = provider === 'anthropic' ? 'Anthropic' : provider === 'codex' ? 'Codex' : 'OpenAI';
        this.onCross(`${name} limit at ${percent} % or more: ${formatLimit(window, w, t)}.`);
      }
    }
  }
}

interface LimitRow {
  provider: string;
  win: string;
  utilization: number | null;
  reset_at: number | null;
  seen_at: number;
  lim: number | null;
  remaining: number | null;
  status: string | null;
  binding: number;
}

/** The limits table as `limits` (provider → window → as last seen). */
export function readLimits(index: {
  querySync<T>(sql: string, params?: (string | number | null)[]): T[];
}): Limits {
  const out: Limits = {};
  for (const r of index.querySync<LimitRow>('SELECT * FROM limits ORDER BY provider, win')) {
    (out[r.provider] ??= {})[r.win] = {
      utilization: r.utilization,
      reset_at: r.reset_at,
      seen_at: r.seen_at,
      limit: r.lim,
      remaining: r.remaining,
      status: r.status,
      binding: r.binding === 1,
    };
  }
  return out;
}
