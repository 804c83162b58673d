// Runs tests/bench/redaction-bench.js in this process (its CLI arguments pass through unchanged) and then
// reports the process's CPU time and wall time on stderr as one JSON line, so the redaction section can tell
// how much of a core the benchmark actually got on a shared machine (wall-clock MB/s understate when starved).
const t0 = process.hrtime.bigint();
await import('../redaction-bench.js');
const cpu = process.cpuUsage();
process.stderr.write(
  `\n${JSON.stringify({ benchCpu: { cpuMs: (cpu.user + cpu.system) / 1000, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 } })}\n`,
);
