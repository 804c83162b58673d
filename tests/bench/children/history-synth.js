// A synthetic history for the large sizes of the history benchmark (1M requests), built in minutes instead of
// writing gigabytes of JSONL and reindexing them. Every copy of the template session is indexed through the real
// indexer (statementsFor, the whole-file compaction, the partitioned index in bulk: what `lunaroute reindex`
// runs after reading a file), from its text made in memory. Only the newest `real` copies are written as JSONL;
// each older session's file is a hard link to one stand-in file (the template as recorded), and its index row
// records the stand-in's size, so `lunaroute serve` finds every file present and unchanged (it stats, never
// reads them at start-up). Opening an old session in the UI would show the stand-in's lines: not measured.
// argv[2]: JSON { repoRoot, dataDir, templateFile, sessions, real, days?, endAt? }. Prints one JSON result line.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileTemplate, copySession } from '../lib/history-data.js';

const o = JSON.parse(process.argv[2]);
const dist = (m) => import(pathToFileURL(path.join(o.repoRoot, 'dist/src-main/index', m)).href);
const { PartitionedIndex } = await dist('partitions.js');
const { beginBulk, endBulk } = await dist('part-bulk.js');
const { forgetFile, statementsFor } = await dist('indexer.js');
const { hydrateLines } = await import(
  pathToFileURL(path.join(o.repoRoot, 'dist/src-main/recorder/lean-read.js')).href
);
const { compactFileStmts } = await dist('file-stmts.js');

const t0 = performance.now();
const template = JSON.parse(fs.readFileSync(o.templateFile, 'utf8'));
const compiled = compileTemplate(template);
const sessionsDir = path.join(o.dataDir, 'sessions');
fs.mkdirSync(sessionsDir, { recursive: true, mode: 0o700 });
const standIn = path.join(sessionsDir, 'stand-in.jsonl'); // not in a day folder: never listed as a session
fs.writeFileSync(standIn, template.text, { mode: 0o600 });
const standInSize = fs.statSync(standIn).size;

const pi = await PartitionedIndex.open({ dataDir: o.dataDir });
if (pi.rebuildReason === null) throw new Error(`${o.dataDir} already has an index`);
beginBulk(pi);
let jsonlBytes = 0;
let rare = 0;
const madeDirs = new Set();
for (let k = 0; k < o.sessions; k++) {
  const c = copySession(compiled, k, { sessions: o.sessions, days: o.days, endAt: o.endAt });
  if (c.rare) rare++;
  const dir = path.join(sessionsDir, c.day);
  if (!madeDirs.has(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    madeDirs.add(dir);
  }
  const rel = `${c.day}/${c.sessionId}.jsonl`;
  const abs = path.join(sessionsDir, rel);
  let size = standInSize;
  if (k >= o.sessions - o.real) {
    fs.writeFileSync(abs, c.text, { mode: 0o600 });
    size = Buffer.byteLength(c.text);
    jsonlBytes += size;
  } else fs.linkSync(standIn, abs);
  // The lines in their full shape, as the reader gives them to the indexer (lean v2 lines are filled in).
  const lines = hydrateLines(
    c.text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l)),
    path.basename(rel, '.jsonl'),
  );
  const stmts = [...forgetFile(rel)];
  for (const l of lines) stmts.push(...statementsFor(l, rel));
  stmts.push({
    sql: 'INSERT OR REPLACE INTO files (path, size, lines) VALUES (?, ?, ?)',
    params: [rel, size, lines.length],
  });
  await pi.run(compactFileStmts(stmts));
}
endBulk(pi);
await pi.finishBuild();
const parts = pi.partitions().length;
await pi.close();
process.stdout.write(
  JSON.stringify({
    sessions: o.sessions,
    requests: o.sessions * template.requests,
    realSessions: Math.min(o.real, o.sessions),
    jsonlBytes,
    rareSessions: rare,
    partitions: parts,
    seconds: (performance.now() - t0) / 1000,
  }) + '\n',
);
