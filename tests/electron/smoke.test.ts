// End-to-end smoke test of the desktop app in a real Electron (Playwright's _electron): the window opens on
// lunaroute://app, the preload bridge is there (and Node is not), and a request sent through the proxy shows
// up through the bridge. Needs an Electron binary (node_modules/electron/dist, found the way scripts/start.js
// finds it); where there is none — as on the machines that cannot download it — it reports itself skipped
// with the reason.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/config.js';
import { startTestUpstream } from '../support/upstream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function findElectron(): { bin: string } | { reason: string } {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  if (!existsSync(pathTxt))
    return { reason: 'node_modules/electron/path.txt is missing (the binary was never downloaded)' };
  const bin = path.join(pkg, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) ? { bin } : { reason: `${bin} does not exist` };
}

const electron = findElectron();

describe('desktop app in Electron', () => {
  it('opens the window with the bridge, and a proxied request appears', async (ctx) => {
    if (!('bin' in electron)) {
      ctx.skip(`no Electron binary on this machine: ${electron.reason}`);
      return;
    }
    const { _electron } = await import('playwright-core');
    const upstream = await startTestUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-smoke',
          content: [{ type: 'text', text: 'pong' }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 3, output_tokens: 1 },
        }),
      );
    });
    const home = makeTempDir('lunaroute-electron-');
    const config = path.join(home, 'config.yaml');
    writeFileSync(config, 'recording:\n  enabled: true\n');
    const app = await _electron.launch({
      executablePath: electron.bin,
      args: [root],
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => k !== 'ELECTRON_OVERRIDE_DIST_PATH'),
        ),
        HOME: home,
        LUNAROUTE_CONFIG: config,
        LUNAROUTE_DATA_DIR: path.join(home, 'data'),
        LUNAROUTE_PORT: '0',
        LUNAROUTE_UI_PORT: '0',
        LUNAROUTE_ANTHROPIC_UPSTREAM: upstream.url,
      },
    });
    try {
      const win = await app.firstWindow();
      expect(win.url()).toMatch(/^lunaroute:\/\/app\//);
      const shape = await win.evaluate(() => {
        const w = globalThis as unknown as Record<string, unknown>;
        const bridge = w['lunaroute'] as { calls: Record<string, unknown> } | undefined;
        return {
          calls: bridge ? Object.keys(bridge.calls).sort() : null,
          node: typeof w['require'] !== 'undefined' || typeof w['process'] !== 'undefined',
        };
      });
      expect(shape.calls).toContain('sessions.list');
      expect(shape.node).toBe(false);
      const proxyUrl = await win.evaluate(async () => {
        const b = (
          globalThis as unknown as { lunaroute: { calls: Record<string, (a: unknown) => Promise<unknown>> } }
        ).lunaroute;
        return ((await b.calls['settings.get']!({})) as { proxy_url: string }).proxy_url;
      });
      expect(proxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${proxyUrl}/v1/messages`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-api-key': 'test',
          'anthropic-version': '2023-06-01',
        },
        body: JSON.stringify({
          model: 'claude-smoke',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'ping' }],
        }),
      });
      expect(res.status).toBe(200);
      await expect
        .poll(
          () =>
            win.evaluate(async () => {
              const b = (
                globalThis as unknown as {
                  lunaroute: { calls: Record<string, (a: unknown) => Promise<unknown>> };
                }
              ).lunaroute;
              return ((await b.calls['sessions.list']!({})) as { total: number }).total;
            }),
          { timeout: 15_000 },
        )
        .toBeGreaterThanOrEqual(1);
    } finally {
      await app.close();
      await upstream.close();
    }
  });
});
