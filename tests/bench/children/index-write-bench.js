// The recorder's index write path alone (its own process): every line of the session files under <sessions dir>
// goes through statementsFor → IndexQueue → PartitionedIndex as the recorder worker sends it (line-writer.ts: the
// line's statements, then its file's progress), a batch committed after every `--batch=K` request lines (the
// queue's 250 ms at K requests per 250 ms: ~70 for sequential 1 KB requests on the bench upstream), or after every
// line with `--batch=0` (a model that answers in seconds: each response in a later batch than its request).
// Reports the CPU (process.cpuUsage) per request of the whole path after the first `--warm` requests; with
// `--per-stmt` the wall µs per statement kind and per COMMIT (timed one by one). `--dist=<dir>` loads another
// compiled tree (a candidate patch); `--dump=<file>` writes every table of the open partition and the summary, and
// some MATCH results, as JSON (to compare two trees' results); `--pragma=<sql>` runs on the partition first.
// Usage: node index-write-bench.js <sessions dir> [--batch=70] [--warm=200] [--per-stmt] [--dist=<dir>] [--dump=<file>]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const sessionsDir = args.find((a) => !a.startsWith('--'));
if (!sessionsDir)
  throw new Error('usage: index-write-bench.js <sessions dir> [--batch=K] [--warm=N] [--per-stmt]');
const opt = (name, dflt) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const BATCH = Number(opt('batch', 70));
const WARM = Number(opt('warm', 200));
const PER_STMT = args.includes('--per-stmt');
const DUMP = opt('dump', null);
const dist = opt('dist', fileURLToPath(new URL('../../../dist', import.meta.url)));
const load = (f) => import(pathToFileURL(path.join(dist, 'src-main', f)).href);
const { PartitionedIndex } = await load('index/partitions.js');
const { statementsFor, fileProgress } = await load('index/indexer.js');
const { listSessionFiles, readSessionParts } = await load('index/reindex.js');
const { IndexQueue } = await load('recorder/index-queue.js');
const { SUMMARY_REFRESH_MS } = await load('index/summary-refresh.js');

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-iwb-'));
// No roll-over: one partition holds the whole run (and the dump).
const pi = await PartitionedIndex.open({
  dataDir,
  saveIntervalMs: 3_600_000,
  maxRows: 1e9,
  maxBytes: 1e12,
  summaryRefreshMs: Number(opt('refresh', SUMMARY_REFRESH_MS)),
});
await pi.finishBuild();
// `--pragma=<sql>`: run on the open partition first (to try a setting).
const PRAGMA = opt('pragma', null);
if (PRAGMA) pi.open.scratch((db) => db.exec(PRAGMA));

// Per statement kind: the first 60 characters of its SQL, whitespace folded.
const kinds = new Map();
if (PER_STMT) {
  const store = pi.open;
  const prepared = new Map();
  store.runSync = (stmts) => {
    const time = (kind, fn) => {
      const t0 = performance.now();
      fn();
      const k = kinds.get(kind) ?? { n: 0, us: 0 };
      k.n++;
      k.us += (performance.now() - t0) * 1000;
      kinds.set(kind, k);
    };
    store.db.exec('BEGIN');
    for (const s of stmts) {
      let st = prepared.get(s.sql);
      if (!st) prepared.set(s.sql, (st = store.db.prepare(s.sql)));
      time(s.sql.replace(/\s+/g, ' ').slice(0, 60), () => st.run(s.params));
    }
    time('COMMIT', () => store.db.exec('COMMIT'));
  };
}

const files = await listSessionFiles(sessionsDir);
const work = [];
for (const f of files) {
  const { lines } = await readSessionParts(f.parts);
  // Each line's stored size (the progress row's byte count): plain files only, one line each, in order.
  const raw = f.compressed ? [] : fs.readFileSync(f.parts.at(-1), 'utf8').split('\n').filter(Boolean);
  const sizes = raw.length === lines.length ? raw.map((l) => Buffer.byteLength(l) + 1) : null;
  work.push({ rel: f.rel, lines, sizes });
}
const q = new IndexQueue(pi, 3_600_000, (err) => {
  throw err;
});
let requests = 0;
let measured = 0;
let cpu0 = null;
let sinceFlush = 0;
for (const { rel, lines, sizes } of work) {
  let n = 0;
  let bytes = 0;
  for (const line of lines) {
    if (line.type === 'request') {
      requests++;
      if (requests === WARM + 1) {
        await q.flush();
        sinceFlush = 0;
        kinds.clear();
        cpu0 = process.cpuUsage();
      }
      if (cpu0) measured++;
      if (++sinceFlush > BATCH) {
        await q.flush();
        sinceFlush = 1;
      }
    }
    bytes += sizes?.[n] ?? 100;
    q.push(statementsFor(line, rel, pi.prices));
    q.progress(fileProgress(rel, bytes, ++n));
    if (BATCH === 0) await q.flush();
  }
}
await q.flush();
const cpu = process.cpuUsage(cpu0 ?? undefined);
const out = {
  dist,
  batch: BATCH,
  requests: measured,
  cpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, measured)),
};
if (PER_STMT)
  out.perStatement = Object.fromEntries(
    [...kinds]
      .sort((a, b) => b[1].us - a[1].us)
      .map(([k, v]) => [
        k,
        { calls: v.n, usPerCall: +(v.us / v.n).toFixed(1), usPerRequest: +(v.us / measured).toFixed(1) },
      ]),
  );
if (DUMP) {
  const tables = (store) =>
    Object.fromEntries(
      store
        .querySync(
          `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'request_text_%' ORDER BY name`,
        )
        .map(({ name }) => [
          name,
          store.querySync(
            `SELECT ${name === 'request_text' ? 'docid, *' : 'rowid AS _rowid, *'} FROM "${name}" ORDER BY 1`,
          ),
        ]),
    );
  const dump = { open: tables(pi.open), summary: tables(pi.summary) };
  // Search results: the FTS's own view of the rows (MATCH on words of the prompts and the answers).
  dump.match = ['prompt:aaaa*', 'response:fox', 'lazy dog', 'const', 'async value', 'response:the'].map(
    (m) => {
      try {
        return pi.open.querySync(`SELECT docid FROM request_text WHERE request_text MATCH ? ORDER BY docid`, [
          m,
        ]);
      } catch (err) {
        return String(err);
      }
    },
  );
  fs.writeFileSync(DUMP, JSON.stringify(dump));
}
console.log(JSON.stringify(out, null, 1));
fs.rmSync(dataDir, { recursive: true, force: true });
