// The one way to find a worker_threads script: the compiled `.js` under dist/src-main. From the build (and in
// the packaged app) it is the sibling of the calling module's compiled twin; when the core runs from TypeScript
// sources (vitest), the same file in the package's dist/ is used, so `npm test` builds first. A worker may
// therefore import any module of the core, like the code that starts it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** `script` is relative to src-main, e.g. `recorder/worker.js`. */
export function workerScript(script: string): URL {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return new URL(`./${script}`, import.meta.url);
  let dir = path.dirname(here);
  for (let i = 0; i < 6 && !fs.existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  const compiled = path.join(dir, 'dist', 'src-main', script);
  if (!fs.existsSync(compiled)) {
    throw new Error(`the worker script ${compiled} is missing: run \`npm run build\``);
  }
  return pathToFileURL(compiled);
}
