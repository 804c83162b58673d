// Describes the machine a benchmark ran on (CPU model, cores, memory, Node, OS) and its load (os.loadavg),
// so readers of bench-results/*.json can judge the numbers. Load is sampled at start and end of a run.
import os from 'node:os';

export function describeMachine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuSpeedMHz: cpus[0]?.speed ?? null,
    cores: cpus.length,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
    freeMemoryMB: Math.round(os.freemem() / 2 ** 20),
    node: process.version,
    v8: process.versions.v8,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    platform: process.platform,
  };
}

export function loadavg() {
  const [m1, m5, m15] = os.loadavg();
  return {
    '1m': Math.round(m1 * 100) / 100,
    '5m': Math.round(m5 * 100) / 100,
    '15m': Math.round(m15 * 100) / 100,
  };
}
