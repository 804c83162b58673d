// Hot reload of config.yaml: chokidar watches the file's directory (editors and atomic writers replace the
// file, which a watch on the file itself would lose), a burst of events makes one reload, and the new config
// is loaded with the same validation as at start. An invalid edit keeps the running config and is reported
// (the shell shows a notification); a valid one is applied live where that is possible (redaction policy,
// recording when the user has not chosen in the tray) and the keys that need a restart are named.
// Used by the desktop app and by headless `lunaroute serve`. (~/.codex/auth.json is watched by CodexAuthFile.)
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Config } from '../config/types.js';

export const RELOAD_DEBOUNCE_MS = 150;

export interface ConfigWatchOptions {
  file: string;
  load: () => Config;
  onChange: (next: Config) => void;
  onInvalid: (message: string) => void;
  debounceMs?: number;
}

export interface ConfigWatch {
  ready: Promise<void>;
  close(): Promise<void>;
}

export function watchConfigFile(o: ConfigWatchOptions): ConfigWatch {
  const target = path.resolve(o.file);
  let timer: NodeJS.Timeout | null = null;
  const reload = (): void => {
    timer = null;
    let next: Config;
    try {
      next = o.load();
    } catch (err) {
      o.onInvalid((err as Error).message);
      return;
    }
    o.onChange(next);
  };
  const watcher: FSWatcher = watch(path.dirname(target), { depth: 0, ignoreInitial: true });
  const onEvent = (p: string): void => {
    if (path.resolve(p) !== target) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, o.debounceMs ?? RELOAD_DEBOUNCE_MS);
  };
  watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent);
  watcher.on('error', (err) => o.onInvalid(`watching ${target} failed: ${String(err)}`));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      if (timer) clearTimeout(timer);
      await watcher.close();
    },
  };
}

/** Keys whose change only takes effect after a restart (listening sockets, paths, upstreams, limits). */
export function restartNeeded(prev: Config, next: Config): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const keys: [string, unknown, unknown][] = [
    ['host', prev.host, next.host],
    ['port', prev.port, next.port],
    ['ui_port', prev.uiPort, next.uiPort],
    ['data_dir', prev.dataDir, next.dataDir],
    ['upstreams', prev.upstreams, next.upstreams],
    ['proxy.allowed_hosts', prev.proxy.allowedHosts, next.proxy.allowedHosts],
    ['timeouts', prev.timeouts, next.timeouts],
    ['codex', prev.codex, next.codex],
    ['retention', prev.retention, next.retention],
    ['recording.max_body_mb', prev.recording.maxBodyBytes, next.recording.maxBodyBytes],
    ['log_level', prev.logLevel, next.logLevel],
  ];
  return keys.filter(([, a, b]) => !same(a, b)).map(([k]) => k);
}
