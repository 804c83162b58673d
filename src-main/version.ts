// The package version, read once from package.json (found by walking up from this file, so it works from the
// TypeScript sources under tests and from the compiled dist/ alike).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const pkg = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lunaroute' && pkg.version) return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return '0.0.0-unknown';
}

export const VERSION = findVersion();
