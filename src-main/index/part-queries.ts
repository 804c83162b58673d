// The named queries of queries.ts over a partitioned index (partitions.ts), same arguments and results. The
// session list, totals and analytics come from the summary; a session (detail, view, lines, export) loads the
// one partition that holds it and runs the single-database query there; full-text search runs newest partition
// first and stops once the page is full and no older partition can hold a newer hit; it skips a closed partition
// whose term filter (term-filter.ts) lacks a query word, and reuses closed partitions' recent answers (part-hits.ts).
import type { SessionAnalysis } from '../insight/session.js';
import { readLimits } from '../analytics/limits.js';
import type { ExportFormat, SearchHit, SessionView } from '../../src-shared/contract.js';
import type { ReplayComparison, ReplayRef } from '../../src-shared/replay.js';
import { analyticsFromRollups, indexStatsFromRollups } from '../analytics/rollup-analytics.js';
import type { AnalyticsArgs } from '../analytics/analytics.js';
import type { Prices } from '../analytics/prices.js';
import type { ExportFile } from '../export/index.js';
import { buildComparison } from '../replay/compare.js';
import type { IndexStore } from './db.js';
import type { PartitionedIndex, PartitionInfo } from './partitions.js';
import {
  exportSession,
  ftsQuery,
  getRequestBodies,
  getSession,
  sessionLines,
  sessionView,
  sessionInsight,
  sessionFilters,
  SNIPPET,
  type ListSessionsArgs,
  type QueryContext,
  type QueryName,
  type RequestBodies,
  type SessionDetail,
  type SessionRow,
} from './queries.js';
import { LIST_COLUMNS } from './summary.js';
import { PartHits } from './part-hits.js';
import { mergedStore, partsOfFile } from './part-spans.js';
import { queryTerms, type QueryTerms } from './term-filter.js';

export interface PartContext {
  parts: PartitionedIndex;
  sessionsDir: string;
  prices?: Prices;
}

/**
 * The store of a partition that may hold rows matching every term (term-filter.ts), or null when its filter
 * says none does; a partition loaded without a usable filter gets one written.
 */
async function textStore(
  ctx: PartContext,
  p: PartitionInfo,
  terms: QueryTerms | null,
): Promise<IndexStore | null> {
  if (p.state === 'closed' && !ctx.parts.terms.mayMatch(p, terms)) return null;
  const store = await ctx.parts.store(p.id);
  if (p.state === 'closed') await ctx.parts.terms.repair(p, store);
  return store;
}

/** Closed partitions' recent answers to full-text queries, per index (part-hits.ts). */
const partHits = new WeakMap<PartitionedIndex, PartHits>();
function hitsOf(ctx: PartContext): PartHits {
  let h = partHits.get(ctx.parts);
  if (!h) partHits.set(ctx.parts, (h = new PartHits()));
  return h;
}

const single = (ctx: PartContext, index: IndexStore): QueryContext => ({
  index,
  sessionsDir: ctx.sessionsDir,
  ...(ctx.prices ? { prices: ctx.prices } : {}),
});

/** A session id (or a unique prefix of one, as typed on the command line), its file and its newest partition. */
export function resolveSession(
  ctx: PartContext,
  id: string,
): { id: string; part: number; file: string } | null {
  const s = ctx.parts.summary;
  type Row = { id: string; part: number; file: string };
  const exact = s.querySync<Row>('SELECT id, part, file FROM session_list WHERE id = ?', [id]);
  if (exact[0]) return exact[0];
  if (id.length < 4) return null;
  const m = s.querySync<Row>("SELECT id, part, file FROM session_list WHERE id LIKE ? ESCAPE '\\' LIMIT 2", [
    id.replace(/[%_\\]/g, '\\$&') + '%',
  ]);
  return m.length === 1 ? m[0]! : null;
}

/**
 * Run `fn` on the database holding a session: its partition, or for a session continued across partitions
 * (part-spans.ts) a scratch merge of them, closed afterwards. Null when no session matches.
 */
async function withSession<T>(
  ctx: PartContext,
  id: string,
  fn: (s: { id: string; q: QueryContext }) => T | Promise<T>,
): Promise<T | null> {
  const r = resolveSession(ctx, id);
  if (!r) return null;
  const parts = partsOfFile(ctx.parts.summary, r.file, r.part);
  if (parts.length === 1) return fn({ id: r.id, q: single(ctx, await ctx.parts.store(r.part)) });
  const merged = await mergedStore(parts, (p) => ctx.parts.store(p), r.file);
  try {
    return await fn({ id: r.id, q: single(ctx, merged) });
  } finally {
    merged.db.close();
  }
}

/** The partition holding a request (by id or a unique prefix of at least 6), newest partition first. */
async function requestStore(ctx: PartContext, id: string): Promise<QueryContext | null> {
  for (const p of ctx.parts.partitions()) {
    const store = await ctx.parts.store(p.id);
    const hit =
      store.querySync('SELECT 1 FROM requests WHERE id = ?', [id]).length > 0 ||
      (id.length >= 6 &&
        store.querySync("SELECT 1 FROM requests WHERE id LIKE ? ESCAPE '\\' LIMIT 2", [
          id.replace(/[%_\\]/g, '\\$&') + '%',
        ]).length === 1);
    if (hit) return single(ctx, store);
  }
  return null;
}

export async function listSessions(
  ctx: PartContext,
  a: ListSessionsArgs = {},
): Promise<{ sessions: SessionRow[]; total: number }> {
  const summary = ctx.parts.summary;
  const { where, params } = sessionFilters(a);
  if (a.status === 'in_flight') where.push('s.in_flight > 0');
  else if (a.status === 'failed') where.push('s.failed_count > 0');
  else if (a.status === 'interrupted') where.push('s.interrupted_count > 0');
  else if (a.status === 'completed')
    where.push('s.failed_count = 0 AND s.interrupted_count = 0 AND s.in_flight = 0');
  const fts = a.q ? ftsQuery(a.q) : null;
  if (a.q && !fts) return { sessions: [], total: 0 };
  if (fts) {
    // The sessions with a match, from every partition, into a temporary table of the summary (never saved).
    summary.scratch((db) =>
      db.exec('CREATE TEMP TABLE IF NOT EXISTS q_ids (id TEXT PRIMARY KEY); DELETE FROM temp.q_ids;'),
    );
    const terms = queryTerms(summary, fts);
    for (const p of ctx.parts.partitions()) {
      const ids = await hitsOf(ctx).get(p, `sessions ${fts}`, async () => {
        const store = await textStore(ctx, p, terms);
        if (!store) return [];
        return store
          .querySync<{ id: string }>(
            'SELECT DISTINCT session_id AS id FROM request_text WHERE request_text MATCH ?',
            [fts],
          )
          .map((r) => r.id);
      });
      if (ids.length > 0)
        summary.scratch((db) =>
          db.run('INSERT OR IGNORE INTO temp.q_ids SELECT value FROM json_each(?)', [JSON.stringify(ids)]),
        );
    }
    where.push('s.id IN (SELECT id FROM temp.q_ids)');
  }
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const limit = Math.min(Math.max(a.limit ?? 50, 1), 1000);
  const offset = Math.max(a.offset ?? 0, 0);
  const rows = summary.querySync<SessionRow & { part: number }>(
    `SELECT ${LIST_COLUMNS.map((c) => `s.${c}`).join(', ')}, s.part AS part FROM session_list s ${w}
     ORDER BY s.last_at DESC, s.id LIMIT ${limit} OFFSET ${offset}`,
    params,
  );
  const total =
    summary.querySync<{ n: number }>(`SELECT COUNT(*) AS n FROM session_list s ${w}`, params)[0]?.n ?? 0;
  const sessions: SessionRow[] = [];
  for (const { part, ...row } of rows) {
    if (fts) {
      // Newest partition first: a continued session's match may be in an older one (part-spans.ts).
      let match: string | null = null;
      for (const p of partsOfFile(summary, row.file, part).reverse()) {
        match =
          (await ctx.parts.store(p)).querySync<{ match: string }>(
            `SELECT ${SNIPPET} AS match FROM request_text WHERE request_text MATCH ? AND session_id = ? LIMIT 1`,
            [fts, row.id],
          )[0]?.match ?? null;
        if (match !== null) break;
      }
      sessions.push({ ...row, match });
    } else sessions.push(row);
  }
  return { sessions, total };
}

/** Full-text search, newest matching requests first: partitions newest first, stopping when the page is full. */
export async function search(
  ctx: PartContext,
  a: { q: string; limit?: number },
): Promise<{ hits: SearchHit[] }> {
  const fts = ftsQuery(a.q);
  if (!fts) return { hits: [] };
  const limit = Math.min(Math.max(a.limit ?? 50, 1), 500);
  let hits: SearchHit[] = [];
  const terms = queryTerms(ctx.parts.summary, fts);
  for (const p of ctx.parts.partitions()) {
    if (hits.length >= limit && (p.last_at ?? 0) < hits[limit - 1]!.at) break;
    const part = await hitsOf(ctx).get(p, `search ${limit} ${fts}`, async () => {
      const store = await textStore(ctx, p, terms);
      return store
        ? store.querySync<SearchHit>(
            `SELECT request_text.request_id AS request_id, request_text.session_id AS session_id,
                    COALESCE(r.at, 0) AS at, ${SNIPPET} AS snippet
             FROM request_text LEFT JOIN requests r ON r.id = request_text.request_id
             WHERE request_text MATCH ? ORDER BY at DESC LIMIT ${limit}`,
            [fts],
          )
        : [];
    });
    hits.push(...part);
    hits = hits.sort((x, y) => y.at - x.at).slice(0, limit);
  }
  return { hits };
}

export async function partGetSession(ctx: PartContext, a: { id: string }): Promise<SessionDetail | null> {
  return (await withSession(ctx, a.id, (s) => getSession(s.q, { id: s.id }))) ?? null;
}

/**
 * Replays of one request, or of any request of a session; newest first. Replays are recorded after their
 * original, so they are looked for in the original's partition and the newer ones.
 */
export async function listReplays(
  ctx: PartContext,
  a: { id?: string; session_id?: string },
): Promise<ReplayRef[]> {
  let ids: string[];
  let from: number;
  if (a.id !== undefined) {
    const q = await requestStore(ctx, a.id);
    const at = q?.index.querySync<{ at: number }>('SELECT at FROM requests WHERE id = ?', [a.id])[0]?.at;
    if (at === undefined) return [];
    ids = [a.id];
    from = at;
  } else {
    const rows =
      (await withSession(ctx, a.session_id ?? '', (s) =>
        s.q.index.querySync<{ id: string; at: number }>('SELECT id, at FROM requests WHERE session_id = ?', [
          s.id,
        ]),
      )) ?? [];
    if (rows.length === 0) return [];
    ids = rows.map((r) => r.id);
    from = Math.min(...rows.map((r) => r.at));
  }
  const out: ReplayRef[] = [];
  for (const p of ctx.parts.partitions()) {
    if ((p.last_at ?? 0) < from) continue;
    const store = await ctx.parts.store(p.id);
    out.push(
      ...store.querySync<ReplayRef>(
        `SELECT r.id, r.session_id, r.replay_of, r.at, COALESCE(r.model, r.model_requested) AS model, r.outcome,
                r.status
         FROM requests r WHERE r.replay_of IN (SELECT value FROM json_each(?))`,
        [JSON.stringify(ids)],
      ),
    );
  }
  return out.sort((x, y) => y.at - x.at || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

export async function partRequestBodies(ctx: PartContext, a: { id: string }): Promise<RequestBodies | null> {
  const q = await requestStore(ctx, a.id);
  return q ? getRequestBodies(q, a) : null;
}

export async function partReplayComparison(
  ctx: PartContext,
  a: { id: string },
): Promise<ReplayComparison | null> {
  const replay = await partRequestBodies(ctx, a);
  if (!replay?.response || !replay.request.replay_of) return null;
  const original = await partRequestBodies(ctx, { id: replay.request.replay_of });
  if (!original) return null;
  return buildComparison(original, replay, ctx.prices);
}

export async function partSessionView(ctx: PartContext, a: { id: string }): Promise<SessionView | null> {
  const found = await withSession(ctx, a.id, async (s) => ({
    id: s.id,
    view: await sessionView(s.q, { id: s.id }),
  }));
  if (!found?.view) return null;
  return { ...found.view, replays: await listReplays(ctx, { session_id: found.id }) };
}

/** The insight of a session (context, cache breaks, subagents, compaction), from its file in its partition. */
export async function partSessionInsight(
  ctx: PartContext,
  a: { id: string },
): Promise<SessionAnalysis | null> {
  return (await withSession(ctx, a.id, (s) => sessionInsight(s.q, { id: s.id }))) ?? null;
}

/** The named queries (queries.ts QUERIES) for a partitioned index. */
export const PART_QUERIES: { [K in QueryName]: (ctx: PartContext, a: never) => unknown } = {
  'sessions.list': (ctx: PartContext, a: ListSessionsArgs) => listSessions(ctx, a),
  'sessions.get': (ctx: PartContext, a: { id: string }) => partGetSession(ctx, a),
  'sessions.lines': async (ctx: PartContext, a: { id: string }) => {
    return (
      (await withSession(ctx, a.id, (s) => (s.id === a.id ? sessionLines(s.q, { id: s.id }) : null))) ?? null
    );
  },
  'requests.bodies': (ctx: PartContext, a: { id: string }) => partRequestBodies(ctx, a),
  'sessions.view': (ctx: PartContext, a: { id: string }) => partSessionView(ctx, a),
  'replays.list': (ctx: PartContext, a: { id?: string; session_id?: string }) => listReplays(ctx, a),
  'replay.compare': (ctx: PartContext, a: { id: string }) => partReplayComparison(ctx, a),
  search: (ctx: PartContext, a: { q: string; limit?: number }) => search(ctx, a),
  export: async (ctx: PartContext, a: { id: string; format: ExportFormat }): Promise<ExportFile | null> => {
    return (await withSession(ctx, a.id, (s) => exportSession(s.q, { id: s.id, format: a.format }))) ?? null;
  },
  stats: (ctx: PartContext, a: { since?: number }) => indexStatsFromRollups(ctx.parts, a ?? {}, ctx.prices),
  limits: (ctx: PartContext) => readLimits(ctx.parts.summary),
  analytics: (ctx: PartContext, a: AnalyticsArgs) => analyticsFromRollups(ctx.parts, a ?? {}, ctx.prices),
};
