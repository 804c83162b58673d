// `lunaroute stats [--since 7d] [--by day|model|client|tool|class|project|branch] [--json]`: tokens, cost and background-request
// shares from the index, read in this process like `sessions` does. Cost is summed over priced requests only;
// an unpriced model is shown as "unpriced" (never $0) and the priced share says how much the sum covers.
import { formatLimit, type Limits } from '../../src-shared/limits.js';
import { STATS_BY, type StatsBy, type StatsGroup, type StatsResult } from '../analytics/stats.js';
import { usageError, type Command, type CommandOption } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { fmtMs, fmtTokens, parseSince, projectName, table } from './format.js';
import { loadConfigForCli } from './serve.js';
import { openForReading } from './sessions.js';
import { statsFromRollups } from '../analytics/rollup-analytics.js';
import { buildPrices } from '../analytics/prices.js';

const OPTIONS: readonly CommandOption[] = [
  {
    name: 'since',
    type: 'string',
    valueName: 'when',
    description: 'only requests since (30m, 24h, 7d, 2w or a date; default 7d)',
  },
  {
    name: 'by',
    type: 'string',
    valueName: 'what',
    description: `break down by ${STATS_BY.join(', ')}`,
  },
  { name: 'json', type: 'boolean', description: 'Print JSON (stable field names) instead of tables' },
  ...CONFIG_OPTIONS.filter((o) => o.name === 'data-dir' || o.name === 'config'),
];

export function fmtUsd(usd: number, unpriced = 0): string {
  const s = usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
  return unpriced > 0 ? (usd === 0 ? 'unpriced' : `${s} + unpriced`) : s;
}

function pct(n: number | null): string {
  return n === null ? '–' : `${(n * 100).toFixed(n === 1 || n === 0 ? 0 : 1)}%`;
}

function groupTable(title: string, rows: StatsGroup[], total: StatsResult['totals']): string {
  const tokens = (g: StatsGroup): number =>
    g.input_tokens + g.output_tokens + g.cache_read_tokens + g.cache_write_tokens;
  const all = tokens({ ...total, key: '' });
  return (
    table(
      [title, 'REQS', 'FAILED', 'IN', 'OUT', 'CACHE R/W', 'REASONING', 'TOKENS %', 'COST', 'COST %'],
      rows.map((g) => [
        g.key,
        String(g.requests),
        String(g.failed),
        fmtTokens(g.input_tokens),
        fmtTokens(g.output_tokens),
        `${fmtTokens(g.cache_read_tokens)}/${fmtTokens(g.cache_write_tokens)}`,
        fmtTokens(g.reasoning_tokens),
        pct(all === 0 ? null : tokens(g) / all),
        fmtUsd(g.cost_usd, g.unpriced_requests),
        pct(total.cost_usd === 0 ? null : g.cost_usd / total.cost_usd),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ) + '\n'
  );
}

const PROVIDER_NAME: Record<string, string> = { anthropic: 'Anthropic', openai: 'OpenAI', codex: 'Codex' };

/** "Limits    Anthropic 5 h: 42 % · resets 16:00 (seen 12:01)" per provider; '' when none was seen. */
function limitLines(limits: Limits, now: number): string {
  return Object.entries(limits)
    .map(([provider, windows], i) => {
      const seen = Math.max(...Object.values(windows).map((w) => w.seen_at));
      const parts = Object.entries(windows).map(([name, w]) => formatLimit(name, w, now));
      const at = new Date(seen);
      const hm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
      return `${i === 0 ? 'Limits ' : '       '}   ${PROVIDER_NAME[provider] ?? provider} ${parts.join(' · ')} (seen ${hm})`;
    })
    .join('\n');
}

export function renderStats(r: StatsResult): string {
  const t = r.totals;
  let out =
    `Requests  ${t.requests} in ${r.sessions} session(s), ${t.failed} failed\n` +
    `Tokens    input ${fmtTokens(t.input_tokens)}  output ${fmtTokens(t.output_tokens)} (reasoning ${fmtTokens(t.reasoning_tokens)})  cache read ${fmtTokens(t.cache_read_tokens)}  cache write ${fmtTokens(t.cache_write_tokens)}\n` +
    `Cost      ${fmtUsd(t.cost_usd, t.unpriced_requests)}   priced ${pct(t.priced_share)} of requests with usage` +
    (r.unpriced_models.length ? `   unpriced: ${r.unpriced_models.join(', ')}` : '') +
    '\n\n';
  const limits = limitLines(r.limits, Date.now());
  if (limits) out += `${limits}\n\n`;
  out += groupTable('CLASS', r.classes, t);
  if (r.by === 'tool') {
    out += r.tools.length
      ? table(
          ['TOOL', 'CALLS', 'ERRORS', 'ERROR RATE', 'P50', 'P95'],
          r.tools.map((x) => [
            x.name,
            String(x.calls),
            String(x.errors),
            pct(x.error_rate),
            fmtMs(x.latency_p50_ms),
            fmtMs(x.latency_p95_ms),
          ]),
          new Set([1, 2, 3, 4, 5]),
        )
      : 'No tool calls in this window.\n';
  } else if (r.by === 'branch') {
    // Branch names repeat across projects: say whose branch each is.
    const named = r.groups.map((g) => ({ ...g, key: `${g.key}  (${projectName(g.project ?? null)})` }));
    out += groupTable('BRANCH (PROJECT)', named, t);
  } else if (r.by && r.by !== 'class') {
    out += groupTable(r.by.toUpperCase(), r.groups, t);
  }
  return out;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'Tokens, cost and background-request shares (lunaroute stats --since 7d --by model)',
  description:
    'Totals over the recorded requests: tokens by kind, cost (priced models only; unpriced ones are listed,\n' +
    'never counted as $0), the share each request class takes (main turns, subagents, titles, token counts,\n' +
    'compactions, probes), and optionally a breakdown by day, model, client, tool, project (the working\n' +
    'directory the client stated) or branch.',
  options: OPTIONS,
  async run({ values, positionals }, ctx) {
    if (positionals.length > 0) throw usageError(`unexpected argument '${positionals[0]}'`, 'stats');
    let since: number;
    try {
      since = parseSince(typeof values['since'] === 'string' ? values['since'] : '7d');
    } catch (err) {
      throw usageError((err as Error).message, 'stats');
    }
    const by = values['by'];
    if (by !== undefined && !STATS_BY.includes(by as StatsBy))
      throw usageError(`--by takes ${STATS_BY.join(', ')}, got "${String(by)}"`, 'stats');
    const config = loadConfigForCli(values, ctx);
    const prices = buildPrices(config.pricing);
    const reading = await openForReading(config.dataDir, prices);
    try {
      const r = await statsFromRollups(
        reading.parts,
        { since, ...(by ? { by: by as StatsBy } : {}) },
        prices,
      );
      ctx.stdout(values['json'] ? JSON.stringify(r, null, 2) + '\n' : renderStats(r));
      return 0;
    } finally {
      reading.close();
    }
  },
};
