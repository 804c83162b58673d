// The tray menu as a pure function of state: `buildTrayMenu(state, dispatch)` returns the template that the tray
// module hands to Menu.buildFromTemplate. Every click becomes a TrayAction for `dispatch`; nothing here touches
// the core or electron, so each state's menu is unit-tested as data.
import type { MenuItemConstructorOptions } from 'electron';
import { limitsLine, statusLine, todayLine, type RedactionModeName, type TrayState } from './tray-state.js';

export type TrayAction =
  | { type: 'set-recording'; on: boolean }
  | { type: 'set-redaction'; mode: RedactionModeName }
  | { type: 'open-window' }
  /** `base`: base-URL exports; `forward`: HTTPS_PROXY and the CA (created if missing). */
  | { type: 'copy-shell-setup'; mode: ShellSetupMode }
  | { type: 'open-data-folder' }
  | { type: 'set-start-at-login'; on: boolean }
  | { type: 'quit' };

export type ShellSetupMode = 'base' | 'forward';

/** Both ways of pointing clients at LunaRoute work on the one port at the same time. */
export const MODES_LINE = 'Modes: base URL · forward proxy (HTTPS_PROXY)';

/** Menu order of the redaction modes, with their labels. */
export const REDACTION_MENU: readonly { mode: RedactionModeName; label: string }[] = [
  { mode: 'off', label: 'Off' },
  { mode: 'mask', label: 'Mask' },
  { mode: 'remove', label: 'Remove' },
  { mode: 'tokenize', label: 'Tokenize' },
  { mode: 'partial', label: 'Partial' },
];

export function buildTrayMenu(s: TrayState, dispatch: (a: TrayAction) => void): MenuItemConstructorOptions[] {
  const running = s.phase === 'running';
  const limits = limitsLine(s.limits, Date.now());
  return [
    { id: 'status', label: statusLine(s), enabled: false },
    { id: 'today', label: todayLine(s.today), enabled: false, visible: running },
    {
      id: 'limits',
      label: limits ?? '',
      enabled: false,
      visible: running && limits !== null,
    },
    { id: 'modes', label: MODES_LINE, enabled: false, visible: running },
    { type: 'separator' },
    {
      id: 'recording',
      label: 'Recording',
      type: 'checkbox',
      checked: s.recording,
      enabled: running,
      click: () => dispatch({ type: 'set-recording', on: !s.recording }),
    },
    {
      id: 'redaction',
      label: 'Redaction',
      enabled: running,
      submenu: REDACTION_MENU.map(({ mode, label }) => ({
        id: `redaction.${mode}`,
        label,
        type: 'radio' as const,
        checked: s.redaction === mode,
        click: () => dispatch({ type: 'set-redaction', mode }),
      })),
    },
    { type: 'separator' },
    { id: 'open', label: 'Open LunaRoute', enabled: running, click: () => dispatch({ type: 'open-window' }) },
    {
      id: 'copy-env',
      label: 'Copy Shell Setup',
      enabled: running,
      submenu: [
        {
          id: 'copy-env.base',
          label: 'Base URL Mode (ANTHROPIC_BASE_URL…)',
          click: () => dispatch({ type: 'copy-shell-setup', mode: 'base' }),
        },
        {
          id: 'copy-env.forward',
          label: 'Forward-Proxy Mode (HTTPS_PROXY + CA)',
          click: () => dispatch({ type: 'copy-shell-setup', mode: 'forward' }),
        },
      ],
    },
    { id: 'data-folder', label: 'Open Data Folder', click: () => dispatch({ type: 'open-data-folder' }) },
    { type: 'separator' },
    {
      id: 'start-at-login',
      label: 'Start at Login',
      type: 'checkbox',
      checked: s.startAtLogin,
      click: () => dispatch({ type: 'set-start-at-login', on: !s.startAtLogin }),
    },
    { type: 'separator' },
    { id: 'quit', label: 'Quit LunaRoute', click: () => dispatch({ type: 'quit' }) },
  ];
}

/** A comparable snapshot of a template (labels, checks, enabled…; clicks dropped): the tray skips a rebuild
 *  when it did not change. */
export function menuSignature(template: MenuItemConstructorOptions[]): string {
  return JSON.stringify(template, (k, v: unknown) => (k === 'click' ? undefined : v));
}
