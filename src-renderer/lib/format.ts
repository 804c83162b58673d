// Formatting for the views: tokens, durations, times, clients, statuses. Pure functions (no DOM), unit-tested;
// every output is plain text that the components render as text.
import type { SessionRow } from '../../src-shared/contract.js';

export const CLIENT_LABELS: Record<string, string> = {
  claude_code: 'Claude Code',
  codex: 'Codex',
  opencode: 'OpenCode',
  sdk: 'SDK',
  other: 'Other',
};

export function clientLabel(client: string): string {
  return CLIENT_LABELS[client] ?? client;
}

/** 1234 → "1.2k", 1_234_567 → "1.23M"; null → "–" (not reported is not zero). */
export function tokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 1000) return String(Math.round(n));
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}

/** Milliseconds as "850 ms", "2.4 s", "3 m 05 s", "1 h 02 m"; null → "–". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", else a date. */
export function relativeTime(at: number, now: number): string {
  const d = Math.max(0, now - at);
  if (d < 5_000) return 'just now';
  if (d < 60_000) return `${Math.floor(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  return new Date(at).toISOString().slice(0, 10);
}

/** Local time of day with seconds, e.g. "14:03:27". */
export function clock(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
}

export type RowStatus = 'streaming' | 'failed' | 'interrupted' | 'ok' | 'empty';

export function rowStatus(r: Pick<SessionRow, 'in_flight' | 'last_outcome' | 'request_count'>): RowStatus {
  if (r.in_flight > 0) return 'streaming';
  if (r.request_count === 0) return 'empty';
  if (r.last_outcome === 'failed') return 'failed';
  if (r.last_outcome === 'interrupted') return 'interrupted';
  return 'ok';
}

export const STATUS_LABELS: Record<RowStatus, string> = {
  streaming: 'Streaming',
  failed: 'Failed',
  interrupted: 'Interrupted',
  ok: 'OK',
  empty: '–',
};

/** Session duration: first request to the end of the last finished one (or now while in flight). */
export function sessionDuration(
  r: Pick<SessionRow, 'started_at' | 'ended_at' | 'last_at' | 'in_flight'>,
  now: number,
): number {
  const end = r.in_flight > 0 ? now : Math.max(r.ended_at ?? r.last_at, r.last_at);
  return Math.max(0, end - r.started_at);
}

export function firstModel(models: string | null): string {
  if (!models) return '–';
  const list = models.split(',').filter(Boolean);
  return list.length > 1 ? `${list[list.length - 1]} +${list.length - 1}` : (list[0] ?? '–');
}

/** Split a search snippet (matches between \u0002 and \u0003) into text segments, marked or not. */
export function snippetParts(snippet: string): { text: string; mark: boolean }[] {
  const out: { text: string; mark: boolean }[] = [];
  let mark = false;
  let buf = '';
  for (const ch of snippet) {
    if (ch === '\u0002' || ch === '\u0003') {
      if (buf) out.push({ text: buf, mark });
      buf = '';
      mark = ch === '\u0002';
    } else buf += ch;
  }
  if (buf) out.push({ text: buf, mark });
  return out;
}

/** Pretty JSON for the raw view; strings that hold JSON stay strings. */
export function prettyJson(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? 'null';
}

/** Tool arguments: pretty-printed when they are JSON, as is otherwise. */
export function prettyArgs(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A short id for display: the first 8 characters. */
/** A project's name: the last segment of its working directory (`/home/me/src/app/` → `app`). */
export function projectName(dir: string): string {
  const parts = dir.split(/[\\/]+/).filter(Boolean);
  return parts.at(-1) ?? dir;
}

export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/**
 * A cost in USD: unknown is "unpriced" (never $0). Small amounts keep significant digits. `unpriced` = how
 * many requests the amount leaves out (their model has no price, or their usage is unknown).
 */
export function cost(
  usd: number | null | undefined,
  unpriced = 0,
): { text: string; title: string; known: boolean } {
  if (usd === null || usd === undefined) {
    return {
      text: 'unpriced',
      title: 'No price for this model (or no usage reported): cost unknown, not $0',
      known: false,
    };
  }
  const text = usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(2)}`;
  return unpriced > 0
    ? {
        text: `${text}+`,
        title: `${text} for the priced requests; ${unpriced} request(s) unpriced and not included`,
        known: true,
      }
    : { text, title: `${text} from each request's own token kinds`, known: true };
}

/** A share 0..1 as a percent ("69%"); null (nothing to divide by) → "–". */
export function pct(n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined ? '–' : `${(n * 100).toFixed(digits)}%`;
}

/** A group's priced cost; nothing priced at all is "unpriced" (unknown, not $0). */
export function money(usd: number, unpriced = 0, priced = 1): string {
  if (priced === 0 && unpriced > 0) return 'unpriced';
  return cost(usd, unpriced).text;
}
