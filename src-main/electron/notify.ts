// Native notifications for what the user must see even with the window closed: port busy, upstream
// unreachable, storage errors, an invalid config edit (later: budgets). One per kind per minute at most, so a
// flapping upstream does not flood the desktop; the tray status line keeps the latest state anyway.
import { Notification } from 'electron';

export const NOTIFY_COOLDOWN_MS = 60_000;

/** Per-kind cooldown (pure): whether a notice of `kind` may be shown at `now`. */
export class Cooldown {
  private readonly last = new Map<string, number>();
  constructor(private readonly ms = NOTIFY_COOLDOWN_MS) {}
  allow(kind: string, now: number): boolean {
    const prev = this.last.get(kind);
    if (prev !== undefined && now - prev < this.ms) return false;
    this.last.set(kind, now);
    return true;
  }
}

export class Notifier {
  private readonly cooldown = new Cooldown();
  constructor(
    private readonly iconPath: string,
    private readonly now: () => number = Date.now,
  ) {}

  show(kind: string, title: string, body: string): void {
    if (!Notification.isSupported() || !this.cooldown.allow(kind, this.now())) return;
    new Notification({ title: `LunaRoute: ${title}`, body, icon: this.iconPath, silent: false }).show();
  }
}
