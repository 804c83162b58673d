// Finds the script for a `worker_threads` worker that lives next to the calling module. From the build (dist/)
// the compiled sibling `<name>.js` is used as is. When the core runs from TypeScript source (vitest), the `.ts`
// sibling is transpiled once with the `typescript` devDependency into a private cache directory and run from
// there. Worker sources must therefore be self-contained: only `node:*` imports (type-only imports are erased);
// anything else (sql.js, zstd-codec) is passed to them by absolute path in `workerData`.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensurePrivateDir, writeFileAtomic } from './fsutil.js';

const transpiled = new Map<string, Promise<URL>>();

export async function resolveWorkerUrl(callerUrl: string, baseName: string): Promise<URL> {
  const js = new URL(`./${baseName}.js`, callerUrl);
  if (existsSync(fileURLToPath(js))) return js;
  const tsPath = fileURLToPath(new URL(`./${baseName}.ts`, callerUrl));
  if (!existsSync(tsPath)) {
    throw new Error(
      `worker script ${baseName}.js not found next to ${fileURLToPath(callerUrl)}: run the build`,
    );
  }
  let pending = transpiled.get(tsPath);
  if (!pending) {
    pending = transpileWorker(tsPath, baseName);
    transpiled.set(tsPath, pending);
    pending.catch(() => transpiled.delete(tsPath));
  }
  return pending;
}

async function transpileWorker(tsPath: string, baseName: string): Promise<URL> {
  const source = await readFile(tsPath, 'utf8');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'u';
  const dir = path.join(os.tmpdir(), `lunaroute-workers-${uid}`);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const out = path.join(dir, `${baseName}-${hash}.mjs`);
  if (!existsSync(out)) {
    // Only reached when running from source, where the typescript devDependency is installed.
    const ts = (await import('typescript')).default;
    const result = ts.transpileModule(source, {
      fileName: tsPath,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
    });
    await ensurePrivateDir(dir);
    await writeFileAtomic(out, result.outputText);
  }
  return pathToFileURL(out);
}
