// Fails when the source tree has an import cycle (type-only imports included): part of `npm run lint`.
// Reads every .ts and .svelte file under src-main, src-shared and src-renderer, takes its relative imports and
// re-exports (TypeScript's own pre-processor, so comments and strings are not mistaken for imports), and reports
// each strongly connected component of more than one module, with one cycle through it spelled out.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ROOTS = ['src-main', 'src-shared', 'src-renderer'];

function walk(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function importsOf(file) {
  let text = fs.readFileSync(file, 'utf8');
  if (file.endsWith('.svelte')) {
    text = [...text.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
  }
  const info = ts.preProcessFile(text, true, true);
  const out = [];
  for (const ref of info.importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const abs = path.resolve(path.dirname(file), ref.fileName);
    const candidates = [abs, abs.replace(/\.js$/, '.ts'), `${abs}.ts`, path.join(abs, 'index.ts')];
    const hit = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (hit) out.push(hit);
  }
  return out;
}

const files = ROOTS.flatMap((r) => walk(path.join(root, r)));
const graph = new Map(files.map((f) => [f, importsOf(f)]));

// Tarjan's strongly connected components.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function connect(v) {
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!index.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
  }
  if (low.get(v) === index.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(comp);
  }
}
for (const f of files) if (!index.has(f)) connect(f);

// One concrete cycle inside a component, found by a breadth-first search back to its start.
function cycleIn(comp) {
  const inComp = new Set(comp);
  const start = comp[comp.length - 1];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of graph.get(v) ?? []) {
      if (w === start) {
        const pathBack = [v];
        while (prev.get(pathBack[0])) pathBack.unshift(prev.get(pathBack[0]));
        return [...pathBack, start];
      }
      if (inComp.has(w) && !prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  return comp;
}

if (components.length) {
  console.error(
    `Import cycles (${components.length}); break each by moving the shared part into a leaf module:`,
  );
  for (const comp of components) {
    console.error(
      `  ${cycleIn(comp)
        .map((f) => path.relative(root, f))
        .join(' -> ')}`,
    );
  }
  process.exit(1);
}
console.log(`No import cycles in ${files.length} modules.`);
