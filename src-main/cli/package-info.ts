// Finds the installed package (the directory with LunaRoute's package.json) from this module's location, so
// bin/lunaroute.js is found whether the code runs from dist/ or from the TypeScript sources in tests.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'lunaroute') return dir;
    } catch {
      // no package.json here: keep walking up
    }
    if (dirname(dir) === dir) throw new Error(`cannot find LunaRoute's package.json above ${from}`);
  }
}
