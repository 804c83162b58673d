// The recording benchmark's "engine" part (issue 12): the recorder worker's CPU per request measured alone
// (children/engine-bench.js: the exchange messages fed to a RecorderEngine in one process, no proxy or sockets),
// for the repo's build and each --cpu-dist build, run alternately --engine-rounds times (default 3) per shape;
// medians. On a shared machine the end-to-end cpu part moves by ±20 % between runs of one build; this resolves
// single changes. --engine-count=N requests per run (default 2000 for 1 KB, 700 for ≈80 KB turns).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { median } from './stats.js';
import { formatTable } from './report.js';
import { loadavg } from './machine.js';

export async function enginePart(ctx, results, tables) {
  const own = path.resolve(ctx.benchDir, '../../dist');
  const given = ctx.flags['cpu-dist']
    ? String(ctx.flags['cpu-dist'])
        .split(',')
        .map((d) => path.resolve(d))
    : [];
  // The repo's build last, unless one of the builds given is it.
  const dists = given.some((d) => fs.realpathSync(d) === fs.realpathSync(own)) ? given : [...given, own];
  const names = dists.map((d) =>
    d === own
      ? 'this build'
      : path.basename(d) === 'dist'
        ? path.basename(path.dirname(d))
        : path.basename(d),
  );
  const rounds = Number(ctx.flags['engine-rounds'] ?? 3);
  const script = path.join(ctx.benchDir, 'children/engine-bench.js');
  const out = {};
  for (const shape of ['1KB', 'cc80k']) {
    const count = Number(ctx.flags['engine-count'] ?? (shape === '1KB' ? 2000 : 700));
    const warm = Math.round(count / 4);
    const runs = dists.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (const [k, d] of dists.entries()) {
        ctx.log(`engine: ${shape}, ${names[k]}, round ${r + 1}/${rounds}`);
        const line = execFileSync(process.execPath, [script, d, shape, String(count), String(warm)], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        runs[k].push(JSON.parse(line.trim().split('\n').at(-1)));
      }
    }
    out[shape] = dists.map((d, k) => ({
      build: names[k],
      dist: d,
      cpuUsPerReq: runs[k].map((x) => Math.round(x.cpuUsPerReq)),
      median: Math.round(median(runs[k].map((x) => x.cpuUsPerReq))),
    }));
    tables.push(
      formatTable(
        `Recorder engine alone, ${shape === '1KB' ? '1 KB chat' : '≈80 KB Claude Code turn, SSE reply'}: CPU µs per request (process, all threads), ${count} requests after ${warm}, ${rounds} alternating rounds; load ${Object.values(loadavg()).join(' / ')}`,
        ['build', 'median', 'runs'],
        out[shape].map((o) => [o.build, String(o.median), o.cpuUsPerReq.join(' / ')]),
      ),
    );
  }
  results.engine = out;
}
