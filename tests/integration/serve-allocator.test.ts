// `lunaroute serve` re-executes itself once with glibc's mmap threshold fixed and two V8 flags
// (bin/tune-allocator.js) where Node can (process.execve, Node >= 22.15): same pid, so signals and the caller's
// handle still reach it; it serves and stops on SIGTERM as before. Where Node cannot, or the user opted out, it runs untuned.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const home = makeTempDir('lr-alloc-');
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function serveEnviron(
  extra: NodeJS.ProcessEnv,
): Promise<{ environ: string[]; argv: string[]; code: number | null }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('LUNAROUTE_') && !(k in extra)) delete env[k];
  delete env.MALLOC_MMAP_THRESHOLD_;
  const dataDir = fs.mkdtempSync(path.join(home, 'data-'));
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/lunaroute.js'), 'serve', '--data-dir', dataDir, '--port', '0', '--ui-port', '0'],
    { cwd: home, env },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  while (!/listening on (http:\/\/127\.0\.0\.1:\d+)/.test(stdout)) await once(child.stdout, 'data');
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  // The pid the caller holds is the serving process (no parent left behind to forward signals).
  const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
  const argv = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  return { environ, argv, code };
}

describe.skipIf(process.platform !== 'linux')('lunaroute serve and the allocator', () => {
  it('runs with MALLOC_MMAP_THRESHOLD_ set in the same process where Node can re-execute, and stops on SIGTERM', async () => {
    const { environ, argv, code } = await serveEnviron({});
    if (typeof (process as { execve?: unknown }).execve === 'function') {
      expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
      expect(argv).toEqual(expect.arrayContaining(['--expose-gc', '--max-semi-space-size=4', 'serve']));
    } else {
      expect(environ.some((e) => e.startsWith('MALLOC_MMAP_THRESHOLD_='))).toBe(false);
      expect(argv).not.toContain('--expose-gc');
    }
    expect(code).toBe(0);
  }, 30_000);

  it('runs untuned when LUNAROUTE_NO_ALLOCATOR_TUNING is set', async () => {
    const { environ, argv, code } = await serveEnviron({ LUNAROUTE_NO_ALLOCATOR_TUNING: '1' });
    expect(environ.some((e) => e.startsWith('MALLOC_MMAP_THRESHOLD_='))).toBe(false);
    expect(argv).not.toContain('--expose-gc');
    expect(code).toBe(0);
  }, 30_000);
});
