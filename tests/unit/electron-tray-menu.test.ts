// The tray menu is a pure function of state: each state's template is checked as data, and every click is
// checked to dispatch the right action. No electron here (tray-menu.ts only imports electron's types).
import { existsSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { buildTrayMenu, menuSignature, type TrayAction } from '../../src-main/electron/tray-menu.js';
import {
  INITIAL_TRAY_STATE,
  TRAY_ICON_KINDS,
  trayIconKind,
  trayTooltip,
  type TrayState,
} from '../../src-main/electron/tray-state.js';

type MenuItemConstructorOptions = ReturnType<typeof buildTrayMenu>[number];

const running: TrayState = {
  ...INITIAL_TRAY_STATE,
  phase: 'running',
  listen: '127.0.0.1:8081',
  recording: true,
  redaction: 'mask',
  today: { requests: 12, inputTokens: 45_100, outputTokens: 3_200, costUsd: 0.41 },
};

function item(t: MenuItemConstructorOptions[], id: string): MenuItemConstructorOptions {
  for (const i of t) {
    if (i.id === id) return i;
    const sub = Array.isArray(i.submenu) ? (i.submenu as MenuItemConstructorOptions[]) : [];
    const found = sub.find((x) => x.id === id);
    if (found) return found;
  }
  throw new Error(`no menu item ${id}`);
}
const click = (i: MenuItemConstructorOptions): void => (i.click as (() => void) | undefined)?.call(undefined);

describe('tray menu', () => {
  it('shows the listening address and today’s requests, tokens and cost while running', () => {
    const t = buildTrayMenu(running, () => undefined);
    expect(item(t, 'status')).toMatchObject({ label: 'Listening on 127.0.0.1:8081', enabled: false });
    expect(item(t, 'today').label).toBe('Today: 12 requests · 45k in / 3.2k out · $0.41');
    expect(item(t, 'today').visible).toBe(true);
    expect(item(t, 'modes')).toMatchObject({
      label: 'Modes: base URL · forward proxy (HTTPS_PROXY)',
      enabled: false,
      visible: true,
    });
    expect(t.map((i) => i.id ?? i.type)).toEqual([
      'status',
      'today',
      'limits',
      'modes',
      'separator',
      'recording',
      'redaction',
      'separator',
      'open',
      'copy-env',
      'data-folder',
      'separator',
      'start-at-login',
      'separator',
      'quit',
    ]);
  });

  it('says "cost n/a" while no price is known', () => {
    const t = buildTrayMenu({ ...running, today: { ...running.today!, costUsd: null } }, () => undefined);
    expect(item(t, 'today').label).toMatch(/cost n\/a$/);
  });

  it('checks exactly the current redaction mode, in the order Off / Mask / Remove / Tokenize / Partial', () => {
    const t = buildTrayMenu({ ...running, redaction: 'tokenize' }, () => undefined);
    const sub = item(t, 'redaction').submenu as MenuItemConstructorOptions[];
    expect(sub.map((i) => i.label)).toEqual(['Off', 'Mask', 'Remove', 'Tokenize', 'Partial']);
    expect(sub.filter((i) => i.checked).map((i) => i.id)).toEqual(['redaction.tokenize']);
    expect(sub.every((i) => i.type === 'radio')).toBe(true);
  });

  it('dispatches one action per click, toggling from the current state', () => {
    const dispatch = vi.fn<(a: TrayAction) => void>();
    const t = buildTrayMenu({ ...running, recording: true, startAtLogin: false }, dispatch);
    click(item(t, 'recording'));
    click(item(t, 'redaction.partial'));
    click(item(t, 'open'));
    click(item(t, 'copy-env.base'));
    click(item(t, 'copy-env.forward'));
    click(item(t, 'data-folder'));
    click(item(t, 'start-at-login'));
    click(item(t, 'quit'));
    expect(dispatch.mock.calls.map((c) => c[0])).toEqual([
      { type: 'set-recording', on: false },
      { type: 'set-redaction', mode: 'partial' },
      { type: 'open-window' },
      { type: 'copy-shell-setup', mode: 'base' },
      { type: 'copy-shell-setup', mode: 'forward' },
      { type: 'open-data-folder' },
      { type: 'set-start-at-login', on: true },
      { type: 'quit' },
    ]);
    const off = buildTrayMenu({ ...running, recording: false }, dispatch);
    expect(item(off, 'recording').checked).toBe(false);
    click(item(off, 'recording'));
    expect(dispatch).toHaveBeenLastCalledWith({ type: 'set-recording', on: true });
  });

  it('reports a busy port in the status line and disables what needs the core, keeping Quit and the data folder', () => {
    const t = buildTrayMenu(
      { ...INITIAL_TRAY_STATE, phase: 'error', error: '127.0.0.1:8081 is already in use' },
      () => undefined,
    );
    expect(item(t, 'status').label).toBe('Not running: 127.0.0.1:8081 is already in use');
    expect(item(t, 'today').visible).toBe(false);
    expect(item(t, 'modes').visible).toBe(false);
    for (const id of ['recording', 'redaction', 'open', 'copy-env']) expect(item(t, id).enabled).toBe(false);
    for (const id of ['data-folder', 'start-at-login', 'quit']) expect(item(t, id).enabled).not.toBe(false);
  });

  it('says "Starting…" before the core answers', () => {
    expect(
      item(
        buildTrayMenu(INITIAL_TRAY_STATE, () => undefined),
        'status',
      ).label,
    ).toBe('Starting…');
  });

  it('has a signature that ignores click handlers but sees every visible change', () => {
    const a = menuSignature(buildTrayMenu(running, () => undefined));
    expect(menuSignature(buildTrayMenu(running, () => 1 as never))).toBe(a);
    expect(menuSignature(buildTrayMenu({ ...running, recording: false }, () => undefined))).not.toBe(a);
    expect(
      menuSignature(
        buildTrayMenu({ ...running, today: { ...running.today!, requests: 13 } }, () => undefined),
      ),
    ).not.toBe(a);
  });
});

describe('tray icon and tooltip', () => {
  it('picks idle / recording / recording-redacted / error from the state', () => {
    expect(trayIconKind(INITIAL_TRAY_STATE)).toBe('idle');
    expect(trayIconKind({ ...running, recording: false })).toBe('idle');
    expect(trayIconKind({ ...running, redaction: 'off' })).toBe('recording');
    expect(trayIconKind({ ...running, redaction: 'mask' })).toBe('recording-redacted');
    expect(trayIconKind({ ...running, phase: 'error', error: 'x' })).toBe('error');
  });

  it('has a committed PNG per icon kind: colour and macOS template, 1x and 2x', () => {
    for (const kind of TRAY_ICON_KINDS) {
      for (const f of [`${kind}.png`, `${kind}@2x.png`, `${kind}Template.png`, `${kind}Template@2x.png`]) {
        expect(existsSync(`assets/tray/${f}`), f).toBe(true);
      }
    }
  });

  it('puts today’s totals in the tooltip, under Windows’ 127-character limit', () => {
    expect(trayTooltip(running)).toBe(
      'LunaRoute — recording\nToday: 12 requests · 45k in / 3.2k out · $0.41',
    );
    expect(trayTooltip({ ...running, phase: 'error', error: 'x'.repeat(300) }).length).toBeLessThanOrEqual(
      127,
    );
  });

  it('shows the most used plan window as "5 h: 42 % · resets HH:MM" in the menu and the tooltip, once seen', () => {
    expect(
      item(
        buildTrayMenu(running, () => undefined),
        'limits',
      ).visible,
    ).toBe(false);
    const now = Date.now();
    const reset = now + 3 * 3_600_000;
    const w = (utilization: number, reset_at: number | null) => ({
      utilization,
      reset_at,
      seen_at: now - 60_000,
      limit: null,
      remaining: null,
      status: 'allowed',
      binding: false,
    });
    const withLimits: TrayState = {
      ...running,
      limits: {
        anthropic: { '5h': w(0.42, reset), '7d': w(0.12, now + 4 * 86_400_000) },
        codex: { '5h': w(0.9, now - 1) },
      },
    };
    const hm = `${String(new Date(reset).getHours()).padStart(2, '0')}:${String(new Date(reset).getMinutes()).padStart(2, '0')}`;
    const limits = item(
      buildTrayMenu(withLimits, () => undefined),
      'limits',
    );
    // Codex's window already reset, so its 90 % is history and not shown.
    expect(limits).toMatchObject({ visible: true, enabled: false });
    expect(limits.label).toMatch(
      new RegExp(`^Claude 5 h: 42 % · resets ${hm} · 7 d: 12 % · resets \\w{3} \\d\\d:\\d\\d$`),
    );
    expect(trayTooltip(withLimits).split('\n')[2]).toBe(`Claude 5 h: 42 % · resets ${hm}`);
    expect(trayTooltip(withLimits).length).toBeLessThanOrEqual(127);
  });
});
