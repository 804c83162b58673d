// A full rebuild of the index, made cheap (issue #11: reindex of 100k requests in a minute): a whole file's
// statements are compacted (file-stmts.ts) and the summary is written once per partition (part-bulk.ts). Both
// must leave exactly what the slow way leaves, and a rebuild cut short must never be taken for a finished one.
import fs from 'node:fs';
import path from 'node:path';
import initSqlJs from 'sql.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { GapLine, RecordLine, ResponseLine } from '../../src-shared/records.js';
import { openIndex, type IndexStore } from '../../src-main/index/db.js';
import { compactFileStmts } from '../../src-main/index/file-stmts.js';
import { forgetFile, sessionTotals, statementsFor } from '../../src-main/index/indexer.js';
import { reconcilePartitions } from '../../src-main/index/part-reconcile.js';
import { INDEX_DIR, PartitionedIndex } from '../../src-main/index/partitions.js';
import { INDEX_SCHEMA_VERSION } from '../../src-main/index/schema.js';
import { fileStatements, listSessionFiles } from '../../src-main/index/reindex.js';
import { makeTempDir } from '../support/config.js';
import { DAY, HOUR, writeHistory, type HistorySession } from '../support/history.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/clients');
const D0 = Date.UTC(2026, 10, 2, 9);
const NOW = D0 + 30 * DAY;

const open: { close(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** Every row of every table (full-text rows by request id, not docid), sorted: equal means the same index. */
function dump(store: IndexStore, tables: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const cols = store
      .querySync<{ name: string }>(`PRAGMA table_info(${t})`)
      .map((c) => c.name)
      .filter((c) => c !== 'docid');
    out[t] = store
      .querySync<Record<string, unknown>>(`SELECT ${cols.join(', ')} FROM ${t}`)
      .map((r) => JSON.stringify(r))
      .sort();
  }
  return out;
}

const PART_TABLES = ['sessions', 'requests', 'tool_calls', 'redactions', 'files', 'request_text', 'limits'];
const SUMMARY_TABLES = ['partitions', 'file_parts', 'session_list', 'rollups', 'limits'];

async function memoryStore(): Promise<IndexStore> {
  const s = (await openIndex(null)).db;
  open.push(s);
  return s;
}

describe('a whole session file indexed at once', () => {
  const fixtures = fs
    .readdirSync(FIXTURES)
    .filter((d) => fs.existsSync(path.join(FIXTURES, d, 'session.jsonl')));

  it.each(fixtures)(
    'leaves the same rows as its lines indexed one by one (%s, with one request cut and a gap)',
    async (name) => {
      const dir = makeTempDir('lunaroute-rebuild-');
      const rel = '2026-11-02/s.jsonl';
      fs.mkdirSync(path.join(dir, '2026-11-02'));
      const text = fs.readFileSync(path.join(FIXTURES, name, 'session.jsonl'), 'utf8');
      let lines = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as RecordLine);
      // The last response goes missing (a request still in flight) and a gap marks a lost one.
      const lastResponse = lines.map((l) => l.type).lastIndexOf('response');
      expect(lastResponse).toBeGreaterThan(0);
      const cut = lines[lastResponse] as ResponseLine;
      lines = lines.filter((_, i) => i !== lastResponse);
      const firstRequest = lines.find((l) => l.type === 'request')!;
      const gap: GapLine = {
        type: 'gap',
        v: 1,
        at: cut.at + 1,
        dropped: 2,
        reason: 'queue_full',
        requests_lost: 1,
        requests: [firstRequest.type === 'request' ? firstRequest.id : ''],
      };
      lines.push(gap);
      const jsonl = lines.map((l) => JSON.stringify(l) + '\n').join('');
      fs.writeFileSync(path.join(dir, rel), jsonl);

      const slow = await memoryStore();
      const stmts = [...forgetFile(rel)];
      for (const l of lines) stmts.push(...statementsFor(l, rel));
      stmts.push({
        sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
        params: [rel, Buffer.byteLength(jsonl), lines.length],
      });
      slow.runSync(stmts);

      const fast = await memoryStore();
      const [file] = await listSessionFiles(dir);
      const result = { files: 1, reindexed: 0, removed: 0, crashed: 0, skippedLines: 0 };
      const compacted = await fileStatements(file!, { markCrashed: false }, result);
      expect(compacted!.length).toBeLessThan(stmts.length);
      fast.runSync(compacted!);

      expect(dump(fast, PART_TABLES)).toEqual(dump(slow, PART_TABLES));
      const words = ['the', 'a', 'file'];
      for (const w of words) {
        const q = `SELECT request_id FROM request_text WHERE request_text MATCH ? ORDER BY request_id`;
        expect(fast.querySync(q, [w])).toEqual(slow.querySync(q, [w]));
      }
    },
  );

  it('keeps only the last totals statement of each session, in its place, with the latest time of them all', () => {
    const other = (n: number) => ({ sql: `UPDATE sessions SET gaps = ${n}`, params: [] });
    const out = compactFileStmts([
      sessionTotals('a', 5),
      other(1),
      sessionTotals('b', 2),
      sessionTotals('a', 3),
      other(2),
      sessionTotals('b', 1),
    ]);
    expect(out).toEqual([other(1), sessionTotals('a', 5), other(2), sessionTotals('b', 2)]);
  });
});

describe('a full rebuild of the partitioned index', () => {
  const SESSIONS: HistorySession[] = Array.from({ length: 9 }, (_, i) => ({
    id: `sess-${i}`,
    at: D0 + Math.floor(i / 2) * DAY + (i % 2) * 3 * HOUR,
    turns: 3 + (i % 3),
    ...(i % 3 === 1 ? { client: 'codex' as const, model: 'gpt-5' } : {}),
  }));

  async function partitioned(dataDir: string): Promise<PartitionedIndex> {
    const pi = await PartitionedIndex.open({ dataDir, maxRows: 8, saveIntervalMs: 60_000, now: () => NOW });
    open.push(pi);
    return pi;
  }

  /** Rebuild from the session files; every session is listed and every request counted. Returns the count. */
  async function rebuildListsAll(pi: PartitionedIndex, dir: string): Promise<number> {
    await reconcilePartitions(pi, path.join(dir, 'sessions'), { full: true });
    await pi.finishBuild();
    const listed = pi.summary.querySync<{ id: string }>('SELECT id FROM session_list ORDER BY id');
    expect(listed.map((r) => r.id)).toEqual(SESSIONS.map((s) => s.id).sort());
    const requests = pi.summary.querySync<{ n: number }>('SELECT SUM(requests) AS n FROM partitions')[0]!.n;
    expect(requests).toBe(SESSIONS.reduce((n, s) => n + s.turns, 0));
    return requests;
  }

  it('leaves the same summary and partitions as indexing the files one by one', async () => {
    const bulkDir = makeTempDir('lunaroute-rebuild-');
    const slowDir = makeTempDir('lunaroute-rebuild-');
    writeHistory(bulkDir, SESSIONS);
    writeHistory(slowDir, SESSIONS);
    const bulk = await partitioned(bulkDir);
    expect(bulk.rebuildReason).not.toBeNull();
    await reconcilePartitions(bulk, path.join(bulkDir, 'sessions'), { full: true });
    expect(bulk.bulk).toBeNull();
    await bulk.finishBuild();
    // Not `full`: every file is new, so each is indexed on its own with the summary refreshed after it.
    const slow = await partitioned(slowDir);
    await reconcilePartitions(slow, path.join(slowDir, 'sessions'), { full: false });
    await slow.finishBuild();

    expect(bulk.partitions().length).toBeGreaterThan(2);
    expect(dump(bulk.summary, SUMMARY_TABLES)).toEqual(dump(slow.summary, SUMMARY_TABLES));
    for (const p of bulk.partitions())
      expect(dump(await bulk.store(p.id), PART_TABLES)).toEqual(dump(await slow.store(p.id), PART_TABLES));
    // Live writes after the rebuild update the summary as usual again.
    const before = bulk.summary.querySync<{ n: number }>('SELECT COUNT(*) AS n FROM session_list')[0]!.n;
    bulk.runSync(
      statementsFor(
        {
          type: 'session',
          v: 1,
          session_id: 'late',
          at: NOW,
          client: 'claude_code',
          client_version: null,
          user_agent: null,
          id_source: 'session-id',
        },
        '2026-12-02/late.jsonl',
      ),
    );
    expect(bulk.summary.querySync<{ n: number }>('SELECT COUNT(*) AS n FROM session_list')[0]!.n).toBe(
      before + 1,
    );
  });

  it('is started over at the next open when it stopped half way, and then lists every session', async () => {
    const dir = makeTempDir('lunaroute-rebuild-');
    writeHistory(dir, SESSIONS);
    const first = await partitioned(dir);
    // The process dies after five files: what the rebuild wrote so far is on disk, the layout is not complete.
    await expect(
      reconcilePartitions(first, path.join(dir, 'sessions'), {
        full: true,
        onProgress(done) {
          if (done === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    await first.save();
    first.discard();
    open.splice(open.indexOf(first), 1);

    const again = await partitioned(dir);
    expect(again.rebuildReason).toMatch(/not finished/);
    await rebuildListsAll(again, dir);
  });

  it('rebuilds an index of an older schema from the session files at the next open (an upgrade)', async () => {
    const dir = makeTempDir('lunaroute-rebuild-');
    writeHistory(dir, SESSIONS);
    const first = await partitioned(dir);
    await reconcilePartitions(first, path.join(dir, 'sessions'), { full: true });
    await first.finishBuild();
    await first.close();
    open.splice(open.indexOf(first), 1);
    // What the previous release (schema 7) left: every index file says 7, and its full-text table tokenised ids.
    const SQL = await initSqlJs();
    const indexDir = path.join(dir, INDEX_DIR);
    const files = fs.readdirSync(indexDir);
    expect(files.filter((f) => f.startsWith('part-') && f.endsWith('.db')).length).toBeGreaterThan(2);
    for (const f of files) {
      const file = path.join(indexDir, f);
      if (f.endsWith('.journal')) fs.rmSync(file);
      if (!f.endsWith('.db')) continue;
      const db = new SQL.Database(fs.readFileSync(file));
      db.run(`UPDATE meta SET value = '7' WHERE key = 'schema_version'`);
      if (f.startsWith('part-'))
        db.run(`DROP TABLE request_text;
          CREATE VIRTUAL TABLE request_text USING fts4(request_id, session_id, prompt, response, tokenize=unicode61)`);
      fs.writeFileSync(file, db.export());
      db.close();
    }

    const again = await partitioned(dir);
    expect(again.rebuildReason).toMatch(`schema version 7, this LunaRoute uses ${INDEX_SCHEMA_VERSION}`);
    const requests = await rebuildListsAll(again, dir);
    let searchable = 0;
    for (const p of again.partitions()) {
      const store = await again.store(p.id);
      const meta = store.querySync<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`);
      expect(meta).toEqual([{ value: String(INDEX_SCHEMA_VERSION) }]);
      const fts = store.querySync<{ sql: string }>(
        `SELECT sql FROM sqlite_master WHERE name = 'request_text'`,
      );
      expect(fts[0]!.sql).toContain('notindexed=request_id');
      // Every request's text is back in the full-text table.
      const rows = store.querySync<{ n: number }>('SELECT COUNT(*) AS n FROM requests')[0]!.n;
      const texts = store.querySync<{ n: number }>('SELECT COUNT(*) AS n FROM request_text')[0]!.n;
      expect(texts).toBe(rows);
      searchable += texts;
    }
    expect(searchable).toBe(requests);
    // And it stays: the next open finds the current schema and rebuilds nothing.
    await again.close();
    open.splice(open.indexOf(again), 1);
    const third = await partitioned(dir);
    expect(third.rebuildReason).toBeNull();
  });
});
