// Entry of the desktop app (package.json `main`): the core runs in this main process, a tray icon shows its
// state, and one hardened window shows the UI over IPC. Order: single-instance lock → privileged scheme → ready
// → config → tray → core (a busy port becomes a tray error, not a crash) → IPC → monitor and config watch.
// Quitting stops the core in order (drain streams, flush recordings) before the process exits. Closing the
// window destroys it; the app stays in the tray. The only module tree that imports electron.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { app, clipboard, dialog, ipcMain, protocol, shell, type BrowserWindow } from 'electron';
import { dispatchCall, type CallArgs, type Setup, type UiEvent } from '../../src-shared/contract.js';
import { isLunaRouteError } from '../../src-shared/errors.js';
import { startCore, type CoreHandle } from '../app/core.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { createLogger, type Logger } from '../log.js';
import { findRendererDir } from '../ui-server/server.js';
import { isLinuxAutostartOn, setLinuxAutostart } from './autostart.js';
import { watchConfigFile, type ConfigWatch } from '../config/watch.js';
import { applyConfigEdit } from '../app/reload.js';
import { openDesktopSettings, type DesktopSettings } from './desktop-settings.js';
import { EventQueue, registerIpc } from './ipc.js';
import { queryToday, readCounters, startMonitor, type Monitor } from './monitor.js';
import { Notifier } from './notify.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, rendererRequestHandler } from './protocol.js';
import { TrayView } from './tray.js';
import type { TrayAction } from './tray-menu.js';
import { INITIAL_TRAY_STATE, type TrayState } from './tray-state.js';
import { createMainWindow } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/src-main/electron (inside app.asar when packaged)
const appRoot = path.resolve(here, '..', '..', '..');
const PRELOAD = path.join(here, 'preload.cjs');
const ASSETS = path.join(appRoot, 'assets');
const HIDDEN_FLAG = '--hidden';
const QUIT_DEADLINE_EXTRA_MS = 5_000;

class DesktopApp {
  private state: TrayState = INITIAL_TRAY_STATE;
  private tray: TrayView | null = null;
  private core: CoreHandle | null = null;
  private window: BrowserWindow | null = null;
  private unsubscribeLive: (() => void) | null = null;
  private monitor: Monitor | null = null;
  private configWatch: ConfigWatch | null = null;
  private settings: DesktopSettings | null = null;
  private config: Config | null = null;
  private readonly notifier = new Notifier(path.join(ASSETS, 'icon.png'));
  private readonly events: EventQueue;
  private logger: Logger = createLogger('info');
  private stopping: Promise<void> | null = null;

  constructor() {
    this.events = new EventQueue(
      (channel, batch) => this.window?.webContents.send(channel, batch),
      this.logger,
    );
  }

  async start(): Promise<void> {
    await app.whenReady();
    app.dock?.hide();
    protocol.handle(APP_SCHEME, rendererRequestHandler(findRendererDir(here)));
    this.tray = new TrayView(this.state, {
      iconDir: path.join(ASSETS, 'tray'),
      dispatch: (a) => void this.act(a).catch((err: Error) => this.logger.error(`tray: ${err.message}`)),
    });
    let config: Config;
    try {
      const loaded = loadConfig({ env: process.env });
      config = loaded.config;
      for (const w of loaded.warnings) this.logger.warn(w);
    } catch (err) {
      this.fail('config', `config: ${(err as Error).message}`);
      return;
    }
    this.logger = createLogger(config.logLevel);
    this.settings = openDesktopSettings(config.dataDir);
    this.setState({ startAtLogin: this.readStartAtLogin() });
    try {
      this.core = await startCore(config, this.logger);
    } catch (err) {
      const message = isLunaRouteError(err, 'PROXY_PORT_IN_USE')
        ? `${err.details.host}:${err.details.port} is already in use (is LunaRoute already running? set port in ${config.configFile})`
        : (err as Error).message;
      this.fail(isLunaRouteError(err, 'PROXY_PORT_IN_USE') ? 'port_busy' : 'start', message);
      return;
    }
    const core = this.core;
    this.config = core.config;
    const s = core.uiState.getSettings();
    this.setState({
      phase: 'running',
      listen: core.proxyUrl.replace(/^https?:\/\//, ''),
      recording: s.recording,
      redaction: s.redaction_mode,
    });
    registerIpc({
      ipcMain,
      handlers: core.uiState.handlers(),
      windowId: () => this.window?.webContents.id ?? null,
      onReady: () => this.rendererReady(),
      saveFile: (file) => this.saveFile(file),
      logger: this.logger,
    });
    core.onUiEvent((e) => this.onUiEvent(e));
    this.monitor = startMonitor({
      read: () => readCounters(core),
      today: (now) => queryToday((n, a) => core.recorder.client.query(n, a), now),
      onToday: ({ limits, ...today }) => this.setState({ today, limits: limits ?? null }),
      onNotice: (n) => this.notifier.show(n.kind, n.title, n.body),
      onStorage: (storageProblem) => this.setState({ storageProblem }),
      onError: (err) => this.logger.debug(`monitor: ${err.message}`),
    });
    void this.monitor.tick();
    this.configWatch = watchConfigFile({
      file: config.configFile,
      load: () => loadConfig({ env: process.env }).config,
      onChange: (next) => this.applyConfig(next),
      onInvalid: (message) => {
        this.logger.warn(`config file not applied: ${message}`);
        this.notifier.show(
          'config',
          'Config file not applied',
          `${message}\nThe previous settings stay in force.`,
        );
      },
    });
    if (!process.argv.includes(HIDDEN_FLAG)) this.openWindow();
  }

  openWindow(): void {
    if (!this.core) return;
    if (this.window) {
      if (this.window.isMinimized()) this.window.restore();
      this.window.show();
      this.window.focus();
      return;
    }
    this.window = createMainWindow({
      preloadPath: PRELOAD,
      bounds: this.settings?.windowBounds(),
      logger: this.logger,
      onClose: (b) => this.settings?.setWindowBounds(b),
      onClosed: () => {
        this.rendererGone();
        this.window = null;
      },
      onRendererReset: () => this.rendererGone(),
    });
  }

  /** Quit in order: stop the monitor and watchers, drain and flush the core, then exit. */
  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.monitor?.stop();
      await this.configWatch?.close();
      this.rendererGone();
      this.tray?.destroy();
      await this.core?.stop();
    })();
    return this.stopping;
  }

  quitDeadlineMs(): number {
    return (this.config?.timeouts.shutdownGraceMs ?? 2_000) + QUIT_DEADLINE_EXTRA_MS;
  }

  /** An export from the window: the native save dialog, then the file written readable by the user only. */
  private async saveFile(file: { filename: string; content: string }): Promise<string | null> {
    const options = { defaultPath: path.join(app.getPath('downloads'), file.filename) };
    const r = this.window
      ? await dialog.showSaveDialog(this.window, options)
      : await dialog.showSaveDialog(options);
    if (r.canceled || !r.filePath) return null;
    await fs.promises.writeFile(r.filePath, file.content, { mode: 0o600 });
    return r.filePath;
  }

  private rendererReady(): void {
    const core = this.core;
    if (!core) return;
    // Live events flow only while a renderer listens (the worker produces none otherwise).
    this.unsubscribeLive ??= core.recorder.client.subscribe((e) => {
      core.uiState.observe(e);
      this.events.push(e);
    });
    this.events.markReady();
  }

  private rendererGone(): void {
    this.unsubscribeLive?.();
    this.unsubscribeLive = null;
    this.events.reset();
  }

  private onUiEvent(e: UiEvent): void {
    this.events.push(e);
    if (e.type === 'settings_changed') {
      this.setState({ recording: e.settings.recording, redaction: e.settings.redaction_mode });
    } else if (e.type === 'problem' && e.problem.kind === 'budget_exceeded') {
      this.notifier.show('budget', 'budget reached', e.problem.message);
    } else if (e.type === 'problem' && e.problem.kind === 'limit_near') {
      this.notifier.show('limit', 'Plan limit', e.problem.message);
    }
  }

  private setState(patch: Partial<TrayState>): void {
    this.state = { ...this.state, ...patch };
    this.tray?.update(this.state);
  }

  private fail(kind: string, message: string): void {
    this.logger.error(message);
    this.setState({ phase: 'error', error: message });
    this.notifier.show(kind, kind === 'port_busy' ? 'Port busy' : 'Could not start', message);
  }

  private async setSettings(args: CallArgs<'settings.set'>): Promise<void> {
    if (!this.core) return;
    // Through the contract's dispatcher, like the window and the web UI: validated, persisted, announced.
    await dispatchCall(this.core.uiState.handlers(), 'settings.set', args);
  }

  private async act(a: TrayAction): Promise<void> {
    switch (a.type) {
      case 'set-recording':
        return this.setSettings({ recording: a.on });
      case 'set-redaction':
        return this.setSettings({ redaction_mode: a.mode });
      case 'open-window':
        return this.openWindow();
      case 'copy-shell-setup': {
        if (!this.core) return;
        // Through the contract, like the Settings view: the forward exports need the CA, created if missing.
        const setup = (await dispatchCall(this.core.uiState.handlers(), 'setup.get', {})) as Setup;
        await clipboard.writeText(a.mode === 'forward' ? setup.forward : setup.base);
        return;
      }
      case 'open-data-folder': {
        const dir = this.config?.dataDir ?? path.join(os.homedir(), '.lunaroute');
        const err = await shell.openPath(dir);
        if (err) this.logger.warn(`cannot open ${dir}: ${err}`);
        return;
      }
      case 'set-start-at-login':
        this.writeStartAtLogin(a.on);
        this.settings?.setStartAtLogin(a.on);
        this.setState({ startAtLogin: a.on });
        return;
      case 'quit':
        app.quit();
        return;
    }
  }

  private readStartAtLogin(): boolean {
    if (process.platform === 'linux') return isLinuxAutostartOn(xdgConfigHome());
    return app.getLoginItemSettings().openAtLogin;
  }

  private writeStartAtLogin(on: boolean): void {
    if (process.platform === 'linux') {
      setLinuxAutostart(on, { configHome: xdgConfigHome(), exec: process.env.APPIMAGE ?? process.execPath });
    } else {
      app.setLoginItemSettings({ openAtLogin: on, args: [HIDDEN_FLAG] });
    }
  }

  /** A valid config edit: apply what can change live, name what needs a restart. */
  private applyConfig(next: Config): void {
    const core = this.core;
    const prev = this.config;
    if (!core || !prev) return;
    const { config, restart, applied } = applyConfigEdit(core, prev, next);
    if (applied.includes('recording')) this.setState({ recording: config.recording.enabled });
    if (restart.length) {
      this.notifier.show('config', 'Restart to apply', `Changed in the config file: ${restart.join(', ')}.`);
    }
    this.config = config;
  }
}

function xdgConfigHome(): string {
  return process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
}

// Must run before `ready`: our scheme is a standard, secure origin.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);

if (!app.requestSingleInstanceLock()) {
  // Another LunaRoute owns the port and the data: it focuses its window (second-instance below); we leave.
  app.quit();
} else {
  const desktop = new DesktopApp();
  app.on('second-instance', () => desktop.openWindow());
  // Closing the last window keeps the app in the tray (no default quit).
  app.on('window-all-closed', () => undefined);
  let exiting = false;
  app.on('before-quit', (event) => {
    if (exiting) return;
    event.preventDefault();
    const deadline = setTimeout(() => app.exit(1), desktop.quitDeadlineMs());
    void desktop.shutdown().finally(() => {
      clearTimeout(deadline);
      exiting = true;
      app.exit(0);
    });
  });
  // Logout, shutdown or `kill` send SIGTERM: take the same ordered quit (drain streams, flush recordings) as the
  // Quit menu. Our listener also keeps the process alive when electron-store's exit hook (when-exit) re-sends
  // the signal after its own callbacks, which would otherwise end the app mid-flush.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => app.quit());
  desktop.start().catch((err: Error) => {
    process.stderr.write(`LunaRoute: ${err.stack ?? err.message}\n`);
    app.exit(1);
  });
}
