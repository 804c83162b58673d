// Benchmark section "redaction": wraps tests/bench/redaction-bench.js (redaction throughput on ~20 MB of
// Claude-Code-shaped bodies, one core) by running it as a child with --json, so its CLI stays the single source
// of the measurement. Target: ≥ 50 MB/s for redactJson on a cold cache (every string scanned once).
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { round } from '../lib/stats.js';
import { formatTable, verdict } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';

export const name = 'redaction';
export const description = 'Redaction throughput on one core (tests/bench/redaction-bench.js --json)';

const TARGET_MBPS = 50;

export async function run(ctx) {
  const mb = Number(ctx.flags['redaction-mb'] ?? (ctx.flags.quick ? 8 : 20));
  ctx.log(`running redaction-bench.js --mb ${mb} --json`);
  const t0 = Date.now();
  // children/redaction-cpu.js runs redaction-bench.js unchanged and adds its CPU and wall time on stderr.
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [path.join(ctx.benchDir, 'children/redaction-cpu.js'), '--mb', String(mb), '--json'],
    { cwd: ctx.repoRoot, maxBuffer: 16 * 2 ** 20, timeout: 180_000 },
  );
  const r = JSON.parse(stdout);
  const la = loadavg();
  const cpuLine = stderr.split('\n').find((l) => l.startsWith('{"benchCpu"'));
  const benchCpu = cpuLine ? JSON.parse(cpuLine).benchCpu : null;
  const cpuShare = benchCpu ? benchCpu.cpuMs / benchCpu.wallMs : null;
  const cold = r.redactJson.coldMBps;
  const rows = [
    ['redactJson, cold cache (target)', cold.toFixed(1), `≥ ${TARGET_MBPS} ${verdict(cold >= TARGET_MBPS)}`],
    ['redactJson, warm cache (same bodies again)', r.redactJson.warmMBps.toFixed(1), null],
    ['redactText on raw JSON text, no cache', r.redactTextRaw.MBps.toFixed(1), null],
    ['redactJsonText (parse + redact + stringify), cold', r.redactJsonTextInclParse.MBps.toFixed(1), null],
    [
      `re-sent history: ${r.resentHistory.turns} turns, last body ${r.resentHistory.lastBodyKB} KB, hit rate ${(r.resentHistory.cacheHitRate * 100).toFixed(1)}%`,
      r.resentHistory.MBps.toFixed(1),
      null,
    ],
    [
      `cache hit path: ${r.hitPath.stringKB} KB string, ${r.hitPath.usPerHit.toFixed(1)} µs/hit`,
      r.hitPath.MBps.toFixed(1),
      null,
    ],
  ];
  const table = formatTable(
    `Redaction throughput, one core, ${r.redactJson.mb.toFixed(1)} MB corpus, best of 3 per figure (${((Date.now() - t0) / 1000).toFixed(1)} s; the process got ${cpuShare === null ? '?' : (cpuShare * 100).toFixed(0)}% of a core over its run — below ~95% the machine was contended and wall-clock MB/s understate; load ${Object.values(la).join(' / ')})`,
    ['measure', 'MB/s', 'target'],
    rows,
  );
  const checks = [
    {
      name: 'Redaction throughput, redactJson cold cache, one core (MB/s)',
      value: round(cold, 1),
      target: `>= ${TARGET_MBPS}`,
      pass: cold >= TARGET_MBPS,
    },
  ];
  return {
    tables: [table],
    results: {
      corpusMB: mb,
      ...r,
      cpuShareOfOneCore: cpuShare === null ? null : round(cpuShare, 3),
      targetMBps: TARGET_MBPS,
      loadavg: la,
    },
    checks,
  };
}
