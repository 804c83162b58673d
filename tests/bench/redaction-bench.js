// Redaction throughput on synthetic coding-assistant traffic (~20 MB of Claude-Code-shaped request bodies: system
// prompt, tool schemas, source code, diffs, logs, a little PII). Plain Node, no test runner:
//   npm run build:main && node tests/bench/redaction-bench.js [--mb 20] [--json]
// Prints MB/s for a cold policy, a warm cache (same bodies again) and a re-sent-history session.
import { compilePolicy } from '../../dist/src-main/redaction/index.js';

const args = process.argv.slice(2);
const argMb = args.indexOf('--mb');
const TARGET_MB = argMb === -1 ? 20 : Number(args[argMb + 1]);
const asJson = args.includes('--json');

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 0x1234abcd;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (a) => a[Math.floor(rnd() * a.length)];
const int = (n) => Math.floor(rnd() * n);
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');
const WORDS = (
  'the a function return value request response session token input output error handler proxy stream ' +
  'record file path config user model message content tool result const let await async import export from ' +
  'string number boolean interface type class extends implements public private static new this null undefined'
).split(' ');
const ident = () => pick(WORDS) + pick(['', 'Id', 'Name', 'Count', 'Map', 'List', '_v2', 'Handler']);
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
const iso = () =>
  `2026-11-${String(1 + int(28)).padStart(2, '0')}T${String(int(24)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${int(1000)}Z`;

function tsCode(lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    out.push(
      pick([
        `  const ${ident()} = await ${ident()}(${ident()}, { timeoutMs: ${int(10000)} });`,
        `  if (${ident()}.length > ${int(100)}) throw new Error(\`${sentence(5)} \${${ident()}}\`);`,
        `export function ${ident()}(${ident()}: string, ${ident()}: number): Promise<void> {`,
        `  // ${sentence(8)}`,
        `  return { ${ident()}: ${ident()}, ${ident()}: '${sentence(2)}', version: '1.${int(20)}.${int(9)}' };`,
        `import { ${ident()} } from './${ident()}.js';`,
        `  ${ident()}.set('${uuid()}', ${int(1e9)});`,
        `  const color = '#${hex(6)}'; // ${sentence(3)}`,
        `}`,
      ]),
    );
  }
  return out.join('\n');
}
function diff() {
  const file = `src/${ident()}/${ident()}.ts`;
  const body = [];
  for (let i = 0; i < 12 + int(20); i++) body.push(pick(['+', '-', ' ']) + tsCode(1));
  return `diff --git a/${file} b/${file}\nindex ${hex(7)}..${hex(7)} 100644\n--- a/${file}\n+++ b/${file}\n@@ -${int(400)},${int(30)} +${int(400)},${int(30)} @@\n${body.join('\n')}`;
}
function logs(lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    out.push(
      pick([
        `${iso()} INFO  [${ident()}] ${sentence(6)} id=${uuid()} took ${int(900)}ms`,
        `${iso()} WARN  connection to 10.${int(255)}.${int(255)}.${int(255)}:${1024 + int(60000)} reset (attempt ${int(5)})`,
        `${iso()} DEBUG commit ${hex(40)} ${sentence(4)}`,
        `    at ${ident()} (/home/dev/project/src/${ident()}.ts:${int(900)}:${int(80)})`,
        `${iso()} ERROR ${sentence(7)} request_id=req_${hex(24)} status=${pick([400, 404, 429, 500, 529])}`,
        `npm WARN deprecated ${ident()}@${int(9)}.${int(20)}.${int(30)}: ${sentence(5)}`,
      ]),
    );
  }
  return out.join('\n');
}
function pii() {
  return pick([
    `Contact ${pick(['alice', 'bob', 'carol'])}.${pick(['smith', 'ng', 'garcia'])}@${pick(['corp.io', 'mail.dev', 'acme.co.uk'])} for access.`,
    `export OPENAI_API_KEY=sk-proj-${hex(8)}Ab${hex(30)}Z9`,
    `curl -H "x-api-key: sk-ant-api03-${hex(40)}AA" https://api.example.net/v1/messages`,
    `card on file 4111 1111 1111 1111, phone +1 415-555-${String(int(10000)).padStart(4, '0')}`,
    `DATABASE_URL=postgres://app:${hex(12)}@db.internal:5432/app`,
  ]);
}
function block() {
  const r = rnd();
  if (r < 0.35) return tsCode(20 + int(60));
  if (r < 0.55) return diff();
  if (r < 0.8) return logs(10 + int(40));
  if (r < 0.97) return sentence(40 + int(200));
  return pii();
}

function body(turns) {
  const messages = [];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: [{ type: 'text', text: sentence(20 + int(40)) }] });
    messages.push({
      role: 'assistant',
      content: [
        { type: 'text', text: sentence(30) },
        {
          type: 'tool_use',
          id: `toolu_${hex(24)}`,
          name: 'Bash',
          input: { command: `grep -rn ${ident()} src/` },
        },
      ],
    });
    messages.push({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: `toolu_${hex(24)}`, content: block() + '\n' + block() }],
    });
  }
  return {
    model: 'claude-sonnet-4-5',
    max_tokens: 32000,
    system: [{ type: 'text', text: SYSTEM }],
    tools: TOOLS,
    messages,
    metadata: { user_id: `user_${hex(64)}` },
  };
}
const SYSTEM = Array.from({ length: 30 }, () => sentence(60)).join('\n\n');
const TOOLS = Array.from({ length: 16 }, () => ({
  name: ident(),
  description: sentence(120),
  input_schema: { type: 'object', properties: { [ident()]: { type: 'string', description: sentence(20) } } },
}));

// Corpus: independent bodies (cold/warm) …
const docs = [];
let total = 0;
while (total < TARGET_MB * 1e6) {
  const text = JSON.stringify(body(2 + int(6)));
  docs.push(text);
  total += text.length;
}
const parsed = docs.map((d) => JSON.parse(d));

function run(redactor, items, fn) {
  const t0 = process.hrtime.bigint();
  for (const it of items) fn(redactor, it);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
// Shared CI boxes are noisy: every figure is the best of ROUNDS runs, each on a freshly compiled policy
// (so "cold" really starts with an empty cache).
const ROUNDS = 3;
function best(measure) {
  let ms = Infinity;
  for (let i = 0; i < ROUNDS; i++) ms = Math.min(ms, measure());
  return ms;
}
const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
const results = {};

// Warm V8's JIT on a separate policy so "cold" means a cold cache, not cold code.
run(compilePolicy({}), docs.slice(0, 20), (r, d) => r.redactJsonText(d));

let r1 = compilePolicy({});
const coldMs = best(() => {
  r1 = compilePolicy({});
  return run(r1, parsed, (r, p) => r.redactJson(p));
});
const warmMs = best(() => run(r1, parsed, (r, p) => r.redactJson(p)));
results.redactJson = { mb: total / 1e6, coldMBps: mbps(total, coldMs), warmMBps: mbps(total, warmMs) };

const textMs = best(() => run(compilePolicy({}), docs, (r, d) => r.redactText(d)));
results.redactTextRaw = { mb: total / 1e6, MBps: mbps(total, textMs) };

const jtMs = best(() => run(compilePolicy({}), docs, (r, d) => r.redactJsonText(d)));
results.redactJsonTextInclParse = { MBps: mbps(total, jtMs) };

// … and one long session whose body re-sends the whole history every turn (the Claude Code pattern).
seed = 42;
const session = [];
const base = body(0);
let sessionBytes = 0;
for (let t = 0; sessionBytes < TARGET_MB * 1e6; t++) {
  base.messages = base.messages.concat(body(1).messages);
  const p = JSON.parse(JSON.stringify(base));
  session.push(p);
  sessionBytes += JSON.stringify(p).length;
}
let r4 = compilePolicy({});
const sessMs = best(() => {
  r4 = compilePolicy({});
  return run(r4, session, (r, p) => r.redactJson(p));
});
const st = r4.stats();
results.resentHistory = {
  turns: session.length,
  lastBodyKB: Math.round(JSON.stringify(session.at(-1)).length / 1024),
  mb: sessionBytes / 1e6,
  MBps: mbps(sessionBytes, sessMs),
  msPerTurnLast: sessMs / session.length,
  cacheHitRate: st.cacheHits / Math.max(1, st.cacheHits + st.cacheMisses),
};

// Hit path in isolation: one 76 KB string, cached.
const big = docs.find((d) => d.length > 60_000) ?? docs[0];
const r5 = compilePolicy({});
r5.redactString(big);
const N = 2000;
const hitMs = run(
  r5,
  Array.from({ length: N }, () => big),
  (r, s) => r.redactString(s),
);
results.hitPath = {
  stringKB: Math.round(big.length / 1024),
  usPerHit: (hitMs * 1000) / N,
  MBps: mbps(big.length * N, hitMs),
};

if (asJson) console.log(JSON.stringify(results, null, 2));
else {
  const f = (n) => n.toFixed(1);
  console.log(`corpus: ${f(total / 1e6)} MB in ${docs.length} bodies (node ${process.version})`);
  console.log(
    `redactJson       cold ${f(results.redactJson.coldMBps)} MB/s   warm cache ${f(results.redactJson.warmMBps)} MB/s`,
  );
  console.log(`redactText (raw JSON text, no cache) ${f(results.redactTextRaw.MBps)} MB/s`);
  console.log(
    `redactJsonText (parse + redact + stringify, cold) ${f(results.redactJsonTextInclParse.MBps)} MB/s`,
  );
  const s = results.resentHistory;
  console.log(
    `re-sent history: ${s.turns} turns, last body ${s.lastBodyKB} KB, ${f(s.MBps)} MB/s, hit rate ${(s.cacheHitRate * 100).toFixed(1)} %`,
  );
  console.log(
    `cache hit path: ${results.hitPath.stringKB} KB string, ${results.hitPath.usPerHit.toFixed(1)} µs/hit (${f(results.hitPath.MBps)} MB/s)`,
  );
}
