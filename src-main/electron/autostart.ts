// Start at login. macOS and Windows: Electron's login items. Linux has no such API in Electron, so we write
// the XDG autostart entry ourselves (~/.config/autostart/lunaroute.desktop), pointing at the AppImage when
// run from one (its path is stable; the mounted executable's is not).
import fs from 'node:fs';
import path from 'node:path';

export const AUTOSTART_FILE = 'lunaroute.desktop';

/** Quote an Exec argument per the Desktop Entry spec. */
function execArg(p: string): string {
  return /^[A-Za-z0-9_./-]+$/.test(p) ? p : `"${p.replace(/(["`$\\])/g, '\\$1')}"`;
}

export function linuxAutostartEntry(exec: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=LunaRoute',
    'Comment=Proxy and recorder for AI coding assistants',
    `Exec=${execArg(exec)} --hidden`,
    'Icon=lunaroute',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface LinuxAutostartOptions {
  /** $XDG_CONFIG_HOME or ~/.config */
  configHome: string;
  exec: string;
}

export function setLinuxAutostart(on: boolean, o: LinuxAutostartOptions): void {
  const file = path.join(o.configHome, 'autostart', AUTOSTART_FILE);
  if (!on) {
    fs.rmSync(file, { force: true });
    return;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, linuxAutostartEntry(o.exec), { mode: 0o644 });
}

export function isLinuxAutostartOn(configHome: string): boolean {
  return fs.existsSync(path.join(configHome, 'autostart', AUTOSTART_FILE));
}
