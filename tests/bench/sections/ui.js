// Benchmark section "ui": the live window in real Chromium (Debian chromium + playwright-core). Runs the two
// browser suites with LUNAROUTE_UI_BENCH=1 — tests/e2e/ui-perf.test.ts (10 000 sessions: first rows, frame
// times while scrolling, jump to the end, a new session appearing) and tests/e2e/ui.test.ts (outcome → UI lag)
// — then reads the numbers they record in test-artifacts/ui/ and prints them against the targets.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { formatTable } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';

export const name = 'ui';
export const description =
  'Live window in Chromium: 10 000-session list (frames, jumps), new session and outcome lag';

const TARGETS = { frame_p95_ms: 50, outcome_median_ms: 100, new_session_visible_ms: 1000 };

export async function run(ctx) {
  const artifacts = path.join(ctx.repoRoot, 'test-artifacts', 'ui');
  for (const f of ['perf.json', 'outcome-lag.json']) fs.rmSync(path.join(artifacts, f), { force: true });
  ctx.log('running the Chromium suites (about 2 minutes: the 10 000 session files are indexed first)');
  const t0 = Date.now();
  try {
    await promisify(execFile)(
      process.execPath,
      [
        path.join(ctx.repoRoot, 'node_modules/vitest/vitest.mjs'),
        'run',
        'tests/e2e/ui-perf.test.ts',
        'tests/e2e/ui.test.ts',
      ],
      {
        cwd: ctx.repoRoot,
        env: { ...process.env, LUNAROUTE_UI_BENCH: '1' },
        maxBuffer: 64 * 2 ** 20,
        timeout: 600_000,
      },
    );
  } catch (err) {
    ctx.log(
      `the browser suites failed: ${String(err.stdout ?? err.message)
        .split('\n')
        .slice(-15)
        .join('\n')}`,
    );
  }
  const read = (f) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(artifacts, f), 'utf8'));
    } catch {
      return null;
    }
  };
  const perf = read('perf.json') ?? {};
  const lag = read('outcome-lag.json') ?? {};
  const la = loadavg();
  const rows = [
    ['serve ready with 10 000 session files (ms)', perf.serve_ready_ms ?? '–', '–'],
    ['recorder indexes the 10 000 files, in the background (ms)', perf.index_ms ?? '–', '–'],
    ['first rows visible (ms)', perf.first_rows_ms ?? '–', '–'],
    ['scroll: frames measured', perf.scroll?.frames ?? '–', '–'],
    [
      'scroll: frame time p50 / p95 / max (ms)',
      perf.scroll
        ? `${perf.scroll.frame_p50_ms} / ${perf.scroll.frame_p95_ms} / ${perf.scroll.frame_max_ms}`
        : '–',
      `p95 ≤ ${TARGETS.frame_p95_ms}`,
    ],
    ['scroll: most rows in the DOM at once', perf.scroll?.max_rows_in_dom ?? '–', '< 60 (virtualized)'],
    ['jump to the last of 10 000 rows (ms)', perf.jump_to_end_ms ?? '–', '–'],
    [
      'new streamed session visible after its request (ms)',
      perf.new_session_visible_ms ?? '–',
      `≤ ${TARGETS.new_session_visible_ms}`,
    ],
    [
      'outcome → UI lag, 5 requests (ms)',
      lag.lags_ms ? lag.lags_ms.join(', ') : '–',
      `median ≤ ${TARGETS.outcome_median_ms}`,
    ],
  ];
  const table = formatTable(
    `Live window in Chromium (${((Date.now() - t0) / 1000).toFixed(0)} s; load ${la['1m']} / ${la['5m']} / ${la['15m']})`,
    ['measure', 'value', 'target'],
    rows.map((r) => r.map(String)),
  );
  const checks = [];
  const check = (name, value, target) =>
    checks.push({ name, value, target: `<= ${target}`, pass: value <= target });
  if (perf.scroll)
    check(
      'UI frame time p95 while scrolling 10 000 sessions (ms)',
      perf.scroll.frame_p95_ms,
      TARGETS.frame_p95_ms,
    );
  if (perf.new_session_visible_ms !== undefined)
    check('New streamed session visible (ms)', perf.new_session_visible_ms, TARGETS.new_session_visible_ms);
  if (lag.median_ms !== undefined)
    check('Outcome → UI lag, median of 5 (ms)', lag.median_ms, TARGETS.outcome_median_ms);
  return { tables: [table], results: { perf, outcome_lag: lag, loadavg: la }, checks };
}
