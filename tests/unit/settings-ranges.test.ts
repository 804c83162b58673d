// The settings that can change live have one definition (src-shared/settings.ts). This proves the three places
// that check them from outside agree on it, setting by setting, at the boundaries: config.yaml (loadConfig), the
// `settings.set` call (the contract) and settings.json (the core's store). Each accepts the same values and
// refuses the same values, with a message naming the key and the unit. Then one test per message they give.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src-main/config/load.js';
import { isLunaRouteError } from '../../src-shared/errors.js';
import { openSettingsStore } from '../../src-main/settings/store.js';
import { parseArgs } from '../../src-shared/contract.js';
import { SETTING_KEYS, SETTINGS, type SettingDef, type SettingKey } from '../../src-shared/settings.js';

const root = mkdtempSync(join(tmpdir(), 'lr-settings-ranges-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => mkdtempSync(join(root, `${n++}-`));

/** `retention.max_age_days`, 5 → { retention: { max_age_days: 5 } } */
function nest(path: string, v: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((inner, k) => ({ [k]: inner }), v) as Record<string, unknown>;
}

/** The error each place gives for `v` (null = accepted). */
function viaConfig(key: SettingKey, v: unknown): string | null {
  const home = freshDir();
  const [section, name] = key.split('.') as [string, string];
  mkdirSync(join(home, '.lunaroute'));
  writeFileSync(join(home, '.lunaroute', 'config.yaml'), `${section}:\n  ${name}: ${JSON.stringify(v)}\n`);
  try {
    loadConfig({ homeDir: home, cwd: home, env: {} });
    return null;
  } catch (err) {
    expect(isLunaRouteError(err, 'CONFIG_INVALID_VALUE')).toBe(true);
    return (err as Error).message;
  }
}
function viaCall(d: SettingDef, v: unknown): string | null {
  try {
    parseArgs('settings.set', nest(d.call, v));
    return null;
  } catch (err) {
    expect(isLunaRouteError(err, 'bad_args')).toBe(true);
    return (err as Error).message;
  }
}
function viaStore(d: SettingDef, v: unknown): string | null {
  try {
    openSettingsStore(freshDir()).set(nest(d.file, v));
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Values on both sides of each boundary. */
function boundaries(d: SettingDef): { ok: unknown[]; bad: unknown[] } {
  switch (d.kind) {
    case 'int':
      return { ok: [d.min, d.max], bad: [d.min - 1, d.max + 1, d.min + 0.5] };
    case 'usd':
      return { ok: [d.min, d.max, 12.5], bad: [d.min - 1, d.max + 1] };
    case 'bool':
      return { ok: [true, false], bad: [42] };
    case 'choice':
      return { ok: [...d.values], bad: ['scramble'] };
  }
}

describe.each(SETTING_KEYS)('%s: config.yaml, settings.set and settings.json agree', (key) => {
  const d = SETTINGS[key];
  const { ok, bad } = boundaries(d);

  it.each(ok)('all three accept %j', (v) => {
    expect([viaConfig(key, v), viaCall(d, v), viaStore(d, v)]).toEqual([null, null, null]);
  });

  it.each(bad)('all three refuse %j, naming the key and the unit', (v) => {
    const [config, call, store] = [viaConfig(key, v), viaCall(d, v), viaStore(d, v)];
    expect(config).toContain(key);
    expect(call).toContain(d.call);
    expect(store).toContain(d.file);
    if (d.kind === 'int' || d.kind === 'usd')
      for (const m of [config, call, store]) expect(m).toContain(`(${d.unit})`);
  });
});

describe('the messages each place gives', () => {
  it.each([
    [
      'retention.max_size_mb',
      10_000_001,
      'retention.max_size_mb must be an integer from 1 to 10000000 (MB), got 10000001',
    ],
    [
      'budgets.daily_usd',
      -1,
      'budgets.daily_usd must be a number from 0 to 1000000000 (USD), or empty for none, got -1',
    ],
    [
      'budgets.weekly_usd',
      2_000_000_000,
      'budgets.weekly_usd must be a number from 0 to 1000000000 (USD), or empty for none, got 2000000000',
    ],
  ] as const)('config.yaml %s: %j', (key, v, message) => {
    expect(viaConfig(key, v)).toContain(message);
  });

  it('config.yaml takes a budget from LUNAROUTE_BUDGET_DAILY_USD and refuses one over the cap', () => {
    const home = freshDir();
    const load = (v: string) =>
      loadConfig({ homeDir: home, cwd: home, env: { LUNAROUTE_BUDGET_DAILY_USD: v } });
    expect(load('2.5').config.budgets.dailyUsd).toBe(2.5);
    expect(() => load('1000000001')).toThrow(
      'budgets.daily_usd must be a number from 0 to 1000000000 (USD), or empty for none, got "1000000001" (environment variable LUNAROUTE_BUDGET_DAILY_USD)',
    );
  });

  it.each([
    [
      { retention: { max_size_mb: 0 } },
      'settings.set: invalid arguments: retention.max_size_mb: expected an integer ≥ 1 ≤ 10000000 (MB), got 0',
    ],
    [
      { retention: { compress_after_days: 36_501 } },
      'retention.compress_after_days: expected an integer ≥ 0 ≤ 36500 (days), got 36501',
    ],
    [
      { budgets: { daily_usd: -2 } },
      'budgets.daily_usd: expected a finite number ≥ 0 ≤ 1000000000 (USD) or null, got -2',
    ],
  ])('settings.set %j', (args, message) => {
    expect(() => parseArgs('settings.set', args)).toThrow(message);
  });

  it.each([
    [
      { retention: { max_age_days: 0 } },
      'retention.max_age_days is out of range: must be an integer from 1 to 36500 (days), got 0',
    ],
    [
      { retention: { compress_after_days: 2.5 } },
      'retention.compress_after_days must be an integer from 0 to 36500 (days), got 2.5',
    ],
    [
      { budget_daily_usd: 1e10 },
      'budget_daily_usd is out of range: must be a number from 0 to 1000000000 (USD), or null for none, got 10000000000',
    ],
    [
      { budget_weekly_usd: '5' },
      'budget_weekly_usd must be a number from 0 to 1000000000 (USD), or null for none, got "5"',
    ],
    [{ recording: 'yes' }, 'recording must be true or false, got "yes"'],
    [
      { redaction_mode: 'scramble' },
      'redaction_mode must be one of mask, remove, tokenize, partial, off, got "scramble"',
    ],
    [{ retention: { days: 3 } }, 'retention.days is not allowed'],
    [{ window_bounds: { width: 10, height: 600 } }, 'window_bounds.width must be >= 200, got 10'],
    [{ window_bounds: { width: 900 } }, 'window_bounds.height is required'],
  ])('settings.json %j', (patch, message) => {
    expect(() => openSettingsStore(freshDir()).set(patch as never)).toThrow(`invalid settings: ${message}`);
  });
});
