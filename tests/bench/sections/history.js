// Benchmark section "history" (issue #11, months of history at constant cost): for each size (--sizes=10k,100k
// by default; 1m possible) it writes that many recorded requests as JSONL session files (copies of one session
// recorded for real: 50 Claude Code turns of ~80 KB up to 100 k, 50 small 1 KB requests above), then runs the
// real command — `lunaroute reindex` (time, peak RSS) and `lunaroute serve` (start-up, RSS, disk bytes written
// per new request from /proc/<pid>/io, list/search/analytics latency through the UI port's contract calls) —
// and compares with the bars. The index's layout is never assumed: its size is the data dir minus sessions/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { startChild } from '../lib/children.js';
import {
  dirBytes,
  freePort,
  indexBytes,
  procIo,
  procStatus,
  runNodeScript,
  runReindex,
  startServe,
  writeBenchConfig,
} from '../lib/cli-child.js';
import { COMMON_WORD, RARE_WORD, recordTemplate, smallBody, writeHistory } from '../lib/history-data.js';
import { anthropicHeaders } from '../lib/http-load.js';
import { median, round } from '../lib/stats.js';
import { formatTable } from '../lib/report.js';
import { loadavg } from '../lib/machine.js';

export const name = 'history';
export const description =
  'History at 10 k / 100 k (/ 1 M) requests: index size, reindex, start-up, RSS, bytes written per request, list/search/analytics';

const MB = 2 ** 20;
/** The bars (#11) and the measurement it reports for "today" at 100 k realistic requests. */
export const TARGETS = {
  rssMb: 250,
  bytesPerRequest: 64 * 1024,
  analyticsMs: 500,
  searchMs: 200,
  listMs: 100,
  startupMs: 2000,
  reindex100kS: 60,
  reindexRssMb: 300,
};
const NEW_REQUESTS = 300;
/** Above this many requests (--synthetic-above) the history is synthetic (children/history-synth.js) unless --real-jsonl. */
const SYNTHETIC_ABOVE = 100_000;
/** Requests of the newest sessions a synthetic history still writes as real JSONL. */
const SYNTHETIC_REAL_REQUESTS = 10_000;
const NEW_RATE = 20; // per second
const PAGE = 100;
const REPS = 5;

export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(String(s).trim());
  if (!m) throw new Error(`--sizes: '${s}' is not a size like 10k, 100k or 1m`);
  return Math.round(Number(m[1]) * { '': 1, k: 1e3, m: 1e6 }[m[2].toLowerCase()]);
}

const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

function post(agent, port, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/messages', agent, headers },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Wait until the process's write_bytes has not moved for `quietMs` (the index's debounced save is done). */
async function settleWrites(pid, quietMs = 5000, maxMs = 60_000) {
  const t0 = Date.now();
  let last = procIo(pid)?.writeBytes;
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    await new Promise((r) => setTimeout(r, 250));
    const now = procIo(pid)?.writeBytes;
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return true;
  }
  return false;
}

/** `reps` timed calls after one cold call: { coldMs, p50Ms, maxMs }. */
async function timeCall(ui, name, args, reps = REPS) {
  const cold = await ui.timed(name, args);
  const ms = [];
  for (let i = 0; i < reps; i++) ms.push((await ui.timed(name, args)).ms);
  return {
    coldMs: round(cold.ms, 1),
    p50Ms: round(median(ms), 1),
    maxMs: round(Math.max(...ms), 1),
    value: cold.value,
  };
}

async function measureSize(ctx, size, upstream, templates, root) {
  const log = (m) => ctx.log(`${label(size)}: ${m}`);
  const template = size <= 100_000 ? templates.claude() : templates.small();
  const tpl = await template;
  const sessions = Math.ceil(size / tpl.requests);
  const dataDir = path.join(root, `history-${label(size)}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  writeBenchConfig(dataDir, upstream.url);
  const r = { size, template: tpl.kind, sessions };
  const syntheticAbove =
    ctx.flags['synthetic-above'] !== undefined ? parseSize(ctx.flags['synthetic-above']) : SYNTHETIC_ABOVE;
  if (size > syntheticAbove && !ctx.flags['real-jsonl']) {
    // children/history-synth.js: indexed in memory through the real indexer, JSONL only for the newest sessions.
    const templateFile = path.join(root, `template-${tpl.kind}.json`);
    fs.writeFileSync(templateFile, JSON.stringify(tpl));
    const real = Math.min(sessions, Math.ceil(SYNTHETIC_REAL_REQUESTS / tpl.requests));
    log(`synthetic history: ${sessions} sessions indexed in memory, the newest ${real} written as JSONL`);
    const synth = await runNodeScript(path.join(ctx.benchDir, 'children/history-synth.js'), [
      JSON.stringify({ repoRoot: ctx.repoRoot, dataDir, templateFile, sessions, real }),
    ]);
    const out = JSON.parse(synth.stdout);
    Object.assign(r, { requests: out.requests, jsonlBytes: out.jsonlBytes, synthetic: out });
    r.synthetic.peakRssMb = round(synth.peakRss / MB, 0);
    r.indexBytesAfterReindex = indexBytes(dataDir).bytes;
    log(
      `built in ${out.seconds.toFixed(1)} s (peak RSS ${r.synthetic.peakRssMb} MB): ${out.partitions} partitions, index ${(r.indexBytesAfterReindex / MB).toFixed(1)} MB`,
    );
  } else {
    log(
      `writing ${sessions} session files (${tpl.kind} template: ${tpl.requests} requests, ${(tpl.bytes / 1024).toFixed(0)} KB each)`,
    );
    const gen = writeHistory(dataDir, tpl, { sessions });
    log(
      `wrote ${gen.requests} requests, ${(gen.bytes / MB).toFixed(0)} MB of JSONL in ${gen.seconds.toFixed(1)} s`,
    );
    Object.assign(r, { requests: gen.requests, jsonlBytes: gen.bytes, genSeconds: round(gen.seconds, 1) });

    ctx.gc();
    log('lunaroute reindex');
    const reindex = await runReindex(ctx.repoRoot, dataDir, { port: await freePort() });
    r.reindex = {
      seconds: round(reindex.seconds, 1),
      peakRssMb: round(reindex.peakRss / MB, 0),
      output: reindex.stdout,
    };
    r.indexBytesAfterReindex = indexBytes(dataDir).bytes;
    log(
      `${reindex.stdout} — peak RSS ${r.reindex.peakRssMb} MB; index ${(r.indexBytesAfterReindex / MB).toFixed(1)} MB`,
    );
  }

  log('lunaroute serve');
  const serve = await startServe(ctx.repoRoot, dataDir);
  try {
    r.startup = {
      healthzMs: round(serve.startup.healthzMs, 0),
      readyLineMs: round(serve.startup.readyLineMs, 0),
      indexReadyMs: round(serve.startup.indexReadyMs, 0),
    };
    await settleWrites(serve.pid);
    r.rssAfterStartMb = round(procStatus(serve.pid).rss / MB, 0);
    const stats0 = await serve.ui.call('stats.get', {});
    r.indexed = { sessions: stats0.sessions, requests: stats0.requests };
    log(
      `serving in ${r.startup.healthzMs} ms (index answers at ${r.startup.indexReadyMs} ms); ${stats0.requests} requests indexed; RSS ${r.rssAfterStartMb} MB`,
    );

    // 300 small requests at 20/s, open loop, one new session; then everything they cause to be written.
    const sessionsDir = path.join(dataDir, 'sessions');
    const jsonlBefore = dirBytes(sessionsDir).bytes;
    const io0 = procIo(serve.pid);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const sessionId = randomUUID();
    const sent = [];
    const t0 = performance.now();
    for (let i = 0; i < NEW_REQUESTS; i++) {
      const wait = t0 + (i * 1000) / NEW_RATE - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      const body = smallBody(1000 + i);
      sent.push(
        post(
          agent,
          serve.port,
          { ...anthropicHeaders(body.length), 'x-claude-code-session-id': sessionId },
          body,
        ),
      );
    }
    await Promise.all(sent);
    agent.destroy();
    await serve.ui.call('stats.get', {}); // the recorder has written and indexed them
    const settled = await settleWrites(serve.pid);
    const io1 = procIo(serve.pid);
    const jsonlAdded = dirBytes(sessionsDir).bytes - jsonlBefore;
    r.newRequests = {
      count: NEW_REQUESTS,
      writeBytesPerRequest: Math.round((io1.writeBytes - io0.writeBytes) / NEW_REQUESTS),
      wcharPerRequest: Math.round((io1.wchar - io0.wchar) / NEW_REQUESTS),
      jsonlBytesPerRequest: Math.round(jsonlAdded / NEW_REQUESTS),
      settled,
    };
    r.rssAfterNewMb = round(procStatus(serve.pid).rss / MB, 0);
    log(
      `${NEW_REQUESTS} new requests: ${(r.newRequests.writeBytesPerRequest / 1024).toFixed(1)} KB written per request (JSONL ${(r.newRequests.jsonlBytesPerRequest / 1024).toFixed(1)} KB); RSS ${r.rssAfterNewMb} MB`,
    );

    // Queries the window makes.
    const total = (await serve.ui.call('sessions.list', { limit: 1 })).total;
    const last = Math.max(0, total - PAGE);
    r.list = { total, page: PAGE };
    for (const [key, offset] of [
      ['offset0', 0],
      ['offset5000', 5000],
      ['last', last],
    ]) {
      const t = await timeCall(serve.ui, 'sessions.list', { offset, limit: PAGE });
      r.list[key] = {
        offset,
        rows: t.value.sessions.length,
        coldMs: t.coldMs,
        p50Ms: t.p50Ms,
        maxMs: t.maxMs,
      };
    }
    r.search = {};
    for (const [key, q] of [
      ['common', COMMON_WORD],
      ['rare', RARE_WORD],
    ]) {
      const t = await timeCall(serve.ui, 'search', { q, limit: 50 });
      r.search[key] = { q, hits: t.value.hits.length, coldMs: t.coldMs, p50Ms: t.p50Ms, maxMs: t.maxMs };
    }
    const a = await timeCall(serve.ui, 'analytics.get', { bucket: 'day' });
    r.analytics = { coldMs: a.coldMs, p50Ms: a.p50Ms, maxMs: a.maxMs };
    r.rssAfterQueriesMb = round(procStatus(serve.pid).rss / MB, 0);
    r.peakRssMb = round(procStatus(serve.pid).hwm / MB, 0);
    log(
      `list p50 ${r.list.offset0.p50Ms} / ${r.list.offset5000.p50Ms} / ${r.list.last.p50Ms} ms; search ${r.search.common.p50Ms} / ${r.search.rare.p50Ms} ms; analytics ${r.analytics.p50Ms} ms`,
    );
    serve.ui.close();
  } catch (err) {
    log(`serve failed: ${err.message}\n${serve.stderrTail.join('\n')}`);
    r.error = err.message;
  } finally {
    const t = performance.now();
    await serve.stop();
    r.stopMs = round(performance.now() - t, 0);
  }
  r.indexBytes = indexBytes(dataDir).bytes;
  if (!ctx.flags.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  else log(`kept ${dataDir}`);
  return r;
}

const fmtMs = (v) => (v === undefined || v === null ? '–' : String(v));

function table(results) {
  const cols = results.map((r) => `${label(r.requests)} (${r.template})`);
  const row = (name, f, target = '') => [
    name,
    ...results.map((r) => {
      try {
        return f(r) ?? '–';
      } catch {
        return '–';
      }
    }),
    target,
  ];
  const rows = [
    row(
      'sessions / requests indexed',
      (r) => `${r.indexed?.sessions ?? '?'} / ${r.indexed?.requests ?? '?'}`,
    ),
    row('JSONL on disk (MB)', (r) => (r.jsonlBytes / MB).toFixed(0)),
    row('index on disk after reindex (MB)', (r) => (r.indexBytesAfterReindex / MB).toFixed(1)),
    row('reindex time (s)', (r) => r.reindex.seconds, `≤ ${TARGETS.reindex100kS} at 100k`),
    row('synthetic history built in (s) / peak RSS (MB)', (r) =>
      r.synthetic ? `${round(r.synthetic.seconds, 1)} / ${r.synthetic.peakRssMb}` : null,
    ),
    row('reindex peak RSS (MB)', (r) => r.reindex.peakRssMb, `≤ ${TARGETS.reindexRssMb}`),
    row('start-up: spawn → /healthz 200 (ms)', (r) => r.startup.healthzMs, `≤ ${TARGETS.startupMs}`),
    row('start-up: spawn → first query answered (ms)', (r) => r.startup.indexReadyMs),
    row('serve RSS after start (MB)', (r) => r.rssAfterStartMb, `≤ ${TARGETS.rssMb}`),
    row(`serve RSS after ${NEW_REQUESTS} new requests (MB)`, (r) => r.rssAfterNewMb, `≤ ${TARGETS.rssMb}`),
    row('serve RSS after the queries / peak (MB)', (r) => `${r.rssAfterQueriesMb} / ${r.peakRssMb}`),
    row(
      'disk bytes written per new 1 KB request (KB)',
      (r) => (r.newRequests.writeBytesPerRequest / 1024).toFixed(1),
      `≤ ${TARGETS.bytesPerRequest / 1024}`,
    ),
    row('  of which JSONL (KB)', (r) => (r.newRequests.jsonlBytesPerRequest / 1024).toFixed(1)),
    row(
      'list page offset 0: p50 (cold) ms',
      (r) => `${fmtMs(r.list.offset0.p50Ms)} (${fmtMs(r.list.offset0.coldMs)})`,
      `≤ ${TARGETS.listMs}`,
    ),
    row(
      'list page offset 5000: p50 (cold) ms',
      (r) =>
        `${fmtMs(r.list.offset5000.p50Ms)} (${fmtMs(r.list.offset5000.coldMs)})${r.list.total <= 5000 ? ' past end' : ''}`,
      `≤ ${TARGETS.listMs}`,
    ),
    row(
      'list last page: p50 (cold) ms',
      (r) => `${fmtMs(r.list.last.p50Ms)} (${fmtMs(r.list.last.coldMs)})`,
      `≤ ${TARGETS.listMs}`,
    ),
    row(
      `search newest 50 '${COMMON_WORD}': p50 (cold) ms`,
      (r) => `${fmtMs(r.search.common.p50Ms)} (${fmtMs(r.search.common.coldMs)})`,
      `≤ ${TARGETS.searchMs}`,
    ),
    row(
      `search newest 50 rare word: p50 (cold) ms [hits]`,
      (r) => `${fmtMs(r.search.rare.p50Ms)} (${fmtMs(r.search.rare.coldMs)}) [${r.search.rare.hits}]`,
      `≤ ${TARGETS.searchMs}`,
    ),
    row(
      'analytics over all history: p50 (cold) ms',
      (r) => `${fmtMs(r.analytics.p50Ms)} (${fmtMs(r.analytics.coldMs)})`,
      `≤ ${TARGETS.analyticsMs}`,
    ),
    row('index on disk after serve (MB)', (r) => (r.indexBytes / MB).toFixed(1)),
    row('serve stop (SIGTERM → exit, ms)', (r) => r.stopMs),
  ];
  const la = loadavg();
  return formatTable(
    `History (load ${la['1m']} / ${la['5m']} / ${la['15m']})`,
    ['measure', ...cols, 'target'],
    rows,
  );
}

function checksOf(results) {
  const checks = [];
  const c = (name, value, target, pass) => checks.push({ name, value, target, pass });
  for (const r of results) {
    if (r.error || !r.newRequests) continue;
    const at = label(r.requests);
    c(
      `${at}: serve RSS after ${NEW_REQUESTS} new requests (MB)`,
      r.rssAfterNewMb,
      `<= ${TARGETS.rssMb}`,
      r.rssAfterNewMb <= TARGETS.rssMb,
    );
    c(
      `${at}: bytes written per new request (KB)`,
      round(r.newRequests.writeBytesPerRequest / 1024, 1),
      `<= ${TARGETS.bytesPerRequest / 1024}`,
      r.newRequests.writeBytesPerRequest <= TARGETS.bytesPerRequest,
    );
    c(
      `${at}: analytics over all history p50 (ms)`,
      r.analytics.p50Ms,
      `<= ${TARGETS.analyticsMs}`,
      r.analytics.p50Ms <= TARGETS.analyticsMs,
    );
    const search = Math.max(r.search.common.p50Ms, r.search.rare.p50Ms);
    c(
      `${at}: search newest 50, slower word p50 (ms)`,
      search,
      `<= ${TARGETS.searchMs}`,
      search <= TARGETS.searchMs,
    );
    const list = Math.max(r.list.offset0.p50Ms, r.list.offset5000.p50Ms, r.list.last.p50Ms);
    c(`${at}: list page, slowest offset p50 (ms)`, list, `<= ${TARGETS.listMs}`, list <= TARGETS.listMs);
    c(
      `${at}: start-up to serving (ms)`,
      r.startup.healthzMs,
      `<= ${TARGETS.startupMs}`,
      r.startup.healthzMs <= TARGETS.startupMs,
    );
    if (r.reindex)
      c(
        `${at}: reindex peak RSS (MB)`,
        r.reindex.peakRssMb,
        `<= ${TARGETS.reindexRssMb}`,
        r.reindex.peakRssMb <= TARGETS.reindexRssMb,
      );
    if (r.requests === 100_000)
      c(
        `${at}: reindex time (s)`,
        r.reindex.seconds,
        `<= ${TARGETS.reindex100kS}`,
        r.reindex.seconds <= TARGETS.reindex100kS,
      );
  }
  return checks;
}

export async function run(ctx) {
  const sizes = String(ctx.flags.sizes ?? '10k,100k')
    .split(',')
    .map(parseSize);
  const root = fs.mkdtempSync(path.join(ctx.flags['data-root'] ?? os.tmpdir(), 'lunaroute-bench-history-'));
  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  const results = [];
  try {
    const once = (kind) => {
      let p = null;
      return () => (p ??= recordTemplate(ctx.repoRoot, upstream.url, kind, root));
    };
    const templates = { claude: once('claude'), small: once('small') };
    for (const size of sizes) {
      results.push(await measureSize(ctx, size, upstream, templates, root));
      ctx.gc();
    }
  } finally {
    await upstream.stop();
    upstream.kill();
    // --keep: the data dirs stay (measureSize said where), so the root that holds them stays too.
    if (!ctx.flags.keep) fs.rmSync(root, { recursive: true, force: true });
  }
  return {
    tables: [table(results)],
    results: { targets: TARGETS, sizes: results },
    checks: checksOf(results),
  };
}
