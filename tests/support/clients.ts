// Runs the real AI coding clients (Claude Code, Codex CLI, OpenCode) from the separate tests/clients package:
// installs it with `npm install --no-save` when missing, resolves each native binary, and launches a client in a throw-away HOME
// (XDG dirs, CODEX_HOME, TMPDIR inside it) with a minimal environment that switches off telemetry, update checks
// and plugin downloads, and routes any proxy-aware traffic to a local trap so nothing leaves 127.0.0.1.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'clients');
const NM = path.join(CLIENTS_DIR, 'node_modules');

export type ClientName = 'claude' | 'codex' | 'opencode';

export interface ClientBin {
  /** Executable to spawn. */
  command: string;
  /** Arguments to put before the client's own (e.g. the JS wrapper for Codex). */
  prefixArgs: string[];
  version: string;
}

let installing: Promise<void> | undefined;

/** Install tests/clients from its lock file unless its node_modules is already there. */
export function ensureClientsInstalled(): Promise<void> {
  installing ??= (async () => {
    const present = ['@anthropic-ai/claude-code', '@openai/codex', 'opencode-ai'].every((p) =>
      fs.existsSync(path.join(NM, p, 'package.json')),
    );
    if (present) return;
    // `npm install --no-save`, not `npm ci`: the clients are pinned exactly and the lock is honoured, but npm ci
    // refuses this lock on a fresh clone (opencode's optional per-platform packages have no entries in it).
    const r = await run('npm', ['install', '--no-save', '--prefix', CLIENTS_DIR, '--no-audit', '--no-fund'], {
      env: process.env,
      cwd: CLIENTS_DIR,
      timeoutMs: 600_000,
    });
    if (r.code !== 0)
      throw new Error(`npm install in tests/clients failed (${r.code}):\n${r.stderr.slice(-4000)}`);
  })();
  return installing;
}

function isNativeExecutable(file: string): boolean {
  try {
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(4);
    fs.readSync(fd, head, 0, 4, 0);
    fs.closeSync(fd);
    // ELF (Linux), Mach-O (macOS), MZ (Windows).
    return (
      head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) ||
      [0xfeedfacf, 0xcffaedfe].includes(head.readUInt32BE(0)) ||
      head.subarray(0, 2).toString() === 'MZ'
    );
  } catch {
    return false;
  }
}

function pkgVersion(pkg: string): string {
  const json = JSON.parse(fs.readFileSync(path.join(NM, pkg, 'package.json'), 'utf8')) as { version: string };
  return json.version;
}

function firstNative(candidates: string[], what: string): string {
  const found = candidates.find(isNativeExecutable);
  if (!found) throw new Error(`${what}: no native binary among ${candidates.join(', ')}`);
  return found;
}

/**
 * Where each client's binary is. The wrapper packages replace their placeholder bin with the platform binary in a
 * postinstall script; when scripts did not run, take the binary from the platform package directly.
 */
export function resolveClient(name: ClientName): ClientBin {
  const plat = `${process.platform}-${process.arch}`;
  if (name === 'claude') {
    return {
      command: firstNative(
        [
          path.join(NM, '@anthropic-ai/claude-code/bin/claude.exe'),
          path.join(NM, `@anthropic-ai/claude-code-${plat}/claude`),
          path.join(NM, `@anthropic-ai/claude-code-${plat}-musl/claude`),
        ],
        'Claude Code',
      ),
      prefixArgs: [],
      version: pkgVersion('@anthropic-ai/claude-code'),
    };
  }
  if (name === 'opencode') {
    return {
      command: firstNative(
        [
          path.join(NM, 'opencode-ai/bin/opencode.exe'),
          path.join(NM, `opencode-${plat}/bin/opencode`),
          path.join(NM, `opencode-${plat}-baseline/bin/opencode`),
        ],
        'OpenCode',
      ),
      prefixArgs: [],
      version: pkgVersion('opencode-ai'),
    };
  }
  // Codex's bin is a small Node launcher that finds the platform package and puts its helpers on PATH.
  return {
    command: process.execPath,
    prefixArgs: [path.join(NM, '@openai/codex/bin/codex.js')],
    version: pkgVersion('@openai/codex'),
  };
}

export interface ClientHome {
  dir: string;
  /** Where the client should run (an empty directory inside the home, not a git repository). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A fresh HOME for one client run, and a minimal environment pointing every per-user directory into it.
 * `trapUrl` (from startEgressTrap) receives anything a proxy-aware HTTP stack would send off the machine.
 */
export function makeClientHome(trapUrl: string): ClientHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lunaroute-client-'));
  const cwd = path.join(dir, 'work');
  for (const d of [cwd, '.config', '.cache', '.local/share', '.local/state', '.codex', 'tmp']) {
    fs.mkdirSync(path.resolve(dir, d), { recursive: true });
  }
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: dir,
    USERPROFILE: dir,
    TMPDIR: path.join(dir, 'tmp'),
    XDG_CONFIG_HOME: path.join(dir, '.config'),
    XDG_CACHE_HOME: path.join(dir, '.cache'),
    XDG_DATA_HOME: path.join(dir, '.local/share'),
    XDG_STATE_HOME: path.join(dir, '.local/state'),
    CODEX_HOME: path.join(dir, '.codex'),
    NO_COLOR: '1',
    CI: '1',
    // Anything proxy-aware that tries to leave loopback lands in the trap instead.
    HTTP_PROXY: trapUrl,
    HTTPS_PROXY: trapUrl,
    ALL_PROXY: trapUrl,
    http_proxy: trapUrl,
    https_proxy: trapUrl,
    all_proxy: trapUrl,
    NO_PROXY: '127.0.0.1,localhost,::1',
    no_proxy: '127.0.0.1,localhost,::1',
    // Claude Code: no telemetry, error reporting, update checks or other non-essential calls.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // OpenCode: no update check, model catalogue download, sharing, LSP downloads or default plugins; its
    // background install of @opencode-ai/plugin into the config dir goes through an npm client: keep it offline.
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_SHARE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    npm_config_offline: 'true',
  };
  return { dir, cwd, env };
}

/** Codex `-c` overrides that stop its plugin-marketplace sync, analytics and update check. */
export const CODEX_QUIET_ARGS = [
  '-c',
  'features.plugins=false',
  '-c',
  'analytics.enabled=false',
  '-c',
  'check_for_update_on_startup=false',
];

/** Write OpenCode's global config: the Anthropic provider at `anthropicBaseUrl` (which must end in /v1). */
export function writeOpencodeConfig(home: ClientHome, anthropicBaseUrl: string, apiKey: string): void {
  const dir = path.join(home.dir, '.config', 'opencode');
  fs.mkdirSync(dir, { recursive: true });
  const config = {
    autoupdate: false,
    share: 'disabled',
    provider: { anthropic: { options: { baseURL: anthropicBaseUrl, apiKey } } },
  };
  fs.writeFileSync(path.join(dir, 'opencode.json'), JSON.stringify(config, null, 2));
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs: number },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Failure guard only: a healthy run ends on its own well before this.
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Run a client to completion in `home` (stdin closed). */
export function runClient(
  name: ClientName,
  args: string[],
  home: ClientHome,
  extraEnv: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<RunResult> {
  const bin = resolveClient(name);
  return run(bin.command, [...bin.prefixArgs, ...args], {
    env: { ...home.env, ...extraEnv },
    cwd: home.cwd,
    timeoutMs,
  });
}

export interface EgressTrap {
  url: string;
  /** `CONNECT host:port` or absolute URLs that something tried to reach through the proxy variables. */
  attempts: string[];
  close(): Promise<void>;
}

/** A local HTTP proxy that refuses everything and records what was attempted. */
export async function startEgressTrap(): Promise<EgressTrap> {
  const attempts: string[] = [];
  const server = http.createServer((req, res) => {
    attempts.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('blocked by the LunaRoute test egress trap\n');
  });
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    attempts.push(`CONNECT ${req.url ?? ''}`);
    socket.on('error', () => undefined); // the client may reset the tunnel it was refused
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  server.on('clientError', (_err, socket: Socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
