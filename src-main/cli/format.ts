// Plain-text formatting for CLI tables: aligned columns, compact token counts, local times, durations.
// Unknown values print as "–", never as 0.

export function fmtTokens(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n < 10_000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 100_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

export function fmtTime(epochMs: number, now = Date.now()): string {
  const d = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return hm;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

/** Render rows as aligned columns; `right` marks numeric columns. */
export function table(headers: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/**
 * `7d`, `24h`, `30m`, `2w`, or an ISO date/time → epoch ms of the start of that window.
 * Throws a message meant for the user on anything else.
 */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+)\s*([mhdw])$/.exec(text.trim());
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
    return now - Number(m[1]) * unit;
  }
  const t = Date.parse(text);
  if (!Number.isNaN(t)) return t;
  throw new Error(`--since takes a duration like 30m, 24h, 7d, 2w or a date like 2026-11-01, got "${text}"`);
}

/** The last path segment of a project directory (`/home/me/src/app` → `app`); `–` for none. */
export function projectName(dir: string | null | undefined): string {
  if (!dir) return '–';
  return (
    dir
      .split(/[\\/]+/)
      .filter(Boolean)
      .at(-1) ?? dir
  );
}
