// Benchmark section "proxy": the cost LunaRoute adds on the request path. In one run it compares three paths on
// loopback — direct to a fast upstream, through LunaRoute, through bare http-proxy (the reference) — each server
// in its own child process: added p50/p99 latency (1 KB and 80 KB bodies), SSE time-to-first-byte and per-event
// delay, throughput at concurrency 16, CPU time per request and RSS of the proxy processes. Paths alternate in
// rotated order within each round; results are medians across rounds.
import fs from 'node:fs';
import path from 'node:path';
import { startChild, cpuDeltaUs } from '../lib/children.js';
import {
  anthropicHeaders,
  messagesBody,
  keepAliveAgent,
  sequentialLatency,
  throughput,
  sseStream,
  requestsSentTo,
} from '../lib/http-load.js';
import { summarize, median, round } from '../lib/stats.js';
import { formatTable, ms, verdict } from '../lib/report.js';
import { summarizeCpuProfile, inclusiveTime } from '../lib/cpuprofile.js';

export const name = 'proxy';
export const description =
  'Added latency, SSE delay, throughput, CPU/request and RSS: direct vs LunaRoute vs bare http-proxy';

const TARGETS = { addedP50Ms: 0.2, addedP99Ms: 1.0, throughputRatio: 0.9 };
const BASE_PATHS = ['direct', 'lunaroute', 'bare'];
const LABEL = {
  direct: 'direct',
  lunaroute: 'LunaRoute',
  bare: 'bare http-proxy',
  candidate: 'LunaRoute candidate',
};

function settings(flags) {
  const quick = Boolean(flags.quick);
  const num = (key, dflt) => (flags[key] !== undefined ? Number(flags[key]) : dflt);
  return {
    rounds: num('rounds', quick ? 2 : 3),
    warmupFirst: num('warmup', quick ? 150 : 300),
    warmupLater: quick ? 50 : 100,
    count1k: num('count', quick ? 600 : 2000),
    count80k: num('count80k', quick ? 300 : 1000),
    sseStreams: quick ? 2 : 4,
    sseEvents: 50,
    sseGapMs: 4,
    concurrency: 16,
    tpDurationMs: num('duration', quick ? 1000 : 2400),
    slices: num('slices', quick ? 2 : 4),
    tpWarmupMs: quick ? 300 : 500,
  };
}

/** Rotate the path order each round so no path always runs first or last. */
function orderFor(paths, round) {
  return paths.map((_, i) => paths[(i + round) % paths.length]);
}

export async function run(ctx) {
  const s = settings(ctx.flags);
  // --candidate-dist=<dir>: a second LunaRoute built from another compiled tree (e.g. a patch under review,
  // compiled with `tsc -p tsconfig.main.json --outDir <dir>`) runs as a fourth path in the same interleaved run.
  const candidateDist =
    typeof ctx.flags['candidate-dist'] === 'string' ? path.resolve(ctx.flags['candidate-dist']) : null;
  const PATHS = candidateDist ? [...BASE_PATHS, 'candidate'] : BASE_PATHS;
  const PROXIES = PATHS.filter((p) => p !== 'direct');
  // --cpu-prof profiles both proxies (each into its own directory) so their profiles can be compared.
  const profileDir = (p) => path.join(ctx.resultsDir, 'profiles', p);
  const profArgs = (p) => (ctx.flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(p)}`] : []);
  const startedProfiling = Date.now();
  if (ctx.flags['cpu-prof'])
    ctx.log('--cpu-prof: both proxies run under the profiler; their numbers are inflated');

  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  const children = { upstream };
  try {
    children.lunaroute = await startChild(path.join(ctx.benchDir, 'children/lunaroute.js'), [upstream.url], {
      name: 'lunaroute',
      execArgv: profArgs('lunaroute'),
    });
    children.bare = await startChild(path.join(ctx.benchDir, 'children/bare-proxy.js'), [upstream.url], {
      name: 'bare-proxy',
      execArgv: profArgs('bare'),
    });
    if (candidateDist)
      children.candidate = await startChild(
        path.join(ctx.benchDir, 'children/lunaroute.js'),
        [upstream.url, candidateDist],
        { name: 'lunaroute-candidate', execArgv: profArgs('candidate') },
      );
    const port = { direct: upstream.port };
    const proxyChild = { direct: null };
    for (const p of PROXIES) {
      port[p] = children[p].port;
      proxyChild[p] = children[p];
    }
    const gcAll = async () => {
      ctx.gc();
      await Promise.all(Object.values(children).map((c) => c.snapshot(true)));
    };

    await gcAll();
    const memStart = {};
    for (const p of PROXIES) memStart[p] = await children[p].snapshot(true);

    const sizes = [
      { key: '1KB', body: messagesBody(1024), count: s.count1k },
      { key: '80KB', body: messagesBody(80 * 1024), count: s.count80k },
    ];
    const sseBody = messagesBody(1024, true);
    const agents = {};
    for (const p of PATHS) agents[p] = { seq: keepAliveAgent(1), tp: keepAliveAgent(s.concurrency) };

    // raw[metric][path] = per-round records
    const raw = { latency: {}, sse: {}, throughput: {} };
    for (const size of sizes) raw.latency[size.key] = Object.fromEntries(PATHS.map((p) => [p, []]));
    raw.sse = Object.fromEntries(PATHS.map((p) => [p, []]));
    raw.throughput = Object.fromEntries(PATHS.map((p) => [p, []]));

    for (let r = 0; r < s.rounds; r++) {
      const order = orderFor(PATHS, r);
      const warmup = r === 0 ? s.warmupFirst : s.warmupLater;
      ctx.log(`round ${r + 1}/${s.rounds}: order ${order.join(' → ')}`);
      // Each path's share of a round is split into `slices` chunks, alternated path by path, so a burst of
      // load from elsewhere on the machine hits every path alike.
      for (const size of sizes) {
        const headers = anthropicHeaders(size.body.length);
        const common = (p) => ({
          port: port[p],
          path: '/v1/messages',
          headers,
          body: size.body,
          agent: agents[p].seq,
        });
        for (const p of order) await sequentialLatency({ ...common(p), warmup, count: 0 });
        const acc = Object.fromEntries(order.map((p) => [p, { samples: [], cpuUs: 0 }]));
        const perSlice = Math.ceil(size.count / s.slices);
        for (let k = 0; k < s.slices; k++) {
          for (const p of order) {
            await gcAll();
            const before = await proxyChild[p]?.snapshot();
            acc[p].samples.push(...(await sequentialLatency({ ...common(p), warmup: 0, count: perSlice })));
            const after = await proxyChild[p]?.snapshot();
            if (before) acc[p].cpuUs += cpuDeltaUs(before, after);
          }
        }
        for (const p of order) {
          const { samples, cpuUs } = acc[p];
          raw.latency[size.key][p].push({
            ...summarize(samples),
            samples,
            cpuUsPerReq: proxyChild[p] ? cpuUs / samples.length : null,
          });
        }
      }
      const sseHeaders = anthropicHeaders(sseBody.length);
      for (const p of order) {
        await gcAll();
        const ttfbs = [];
        const delays = [];
        for (let i = 0; i < s.sseStreams + (r === 0 ? 1 : 0); i++) {
          const one = await sseStream({
            port: port[p],
            path: '/v1/messages',
            headers: sseHeaders,
            body: sseBody,
            agent: agents[p].seq,
            events: s.sseEvents,
            gapMs: s.sseGapMs,
          });
          if (r === 0 && i === 0) continue; // warm-up stream
          ttfbs.push(one.ttfb);
          delays.push(...one.delays);
        }
        raw.sse[p].push({ ttfb: summarize(ttfbs), delay: summarize(delays) });
      }
      const tpHeaders = anthropicHeaders(sizes[0].body.length);
      const tpCommon = (p) => ({
        port: port[p],
        path: '/v1/messages',
        headers: tpHeaders,
        body: sizes[0].body,
        concurrency: s.concurrency,
        agent: agents[p].tp,
      });
      for (const p of order) await throughput({ ...tpCommon(p), durationMs: s.tpWarmupMs });
      const tpAcc = Object.fromEntries(
        order.map((p) => [p, { requests: 0, errors: 0, seconds: 0, cpuUs: 0, slices: [] }]),
      );
      for (let k = 0; k < s.slices; k++) {
        for (const p of order) {
          await gcAll();
          const before = await proxyChild[p]?.snapshot();
          const res = await throughput({ ...tpCommon(p), durationMs: s.tpDurationMs / s.slices });
          const after = await proxyChild[p]?.snapshot();
          const a = tpAcc[p];
          a.requests += res.requests;
          a.errors += res.errors;
          a.seconds += res.seconds;
          a.slices.push(res.rps);
          if (before) a.cpuUs += cpuDeltaUs(before, after);
        }
      }
      for (const p of order) {
        const a = tpAcc[p];
        raw.throughput[p].push({
          requests: a.requests,
          errors: a.errors,
          seconds: a.seconds,
          rps: a.requests / a.seconds,
          slices: a.slices,
          cpuUsPerReq: proxyChild[p] ? a.cpuUs / a.requests : null,
        });
      }
    }
    for (const p of PATHS) for (const a of Object.values(agents[p])) a.destroy();

    const memEnd = {};
    for (const p of PROXIES) {
      const noGc = await children[p].snapshot(false);
      const gcd = await children[p].snapshot(true);
      memEnd[p] = { rss: noGc.rss, rssAfterGc: gcd.rss, heapUsedAfterGc: gcd.heapUsed, maxRss: gcd.maxRss };
    }

    await Promise.all(Object.values(children).map((c) => c.stop()));
    let profile = null;
    if (ctx.flags['cpu-prof'])
      profile = Object.fromEntries(
        PROXIES.map((p) => [p, readNewestProfile(profileDir(p), startedProfiling, requestsSentTo(port[p]))]),
      );

    return analyse(s, PATHS, raw, memStart, memEnd, profile);
  } finally {
    for (const c of Object.values(children)) c.kill();
  }
}

function readNewestProfile(dir, since, requests) {
  if (!fs.existsSync(dir)) return null;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f: path.join(dir, f), t: fs.statSync(path.join(dir, f)).mtimeMs }))
    .filter((x) => x.t >= since)
    .sort((a, b) => b.t - a.t);
  if (files.length === 0) return null;
  const prof = JSON.parse(fs.readFileSync(files[0].f, 'utf8'));
  const summary = summarizeCpuProfile(prof, 25);
  // LunaRoute's own code, prom-client, URL parsing and http-proxy's entry points, by inclusive time.
  const ours = inclusiveTime(
    prof,
    /dist\/src-main\/|prom-client\/|^node:url$|^node:internal\/url$|http-proxy\/lib/,
    30,
  );
  const perReq = (x) => ({ ...x, usPerReq: round((x.selfMs * 1000) / requests, 2) });
  return {
    file: files[0].f,
    requests,
    ...summary,
    usPerReq: round((summary.totalMs * 1000) / requests, 1),
    top: summary.top.map(perReq),
    files: summary.files.map(perReq),
    inclusive: ours.map((x) => ({ ...x, usPerReq: round((x.inclMs * 1000) / requests, 2) })),
  };
}

function analyse(s, PATHS, raw, memStart, memEnd, profile) {
  const PROXIES = PATHS.filter((p) => p !== 'direct');
  const mb = (b) => round(b / 2 ** 20, 1);
  const results = {
    settings: s,
    targets: TARGETS,
    latency: {},
    sse: {},
    throughput: {},
    cpu: {},
    memory: {},
  };
  const tables = [];

  // Sequential latency.
  const latRows = [];
  for (const [size, byPath] of Object.entries(raw.latency)) {
    const out = {};
    for (const p of PATHS) {
      const rounds = byPath[p];
      out[p] = {
        p50: round(median(rounds.map((x) => x.p50)), 4),
        p99: round(median(rounds.map((x) => x.p99)), 4),
        pooled: roundAll(summarize(rounds.flatMap((x) => x.samples))),
        rounds: rounds.map((x) =>
          roundAll({ n: x.n, p50: x.p50, p90: x.p90, p99: x.p99, max: x.max, mean: x.mean }),
        ),
      };
    }
    out.added = {};
    for (const p of PROXIES) {
      out.added[p] = {
        p50: round(median(byPath[p].map((x, i) => x.p50 - byPath.direct[i].p50)), 4),
        p99: round(median(byPath[p].map((x, i) => x.p99 - byPath.direct[i].p99)), 4),
      };
    }
    results.latency[size] = out;
    for (const p of PATHS) {
      const added = p === 'direct' ? null : out.added[p];
      let p50Target = null;
      let p99Target = null;
      if (p === 'lunaroute' && size === '1KB') {
        p50Target = `≤ ${TARGETS.addedP50Ms} ${verdict(added.p50 <= TARGETS.addedP50Ms)}`;
        p99Target = `≤ ${TARGETS.addedP99Ms} ${verdict(added.p99 <= TARGETS.addedP99Ms)}`;
      }
      latRows.push([
        `${size} ${LABEL[p]}`,
        ms(out[p].p50),
        ms(out[p].p99),
        added ? ms(added.p50) : null,
        p50Target,
        added ? ms(added.p99) : null,
        p99Target,
      ]);
    }
  }
  tables.push(
    formatTable(
      `Sequential keep-alive POST /v1/messages (${s.count1k} × 1 KB, ${s.count80k} × 80 KB per path per round in ${s.slices} alternating slices; ms, median of ${s.rounds} rounds)`,
      ['path', 'p50', 'p99', 'added p50', 'target', 'added p99', 'target'],
      latRows,
    ),
  );

  // SSE.
  const sseRows = [];
  for (const p of PATHS) {
    const rounds = raw.sse[p];
    results.sse[p] = {
      ttfbP50: round(median(rounds.map((x) => x.ttfb.p50)), 4),
      delayP50: round(median(rounds.map((x) => x.delay.p50)), 4),
      delayP99: round(median(rounds.map((x) => x.delay.p99)), 4),
      rounds: rounds.map((x) => ({ ttfb: roundAll(x.ttfb), delay: roundAll(x.delay) })),
    };
  }
  for (const p of PATHS) {
    const r = results.sse[p];
    const d = results.sse.direct;
    if (p !== 'direct')
      r.added = {
        ttfbP50: round(r.ttfbP50 - d.ttfbP50, 4),
        delayP50: round(r.delayP50 - d.delayP50, 4),
        delayP99: round(r.delayP99 - d.delayP99, 4),
      };
    sseRows.push([
      LABEL[p],
      ms(r.ttfbP50),
      ms(r.added?.ttfbP50),
      ms(r.delayP50),
      ms(r.delayP99),
      ms(r.added?.delayP50),
      ms(r.added?.delayP99),
    ]);
  }
  tables.push(
    formatTable(
      `SSE: ${s.sseStreams} streams × ${s.sseEvents} events, ${s.sseGapMs} ms apart per round (ms; event delay = arrival − upstream write)`,
      ['path', 'TTFB p50', 'added', 'event p50', 'event p99', 'added p50', 'added p99'],
      sseRows,
    ),
  );

  // Throughput, CPU and memory.
  for (const p of PATHS) {
    const rounds = raw.throughput[p];
    results.throughput[p] = {
      rps: round(median(rounds.map((x) => x.rps)), 0),
      rounds: rounds.map((x) => ({
        requests: x.requests,
        errors: x.errors,
        seconds: round(x.seconds, 3),
        rps: round(x.rps, 0),
        slices: x.slices.map((v) => round(v, 0)),
      })),
    };
    if (p !== 'direct')
      results.cpu[p] = {
        usPerReqSequential1KB: round(median(raw.latency['1KB'][p].map((x) => x.cpuUsPerReq)), 1),
        usPerReqConcurrent: round(median(rounds.map((x) => x.cpuUsPerReq)), 1),
      };
  }
  // Ratio to bare http-proxy: median over the paired slices (same round, adjacent in time) — robust to load
  // bursts from elsewhere that a ratio of overall medians is not.
  const pairedRatio = (p) =>
    median(
      raw.throughput[p].flatMap((x, i) => x.slices.map((rps, k) => rps / raw.throughput.bare[i].slices[k])),
    );
  const ratio = pairedRatio('lunaroute');
  results.throughput.lunarouteVsBare = round(ratio, 3);
  results.throughput.ratioOfMedians = round(
    results.throughput.lunaroute.rps / results.throughput.bare.rps,
    3,
  );
  results.throughput.candidateVsBare = raw.throughput.candidate
    ? round(pairedRatio('candidate'), 3)
    : undefined;
  for (const p of PROXIES) {
    results.memory[p] = {
      rssStartMB: mb(memStart[p].rss),
      rssEndMB: mb(memEnd[p].rss),
      rssEndAfterGcMB: mb(memEnd[p].rssAfterGc),
      maxRssMB: mb(memEnd[p].maxRss),
      heapUsedStartMB: mb(memStart[p].heapUsed),
      heapUsedEndAfterGcMB: mb(memEnd[p].heapUsedAfterGc),
    };
  }
  const tpRows = PATHS.map((p) => [
    LABEL[p],
    results.throughput[p].rps,
    p === 'lunaroute'
      ? `${(ratio * 100).toFixed(1)}% of bare (≥ ${TARGETS.throughputRatio * 100}% ${verdict(ratio >= TARGETS.throughputRatio)})`
      : p === 'candidate'
        ? `${(results.throughput.candidateVsBare * 100).toFixed(1)}% of bare`
        : null,
    results.cpu[p]?.usPerReqSequential1KB ?? null,
    results.cpu[p]?.usPerReqConcurrent ?? null,
    results.memory[p] ? `${results.memory[p].rssStartMB} → ${results.memory[p].rssEndMB}` : null,
    results.memory[p]?.maxRssMB ?? null,
  ]);
  tables.push(
    formatTable(
      `Throughput at concurrency ${s.concurrency}, 1 KB bodies, ${s.tpDurationMs} ms per path per round in ${s.slices} alternating slices (vs bare: median of paired slices); proxy CPU and RSS`,
      ['path', 'req/s', 'vs bare', 'CPU µs/req c=1', 'CPU µs/req c=16', 'RSS MB start → end', 'max RSS MB'],
      tpRows,
    ),
  );

  results.checks = [
    {
      name: 'LunaRoute added p50, 1 KB (ms)',
      value: results.latency['1KB'].added.lunaroute.p50,
      target: `<= ${TARGETS.addedP50Ms}`,
    },
    {
      name: 'LunaRoute added p99, 1 KB (ms)',
      value: results.latency['1KB'].added.lunaroute.p99,
      target: `<= ${TARGETS.addedP99Ms}`,
    },
    {
      name: 'LunaRoute throughput / bare http-proxy',
      value: results.throughput.lunarouteVsBare,
      target: `>= ${TARGETS.throughputRatio}`,
    },
  ].map((c, i) => ({
    ...c,
    pass:
      i === 0
        ? c.value <= TARGETS.addedP50Ms
        : i === 1
          ? c.value <= TARGETS.addedP99Ms
          : c.value >= TARGETS.throughputRatio,
  }));

  if (profile) {
    results.profile = profile;
    for (const p of PROXIES) {
      const prof = profile[p];
      if (!prof) continue;
      tables.push(
        formatTable(
          `${LABEL[p]} CPU profile (${path.relative(process.cwd(), prof.file)}): busy ${prof.totalMs.toFixed(0)} ms for ${prof.requests} requests = ${prof.usPerReq} µs/req (profiler overhead included); self time by file`,
          ['file', 'self ms', 'self %', 'µs/req'],
          prof.files
            .slice(0, 12)
            .map((t) => [t.file, t.selfMs.toFixed(1), t.selfPct.toFixed(1), t.usPerReq.toFixed(2)]),
        ),
        formatTable(
          `${LABEL[p]}: top functions by self time`,
          ['function', 'where', 'self ms', 'self %', 'µs/req'],
          prof.top
            .slice(0, 20)
            .map((t) => [t.name, t.where, t.selfMs.toFixed(1), t.selfPct.toFixed(1), t.usPerReq.toFixed(2)]),
        ),
        formatTable(
          `${LABEL[p]}: own code, prom-client, URL parsing and http-proxy by inclusive time`,
          ['function', 'where', 'incl ms', 'µs/req'],
          prof.inclusive
            .slice(0, 25)
            .map((t) => [t.name, t.where, t.inclMs.toFixed(1), t.usPerReq.toFixed(2)]),
        ),
      );
    }
  }
  return { tables, results, checks: results.checks };
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v]));
}
