#!/usr/bin/env node
// The `lunaroute` command. A plain-JS shim over the compiled CLI in dist/ (built by `npm run build`, which
// `npm install` runs through the prepare script), so it needs no TypeScript at run time.
import { tuneAllocator } from './tune-allocator.js';

if (process.argv[2] === 'serve') tuneAllocator();
let cli;
try {
  cli = await import('../dist/src-main/cli.js');
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')) {
    process.stderr.write('lunaroute: not built yet (dist/src-main/cli.js is missing) — run npm run build\n');
    process.exit(1);
  }
  throw err;
}
await cli.main(process.argv.slice(2));
