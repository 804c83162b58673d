// `npm start`: run the tray app in Electron when an Electron binary is installed, else run headless
// (`lunaroute serve` in this process, arguments forwarded). Electron is located on the filesystem the way its
// npm wrapper does it, WITHOUT loading the wrapper: require('electron') in plain Node downloads the binary
// and, when that fails (no network), kills the process.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tuneAllocator } from '../bin/tune-allocator.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

/** Path of the Electron executable, or a reason why there is none. */
function findElectron() {
  const pkgDir = join(root, 'node_modules', 'electron');
  const pathTxt = join(pkgDir, 'path.txt');
  const platformDefault =
    process.platform === 'darwin'
      ? 'Electron.app/Contents/MacOS/Electron'
      : process.platform === 'win32'
        ? 'electron.exe'
        : 'electron';
  const relative = existsSync(pathTxt) ? readFileSync(pathTxt, 'utf8').trim() : undefined;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const bin = join(override, relative || platformDefault);
    return existsSync(bin) ? { bin } : { reason: `ELECTRON_OVERRIDE_DIST_PATH has no ${bin}` };
  }
  if (!existsSync(pkgDir)) return { reason: 'node_modules/electron is not installed' };
  const bin = join(pkgDir, 'dist', relative || platformDefault);
  if (!relative || !existsSync(bin)) return { reason: 'node_modules/electron/dist is missing' };
  return { bin };
}

const electron = findElectron();
if (electron.bin) {
  const child = spawn(electron.bin, [root, ...args], { stdio: 'inherit' });
  const forward = (signal) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  child.on('error', (err) => {
    process.stderr.write(`LunaRoute: cannot start Electron (${electron.bin}): ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
} else {
  tuneAllocator();
  let cli;
  try {
    cli = await import('../dist/src-main/cli.js');
  } catch {
    process.stderr.write('LunaRoute: not built yet (dist/src-main/cli.js is missing) — run npm run build\n');
    process.exit(1);
  }
  await cli.main(['serve', ...args], {
    context: {
      serveNotice: (config) =>
        `LunaRoute: no Electron binary on this machine (${electron.reason}) — running headless: lunaroute serve. ` +
        (config.uiPort === 0
          ? 'The web UI will be on a free port.'
          : `The web UI will be on http://${config.host}:${config.uiPort}.`),
    },
  });
}
