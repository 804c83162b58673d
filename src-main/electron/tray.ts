// The tray icon: builds the menu from state (tray-menu.ts) and sets it, no more. Updates are throttled to one
// per second (a burst of requests or settings changes makes one update), skipped when nothing visible changed,
// and reuse one NativeImage per icon kind, so an idle app does no tray work at all.
import path from 'node:path';
import { Menu, Tray, nativeImage, type NativeImage } from 'electron';
import { buildTrayMenu, menuSignature, type TrayAction } from './tray-menu.js';
import { trayIconKind, trayTooltip, type TrayIconKind, type TrayState } from './tray-state.js';

export const TRAY_MIN_INTERVAL_MS = 1000;

/** File of an icon kind: macOS gets the black template image (the menu bar tints it), others the colour one.
 *  nativeImage.createFromPath picks the @2x file next to it on high-DPI screens. */
export function trayIconFile(iconDir: string, kind: TrayIconKind, platform: NodeJS.Platform): string {
  return path.join(iconDir, platform === 'darwin' ? `${kind}Template.png` : `${kind}.png`);
}

export interface TrayViewOptions {
  iconDir: string;
  dispatch: (a: TrayAction) => void;
  platform?: NodeJS.Platform;
  minIntervalMs?: number;
  now?: () => number;
}

export class TrayView {
  private readonly tray: Tray;
  private readonly images = new Map<TrayIconKind, NativeImage>();
  private readonly platform: NodeJS.Platform;
  private readonly minInterval: number;
  private readonly now: () => number;
  private pending: TrayState | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastRender = -Infinity;
  private shown = { icon: '', tooltip: '', menu: '' };
  /** How many times the menu was rebuilt (tests and diagnostics). */
  menuBuilds = 0;

  constructor(
    initial: TrayState,
    private readonly o: TrayViewOptions,
  ) {
    this.platform = o.platform ?? process.platform;
    this.minInterval = o.minIntervalMs ?? TRAY_MIN_INTERVAL_MS;
    this.now = o.now ?? Date.now;
    const kind = trayIconKind(initial);
    this.tray = new Tray(this.image(kind));
    this.shown.icon = kind;
    // Windows and Linux: a left click opens the window (macOS shows the menu on click).
    if (this.platform !== 'darwin') this.tray.on('click', () => o.dispatch({ type: 'open-window' }));
    this.render(initial);
  }

  /** Show this state (now, or within a second of the previous update). */
  update(state: TrayState): void {
    this.pending = state;
    if (this.timer) return;
    const wait = this.lastRender + this.minInterval - this.now();
    if (wait <= 0) {
      this.render(state);
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.pending) this.render(this.pending);
    }, wait);
  }

  destroy(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.tray.destroy();
  }

  private image(kind: TrayIconKind): NativeImage {
    let img = this.images.get(kind);
    if (!img) {
      img = nativeImage.createFromPath(trayIconFile(this.o.iconDir, kind, this.platform));
      if (this.platform === 'darwin') img.setTemplateImage(true);
      this.images.set(kind, img);
    }
    return img;
  }

  private render(state: TrayState): void {
    this.pending = null;
    this.lastRender = this.now();
    const kind = trayIconKind(state);
    if (kind !== this.shown.icon) {
      this.tray.setImage(this.image(kind));
      this.shown.icon = kind;
    }
    const tooltip = trayTooltip(state);
    if (tooltip !== this.shown.tooltip) {
      this.tray.setToolTip(tooltip);
      this.shown.tooltip = tooltip;
    }
    const template = buildTrayMenu(state, this.o.dispatch);
    const sig = menuSignature(template);
    if (sig !== this.shown.menu) {
      this.tray.setContextMenu(Menu.buildFromTemplate(template));
      this.shown.menu = sig;
      this.menuBuilds++;
    }
  }
}
