// Packaging smoke test: electron-builder packs the real build (npm run build) against a stand-in Electron
// distribution (a fake binary that carries the fuse sentinel), since the real one cannot be downloaded here.
// Asserts what ends up in resources/app.asar — the built main, the CJS preload, the renderer, the sql.js WASM,
// the tray icons, and nothing from tests, no source maps, no unused sql.js / zstd-codec variants — and that
// the fuses were flipped (no run-as-node, no inspect flags, no NODE_OPTIONS, app only from the asar).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.js';

const require = createRequire(import.meta.url);
const run = promisify(execFile);
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ENABLE = 49;
const DISABLE = 48;
const FUSES = [
  'runAsNode',
  'cookieEncryption',
  'nodeOptions',
  'inspectArgs',
  'asarIntegrity',
  'onlyAsar',
  'v8Snapshot',
  'fileProtocol',
];

describe('packaging with a stand-in Electron', () => {
  let files: string[] = [];
  let binary: Buffer;

  beforeAll(async () => {
    for (const f of [
      'dist/src-main/electron/main.js',
      'dist/src-main/electron/preload.cjs',
      'dist/renderer/index.html',
    ]) {
      if (!fs.existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
    }
    const work = makeTempDir('lunaroute-pack-');
    const fake = path.join(work, 'electron-dist');
    fs.mkdirSync(path.join(fake, 'resources'), { recursive: true });
    // Fuse wire v1 with 8 fuses, all enabled, as a real Electron binary carries it.
    fs.writeFileSync(
      path.join(fake, 'electron'),
      Buffer.concat([
        Buffer.from('#!/bin/sh\nexit 0\n'),
        Buffer.from(SENTINEL),
        Buffer.from([1, 8]),
        Buffer.alloc(8, ENABLE),
      ]),
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(fake, 'version'), '45.5.0');
    const out = path.join(work, 'out');
    await run(
      process.execPath,
      [
        require.resolve('electron-builder/cli.js'),
        '--linux',
        'dir',
        '--x64',
        '--publish',
        'never',
        `-c.electronDist=${fake}`,
        `-c.directories.output=${out}`,
      ],
      { timeout: 120_000, env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: fake, CI: 'true' } },
    );
    const unpacked = path.join(out, 'linux-unpacked');
    const { listPackage } = require('@electron/asar') as { listPackage(p: string, o: object): string[] };
    files = listPackage(path.join(unpacked, 'resources', 'app.asar'), {}).map((f) => f.replaceAll('\\', '/'));
    binary = fs.readFileSync(path.join(unpacked, 'lunaroute'));
  }, 150_000);

  it('puts the built main, the CJS preload, the renderer, the sql.js wasm and the tray icons in app.asar', () => {
    for (const f of [
      '/package.json',
      '/dist/src-main/electron/main.js',
      '/dist/src-main/electron/preload.cjs',
      '/dist/src-main/app/core.js',
      '/dist/src-shared/contract.js',
      '/dist/renderer/index.html',
      '/node_modules/sql.js/dist/sql-wasm.js',
      '/node_modules/sql.js/dist/sql-wasm.wasm',
      '/node_modules/zstd-codec/lib/zstd-codec-binding-wasm.js',
      '/node_modules/electron-store/index.js',
      '/node_modules/ajv/dist/ajv.js', // the core checks settings.json with it
      '/assets/icon.png',
      '/assets/tray/idle.png',
      '/assets/tray/recording-redactedTemplate@2x.png',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('/dist/renderer/assets/') && f.endsWith('.js'))).toBe(true);
  });

  it('leaves out tests, source maps, sources, the ESM preload, unused sql.js / zstd-codec variants and ws', () => {
    const bad = files.filter(
      (f) =>
        /\/tests?\//.test(f) ||
        f.endsWith('.map') ||
        f.startsWith('/src-') ||
        f === '/dist/src-main/electron/preload.js' ||
        /\/sql\.js\/dist\/(sql-asm|worker\.|.*-debug|.*-browser|.*-inline|.*\.zip)/.test(f) ||
        f.endsWith('/zstd-codec/lib/zstd-codec-binding.js') ||
        f.startsWith('/node_modules/electron/') ||
        f.startsWith('/node_modules/vitest/') ||
        f.startsWith('/node_modules/ws/'), // only tests use ws (a devDependency)
    );
    expect(bad).toEqual([]);
  });

  it('flips the fuses: no run-as-node, no inspect flags, no NODE_OPTIONS, app only from the asar', () => {
    const at = binary.indexOf(SENTINEL) + SENTINEL.length;
    const wire = Object.fromEntries(FUSES.map((name, i) => [name, binary[at + 2 + i]]));
    expect(wire).toMatchObject({
      runAsNode: DISABLE,
      cookieEncryption: ENABLE,
      nodeOptions: DISABLE,
      inspectArgs: DISABLE,
      onlyAsar: ENABLE,
      fileProtocol: DISABLE,
    });
  });
});
