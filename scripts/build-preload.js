// Bundles the Electron preload (src-main/electron/preload.ts + the contract it derives the bridge from) into
// one CommonJS file, dist/src-main/electron/preload.cjs: a sandboxed preload can require nothing but
// `electron`, so tsc's per-file ESM output cannot serve. `electron` stays external.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

await build({
  configFile: false,
  root,
  logLevel: 'warn',
  build: {
    outDir: join(root, 'dist', 'src-main', 'electron'),
    emptyOutDir: false,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    reportCompressedSize: false,
    copyPublicDir: false,
    lib: {
      entry: join(root, 'src-main', 'electron', 'preload.ts'),
      formats: ['cjs'],
      fileName: () => 'preload.cjs',
    },
    rollupOptions: { external: ['electron'] },
  },
});
