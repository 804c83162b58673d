// The one place the LunaRoute window is created, and hardened. Threat model: the page shows recorded content
// (prompts, model output, tool results) that an attacker may have written — so the renderer is treated as
// untrusted. Controls: context isolation + sandbox + no Node integration (a script that did run could reach
// nothing but the preload's contract functions); our own origin (lunaroute://app, strict CSP from protocol.ts);
// navigation away, new windows, <webview> and every permission request denied, http(s) links handed to the
// system browser; DevTools only when LUNAROUTE_DEVTOOLS=1. A crashed renderer is reloaded (a few times a
// minute at most); closing the window destroys it (the app lives on in the tray, holding no renderer).
import { BrowserWindow, shell, type BrowserWindowConstructorOptions, type WebContents } from 'electron';
import type { Logger } from '../log.js';
import type { WindowBounds } from '../settings/schema.js';
import { APP_URL, isAppUrl } from './protocol.js';

export const DEFAULT_BOUNDS: WindowBounds = { width: 1200, height: 800 };
const MAX_CRASH_RELOADS = 3;
const CRASH_WINDOW_MS = 60_000;

export function windowOptions(
  preloadPath: string,
  bounds: WindowBounds | undefined,
  devTools = false,
): BrowserWindowConstructorOptions {
  return {
    ...DEFAULT_BOUNDS,
    ...bounds,
    minWidth: 640,
    minHeight: 420,
    show: false,
    title: 'LunaRoute',
    backgroundColor: '#1d2240',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools,
    },
  };
}

/** Only http(s) links leave for the browser; anything else (file:, javascript:, custom schemes) is dropped. */
export function isExternalLink(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Deny navigation, new windows, webviews and permissions on a webContents (ours and any other). */
export function hardenWebContents(contents: WebContents, logger: Logger): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLink(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  const block = (event: { preventDefault(): void }, url: string): void => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    logger.warn(`navigation to ${url.slice(0, 200)} blocked`);
    if (isExternalLink(url)) void shell.openExternal(url);
  };
  contents.on('will-navigate', (e, url) => block(e, url));
  contents.on('will-redirect', (e, url) => block(e, url));
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}

export interface MainWindowOptions {
  preloadPath: string;
  bounds: WindowBounds | undefined;
  logger: Logger;
  /** Called with the last normal bounds when the window closes (to persist them). */
  onClose(bounds: WindowBounds): void;
  /** The window is destroyed. */
  onClosed(): void;
  /** The renderer was replaced (crash reload): pushes must wait for its ready signal again. */
  onRendererReset(): void;
  now?: () => number;
}

export function createMainWindow(o: MainWindowOptions): BrowserWindow {
  const devTools = process.env.LUNAROUTE_DEVTOOLS === '1';
  const win = new BrowserWindow(windowOptions(o.preloadPath, o.bounds, devTools));
  const now = o.now ?? Date.now;
  hardenWebContents(win.webContents, o.logger);
  win.once('ready-to-show', () => win.show());

  const crashes: number[] = [];
  win.webContents.on('render-process-gone', (_e, details) => {
    o.onRendererReset();
    if (details.reason === 'clean-exit') return;
    const t = now();
    while (crashes.length && t - crashes[0]! > CRASH_WINDOW_MS) crashes.shift();
    crashes.push(t);
    if (crashes.length > MAX_CRASH_RELOADS) {
      o.logger.error(`the window's renderer keeps failing (${details.reason}); closing the window`);
      win.destroy();
      return;
    }
    o.logger.warn(`the window's renderer is gone (${details.reason}, exit ${details.exitCode}); reloading`);
    void win.loadURL(APP_URL);
  });
  win.webContents.on('did-start-navigation', (details) => {
    if (details.isMainFrame && !details.isSameDocument) o.onRendererReset();
  });
  win.on('unresponsive', () => o.logger.warn('the window stopped responding'));
  win.on('close', () => {
    const b = win.getNormalBounds();
    o.onClose({ x: b.x, y: b.y, width: b.width, height: b.height });
  });
  win.on('closed', () => o.onClosed());
  void win.loadURL(APP_URL);
  return win;
}
