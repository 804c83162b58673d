// A port already in use is reported in the tray (error icon, status line) and by a notification; the app
// does not crash and keeps Quit and Open Data Folder. Stand-in electron, real core, a real busy socket.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import type * as StandIn from '../electron/stand-in.js';
import { makeTempDir } from '../support/config.js';

vi.mock('electron', async () => {
  const m = await import('../electron/stand-in.js');
  return { ...m.electron, default: m.electron };
});

const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

it('shows a busy port in the tray and a notification instead of crashing', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  const dir = makeTempDir();
  Object.assign(process.env, {
    HOME: dir,
    LUNAROUTE_DATA_DIR: path.join(dir, 'data'),
    LUNAROUTE_CONFIG: path.join(dir, 'config.yaml'),
    LUNAROUTE_PORT: String(port),
    LUNAROUTE_UI_PORT: '0',
    LUNAROUTE_LOG_LEVEL: 'silent',
  });
  fs.writeFileSync(path.join(dir, 'config.yaml'), '# empty\n');
  const s = (await import('../electron/stand-in.js')) as typeof StandIn;
  await import('../../src-main/electron/main.js');
  await vi.waitFor(() => expect(s.FakeTray.instances.length).toBe(1));
  const tray = s.FakeTray.instances[0]!;
  await vi.waitFor(
    () => expect(tray.item('status').label).toMatch(/^Not running: 127\.0\.0\.1:\d+ is already in use/),
    {
      timeout: 5000,
    },
  );
  expect(tray.image.path).toMatch(/error\.png$/);
  expect(tray.item('recording').enabled).toBe(false);
  expect(tray.item('quit').enabled).not.toBe(false);
  expect(s.notifications).toEqual([
    { title: 'LunaRoute: Port busy', body: expect.stringContaining(`:${port} is already in use`) },
  ]);
  expect(s.FakeBrowserWindow.instances).toEqual([]);
  tray.item('quit').click!();
  await expect(s.app.exited).resolves.toBe(0);
  blocker.close();
});
