// Fails when a source module is too big to hold in mind or does not say what it is for: part of `npm run lint`.
// Every .ts and .svelte file under src-main, src-shared and src-renderer has at most 500 lines and opens with a
// comment on its job (a .svelte file: first in its <script>, or an HTML comment before it). .d.ts files are exempt.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const MAX_LINES = 500;
const problems = [];

function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(ts|svelte)$/.test(e.name) && !e.name.endsWith('.d.ts')) check(p);
  }
}

function check(file) {
  const rel = path.relative(root, file);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length > MAX_LINES)
    problems.push(`${rel}: ${lines.length} lines (at most ${MAX_LINES}); split it by job`);
  const first = lines.findIndex((l) => l.trim() !== '');
  let opening = lines[first]?.trim() ?? '';
  if (file.endsWith('.svelte') && opening.startsWith('<script')) opening = lines[first + 1]?.trim() ?? '';
  if (!/^(\/\/|\/\*|<!--)/.test(opening))
    problems.push(`${rel}: opens without a comment saying what it is for`);
}

for (const dir of ['src-main', 'src-shared', 'src-renderer']) walk(path.join(root, dir));
if (problems.length) {
  console.error(`Module structure (${problems.length}):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Every module is under 500 lines and says what it is for.');
