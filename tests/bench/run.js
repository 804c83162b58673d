// Benchmark runner (`npm run bench [-- <section…>] [--quick] [--cpu-prof] [--rounds=N] …`): runs the selected
// sections from tests/bench/sections/ (all by default, in SECTIONS order), prints their tables and PASS/MISS
// checks, and writes everything plus a machine description and os.loadavg() to
// bench-results/<section>-<timestamp>.json and bench-results/latest.json. A missed target never fails the process.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, loadavg } from './lib/machine.js';

// Add a section: create sections/<name>.js exporting `name`, `description` and `async run(ctx)` returning
// `{ tables: string[], results: object, checks?: {name, value, target, pass}[] }`, then list it here.
const SECTIONS = ['proxy', 'recording', 'redaction', 'live', 'ui'];
// Long sections that run only when named: `npm run bench -- history [--sizes=10k,100k,1m] [--keep]` and
// `npm run bench -- soak [--minutes=30]` (issue #11).
const OPT_IN = ['history', 'soak'];
const KNOWN = [...SECTIONS, ...OPT_IN];

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '../..');
const resultsDir = path.join(repoRoot, 'bench-results');

function parseArgs(argv) {
  const flags = {};
  const names = [];
  for (const a of argv) {
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq < 0) flags[a.slice(2)] = true;
      else flags[a.slice(2, eq)] = a.slice(eq + 1);
    } else names.push(a);
  }
  return { flags, names };
}

async function main() {
  const { flags, names } = parseArgs(process.argv.slice(2));
  if (flags.help) {
    console.log(
      `usage: npm run bench [-- <section…>] [--quick] [--cpu-prof] [--rounds=N] [--count=N] [--count80k=N] [--duration=ms] [--candidate-dist=<compiled tree>] [--parts=cpu,disk,cost,index] [--cpu-count=N] [--cpu-warmup=N] [--cpu-dist=<tree>,<tree>] [--redaction-mb=N] [--sizes=10k,100k,1m] [--synthetic-above=100k] [--real-jsonl] [--keep] [--minutes=N]
sections: ${SECTIONS.join(', ')} (default: all of them); ${OPT_IN.join(', ')} (only when named)`,
    );
    return;
  }
  const unknown = names.filter((n) => !KNOWN.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown section(s): ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length > 0 ? KNOWN.filter((n) => names.includes(n)) : SECTIONS;
  if (typeof globalThis.gc !== 'function')
    console.warn('note: run with --expose-gc (npm run bench does) for steadier numbers');

  fs.mkdirSync(resultsDir, { recursive: true });
  const machine = describeMachine();
  const started = new Date();
  const report = {
    startedAt: started.toISOString(),
    argv: process.argv.slice(2),
    machine,
    loadavg: { start: loadavg() },
    sections: {},
  };
  console.log(
    `LunaRoute benchmark — ${machine.cpuModel}, ${machine.cores} cores, ${machine.totalMemoryMB} MB, Node ${machine.node}, ${machine.os}`,
  );
  console.log(`load average at start (1m/5m/15m): ${Object.values(report.loadavg.start).join(' / ')}\n`);

  const allChecks = [];
  for (const name of selected) {
    const mod = await import(`./sections/${name}.js`);
    const t0 = Date.now();
    console.log(`== ${name}: ${mod.description}`);
    const ctx = {
      repoRoot,
      benchDir,
      resultsDir,
      flags,
      log: (msg) => console.log(`   [${name} ${((Date.now() - t0) / 1000).toFixed(1)} s] ${msg}`),
      gc: () => globalThis.gc?.(),
    };
    const out = await mod.run(ctx);
    const seconds = (Date.now() - t0) / 1000;
    report.sections[name] = { seconds, loadavgAfter: loadavg(), ...out.results };
    console.log('');
    for (const t of out.tables) console.log(t + '\n');
    for (const c of out.checks ?? []) allChecks.push({ section: name, ...c });
    console.log(
      `   (${name}: ${seconds.toFixed(1)} s, load average now ${Object.values(loadavg()).join(' / ')})\n`,
    );
  }

  report.loadavg.end = loadavg();
  report.finishedAt = new Date().toISOString();
  report.checks = allChecks;
  if (allChecks.length > 0) {
    console.log('Targets');
    for (const c of allChecks)
      console.log(`  ${c.pass ? 'PASS' : 'MISS'}  ${c.name}: ${c.value} (target ${c.target})`);
  }
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const file = path.join(resultsDir, `${selected.join('+')}-${stamp}.json`);
  const json = JSON.stringify(report, null, 2) + '\n';
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
  console.log(
    `\nload average at end: ${Object.values(report.loadavg.end).join(' / ')} — wrote ${path.relative(repoRoot, file)} and bench-results/latest.json`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
