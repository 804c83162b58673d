// The shell's view of <dataDir>/settings.json: electron-store on the same file and schema as the core's settings
// store (src-main/settings), for what only the desktop has — window bounds and start at login. Recording and
// redaction are changed through the core (uiState's settings.set), which persists them itself, so the tray,
// the window and `lunaroute serve` agree.
import Store, { type Schema } from 'electron-store';
import {
  SETTINGS_NAME,
  SETTINGS_SCHEMA,
  type PersistedSettings,
  type WindowBounds,
} from '../settings/schema.js';

export interface DesktopSettings {
  windowBounds(): WindowBounds | undefined;
  setWindowBounds(b: WindowBounds): void;
  startAtLogin(): boolean;
  setStartAtLogin(on: boolean): void;
}

export function openDesktopSettings(dataDir: string): DesktopSettings {
  const store = new Store<PersistedSettings>({
    cwd: dataDir,
    name: SETTINGS_NAME,
    schema: SETTINGS_SCHEMA as Schema<PersistedSettings>,
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
  });
  return {
    windowBounds: () => store.get('window_bounds'),
    setWindowBounds: (b) =>
      store.set('window_bounds', {
        ...(b.x === undefined ? {} : { x: Math.round(b.x) }),
        ...(b.y === undefined ? {} : { y: Math.round(b.y) }),
        width: Math.max(200, Math.round(b.width)),
        height: Math.max(150, Math.round(b.height)),
      }),
    startAtLogin: () => store.get('start_at_login') ?? false,
    setStartAtLogin: (on) => store.set('start_at_login', on),
  };
}
