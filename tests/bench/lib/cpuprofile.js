// Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time per function (name + file:line),
// sorted, with paths shortened to the repo or node_modules package, plus self time grouped by file. Used by the
// proxy section's --cpu-prof option to say what costs time on LunaRoute's hot path.

function shortUrl(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * Inclusive time (self + callees, each sample counted once per distinct frame) of the frames whose script URL
 * matches `urlPattern`: answers "how much does our own code and what it calls cost", e.g. the proxy's hooks.
 */
export function inclusiveTime(prof, urlPattern, topN = 25) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++)
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  const incl = new Map();
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      if (!urlPattern.test(cf.url)) continue;
      const key = `${cf.functionName || '(anonymous)'}\u0000${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + us);
    }
  }
  return [...incl.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([k, us]) => {
      const [name, where] = k.split('\u0000');
      return { name, where, inclMs: us / 1000 };
    });
}

/** @param {{nodes: any[], samples: number[], timeDeltas: number[]}} prof */
export function summarizeCpuProfile(prof, topN = 25) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + dt);
  }
  const perFn = new Map();
  const perFile = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id).callFrame;
    const name = cf.functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = `${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    const key = `${name}\u0000${where}`;
    perFn.set(key, (perFn.get(key) ?? 0) + us);
    const file = shortUrl(cf.url);
    perFile.set(file, (perFile.get(file) ?? 0) + us);
  }
  const busy = total - idle;
  const top = [...perFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([k, us]) => {
      const [name, where] = k.split('\u0000');
      return { name, where, selfMs: us / 1000, selfPct: (100 * us) / busy };
    });
  const files = [...perFile.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([file, us]) => ({ file, selfMs: us / 1000, selfPct: (100 * us) / busy }));
  return { totalMs: busy / 1000, idleMs: idle / 1000, top, files };
}
