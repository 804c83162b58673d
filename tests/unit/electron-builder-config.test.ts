// electron-builder.yml is validated by electron-builder's own validator (the real packager cannot run here: it
// downloads Electron). A typo in a key or a wrong type fails this test with electron-builder's message.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);

describe('electron-builder.yml', () => {
  it('passes electron-builder validation', async () => {
    const cfg = parse(fs.readFileSync('electron-builder.yml', 'utf8')) as Record<string, unknown>;
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(c: unknown, log: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(cfg, new DebugLogger(false))).resolves.toBeUndefined();
    expect(cfg['appId']).toBe('dev.lunaroute.desktop');
  });

  it('rejects an invalid configuration (the validator really runs)', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(c: unknown, log: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(
      validateConfiguration({ appId: 'x', asar: 'yes please' }, new DebugLogger(false)),
    ).rejects.toThrow(/asar/);
  });
});
