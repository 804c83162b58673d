// Builds the Svelte renderer (src-renderer) into dist/renderer: the same files are served by `lunaroute serve`
// on 127.0.0.1:8082 and loaded by the Electron window. Relative base so both work; no inline scripts or
// styles (the UI server's CSP forbids them), no module-preload polyfill (it would be inline).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: 'src-renderer',
  base: './',
  plugins: [svelte()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
});
