// A session's totals (request, failure and interruption counts, token and cost sums, models, unpriced requests,
// tool calls) are kept by triggers as its rows are written, not recounted per batch: they must always equal what
// the session's rows add up to — whatever the order of lines, duplicates, late or lost responses, gap lines and
// batch boundaries — and keep doing so in an index file written before the triggers existed and after a journal
// replay.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import initSqlJs from 'sql.js';
import { afterEach, describe, expect, it } from 'vitest';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { statementsFor } from '../../src-main/index/indexer.js';
import { copyFiles } from '../../src-main/index/part-copy.js';
import type { SessionRow } from '../../src-main/index/queries.js';
import { IndexQueue } from '../../src-main/recorder/index-queue.js';
import type { RecordLine } from '../../src-shared/records.js';
import { FILE, gap, request, response, session, T0 } from '../support/index-lines.js';

const stores: IndexStore[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function memoryIndex(): Promise<IndexStore> {
  const { db } = await openIndex(null);
  stores.push(db);
  return db;
}

/** A session's totals as the tests compare them (models as a sorted list; the session row has no cost columns). */
type Totals = Pick<
  SessionRow,
  | 'id'
  | 'request_count'
  | 'failed_count'
  | 'interrupted_count'
  | 'input_tokens'
  | 'output_tokens'
  | 'cache_read_tokens'
  | 'cache_write_tokens'
  | 'reasoning_tokens'
  | 'tool_call_count'
> & { cost_usd: number | null; unpriced_count: number; models: string[] };

const TOTAL_COLUMNS = `request_count, failed_count, interrupted_count, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, reasoning_tokens, cost_usd, unpriced_count, tool_call_count`;

function normalise(rows: (Omit<Totals, 'models'> & { models: string | null })[]): Totals[] {
  return rows.map((r) => ({
    ...r,
    cost_usd: r.cost_usd === null ? null : Math.round(r.cost_usd * 1e12) / 1e12,
    models: (r.models ?? '').split(',').filter(Boolean).sort(),
  }));
}

/** What the sessions table says. */
const kept = (db: IndexStore): Totals[] =>
  normalise(db.querySync(`SELECT id, ${TOTAL_COLUMNS}, models FROM sessions ORDER BY id`));

/** What the session's rows add up to (written here, independently of the index's own recount). */
const counted = (db: IndexStore): Totals[] =>
  normalise(
    db.querySync(`SELECT s.id AS id, COUNT(r.id) AS request_count,
        COUNT(CASE WHEN r.outcome = 'failed' THEN 1 END) AS failed_count,
        COUNT(CASE WHEN r.outcome = 'interrupted' THEN 1 END) AS interrupted_count,
        SUM(r.input_tokens) AS input_tokens, SUM(r.output_tokens) AS output_tokens,
        SUM(r.cache_read_tokens) AS cache_read_tokens, SUM(r.cache_write_tokens) AS cache_write_tokens,
        SUM(r.reasoning_tokens) AS reasoning_tokens, SUM(r.cost_usd) AS cost_usd,
        COUNT(CASE WHEN r.cost_status IN ('unpriced', 'partial') THEN 1 END) AS unpriced_count,
        (SELECT COUNT(*) FROM tool_calls t WHERE t.session_id = s.id) AS tool_call_count,
        group_concat(DISTINCT r.model) AS models
      FROM sessions s LEFT JOIN requests r ON r.session_id = s.id GROUP BY s.id ORDER BY s.id`),
  );

/** Lines through the recorder's index queue, a batch committed after the lines whose indexes are in `cuts`. */
async function index(db: IndexStore, ls: readonly RecordLine[], cuts: ReadonlySet<number>): Promise<void> {
  const q = new IndexQueue(db, 60_000, (err) => {
    throw err;
  });
  for (const [i, l] of ls.entries()) {
    q.push(statementsFor(l, FILE));
    if (cuts.has(i)) await q.flush();
  }
  await q.flush();
}

const MODELS = ['claude-haiku-4-5', 'claude-sonnet-4-5', 'a-model-without-a-price'] as const;
const SESSIONS = ['sess-a', 'sess-b'] as const;

type Op =
  | { kind: 'request'; s: number; n: number }
  | {
      kind: 'response';
      s: number;
      n: number;
      model: number;
      outcome: 'completed' | 'failed' | 'interrupted';
      usage: [number, number, number, number | null] | null;
    }
  | { kind: 'gap'; s: number; ns: number[] };

/** One line of a random session history: a turn's request or response (of any outcome and usage), or a gap. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), s: fc.nat(1), n: fc.nat(7) }),
  fc.record({
    kind: fc.constant('response' as const),
    s: fc.nat(1),
    n: fc.nat(7),
    model: fc.nat(2),
    outcome: fc.constantFrom('completed' as const, 'failed' as const, 'interrupted' as const),
    usage: fc.option(fc.tuple(fc.nat(5000), fc.nat(90_000), fc.nat(300), fc.option(fc.nat(700)))),
  }),
  fc.record({ kind: fc.constant('gap' as const), s: fc.nat(1), ns: fc.array(fc.nat(7), { maxLength: 3 }) }),
);

function toLines(ops: readonly Op[]): RecordLine[] {
  const out: RecordLine[] = SESSIONS.map((s) => session(s, T0));
  ops.forEach((op, i) => {
    const at = T0 + 1_000 * (i + 1);
    const sid = SESSIONS[op.s]!;
    if (op.kind === 'request') out.push(request(sid, op.n, at));
    else if (op.kind === 'gap')
      out.push(
        gap(
          at,
          op.ns.map((n) => `${sid}-r${n}`),
        ),
      );
    else {
      const [input, cacheRead, cacheWrite, reasoning] = op.usage ?? [null, null, null, null];
      out.push(
        response(sid, op.n, at, {
          model: MODELS[op.model]!,
          outcome: op.outcome,
          usage: {
            input,
            cacheRead,
            cacheWrite,
            output: input === null ? null : 40,
            reasoning: reasoning ?? null,
            raw: null,
          },
        }),
      );
    }
  });
  return out;
}

describe('session totals', () => {
  it('equal what the session’s rows add up to after any lines, duplicates and batch boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(45), { maxLength: 8 }),
        async (ops, cuts) => {
          const db = await memoryIndex();
          const ls = toLines(ops);
          await index(db, ls, new Set(cuts));
          expect(kept(db)).toEqual(counted(db));
          const before = kept(db);
          // The same lines once more (a file indexed again, a line written twice): rows already there are not
          // counted again (a gap line may now mark a request that exists as interrupted).
          await index(db, ls, new Set(cuts));
          expect(kept(db)).toEqual(counted(db));
          expect(kept(db).map((t) => t.request_count)).toEqual(before.map((t) => t.request_count));
          stores.splice(stores.indexOf(db), 1);
          db.db.close();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('count a turn’s usage, cost, model, failure and tool calls as its lines arrive, NULL sums while nothing is known', async () => {
    const db = await memoryIndex();
    await index(db, [session('sess-a', T0), request('sess-a', 0, T0 + 1)], new Set());
    expect(kept(db)[0]).toMatchObject({ request_count: 1, input_tokens: null, cost_usd: null, models: [] });
    await index(db, [response('sess-a', 0, T0 + 2)], new Set());
    await index(
      db,
      [request('sess-a', 1, T0 + 3), response('sess-a', 1, T0 + 4, { model: MODELS[2] })],
      new Set(),
    );
    await index(db, [request('sess-a', 2, T0 + 5), response('sess-a', 2, T0 + 6)], new Set()); // failed, no usage
    const [a] = kept(db);
    expect(a).toMatchObject({
      request_count: 3,
      failed_count: 1,
      input_tokens: 100 + 101,
      output_tokens: 20 + 21,
      unpriced_count: 1,
      tool_call_count: 3,
      models: ['a-model-without-a-price', 'claude-haiku-4-5'],
    });
    expect(a!.cost_usd).toBeGreaterThan(0);
    expect(kept(db)).toEqual(counted(db));
  });

  it('follow rows copied to another partition and rows forgotten with their file', async () => {
    const from = await memoryIndex();
    const to = await memoryIndex();
    const ls = toLines([
      { kind: 'request', s: 0, n: 0 },
      { kind: 'response', s: 0, n: 0, model: 0, outcome: 'completed', usage: [10, 20, 30, 5] },
      { kind: 'request', s: 1, n: 1 },
      { kind: 'response', s: 1, n: 1, model: 1, outcome: 'failed', usage: null },
    ]);
    await index(from, ls, new Set());
    const expected = kept(from);
    copyFiles(from, to, [FILE]);
    expect(kept(to)).toEqual(expected);
    expect(kept(to)).toEqual(counted(to));
    expect(kept(from)).toEqual([]);
  });

  it('are kept in an index file written before the triggers existed (recounted once), and after its journal is replayed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-totals-'));
    dirs.push(dir);
    const file = path.join(dir, 'part-000001.db');
    const first = (await openIndex(file, { saveIntervalMs: 3_600_000 })).db;
    await index(first, toLines([{ kind: 'request', s: 0, n: 0 }]), new Set());
    // An older LunaRoute's file: no triggers, and a request in flight its batches had not counted yet.
    first.db.exec(
      `DROP TRIGGER totals_rq_i; DROP TRIGGER totals_rq_u; DROP TRIGGER totals_rq_d;
       DROP TRIGGER totals_tc_i; DROP TRIGGER totals_tc_d; DROP TRIGGER totals_ss_i;`,
    );
    first.runSync(statementsFor(request('sess-a', 1, T0 + 5), FILE));
    expect(kept(first).find((t) => t.id === 'sess-a')!.request_count).toBe(1);
    await first.close();

    const second = (await openIndex(file, { saveIntervalMs: 3_600_000 })).db;
    stores.push(second);
    expect(kept(second)).toEqual(counted(second));
    expect(kept(second).find((t) => t.id === 'sess-a')!.request_count).toBe(2);
    await second.save(); // the upgraded file is written whole once
    const SQL = await initSqlJs();
    const onDisk = new SQL.Database(fs.readFileSync(file));
    const triggers = onDisk.exec(`SELECT name FROM sqlite_master WHERE type = 'trigger'`)[0]?.values.flat();
    onDisk.close();
    expect(triggers).toContain('totals_rq_i');
    await index(
      second,
      [response('sess-a', 0, T0 + 10), response('sess-a', 1, T0 + 12), request('sess-a', 2, T0 + 13)],
      new Set(),
    );
    await second.save(); // the journal
    const expected = kept(second);
    expect(expected.find((t) => t.id === 'sess-a')).toMatchObject({
      request_count: 3,
      input_tokens: 100 + 101,
      tool_call_count: 2,
    });
    expect(expected).toEqual(counted(second));
    // A crash: the file and the journal since, opened again and replayed.
    const third = (await openIndex(file, { saveIntervalMs: 3_600_000, readOnly: true })).db;
    stores.push(third);
    expect(kept(third)).toEqual(expected);
  });
});
