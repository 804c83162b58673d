// IPC between the window and the core, tested with stand-ins for ipcMain/ipcRenderer: every call is accepted
// from our window's main frame on lunaroute://app and refused from anything else; payloads are parsed with the
// contract's schemas; pushes wait for the renderer's ready signal; the preload's bridge exposes exactly the
// contract's calls. Also the lunaroute:// protocol handler that serves the renderer.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  CALL_NAMES,
  IPC_EVENTS_CHANNEL,
  IPC_READY_CHANNEL,
  ipcCallChannel,
  type CallHandlers,
  type UiEvent,
} from '../../src-shared/contract.js';
import { buildBridge, type IpcRendererLike } from '../../src-main/electron/bridge.js';
import { IPC_SAVE_CHANNEL, type SaveFile } from '../../src-shared/contract.js';
import { EventQueue, isTrustedSender, registerIpc, type IpcSenderInfo } from '../../src-main/electron/ipc.js';
import {
  APP_URL,
  WINDOW_CSP,
  rendererRequestHandler,
  resolveRendererPath,
} from '../../src-main/electron/protocol.js';
import { createLogger } from '../../src-main/log.js';
import { FakeIpcMain } from '../electron/stand-in.js';
import { makeTempDir } from '../support/config.js';

const silent = createLogger('silent');
const WINDOW_ID = 7;
const ours: IpcSenderInfo = { sender: { id: WINDOW_ID }, senderFrame: { url: APP_URL, parent: null } };

const settings = {
  recording: true,
  redaction_mode: 'mask' as const,
  retention: { max_age_days: 30, max_size_mb: 1024, compress_after_days: 7 },
  budgets: { daily_usd: null, weekly_usd: 20, limit_percent: 80 },
  data_dir: '/tmp/x',
  proxy_url: 'http://127.0.0.1:8081',
  ui_url: null,
};

function setup(handlers: Partial<CallHandlers> = {}, saveFile?: (f: SaveFile) => Promise<string | null>) {
  const ipcMain = new FakeIpcMain();
  const onReady = vi.fn();
  const seen: unknown[] = [];
  const all = {
    'settings.get': async () => settings,
    'settings.set': async (a: unknown) => {
      seen.push(a);
      return settings;
    },
    ...handlers,
  } as unknown as CallHandlers;
  const dispose = registerIpc({
    ipcMain,
    handlers: all,
    windowId: () => WINDOW_ID,
    onReady,
    logger: silent,
    ...(saveFile ? { saveFile } : {}),
  });
  return { ipcMain, onReady, seen, dispose };
}

describe('IPC sender check', () => {
  it('accepts our window’s main frame on lunaroute://app', () => {
    expect(isTrustedSender(ours, WINDOW_ID)).toBe(true);
    expect(
      isTrustedSender(
        { ...ours, senderFrame: { url: 'lunaroute://app/#/settings', parent: null } },
        WINDOW_ID,
      ),
    ).toBe(true);
  });

  it.each([
    ['another webContents', { ...ours, sender: { id: 99 } }],
    ['a subframe', { ...ours, senderFrame: { url: APP_URL, parent: {} } }],
    ['a destroyed frame', { ...ours, senderFrame: null }],
    ['a page on the web', { ...ours, senderFrame: { url: 'https://evil.example/', parent: null } }],
    ['a file:// page', { ...ours, senderFrame: { url: 'file:///tmp/x.html', parent: null } }],
    ['another host on our scheme', { ...ours, senderFrame: { url: 'lunaroute://evil/', parent: null } }],
    ['credentials in the URL', { ...ours, senderFrame: { url: 'lunaroute://u:p@app/', parent: null } }],
  ])('refuses %s', (_name, event) => {
    expect(isTrustedSender(event as IpcSenderInfo, WINDOW_ID)).toBe(false);
  });

  it('refuses everything while there is no window', () => {
    expect(isTrustedSender(ours, null)).toBe(false);
  });
});

describe('IPC handlers derived from the contract', () => {
  it('registers one handler per contract call and removes them all', () => {
    const { ipcMain, dispose } = setup();
    expect([...ipcMain.handlers.keys()].sort()).toEqual(
      [...CALL_NAMES.map(ipcCallChannel), IPC_SAVE_CHANNEL].sort(),
    );
    expect(ipcMain.listenerCount(IPC_READY_CHANNEL)).toBe(1);
    dispose();
    expect(ipcMain.handlers.size).toBe(0);
    expect(ipcMain.listenerCount(IPC_READY_CHANNEL)).toBe(0);
  });

  it('answers our window with the parsed result', async () => {
    const { ipcMain, seen } = setup();
    await expect(ipcMain.invoke(ipcCallChannel('settings.get'), ours, {})).resolves.toEqual({
      ok: true,
      value: settings,
    });
    await ipcMain.invoke(ipcCallChannel('settings.set'), ours, { recording: false });
    expect(seen).toEqual([{ recording: false }]);
  });

  it('refuses a call from another frame without running the handler', async () => {
    const { ipcMain, seen } = setup();
    const evil = { ...ours, senderFrame: { url: 'https://evil.example/', parent: null } };
    await expect(ipcMain.invoke(ipcCallChannel('settings.set'), evil, { recording: false })).resolves.toEqual(
      {
        ok: false,
        error: { code: 'forbidden', message: 'not allowed from this frame' },
      },
    );
    expect(seen).toEqual([]);
  });

  it.each([
    ['an unknown key', { recording: false, admin: true }],
    ['a wrong type', { recording: 'no' }],
    ['a value outside the enum', { redaction_mode: 'scramble' }],
    ['not an object', 'recording=false'],
  ])('rejects %s as bad_args, naming the field', async (_name, payload) => {
    const { ipcMain, seen } = setup();
    const r = (await ipcMain.invoke(ipcCallChannel('settings.set'), ours, payload)) as {
      ok: boolean;
      error: { code: string; message: string };
    };
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('bad_args');
    expect(r.error.message).toMatch(/^settings\.set: invalid arguments/);
    expect(seen).toEqual([]);
  });

  it('rejects oversized arguments before parsing them', async () => {
    const { ipcMain } = setup();
    const r = await ipcMain.invoke(ipcCallChannel('search'), ours, { q: 'x'.repeat(2 * 1024 * 1024) });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'bad_args', message: 'search: arguments too large' },
    });
  });

  it('turns a failing handler into a `failed` answer without a stack trace', async () => {
    const { ipcMain } = setup({
      'stats.get': async () => {
        throw new Error('index busy');
      },
    });
    await expect(ipcMain.invoke(ipcCallChannel('stats.get'), ours, {})).resolves.toEqual({
      ok: false,
      error: { code: 'failed', message: 'stats.get failed: index busy' },
    });
  });

  it('takes the ready signal only from our window', () => {
    const { ipcMain, onReady } = setup();
    ipcMain.emit(IPC_READY_CHANNEL, { ...ours, sender: { id: 3 } });
    expect(onReady).not.toHaveBeenCalled();
    ipcMain.emit(IPC_READY_CHANNEL, ours);
    expect(onReady).toHaveBeenCalledTimes(1);
  });
});

describe('event queue', () => {
  const started = (id: string): UiEvent => ({
    type: 'request_started',
    id,
    session_id: 's',
    at: 1,
    client: 'sdk',
    dialect: 'anthropic',
    endpoint: 'messages',
    model: null,
    stream: true,
    prompt_preview: null,
  });
  const tick = () => new Promise((r) => setImmediate(r));

  it('holds pushes until the renderer is ready, then sends them in order, then batches per tick', async () => {
    const sent: [string, UiEvent[]][] = [];
    const q = new EventQueue((c, b) => sent.push([c, b]), silent);
    q.push(started('a'));
    q.push(started('b'));
    await tick();
    expect(sent).toEqual([]);
    q.markReady();
    expect(sent).toEqual([[IPC_EVENTS_CHANNEL, [started('a'), started('b')]]]);
    q.push(started('c'));
    q.push(started('d'));
    await tick();
    expect(sent[1]).toEqual([IPC_EVENTS_CHANNEL, [started('c'), started('d')]]);
  });

  it('drops what fails the contract and bounds what it holds', () => {
    const sent: UiEvent[][] = [];
    const q = new EventQueue((_c, b) => sent.push(b), silent, 2);
    q.push({ type: 'request_started', id: 1 });
    for (const id of ['a', 'b', 'c']) q.push(started(id));
    q.markReady();
    expect(sent).toEqual([[started('b'), started('c')]]);
  });

  it('holds again after the renderer is gone, forgetting what it had', async () => {
    const sent: UiEvent[][] = [];
    const q = new EventQueue((_c, b) => sent.push(b), silent);
    q.markReady();
    q.push(started('lost'));
    q.reset();
    await tick();
    q.push(started('next'));
    q.markReady();
    expect(sent).toEqual([[started('next')]]);
  });
});

describe('preload bridge', () => {
  function fakeRenderer() {
    const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
    const ipc: IpcRendererLike & { invoked: [string, unknown][]; sentTo: string[] } = {
      invoked: [],
      sentTo: [],
      invoke: async (channel, args) => {
        ipc.invoked.push([channel, args]);
        return channel.endsWith('stats.get')
          ? { ok: false, error: { code: 'failed', message: 'stats.get failed: boom' } }
          : { ok: true, value: { echoed: args } };
      },
      send: (channel) => void ipc.sentTo.push(channel),
      on: (channel, l) => listeners.set(channel, (listeners.get(channel) ?? new Set()).add(l)),
      removeListener: (channel, l) => listeners.get(channel)?.delete(l),
    };
    const emit = (channel: string, ...args: unknown[]) =>
      listeners.get(channel)?.forEach((l) => l({ sender: 'the IpcRendererEvent' }, ...args));
    return { ipc, emit, listeners };
  }

  it('exposes exactly the contract’s calls, onEvents, ready and saveFile — never ipcRenderer', () => {
    const bridge = buildBridge(fakeRenderer().ipc);
    expect(Object.keys(bridge).sort()).toEqual(['calls', 'onEvents', 'ready', 'saveFile']);
    expect(Object.keys(bridge.calls).sort()).toEqual([...CALL_NAMES].sort());
  });

  it('invokes the call’s channel and unwraps the answer; an error answer rejects with code and message', async () => {
    const { ipc } = fakeRenderer();
    const bridge = buildBridge(ipc);
    await expect(bridge.calls['sessions.view']({ id: 'x' })).resolves.toEqual({ echoed: { id: 'x' } });
    expect(ipc.invoked).toEqual([[ipcCallChannel('sessions.view'), { id: 'x' }]]);
    await expect(bridge.calls['stats.get']({})).rejects.toThrow('failed: stats.get failed: boom');
  });

  it('passes event batches (never the IPC event) and unsubscribes; ready signals main', () => {
    const { ipc, emit, listeners } = fakeRenderer();
    const bridge = buildBridge(ipc);
    const got: unknown[][] = [];
    const off = bridge.onEvents((b) => got.push(b));
    emit(IPC_EVENTS_CHANNEL, [{ type: 'x' }]);
    emit(IPC_EVENTS_CHANNEL, 'not a batch');
    expect(got).toEqual([[{ type: 'x' }]]);
    off();
    expect(listeners.get(IPC_EVENTS_CHANNEL)?.size).toBe(0);
    bridge.ready();
    expect(ipc.sentTo).toEqual([IPC_READY_CHANNEL]);
  });
});

describe('lunaroute:// protocol', () => {
  const dir = makeTempDir();
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>LunaRoute</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(path.dirname(dir), 'secret.txt'), 'no');
  const handle = rendererRequestHandler(dir);

  it('serves the renderer with a strict CSP', async () => {
    const r = await handle(new Request(APP_URL));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(WINDOW_CSP);
    expect(WINDOW_CSP).toMatch(/script-src 'self';/);
    expect(WINDOW_CSP).toMatch(/connect-src 'none'/);
    expect(WINDOW_CSP).not.toMatch(/unsafe/);
    expect(await r.text()).toContain('<title>LunaRoute</title>');
    const js = await handle(new Request('lunaroute://app/assets/app.js'));
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await handle(new Request('lunaroute://app/'))).status).toBe(200);
  });

  it.each([
    'lunaroute://app/../secret.txt',
    'lunaroute://app/%2e%2e/secret.txt',
    'lunaroute://app/assets/..%2f..%2fsecret.txt',
    'lunaroute://app/..%5csecret.txt',
    'lunaroute://other/index.html',
    'lunaroute://app/missing.js',
  ])('answers 404 for %s', async (url) => {
    expect((await handle(new Request(url))).status).toBe(404);
  });

  it('maps nothing outside the renderer directory', () => {
    expect(resolveRendererPath(dir, 'lunaroute://app/%2e%2e%2fsecret.txt')).toBeNull();
    expect(resolveRendererPath(dir, 'lunaroute://app/assets/app.js')).toBe(
      path.join(dir, 'assets', 'app.js'),
    );
  });

  it('refuses other methods than GET and HEAD', async () => {
    expect((await handle(new Request(APP_URL, { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});

describe('saving an export (Electron: the native save dialog)', () => {
  const file = { filename: 'session-abc.har', mime: 'application/json', content: '{"log":{}}' };

  it('hands a valid file from our window to the dialog and answers the chosen path', async () => {
    const save = vi.fn(async () => '/home/u/Downloads/session-abc.har');
    const { ipcMain } = setup({}, save);
    await expect(ipcMain.invoke(IPC_SAVE_CHANNEL, ours, file)).resolves.toEqual({
      ok: true,
      value: '/home/u/Downloads/session-abc.har',
    });
    expect(save).toHaveBeenCalledWith(file);
  });

  it('answers null when the user cancels', async () => {
    const { ipcMain } = setup({}, async () => null);
    await expect(ipcMain.invoke(IPC_SAVE_CHANNEL, ours, file)).resolves.toEqual({ ok: true, value: null });
  });

  it('refuses other frames, names with directories, and extra keys, without opening a dialog', async () => {
    const save = vi.fn(async () => 'x');
    const { ipcMain } = setup({}, save);
    const other = { ...ours, sender: { id: 99 } };
    await expect(ipcMain.invoke(IPC_SAVE_CHANNEL, other, file)).resolves.toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    for (const bad of [
      { ...file, filename: '../../.bashrc' },
      { ...file, filename: 'a/b.md' },
      { ...file, extra: 1 },
      { ...file, content: 5 },
    ]) {
      await expect(ipcMain.invoke(IPC_SAVE_CHANNEL, ours, bad)).resolves.toMatchObject({
        ok: false,
        error: { code: 'bad_args' },
      });
    }
    expect(save).not.toHaveBeenCalled();
  });

  it('the bridge exposes saveFile over the save channel', async () => {
    const invoked: unknown[][] = [];
    const ipc: IpcRendererLike = {
      invoke: async (...a: unknown[]) => {
        invoked.push(a);
        return { ok: true, value: '/tmp/x.md' };
      },
      send() {},
      on() {},
      removeListener() {},
    };
    await expect(buildBridge(ipc).saveFile(file)).resolves.toBe('/tmp/x.md');
    expect(invoked).toEqual([[IPC_SAVE_CHANNEL, file]]);
  });
});
