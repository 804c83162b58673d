// A kill -9 at any point of the index's saves, for real: a child process (the compiled IndexStore) commits numbered
// batches and saves after each, with a stray write every few batches so whole-file checkpoints happen often, and
// is killed at varied moments. Every time, the index opens to a committed prefix: rows 1..m with no hole, m at
// least the last save the child reported, the summary row agreeing, and SQLite's integrity check passing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openIndex } from '../../src-main/index/db.js';
import { makeTempDir } from '../support/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST_DB = path.join(ROOT, 'dist', 'src-main', 'index', 'db.js');
const dir = makeTempDir('lr-journal-kill-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const { openIndex } = await import(${JSON.stringify(pathToFileURL(DIST_DB).href)});
const { db, rebuildReason } = await openIndex(process.argv[1], { saveIntervalMs: 3600000 });
if (rebuildReason && !rebuildReason.includes('does not exist')) throw new Error(rebuildReason);
// Some bulk, so that writing the whole file takes a while and kills land inside it.
db.db.exec("CREATE TABLE IF NOT EXISTS bulk (b BLOB)");
if (db.querySync('SELECT COUNT(*) AS n FROM bulk')[0].n === 0)
  db.db.exec("INSERT INTO bulk SELECT randomblob(4000) FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999) SELECT i FROM n)");
let n = Number(db.querySync("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'row-%'")[0].n);
for (;;) {
  n++;
  db.runSync([
    { sql: 'INSERT INTO meta (key, value) VALUES (?, ?)', params: ['row-' + String(n).padStart(6, '0'), 'x'.repeat(3000)] },
    { sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('rows', ?)", params: [String(n)] },
  ]);
  if (n % 5 === 0) db.db.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('stray', 'x')");
  await db.save();
  process.stdout.write('saved ' + n + '\\n');
}
`;

async function runAndKill(file: string, afterSaves: number, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let lastSaved = 0;
  let seen = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killed = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/saved (\d+)/g)) {
        lastSaved = Number(m[1]);
        if (++seen === afterSaves) setTimeout(() => resolve(), delayMs);
      }
    });
    child.on('exit', (code) => reject(new Error(`the child exited by itself (${code}): ${stderr}`)));
  });
  await killed;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return lastSaved;
}

describe('index saves under kill -9', () => {
  it('reopen to a committed prefix after a kill at any moment of a journal append or a checkpoint', async () => {
    if (!fs.existsSync(DIST_DB)) throw new Error('dist/ is missing: run `npm run build:main` first');
    const file = path.join(dir, 'lunaroute.db');
    const kills = [
      [1, 0],
      [3, 1],
      [4, 0],
      [6, 3],
      [2, 7],
      [5, 2],
      [8, 0],
      [7, 11],
    ] as const;
    let before = 0;
    for (const [afterSaves, delayMs] of kills) {
      const acknowledged = await runAndKill(file, afterSaves, delayMs);
      const { db, rebuildReason } = await openIndex(file, { readOnly: true });
      expect(rebuildReason).toBeNull();
      const rows = db
        .querySync<{ key: string }>(`SELECT key FROM meta WHERE key LIKE 'row-%' ORDER BY key`)
        .map((r) => Number(r.key.slice(4)));
      const m = rows.length;
      expect(rows).toEqual(Array.from({ length: m }, (_, i) => i + 1));
      expect(m).toBeGreaterThanOrEqual(Math.max(acknowledged, before));
      expect(db.querySync(`SELECT value FROM meta WHERE key = 'rows'`)).toEqual([{ value: String(m) }]);
      expect(db.querySync('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      db.db.close();
      before = m;
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  }, 120_000);
});
