// The core's settings store (<dataDir>/settings.json, checked with ajv): what the tray or the UI changed survives a
// restart, is shared with the desktop shell's electron-store (same file, same schema), and is applied over the
// config file when the core starts.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { startCore, type CoreHandle } from '../../src-main/app/core.js';
import { createLogger } from '../../src-main/log.js';
import { SETTINGS_FILE, SETTINGS_SCHEMA } from '../../src-main/settings/schema.js';
import { applyPersistedSettings, openSettingsStore } from '../../src-main/settings/store.js';
import { loadConfig } from '../../src-main/config/load.js';
import { UiState } from '../../src-main/ui-server/handlers.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';

const silent = createLogger('silent');

describe('settings store', () => {
  it('starts empty without creating a file, then persists changes atomically with mode 0600', () => {
    const dir = makeTempDir();
    const a = openSettingsStore(dir);
    expect(a.get()).toEqual({});
    expect(fs.existsSync(path.join(dir, SETTINGS_FILE))).toBe(false);
    a.set({ recording: false, redaction_mode: 'tokenize', start_at_login: undefined });
    expect(fs.statSync(path.join(dir, SETTINGS_FILE)).mode & 0o777).toBe(0o600);
    // Another reader of the same file (the shell's electron-store, or the next start) sees the change.
    expect(openSettingsStore(dir).get()).toEqual({ recording: false, redaction_mode: 'tokenize' });
    a.set({ window_bounds: { width: 900, height: 600 } });
    expect(a.get()).toEqual({
      recording: false,
      redaction_mode: 'tokenize',
      window_bounds: { width: 900, height: 600 },
    });
  });

  it('sees a change written by another instance on the same file (read on every access)', () => {
    const dir = makeTempDir();
    const a = openSettingsStore(dir);
    const b = openSettingsStore(dir);
    b.set({ recording: true });
    expect(a.get()).toEqual({ recording: true });
  });

  it('refuses a value outside the schema', () => {
    const s = openSettingsStore(makeTempDir());
    expect(() => s.set({ redaction_mode: 'scramble' as never })).toThrow(/redaction_mode/);
    expect(() => s.set({ window_bounds: { width: 10, height: 600 } })).toThrow(/width/);
    expect(s.get()).toEqual({});
  });

  it('keeps retention and budgets (null = no budget) and refuses amounts or limits out of range', () => {
    const s = openSettingsStore(makeTempDir());
    expect(() => s.set({ budget_daily_usd: -1 })).toThrow(/budget_daily_usd is out of range/);
    expect(() => s.set({ budget_weekly_usd: '5' as never })).toThrow(/budget_weekly_usd must be a number/);
    expect(() => s.set({ retention: { max_age_days: 0 } })).toThrow(/retention\.max_age_days/);
    expect(() => s.set({ retention: { days: 3 } as never })).toThrow(/retention\.days is not allowed/);
    expect(s.get()).toEqual({});
    s.set({ budget_daily_usd: 12.5, budget_weekly_usd: null, retention: { max_age_days: 9 } });
    expect(s.get()).toEqual({
      budget_daily_usd: 12.5,
      budget_weekly_usd: null,
      retention: { max_age_days: 9 },
    });
  });

  it('has a schema electron-store compiles as the core does: valid JSON schema, strict, and no defaults', () => {
    // electron-store (conf) checks the schema against the meta-schema; the core skips that at start-up.
    const validate = new Ajv({ allErrors: true, useDefaults: true, strict: true }).compile({
      type: 'object',
      properties: SETTINGS_SCHEMA,
    });
    const doc = {};
    expect(validate(doc)).toBe(true);
    expect(doc).toEqual({}); // a default written into the file would override config.yaml
    expect(validate({ retention: { max_size_mb: 10_000_001 } })).toBe(false);
  });

  it('moves an invalid file aside with a warning and carries on with the config file’s values', () => {
    const dir = makeTempDir();
    fs.writeFileSync(path.join(dir, SETTINGS_FILE), '{"recording": "yes"}');
    const warnings: string[] = [];
    const logger = { ...silent, warn: (m: string) => warnings.push(m) };
    const s = openSettingsStore(dir, logger, () => 42);
    expect(s.get()).toEqual({});
    expect(fs.existsSync(path.join(dir, `${SETTINGS_FILE}.invalid-42`))).toBe(true);
    expect(warnings.join('\n')).toMatch(/settings\.json was invalid .*moved it to .*invalid-42/);
  });

  it('applies persisted recording and redaction over the config file, and only the keys that are set', () => {
    const config = makeTestConfig({
      recording: true,
      redaction: { mode: 'mask', detectors: { email: 'off' } },
    });
    const applied = applyPersistedSettings(config, { recording: false, redaction_mode: 'partial' });
    expect(applied.recording.enabled).toBe(false);
    expect(applied.redaction).toEqual({ mode: 'partial', detectors: { email: 'off' } });
    expect(config.recording.enabled).toBe(true); // a new object; the caller's config is untouched
    expect(applyPersistedSettings(config, {})).toEqual(config);
  });

  it('applies persisted retention limits and budgets key by key; null clears a budget from the config file', () => {
    const config = makeTestConfig({ dailyBudgetUsd: 5 });
    const applied = applyPersistedSettings(config, {
      retention: { max_size_mb: 250 },
      budget_daily_usd: null,
      budget_weekly_usd: 40,
      budget_limit_percent: 95,
    });
    expect(applied.retention).toEqual({ ...config.retention, maxSizeMb: 250 });
    expect(applied.budgets).toEqual({ dailyUsd: null, weeklyUsd: 40, limitPercent: 95 });
    expect(config.budgets).toEqual({ dailyUsd: 5, weeklyUsd: null, limitPercent: 0 });
    const pinned = { ...config, explicitKeys: ['budgets.daily_usd', 'retention.max_size_mb'] };
    const kept = applyPersistedSettings(pinned, { retention: { max_size_mb: 250 }, budget_daily_usd: null });
    expect(kept.budgets.dailyUsd).toBe(5);
    expect(kept.retention.maxSizeMb).toBe(config.retention.maxSizeMb);
  });

  it('never overrides a value set by a flag or LUNAROUTE_* variable for this run (loadConfig marks them)', () => {
    const dataDir = makeTempDir();
    const { config } = loadConfig({
      flags: { redaction: 'off' },
      env: { LUNAROUTE_DATA_DIR: dataDir, LUNAROUTE_RECORDING: 'true' },
      homeDir: dataDir,
    });
    expect(config.explicitKeys).toEqual(
      expect.arrayContaining(['redaction.mode', 'recording.enabled', 'data_dir']),
    );
    const applied = applyPersistedSettings(config, { recording: false, redaction_mode: 'partial' });
    expect(applied.redaction.mode).toBe('off');
    expect(applied.recording.enabled).toBe(true);
    const { config: plain } = loadConfig({
      flags: {},
      env: { LUNAROUTE_DATA_DIR: dataDir },
      homeDir: dataDir,
    });
    expect(applyPersistedSettings(plain, { redaction_mode: 'partial' }).redaction.mode).toBe('partial');
  });
});

describe('settings.set persists what it changes', () => {
  const fakeCore = (dir: string) => {
    const posted: unknown[] = [];
    const store = openSettingsStore(dir);
    const core = {
      config: makeTestConfig({ dataDir: dir }),
      recorder: {
        enabled: true,
        dropped: 0,
        lastStats: null,
        query: () => Promise.reject(new Error('no')),
        setRedaction: (m: unknown) => posted.push(m),
      },
      proxyUrl: 'http://127.0.0.1:1',
      uiUrl: () => null,
      settings: store,
    };
    return { core, posted, store };
  };

  it('writes recording and redaction mode to settings.json and still pushes settings_changed', async () => {
    const dir = makeTempDir();
    const { core, posted } = fakeCore(dir);
    const events: unknown[] = [];
    const ui = new UiState(core, (e) => events.push(e));
    const next = await ui.handlers()['settings.set']({ recording: false, redaction_mode: 'remove' });
    expect(next).toMatchObject({ recording: false, redaction_mode: 'remove' });
    expect(openSettingsStore(dir).get()).toEqual({ recording: false, redaction_mode: 'remove' });
    expect(posted).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ type: 'settings_changed' }));
  });

  it('applies a change live even when it cannot be saved, and reports a write_error problem', async () => {
    const dir = makeTempDir();
    const { core } = fakeCore(dir);
    core.settings = {
      ...core.settings,
      set: () => {
        throw new Error('EROFS: read-only file system');
      },
    };
    const events: { type: string; problem?: { kind: string; message: string } }[] = [];
    const ui = new UiState(core, (e) => events.push(e as never));
    await expect(ui.handlers()['settings.set']({ recording: false })).resolves.toMatchObject({
      recording: false,
    });
    expect(events.find((e) => e.type === 'problem')?.problem).toMatchObject({
      kind: 'write_error',
      message: expect.stringMatching(/settings could not be saved: EROFS/),
    });
  });
});

describe('startCore and settings.json', () => {
  let handle: CoreHandle | null = null;
  afterEach(async () => {
    await handle?.stop();
    handle = null;
  });

  it('starts with the persisted choices and writes the next change, so a restart keeps it', async () => {
    const dir = makeTempDir();
    openSettingsStore(dir).set({ recording: false, redaction_mode: 'off' });
    handle = await startCore(makeTestConfig({ dataDir: dir, recording: true }), silent);
    expect(handle.recorder.client.enabled).toBe(false);
    expect(handle.uiState.getSettings()).toMatchObject({ recording: false, redaction_mode: 'off' });
    await handle.uiState.handlers()['settings.set']({ recording: true, redaction_mode: 'mask' });
    expect(handle.settings.get()).toEqual({ recording: true, redaction_mode: 'mask' });
    await handle.stop();
    handle = await startCore(makeTestConfig({ dataDir: dir, recording: false }), silent);
    expect(handle.recorder.client.enabled).toBe(true);
    expect(handle.uiState.getSettings().redaction_mode).toBe('mask');
  });

  it('keeps retention and budgets changed in the Settings view across a restart', async () => {
    const dir = makeTempDir();
    handle = await startCore(makeTestConfig({ dataDir: dir }), silent);
    const set = handle.uiState.handlers()['settings.set'];
    await set({ retention: { max_age_days: 12 } });
    await set({ retention: { compress_after_days: 3 } });
    const next = await set({ budgets: { daily_usd: 2.5, weekly_usd: 10, limit_percent: 70 } });
    expect(next.budgets).toEqual({ daily_usd: 2.5, weekly_usd: 10, limit_percent: 70 });
    expect(handle.config.budgets).toEqual({ dailyUsd: 2.5, weeklyUsd: 10, limitPercent: 70 });
    await set({ budgets: { weekly_usd: null } });
    expect(handle.settings.get()).toMatchObject({
      retention: { max_age_days: 12, compress_after_days: 3 },
      budget_daily_usd: 2.5,
      budget_weekly_usd: null,
      budget_limit_percent: 70,
    });
    await handle.stop();
    handle = await startCore(makeTestConfig({ dataDir: dir }), silent);
    expect(handle.uiState.getSettings()).toMatchObject({
      retention: { max_age_days: 12, compress_after_days: 3 },
      budgets: { daily_usd: 2.5, weekly_usd: null, limit_percent: 70 },
    });
    expect(handle.config.retention).toMatchObject({ maxAgeDays: 12, compressAfterDays: 3 });
  });
});
