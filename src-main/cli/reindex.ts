// `lunaroute reindex`: rebuild the index from the session files (the JSONL is the record; the index can always
// be rebuilt from it). Refuses while a server runs on the configured port — that server owns the index and
// rebuilds it itself at start-up when it is missing or behind.
import fs from 'node:fs';
import path from 'node:path';
import { INDEX_DIR, LEGACY_INDEX_FILE, PartitionedIndex } from '../index/partitions.js';
import { reconcilePartitions } from '../index/part-reconcile.js';
import { cliError, type Command } from './command.js';
import { CONFIG_OPTIONS } from './config-options.js';
import { dialHost, probeHealth } from './health.js';
import { loadConfigForCli } from './serve.js';

export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'Rebuild the session index from the recorded JSONL files',
  description:
    'Delete and rebuild the index (<data dir>/index/) from the session files, with a progress bar. Stop a\n' +
    'running server first (it rebuilds a missing or lagging index by itself at start-up).',
  options: CONFIG_OPTIONS.filter((o) => ['data-dir', 'config', 'host', 'port'].includes(o.name)),
  async run({ values }, ctx) {
    const config = loadConfigForCli(values, ctx);
    const probe = await probeHealth(dialHost(config.host), config.port);
    if (probe.kind === 'lunaroute') {
      throw cliError(
        `a LunaRoute server is running on port ${config.port} (pid ${probe.pid ?? '?'}); stop it first — it keeps the index up to date by itself`,
        1,
      );
    }
    const sessionsDir = path.join(config.dataDir, 'sessions');
    if (!fs.existsSync(sessionsDir))
      throw cliError(`no session files in ${sessionsDir}: nothing to index`, 1);
    fs.rmSync(path.join(config.dataDir, INDEX_DIR), { recursive: true, force: true });
    const db = await PartitionedIndex.open({ dataDir: config.dataDir });
    const started = Date.now();
    const isTty = (process.stderr as { isTTY?: boolean }).isTTY === true;
    let lastDraw = 0;
    const r = await reconcilePartitions(db, sessionsDir, {
      full: true,
      onProgress(done, total) {
        const now = Date.now();
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const width = 30;
        const filled = Math.round((done / Math.max(total, 1)) * width);
        const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} files`;
        ctx.stderr(isTty ? `\r${bar}` : done === total ? `${bar}\n` : '');
      },
    });
    if (isTty) ctx.stderr('\n');
    await db.finishBuild();
    const n = db.summary.querySync<{ s: number; r: number }>(
      'SELECT (SELECT COUNT(*) FROM session_list) AS s, (SELECT COALESCE(SUM(requests), 0) FROM partitions) AS r',
    )[0];
    await db.close();
    fs.rmSync(path.join(config.dataDir, LEGACY_INDEX_FILE), { force: true });
    ctx.stdout(
      `Indexed ${r.files} file(s): ${n?.s ?? 0} sessions, ${n?.r ?? 0} requests in ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (r.crashed ? `; ${r.crashed} request(s) cut by a crash marked interrupted` : '') +
        (r.skippedLines ? `; ${r.skippedLines} damaged line(s) skipped` : '') +
        '\n',
    );
    return 0;
  },
};
