// A small, strict parser of the Prometheus text exposition format (0.0.4), for tests: it throws on anything a
// scraper would reject or that hides a bug — a sample before its TYPE, a malformed line or label, bad escapes,
// a duplicate series, a histogram whose _bucket/_sum/_count do not agree (missing +Inf, decreasing buckets,
// +Inf bucket ≠ _count).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  help: string | null;
  type: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function unescapeHelp(s: string): string {
  return s.replace(/\\(.)/g, (_m, c: string) => {
    if (c === 'n') return '\n';
    if (c === '\\') return '\\';
    throw new Error(`bad escape \\${c} in HELP`);
  });
}

function parseValue(s: string): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`bad value ${s}`);
  return Number(s);
}

/** Parses `{a="x",b="y\"z"}` starting at s[i] === '{'; returns labels and the index after '}'. */
function parseLabels(s: string, i: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  i++;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`bad labels in: ${s}`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in: ${s}`);
    if (name in labels) throw new Error(`duplicate label ${name} in: ${s}`);
    if (s[eq + 1] !== '"') throw new Error(`label value not quoted in: ${s}`);
    let j = eq + 2;
    let v = '';
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`unterminated label value in: ${s}`);
      if (c === '"') break;
      if (c === '\\') {
        const n = s[j + 1];
        if (n === 'n') v += '\n';
        else if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else throw new Error(`bad escape \\${n} in label value: ${s}`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error('raw newline in label value');
      v += c;
      j++;
    }
    labels[name] = v;
    j++;
    if (s[j] === ',') j++;
    else if (s[j] !== '}') throw new Error(`expected , or } in: ${s}`);
    i = j;
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
}

/** The family a sample belongs to, given the declared types (histogram/summary suffixes). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const f = families.get(name);
  if (f) return f;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const base = families.get(m[1]!);
    if (base && (base.type === 'histogram' || (base.type === 'summary' && m[2] !== 'bucket'))) return base;
  }
  return undefined;
}

export function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const helps = new Map<string, string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // a plain comment
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        helps.set(name, unescapeHelp(rest ?? ''));
      } else {
        const type = rest ?? '';
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type))
          throw new Error(`bad type ${type} for ${name}`);
        if (families.has(name)) throw new Error(`second TYPE for ${name}`);
        families.set(name, { name, help: helps.get(name) ?? null, type, samples: [] });
      }
      continue;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new Error(`bad sample line: ${line}`);
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i);
    if (line[i] !== ' ') throw new Error(`expected a space before the value: ${line}`);
    const parts = line
      .slice(i + 1)
      .trim()
      .split(/\s+/);
    if (parts.length < 1 || parts.length > 2) throw new Error(`bad sample line: ${line}`);
    const value = parseValue(parts[0]!);
    const fam = familyOf(name, families);
    if (!fam) throw new Error(`sample ${name} without a TYPE line before it`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    fam.samples.push({ name, labels, value });
  }
  for (const f of families.values()) {
    if (f.help === null) f.help = helps.get(f.name) ?? null;
    if (f.type === 'counter')
      for (const s of f.samples)
        if (!(s.value >= 0)) throw new Error(`counter ${s.name} has a negative or NaN value`);
    if (f.type === 'histogram') checkHistogram(f);
  }
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const k = seriesKey('', rest);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { buckets: [] }));
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${s.name} without le`);
      g.buckets.push([parseValue(le), s.value]);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`unexpected sample ${s.name} in histogram ${f.name}`);
  }
  for (const [k, g] of groups) {
    if (g.sum === undefined || g.count === undefined)
      throw new Error(`${f.name}${k}: _sum or _count missing`);
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    const inf = sorted[sorted.length - 1];
    if (!inf || inf[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    for (let i = 1; i < sorted.length; i++)
      if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${f.name}${k}: buckets decrease`);
    if (inf[1] !== g.count) throw new Error(`${f.name}${k}: +Inf bucket ${inf[1]} ≠ _count ${g.count}`);
  }
}

/** The value of one series (labels must match exactly), or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const fam = familyOf(name, families);
  const want = seriesKey(name, labels);
  return fam?.samples.find((s) => seriesKey(s.name, s.labels) === want)?.value;
}
