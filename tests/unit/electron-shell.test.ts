// The desktop shell with a stand-in for electron (tests/electron/stand-in.ts): window options and hardening,
// the throttled tray, and main.ts end to end — the real core on 127.0.0.1:0, tray clicks reaching it and
// persisting, IPC from our window accepted and from others refused, close keeps the app in the tray, quit
// stops the core in order.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IPC_EVENTS_CHANNEL, IPC_READY_CHANNEL, ipcCallChannel } from '../../src-shared/contract.js';
import { createLogger } from '../../src-main/log.js';
import { SETTINGS_FILE } from '../../src-main/settings/schema.js';
import type * as StandIn from '../electron/stand-in.js';
import { makeTempDir } from '../support/config.js';

vi.mock('electron', async () => {
  const m = await import('../electron/stand-in.js');
  return { ...m.electron, default: m.electron };
});

const electron = (await import('electron')) as unknown as typeof StandIn.electron;
const { FakeBrowserWindow, FakeTray } = (await import('../electron/stand-in.js')) as typeof StandIn;
const { windowOptions, createMainWindow, isExternalLink } = await import('../../src-main/electron/window.js');
const { TrayView, trayIconFile } = await import('../../src-main/electron/tray.js');
const { APP_URL } = await import('../../src-main/electron/protocol.js');
const { INITIAL_TRAY_STATE } = await import('../../src-main/electron/tray-state.js');
const standIn = await import('../electron/stand-in.js');

const silent = createLogger('silent');

describe('window', () => {
  it('is created sandboxed, context-isolated, without Node, hidden until ready, with the saved bounds', () => {
    const o = windowOptions('/app/preload.cjs', { x: 5, y: 6, width: 900, height: 650 });
    expect(o.webPreferences).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(o).toMatchObject({ x: 5, y: 6, width: 900, height: 650, show: false });
    expect(windowOptions('/p', undefined)).toMatchObject({ width: 1200, height: 800 });
  });

  function open() {
    const calls = { closed: 0, resets: 0, bounds: [] as unknown[] };
    let t = 0;
    const win = createMainWindow({
      preloadPath: '/p.cjs',
      bounds: undefined,
      logger: silent,
      onClose: (b) => calls.bounds.push(b),
      onClosed: () => calls.closed++,
      onRendererReset: () => calls.resets++,
      now: () => (t += 1000),
    }) as unknown as InstanceType<typeof FakeBrowserWindow>;
    return { win, calls, wc: win.webContents };
  }

  it('loads the renderer over lunaroute://, not file://, and shows it once ready', () => {
    const { win } = open();
    expect(win.loaded).toEqual([APP_URL]);
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);
  });

  it('denies new windows, handing only http(s) links to the system browser', () => {
    const { wc } = open();
    standIn.shellCalls.external.length = 0;
    expect(wc.windowOpenHandler!({ url: 'https://docs.example/x' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(wc.windowOpenHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(standIn.shellCalls.external).toEqual(['https://docs.example/x']);
    expect(isExternalLink('lunaroute://app/')).toBe(false);
  });

  it('blocks navigation away from our origin, allows our own pages, blocks webviews and permissions', () => {
    const { wc } = open();
    const nav = (url: string, event = 'will-navigate') => {
      const e = { prevented: false, preventDefault: () => (e.prevented = true) };
      wc.emit(event, e, url);
      return e.prevented;
    };
    expect(nav('https://evil.example/')).toBe(true);
    expect(nav('file:///home/user/.ssh/id_rsa')).toBe(true);
    expect(nav('https://evil.example/', 'will-redirect')).toBe(true);
    expect(nav('lunaroute://app/index.html')).toBe(false);
    expect(nav('x', 'will-attach-webview')).toBe(true);
    let granted: boolean | null = null;
    wc.session.permissionRequest!(wc, 'media', (ok: boolean) => (granted = ok));
    expect(granted).toBe(false);
    expect(wc.session.permissionCheck!()).toBe(false);
  });

  it('reloads a crashed renderer a few times a minute, then gives up and closes', () => {
    const { win, wc, calls } = open();
    const crash = () => wc.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    crash();
    crash();
    crash();
    expect(win.loaded).toEqual([APP_URL, APP_URL, APP_URL, APP_URL]);
    expect(calls.resets).toBe(3);
    crash();
    expect(win.destroyed).toBe(true);
    expect(calls.closed).toBe(1);
  });

  it('saves its bounds when closed and is destroyed, not hidden', () => {
    const { win, calls } = open();
    win.userClose();
    expect(calls.bounds).toEqual([{ x: 10, y: 20, width: 1000, height: 700 }]);
    expect(win.destroyed).toBe(true);
  });
});

describe('tray view', () => {
  const running = { ...INITIAL_TRAY_STATE, phase: 'running' as const, listen: '127.0.0.1:1' };

  it('throttles updates to one per second, skips unchanged menus and reuses images', () => {
    vi.useFakeTimers();
    try {
      standIn.createdImages.length = 0;
      const view = new TrayView(running, { iconDir: '/icons', dispatch: () => undefined, platform: 'linux' });
      const tray = FakeTray.instances.at(-1)!;
      expect(tray.menuSets).toBe(1);
      for (let i = 0; i < 50; i++)
        view.update({ ...running, today: { requests: i, inputTokens: 0, outputTokens: 0, costUsd: null } });
      expect(tray.menuSets).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(tray.menuSets).toBe(2);
      expect(tray.item('today').label).toMatch(/^Today: 49 requests/);
      vi.advanceTimersByTime(5000);
      view.update({ ...running, today: { requests: 49, inputTokens: 0, outputTokens: 0, costUsd: null } });
      expect(tray.menuSets).toBe(2); // nothing visible changed
      for (const recording of [false, true, false, true]) {
        vi.advanceTimersByTime(1000);
        view.update({ ...running, recording });
      }
      expect(standIn.createdImages).toEqual(['/icons/recording-redacted.png', '/icons/idle.png']);
      view.destroy();
      expect(tray.destroyed).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('uses template images on macOS and the colour ones elsewhere', () => {
    expect(trayIconFile('/i', 'error', 'darwin')).toBe('/i/errorTemplate.png');
    expect(trayIconFile('/i', 'error', 'win32')).toBe('/i/error.png');
    new TrayView(INITIAL_TRAY_STATE, { iconDir: '/i', dispatch: () => undefined, platform: 'darwin' });
    const img = FakeTray.instances.at(-1)!.image;
    expect(img).toMatchObject({ path: '/i/idleTemplate.png', template: true });
  });
});

describe('main process with the real core', () => {
  const dir = makeTempDir();
  const saved = { ...process.env };
  let win: InstanceType<typeof FakeBrowserWindow>;
  let tray: InstanceType<typeof FakeTray>;

  beforeAll(async () => {
    Object.assign(process.env, {
      HOME: dir,
      LUNAROUTE_DATA_DIR: path.join(dir, 'data'),
      LUNAROUTE_CONFIG: path.join(dir, 'config.yaml'),
      LUNAROUTE_PORT: '0',
      LUNAROUTE_UI_PORT: '0',
      LUNAROUTE_LOG_LEVEL: 'silent',
      LUNAROUTE_RECORDING: 'true',
    });
    fs.writeFileSync(path.join(dir, 'config.yaml'), 'redaction:\n  mode: mask\n');
    const before = FakeTray.instances.length;
    await import('../../src-main/electron/main.js');
    await vi.waitFor(() => expect(FakeTray.instances.length).toBeGreaterThan(before));
    tray = FakeTray.instances.at(-1)!;
    await vi.waitFor(() => expect(tray.item('status').label).toMatch(/^Listening on 127\.0\.0\.1:\d+$/), {
      timeout: 10_000,
    });
    win = FakeBrowserWindow.instances.at(-1)!;
  });
  afterAll(() => {
    process.env = saved;
  });

  const ours = () => ({ sender: { id: win.webContents.id }, senderFrame: { url: APP_URL, parent: null } });

  it('registers the scheme as privileged and serves the renderer on it', () => {
    expect(standIn.protocolCalls.privileged).toContainEqual(
      expect.objectContaining({
        scheme: 'lunaroute',
        privileges: expect.objectContaining({ standard: true, secure: true }),
      }),
    );
    expect(standIn.protocolCalls.handlers.has('lunaroute')).toBe(true);
    expect(win.loaded).toEqual([APP_URL]);
    expect(win.options.webPreferences).toMatchObject({ sandbox: true, contextIsolation: true });
  });

  it('answers our window over IPC and refuses another frame', async () => {
    const ok = (await electron.ipcMain.invoke(ipcCallChannel('settings.get'), ours(), {})) as {
      ok: boolean;
      value: { proxy_url: string; recording: boolean };
    };
    expect(ok.ok).toBe(true);
    expect(ok.value.proxy_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const evil = { ...ours(), senderFrame: { url: 'https://evil.example/', parent: null } };
    await expect(electron.ipcMain.invoke(ipcCallChannel('settings.get'), evil, {})).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
  });

  it('wires tray toggles to the core: applied live, persisted in settings.json, shown in the tray and pushed to the window once ready', async () => {
    expect(tray.item('recording').checked).toBe(true);
    tray.item('recording').click!();
    tray.item('redaction.tokenize').click!();
    const file = path.join(dir, 'data', SETTINGS_FILE);
    await vi.waitFor(() =>
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({
        recording: false,
        redaction_mode: 'tokenize',
      }),
    );
    await vi.waitFor(() => expect(tray.item('recording').checked).toBe(false), { timeout: 3000 });
    expect(tray.item('redaction.tokenize').checked).toBe(true);
    expect(win.webContents.sent).toEqual([]); // held until the renderer says it listens
    electron.ipcMain.emit(IPC_READY_CHANNEL, ours());
    const pushed = win.webContents.sent
      .filter(([c]) => c === IPC_EVENTS_CHANNEL)
      .flatMap(([, b]) => b as { type: string }[]);
    expect(pushed.filter((e) => e.type === 'settings_changed')).toHaveLength(2);
  });

  it('copies the shell setup of either mode for the actual proxy address', async () => {
    tray.item('copy-env.base').click!();
    await vi.waitFor(() =>
      expect(standIn.clipboardText.at(-1)).toMatch(/^export ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+\n/),
    );
    tray.item('copy-env.forward').click!();
    await vi.waitFor(() =>
      expect(standIn.clipboardText.at(-1)).toMatch(/\nexport HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+;\n/),
    );
    const ca = /export NODE_EXTRA_CA_CERTS=(\S+);/.exec(standIn.clipboardText.at(-1)!)![1]!;
    expect(fs.readFileSync(ca, 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('keeps running in the tray when the window closes, saving its bounds next to the core’s settings', () => {
    win.userClose();
    const s = JSON.parse(fs.readFileSync(path.join(dir, 'data', SETTINGS_FILE), 'utf8'));
    expect(s).toMatchObject({ recording: false, window_bounds: { x: 10, y: 20, width: 1000, height: 700 } });
    expect(electron.app.exitCode).toBeNull();
    tray.item('open').click!();
    expect(FakeBrowserWindow.instances.at(-1)).not.toBe(win);
  });

  it('a second launch focuses the window', () => {
    const n = FakeBrowserWindow.instances.length;
    electron.app.emit('second-instance');
    expect(FakeBrowserWindow.instances.length).toBe(n); // the open one is focused, not a new one
  });

  it('a SIGTERM (logout, shutdown) takes the ordered quit: the core stops first and the port is released', async () => {
    const listen = tray.item('status').label!.replace('Listening on ', '');
    // main.ts routes SIGTERM to app.quit(); call its listener directly rather than signal the test runner.
    const onTerm = process.listeners('SIGTERM').find((l) => /app\.quit\(\)/.test(String(l)));
    expect(onTerm).toBeDefined();
    onTerm!('SIGTERM');
    await expect(electron.app.exited).resolves.toBe(0);
    expect(tray.destroyed).toBe(true);
    const net = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(Number(listen.split(':')[1]), '127.0.0.1');
      s.on('connect', () => reject(new Error('still listening')));
      s.on('error', () => resolve());
    });
  });
});
