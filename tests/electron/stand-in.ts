// A stand-in for the `electron` module in unit tests of the shell (vi.mock('electron', …)): records what the
// shell asks of Tray, Menu, BrowserWindow, ipcMain, protocol, app… so tests can assert on it and drive events.
// Just enough surface for src-main/electron; the real API is checked by tsc against electron.d.ts.
import { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => unknown;

class Emitter extends EventEmitter {}

export class FakeWebContents extends Emitter {
  static nextId = 1;
  readonly id = FakeWebContents.nextId++;
  windowOpenHandler: ((d: { url: string }) => { action: string }) | null = null;
  readonly sent: [string, unknown][] = [];
  readonly session = {
    permissionRequest: null as Listener | null,
    permissionCheck: null as Listener | null,
    setPermissionRequestHandler(h: Listener) {
      this.permissionRequest = h;
    },
    setPermissionCheckHandler(h: Listener) {
      this.permissionCheck = h;
    },
  };
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
}

export class FakeBrowserWindow extends Emitter {
  static instances: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  destroyed = false;
  shown = false;
  constructor(readonly options: Record<string, unknown>) {
    super();
    FakeBrowserWindow.instances.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 };
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('closed');
  }
  /** What a user closing the window causes. */
  userClose(): void {
    this.emit('close');
    this.destroy();
  }
}

export class FakeImage {
  template = false;
  constructor(readonly path: string) {}
  setTemplateImage(on: boolean): void {
    this.template = on;
  }
}

export interface MenuItem {
  id?: string;
  label?: string;
  checked?: boolean;
  enabled?: boolean;
  visible?: boolean;
  submenu?: MenuItem[];
  click?: () => void;
}

export class FakeTray extends Emitter {
  static instances: FakeTray[] = [];
  image: FakeImage;
  tooltip = '';
  menu: MenuItem[] = [];
  menuSets = 0;
  imageSets = 0;
  destroyed = false;
  constructor(image: FakeImage) {
    super();
    this.image = image;
    FakeTray.instances.push(this);
  }
  setImage(i: FakeImage): void {
    this.image = i;
    this.imageSets++;
  }
  setToolTip(t: string): void {
    this.tooltip = t;
  }
  setContextMenu(m: { template: MenuItem[] }): void {
    this.menu = m.template;
    this.menuSets++;
  }
  destroy(): void {
    this.destroyed = true;
  }
  item(id: string): MenuItem {
    for (const i of this.menu) {
      if (i.id === id) return i;
      const s = i.submenu?.find((x) => x.id === id);
      if (s) return s;
    }
    throw new Error(`no menu item ${id}`);
  }
}

export const createdImages: string[] = [];
export const nativeImage = {
  createFromPath(p: string) {
    createdImages.push(p);
    return new FakeImage(p);
  },
};
export const Menu = { buildFromTemplate: (template: MenuItem[]) => ({ template }) };

export const shellCalls = { external: [] as string[], opened: [] as string[] };
export const shell = {
  openExternal(url: string) {
    shellCalls.external.push(url);
    return Promise.resolve();
  },
  openPath(p: string) {
    shellCalls.opened.push(p);
    return Promise.resolve('');
  },
};

export const notifications: { title: string; body: string }[] = [];
export class Notification {
  static isSupported(): boolean {
    return true;
  }
  constructor(private readonly o: { title: string; body: string }) {}
  show(): void {
    notifications.push({ title: this.o.title, body: this.o.body });
  }
}

export const clipboardText: string[] = [];
export const clipboard = {
  writeText(t: string) {
    clipboardText.push(t);
    return Promise.resolve();
  },
};

export class FakeIpcMain extends Emitter {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, l: (event: never, ...args: never[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, l as Listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    return Promise.resolve(h(event, ...args));
  }
}
export const ipcMain = new FakeIpcMain();

export const protocolCalls = {
  privileged: [] as unknown[],
  handlers: new Map<string, (r: Request) => Promise<Response>>(),
};
export const protocol = {
  registerSchemesAsPrivileged(s: unknown[]) {
    protocolCalls.privileged.push(...s);
  },
  handle(scheme: string, h: (r: Request) => Promise<Response>) {
    protocolCalls.handlers.set(scheme, h);
  },
};

class FakeApp extends Emitter {
  exitCode: number | null = null;
  loginItem = { openAtLogin: false };
  private resolveExit: (code: number) => void = () => undefined;
  readonly exited = new Promise<number>((resolve) => (this.resolveExit = resolve));
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  requestSingleInstanceLock(): boolean {
    return true;
  }
  quit(): void {
    const e = { defaultPrevented: false, preventDefault: () => (e.defaultPrevented = true) };
    this.emit('before-quit', e);
    if (!e.defaultPrevented) this.exit(0);
  }
  exit(code: number): void {
    this.exitCode = code;
    this.resolveExit(code);
  }
  getLoginItemSettings() {
    return this.loginItem;
  }
  setLoginItemSettings(s: { openAtLogin: boolean }): void {
    this.loginItem = { openAtLogin: s.openAtLogin };
  }
  dock = undefined;
}
export const app = new FakeApp();

export const electron = {
  app,
  BrowserWindow: FakeBrowserWindow,
  Tray: FakeTray,
  Menu,
  nativeImage,
  shell,
  Notification,
  clipboard,
  ipcMain,
  protocol,
};
