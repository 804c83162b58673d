// `lunaroute sessions list|show`: browse what was recorded, from the index file in this process (read-only).
// A running server saves its index every few seconds; lines it wrote since then are caught up from the JSONL
// here in memory, so the listing is current. Requests still in flight show as such, never as crashed.
import path from 'node:path';
import fs from 'node:fs';
import { LEGACY_INDEX_FILE, PartitionedIndex } from '../index/partitions.js';
import { reconcilePartitions } from '../index/part-reconcile.js';
import { listSessions, partGetSession, partSessionInsight, type PartContext } from '../index/part-queries.js';
import { buildPrices, type Prices } from '../analytics/prices.js';
import type { SessionRow } from '../index/queries.js';
import { withInsight } from '../insight/exchanges.js';
import type { SessionAnalysis } from '../insight/session.js';
import { partLabel, type RequestInsight } from '../../src-shared/insight.js';
import { cliError, usageError, type Command, type CommandOption } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { loadConfigForCli } from './serve.js';
import { fmtMs, fmtTime, fmtTokens, parseSince, projectName, table } from './format.js';

const DATA_OPTIONS = CONFIG_OPTIONS.filter((o) => o.name === 'data-dir' || o.name === 'config');

const OPTIONS: readonly CommandOption[] = [
  {
    name: 'since',
    type: 'string',
    valueName: 'when',
    description: 'list: only sessions active since (30m, 24h, 7d, 2w or a date)',
  },
  {
    name: 'client',
    type: 'string',
    valueName: 'name',
    description: 'list: only this client (claude_code, codex, opencode, sdk, other)',
  },
  {
    name: 'model',
    type: 'string',
    valueName: 'name',
    description: 'list: only sessions that used this model (substring)',
  },
  { name: 'limit', type: 'string', valueName: 'n', description: 'list: at most n sessions (default 50)' },
  { name: 'json', type: 'boolean', description: 'Print JSON (stable field names) instead of a table' },
  ...DATA_OPTIONS,
];

/** Open the index read-only and catch up with the session files (in memory: a running server owns the files). */
export async function openForReading(
  dataDir: string,
  prices?: Prices,
): Promise<PartContext & { close(): void }> {
  const sessionsDir = path.join(dataDir, 'sessions');
  if (
    !fs.existsSync(sessionsDir) &&
    !fs.existsSync(path.join(dataDir, 'index')) &&
    !fs.existsSync(path.join(dataDir, LEGACY_INDEX_FILE))
  ) {
    throw cliError(
      `nothing recorded yet in ${dataDir} (start the proxy with \`lunaroute serve\` and send some traffic)`,
      1,
    );
  }
  const parts = await PartitionedIndex.open({ dataDir, readOnly: true, ...(prices ? { prices } : {}) });
  await reconcilePartitions(parts, sessionsDir, {
    markCrashed: false,
    full: parts.rebuildReason !== null,
    ...(prices ? { prices } : {}),
  });
  return {
    parts,
    sessionsDir,
    ...(prices ? { prices } : {}),
    close: () => parts.discard(),
  };
}

const usd = (n: number | null): string => (n === null ? 'unpriced' : `$${n.toFixed(n < 0.1 ? 4 : 2)}`);

/** The insight in two lines: where the money went, what broke the cache, what the biggest context is made of. */
function insightLines(a: SessionAnalysis): string {
  const s = a.session;
  const subs = s.lanes.length - 1;
  let peak: RequestInsight['context'] = null;
  let peakTotal = 0;
  for (const i of a.byRequest.values()) {
    const t = i.context?.parts.reduce((n, p) => n + p.tokens, 0) ?? 0;
    if (t > 0 && t >= peakTotal) [peak, peakTotal] = [i.context, t];
  }
  const largest = (peak?.parts ?? [])
    .slice(0, 4)
    .map((p) => `${partLabel(p)} ${Math.round((p.tokens / peakTotal) * 100)} %`)
    .join(', ');
  return (
    `  insight   main ${usd(s.main.cost_usd)} (${s.main.requests} req) · subagents ${usd(s.subagents.cost_usd)} (${subs} agent${subs === 1 ? '' : 's'}, ${s.subagents.requests} req) · cache breaks ${s.cache_breaks.count}${s.cache_breaks.count ? ` (+${usd(s.cache_breaks.extra_cost_usd)})` : ''} · compactions ${s.compactions}\n` +
    (largest ? `  context   largest request: ${largest}\n` : '')
  );
}

/** The project's last path segment and the branch: `moon-base@feature/x`; `–` when the client named none. */
function projectLabel(s: SessionRow): string {
  if (!s.project) return '–';
  const name = projectName(s.project);
  return s.branch ? `${name}@${s.branch}` : name;
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function statusOf(s: SessionRow): string {
  const parts: string[] = [];
  if (s.failed_count) parts.push(`${s.failed_count} failed`);
  if (s.interrupted_count) parts.push(`${s.interrupted_count} cut`);
  return parts.join(', ') || 'ok';
}

export const sessionsCommand: Command = {
  name: 'sessions',
  summary: 'List recorded sessions, or show one (lunaroute sessions list | show <id>)',
  description:
    'Browse what LunaRoute recorded. `list` shows sessions newest first; `show <id>` shows one session\n' +
    '(a unique prefix of its id is enough) with its requests, tokens, timings and tool calls.',
  options: OPTIONS,
  positionals: [
    { name: 'list | show', description: 'what to do' },
    { name: 'id', description: 'show: the session id or a unique prefix' },
  ],
  async run({ values, positionals }, ctx) {
    const [sub, id, extra] = positionals;
    if (sub !== 'list' && sub !== 'show')
      throw usageError(sub ? `unknown subcommand '${sub}' (list or show)` : 'say list or show', 'sessions');
    if (extra !== undefined || (sub === 'list' && id !== undefined))
      throw usageError(`unexpected argument '${extra ?? id}'`, 'sessions');
    const config = loadConfigForCli(values, ctx);
    const reading = await openForReading(config.dataDir, buildPrices(config.pricing));
    const { sessionsDir } = reading;
    try {
      if (sub === 'list') {
        let since: number | undefined;
        if (typeof values['since'] === 'string') {
          try {
            since = parseSince(values['since']);
          } catch (err) {
            throw usageError((err as Error).message, 'sessions');
          }
        }
        const limit = typeof values['limit'] === 'string' ? Number(values['limit']) : 50;
        if (!Number.isInteger(limit) || limit < 1)
          throw usageError(`--limit takes a positive integer, got "${String(values['limit'])}"`, 'sessions');
        const r = await listSessions(reading, {
          ...(since !== undefined ? { since } : {}),
          ...(typeof values['client'] === 'string' ? { client: values['client'] } : {}),
          ...(typeof values['model'] === 'string' ? { model: values['model'] } : {}),
          limit,
        });
        if (values['json']) {
          ctx.stdout(JSON.stringify(r, null, 2) + '\n');
          return 0;
        }
        if (r.sessions.length === 0) {
          ctx.stdout('No sessions match.\n');
          return 0;
        }
        const rows = r.sessions.map((s) => [
          s.id,
          s.client,
          fmtTime(s.started_at),
          fmtMs(s.last_at - s.started_at),
          String(s.request_count),
          fmtTokens(s.input_tokens),
          fmtTokens(s.output_tokens),
          `${fmtTokens(s.cache_read_tokens)}/${fmtTokens(s.cache_write_tokens)}`,
          String(s.tool_call_count),
          s.models ?? '–',
          statusOf(s),
          projectLabel(s),
          clip(s.title ?? '–', 48),
        ]);
        ctx.stdout(
          table(
            [
              'SESSION',
              'CLIENT',
              'STARTED',
              'SPAN',
              'REQS',
              'IN',
              'OUT',
              'CACHE R/W',
              'TOOLS',
              'MODELS',
              'STATUS',
              'PROJECT',
              'TITLE',
            ],
            rows,
            new Set([3, 4, 5, 6, 7, 8]),
          ),
        );
        if (r.total > r.sessions.length)
          ctx.stdout(`… ${r.total - r.sessions.length} more (use --limit or --since)\n`);
        return 0;
      }
      if (!id) throw usageError('show needs a session id', 'sessions');
      const d = await partGetSession(reading, { id });
      if (!d) throw cliError(`no session '${id}' (see lunaroute sessions list)`, 1);
      const part = reading.parts.summary.querySync<{ part: number }>(
        'SELECT part FROM session_list WHERE id = ?',
        [d.session.id],
      )[0]!.part;
      const redactions = (await reading.parts.store(part)).querySync<{ detector: string; count: number }>(
        'SELECT detector, count FROM redactions WHERE session_id = ? ORDER BY count DESC, detector',
        [d.session.id],
      );
      const insight = await partSessionInsight(reading, { id: d.session.id });
      if (values['json']) {
        ctx.stdout(
          JSON.stringify(
            {
              ...d,
              requests: insight ? withInsight(d.requests, insight.byRequest) : d.requests,
              ...(insight ? { insight: insight.session } : {}),
              redactions: Object.fromEntries(redactions.map((r) => [r.detector, r.count])),
            },
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      const s = d.session;
      ctx.stdout(
        `Session ${s.id}\n` +
          `  title     ${s.title ?? '–'}\n` +
          `  client    ${s.client}${s.client_version ? ' ' + s.client_version : ''}\n` +
          `  project   ${s.project ?? '–'}${s.branch ? ` (branch ${s.branch})` : ''}\n` +
          `  started   ${fmtTime(s.started_at)}   last ${fmtTime(s.last_at)}\n` +
          `  requests  ${s.request_count} (${statusOf(s)})   models ${s.models ?? '–'}\n` +
          `  tokens    input ${fmtTokens(s.input_tokens)}  output ${fmtTokens(s.output_tokens)}  reasoning ${fmtTokens(s.reasoning_tokens)}  cache read ${fmtTokens(s.cache_read_tokens)}  cache write ${fmtTokens(s.cache_write_tokens)}\n` +
          `  redacted  ${redactions.length ? redactions.map((r) => `${r.detector} ${r.count}`).join(', ') : 'nothing'}\n` +
          (insight ? insightLines(insight) : '') +
          `  file      ${path.join(sessionsDir, s.file)}\n\n`,
      );
      // Replays (in a replay-… session) say which request they replay.
      const replays = d.requests.some((r) => r.replay_of);
      ctx.stdout(
        table(
          [
            'REQUEST',
            'TIME',
            'ENDPOINT',
            'MODEL',
            'OUTCOME',
            'STATUS',
            'IN',
            'OUT',
            'CACHE R/W',
            'TTFB',
            'DURATION',
            'TOOLS',
            ...(replays ? ['REPLAY OF'] : []),
            'PROMPT',
          ],
          d.requests.map((r) => [
            r.id.slice(0, 8),
            fmtTime(r.at),
            r.endpoint,
            r.model ?? r.model_requested ?? '–',
            r.outcome ?? 'in flight',
            r.status === null ? '–' : String(r.status),
            fmtTokens(r.input_tokens),
            fmtTokens(r.output_tokens),
            `${fmtTokens(r.cache_read_tokens)}/${fmtTokens(r.cache_write_tokens)}`,
            fmtMs(r.ttfb_ms),
            fmtMs(r.duration_ms),
            String(r.tool_call_count),
            ...(replays ? [r.replay_of ? r.replay_of.slice(0, 8) : '–'] : []),
            (r.prompt_preview ?? '').slice(0, 40),
          ]),
          new Set([5, 6, 7, 8, 9, 10, 11]),
        ),
      );
      if (d.toolCalls.length > 0) {
        ctx.stdout('\nTool calls\n');
        ctx.stdout(
          table(
            ['TOOL', 'CALLED', 'LATENCY', 'RESULT', 'ARGUMENTS'],
            d.toolCalls.map((t) => [
              t.name,
              fmtTime(t.called_at),
              fmtMs(t.latency_ms),
              t.result_request_id === null ? 'no result yet' : t.is_error ? 'error' : 'ok',
              (t.arguments_preview ?? '').replace(/\s+/g, ' ').slice(0, 60),
            ]),
            new Set([2]),
          ),
        );
      }
      return 0;
    } finally {
      reading.close();
    }
  },
};
