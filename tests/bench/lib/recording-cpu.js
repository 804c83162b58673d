// The recording benchmark's "cpu" part (issue 12): CPU per request of the whole process (utime + stime from
// /proc/<pid>/stat, so the recorder worker and every other thread count) and added latency, side by side in one
// run, for bare http-proxy, LunaRoute with recording off, and LunaRoute with recording + redaction mask. N
// sequential keep-alive requests per configuration in blocks of 500, each block followed by a 1.5 s pause that is
// inside the CPU window (the recorder finishes its work there). Blocks rotate over the configurations, so a drift
// in machine load spreads over all of them. Shapes: a 1 KB chat request, and a Claude-Code-like ≈80 KB request
// (its session's history plus one new turn, turns 3-9 of seeded sessions) answered with an SSE stream.
// --cpu-dist=<tree>[,<tree>…] runs LunaRoute from other builds: recording off from the first, and one recording +
// mask child per build, all interleaved in the same blocks (so each change is measured under the same load).
// --cpu-shapes=1KB|cc80k runs only the shapes named (comma-separated). --cpu-warmup=N sends N requests per path
// before measuring (default 100 quick / 300): V8 optimises a function called once per request only after a few
// thousand calls, so a short warm-up measures the JIT's compiling too; thousands measure the steady state.
import fs from 'node:fs';
import path from 'node:path';
import { startChild } from './children.js';
import { anthropicHeaders, messagesBody, keepAliveAgent, timedPost } from './http-load.js';
import { claudeCodeSession } from './claude-session.js';
import { summarize, round } from './stats.js';
import { formatTable, ms, verdict } from './report.js';
import { loadavg } from './machine.js';

const TICK_US = 1e6 / 100; // CLK_TCK is 100 on Linux x86-64
export const CPU_TARGETS = {
  '1KB': { bar: 400, goal: 150 },
  cc80k: { bar: 2000, goal: 500 },
  addedP50VsBareMs: 0.03,
};

/** utime + stime of a process (all its threads) in µs, from /proc/<pid>/stat. */
export function processCpuUs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15.
  return (Number(rest[11]) + Number(rest[12])) * TICK_US;
}

const BARE = { label: 'bare http-proxy', script: 'children/bare-proxy.js', args: [] };

/** The children of one run: bare, recording off, and recording + mask once per build given (or the repo's). */
function configsFor(flags) {
  const dists = flags['cpu-dist']
    ? String(flags['cpu-dist'])
        .split(',')
        .map((d) => path.resolve(d))
    : [null];
  const lr = (dist, args) => ({ script: 'children/lunaroute.js', dist, args });
  const out = {
    bare: BARE,
    off: { label: 'LunaRoute, recording off', ...lr(dists[0], ['--recording=off']) },
  };
  for (const d of dists) {
    // A build is named by its directory (by the one above it when that is `dist`).
    const name = path.basename(d) === 'dist' ? path.basename(path.dirname(d)) : path.basename(d);
    const key = dists.length === 1 ? 'mask' : `mask:${name}`;
    const label = `LunaRoute, recording + mask${dists.length === 1 ? '' : ` (${name})`}`;
    out[key] = { label, ...lr(d, ['--recording=on', '--redaction=mask']) };
  }
  return out;
}

/** Request generator per shape: `next(i)` returns the i-th request's headers and body. */
function shapes() {
  const chat = messagesBody(1024);
  const sessions = new Map();
  const turn = (seed, t) => {
    let s = sessions.get(seed);
    if (!s) {
      s = claudeCodeSession(10, { seed, sessionId: `bench-cpu-${seed}` });
      sessions.set(seed, s);
      if (sessions.size > 64) sessions.delete(sessions.keys().next().value);
    }
    return { body: s.bodies[t], sessionId: s.sessionId };
  };
  return [
    {
      key: '1KB',
      label: '1 KB chat',
      next: () => ({
        body: chat,
        headers: { ...anthropicHeaders(chat.length), 'x-claude-code-session-id': 'bench-cpu-1k' },
      }),
    },
    {
      key: 'cc80k',
      label: '≈80 KB Claude Code turn, SSE reply',
      // Turns 3..9 of session `seed` (71-90 KB): each request re-sends its history plus one new turn.
      next: (i, salt) => {
        const seed = 1000 * salt + Math.floor(i / 7);
        const { body, sessionId } = turn(seed, 3 + (i % 7));
        return {
          body,
          headers: {
            ...anthropicHeaders(body.length),
            'x-claude-code-session-id': sessionId,
            'x-bench-claude': `sse,${seed}`,
          },
        };
      },
    },
  ];
}

export async function cpuPart(ctx, s, tmp, results, tables, checks) {
  const count = Number(ctx.flags['cpu-count'] ?? (s.quick ? 1000 : 2000));
  const block = 500;
  const pauseMs = 1500;
  const warmup = Number(ctx.flags['cpu-warmup'] ?? (s.quick ? 100 : 300));
  const upstream = await startChild(path.join(ctx.benchDir, 'children/upstream.js'), [], {
    name: 'upstream',
  });
  const children = {};
  try {
    const CONFIGS = configsFor(ctx.flags);
    const masks = Object.keys(CONFIGS).filter((k) => k.startsWith('mask'));
    for (const [key, c] of Object.entries(CONFIGS)) {
      const dataDir = path.join(tmp, `cpu-${key}`);
      fs.mkdirSync(dataDir);
      children[key] = await startChild(
        path.join(ctx.benchDir, c.script),
        c.script.includes('lunaroute')
          ? [upstream.url, ...(c.dist ? [c.dist] : []), ...c.args, `--data-dir=${dataDir}`]
          : [upstream.url],
        {
          name: `cpu-${key}`,
          execArgv: ctx.flags['cpu-prof']
            ? [
                '--cpu-prof',
                `--cpu-prof-dir=${path.join(ctx.resultsDir, 'profiles', `cpu-${key.replace(':', '-')}`)}`,
              ]
            : [],
        },
      );
    }
    const paths = ['direct', ...Object.keys(CONFIGS)];
    const port = {
      direct: upstream.port,
      ...Object.fromEntries(paths.slice(1).map((p) => [p, children[p].port])),
    };
    const out = {};
    const only = ctx.flags['cpu-shapes'] ? String(ctx.flags['cpu-shapes']).split(',') : null;
    for (const [si, shape] of shapes().entries()) {
      if (only && !only.includes(shape.key)) continue;
      ctx.log(
        `cpu: ${shape.label}: ${count} sequential requests per path in blocks of ${block} (+${pauseMs} ms)`,
      );
      const agents = Object.fromEntries(paths.map((p) => [p, keepAliveAgent(1)]));
      const post = (p, i, salt) => {
        const { headers, body } = shape.next(i, salt);
        return timedPost(agents[p], port[p], '/v1/messages', headers, body);
      };
      for (const [pi, p] of paths.entries())
        for (let i = 0; i < warmup; i++) await post(p, i, 90 + si * 10 + pi);
      await new Promise((r) => setTimeout(r, pauseMs));
      const acc = Object.fromEntries(paths.map((p) => [p, { samples: [], cpuUs: 0 }]));
      const blocks = Math.ceil(count / block);
      for (let b = 0; b < blocks; b++) {
        const order = paths.map((_, k) => paths[(k + b) % paths.length]);
        for (const p of order) {
          const pid = children[p]?.pid;
          const before = pid ? processCpuUs(pid) : 0;
          const n = Math.min(block, count - b * block);
          for (let i = 0; i < n; i++) acc[p].samples.push(await post(p, b * block + i, 1 + si));
          await new Promise((r) => setTimeout(r, pauseMs));
          if (pid) acc[p].cpuUs += processCpuUs(pid) - before;
        }
      }
      for (const a of Object.values(agents)) a.destroy();
      const o = {};
      for (const p of paths) {
        const sum = summarize(acc[p].samples);
        o[p] = { p50: sum.p50, p99: sum.p99, cpuUsPerReq: p === 'direct' ? null : acc[p].cpuUs / count };
      }
      for (const p of paths) {
        o[p].addedP50 = o[p].p50 - o.direct.p50;
        o[p].addedP99 = o[p].p99 - o.direct.p99;
      }
      out[shape.key] = o;
      const rows = paths.map((p) => [
        p === 'direct' ? 'direct (no proxy)' : CONFIGS[p].label,
        ms(o[p].p50),
        ms(o[p].p99),
        p === 'direct' ? null : ms(o[p].addedP50),
        p === 'direct' ? null : ms(o[p].addedP99),
        p === 'direct' || p === 'bare' ? null : ms(o[p].p50 - o.bare.p50),
        o[p].cpuUsPerReq === null ? null : o[p].cpuUsPerReq.toFixed(0),
        p.startsWith('mask') ? (o[p].cpuUsPerReq - o.off.cpuUsPerReq).toFixed(0) : null,
      ]);
      const t = CPU_TARGETS[shape.key];
      // Checks judge the last build given (the candidate).
      const m = masks.at(-1);
      const recCost = o[m].cpuUsPerReq - o.off.cpuUsPerReq;
      tables.push(
        formatTable(
          `CPU per request and added latency, ${shape.label}: ${count} sequential keep-alive requests per path after ${warmup} (blocks of ${block}, ${pauseMs} ms pause each, inside the CPU window), CPU = utime+stime of the whole child from /proc; load ${Object.values(loadavg()).join(' / ')}`,
          [
            'path',
            'p50 ms',
            'p99 ms',
            'added p50',
            'added p99',
            'p50 vs bare',
            'CPU µs/req',
            'recording adds µs',
          ],
          rows,
        ),
      );
      checks.push({
        name: `CPU recording + mask adds per request, ${shape.label} (µs; bar ${t.bar}, goal ${t.goal})`,
        value: round(recCost, 0),
        target: `<= ${t.bar}`,
        pass: recCost <= t.bar,
      });
      if (shape.key === '1KB')
        checks.push({
          name: 'Added p50, 1 KB, recording + mask, minus bare http-proxy added p50 (ms)',
          value: round(o[m].addedP50 - o.bare.addedP50, 3),
          target: `<= ${CPU_TARGETS.addedP50VsBareMs} (goal <= 0) ${verdict(o[m].addedP50 - o.bare.addedP50 <= 0)}`,
          pass: o[m].addedP50 - o.bare.addedP50 <= CPU_TARGETS.addedP50VsBareMs,
        });
    }
    results.cpu = { count, block, pauseMs, shapes: roundAll(out), loadavg: loadavg() };
  } finally {
    await Promise.all(Object.values(children).map((c) => c.stop().catch(() => {})));
    for (const c of Object.values(children)) c.kill();
    await upstream.stop();
    upstream.kill();
  }
}

function roundAll(o) {
  if (typeof o === 'number') return round(o, 4);
  if (o && typeof o === 'object')
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, roundAll(v)]));
  return o;
}
