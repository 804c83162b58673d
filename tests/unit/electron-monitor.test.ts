// Electron-free parts of the shell: counters → notifications and today's totals, config.yaml hot reload
// (real chokidar on a temp dir: a valid edit is applied, an invalid one is reported and the old config kept),
// the restart-needed diff, and the Linux autostart entry.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  isLinuxAutostartOn,
  linuxAutostartEntry,
  setLinuxAutostart,
} from '../../src-main/electron/autostart.js';
import { restartNeeded, watchConfigFile } from '../../src-main/config/watch.js';
import {
  noticesBetween,
  queryToday,
  startMonitor,
  startOfLocalDay,
  storageProblemAfter,
  type CoreCounters,
} from '../../src-main/electron/monitor.js';
import { INITIAL_TRAY_STATE, trayIconKind, trayTooltip } from '../../src-main/electron/tray-state.js';
import { loadConfig } from '../../src-main/config/load.js';
import { makeTempDir, makeTestConfig } from '../support/config.js';

const zero: CoreCounters = {
  requests: 0,
  linesWritten: 0,
  upstreamErrors: 0,
  writeErrors: 0,
  indexErrors: 0,
  linesDropped: 0,
  dropped: 0,
  redactionFailures: 0,
};

describe('monitor', () => {
  it('puts the tray in its storage error state when writes fail, and clears it once lines are written again', () => {
    const failed = { ...zero, writeErrors: 1, linesDropped: 3 };
    const problem = storageProblemAfter(null, zero, failed);
    expect(problem).toMatch(/full or not writable/);
    // Still failing, nothing written: the problem stays.
    expect(storageProblemAfter(problem, failed, failed)).toBe(problem);
    // Lines written again with no new failure: cleared.
    expect(storageProblemAfter(problem, failed, { ...failed, linesWritten: 5 })).toBeNull();
    // Written and failed in the same poll: still a problem.
    expect(storageProblemAfter(null, failed, { ...failed, linesWritten: 5, linesDropped: 4 })).toMatch(
      /full/,
    );
    const running = { ...INITIAL_TRAY_STATE, phase: 'running' as const, listen: '127.0.0.1:8081' };
    expect(trayIconKind({ ...running, storageProblem: problem })).toBe('error');
    expect(trayTooltip({ ...running, storageProblem: problem })).toMatch(
      /Not recording: the data folder is full/,
    );
    expect(trayIconKind({ ...running, storageProblem: null })).not.toBe('error');
  });

  it('turns counter increases into one notice per kind, and nothing when they stay', () => {
    expect(noticesBetween(zero, zero)).toEqual([]);
    const n = noticesBetween(zero, {
      ...zero,
      upstreamErrors: 2,
      writeErrors: 1,
      indexErrors: 1,
      dropped: 3,
    });
    expect(n.map((x) => x.kind)).toEqual(['upstream_unreachable', 'storage_error', 'dropped']);
    expect(n[0]!.body).toMatch(/^2 request\(s\) could not reach the provider/);
    expect(n[1]!.body).toMatch(/^2 write\(s\)/);
  });

  it('asks the index for today only after activity (and once more to let the index catch up)', async () => {
    let counters = zero;
    const today = vi.fn(async () => ({ requests: 1, inputTokens: 2, outputTokens: 3, costUsd: null }));
    const m = startMonitor({
      read: async () => counters,
      today,
      onToday: () => undefined,
      onNotice: () => undefined,
      intervalMs: 1e9,
      now: () => new Date(2026, 10, 27, 12).getTime(),
    });
    await m.tick(); // first: always
    await m.tick(); // settle after the first
    await m.tick();
    await m.tick();
    expect(today).toHaveBeenCalledTimes(2);
    counters = { ...zero, requests: 5 };
    await m.tick();
    await m.tick();
    await m.tick();
    expect(today).toHaveBeenCalledTimes(4);
    m.stop();
  });

  it('queries the stats from local midnight, with the priced cost (null when nothing is priced)', async () => {
    const query = vi.fn(
      async () =>
        ({ requests: 4, input_tokens: 10, output_tokens: 20, cost_usd: 0.42, unpriced: 1 }) as never,
    );
    const noon = new Date(2026, 10, 27, 12, 30).getTime();
    await expect(queryToday(query, noon)).resolves.toEqual({
      requests: 4,
      inputTokens: 10,
      outputTokens: 20,
      costUsd: 0.42,
    });
    const none = vi.fn(
      async () => ({ requests: 1, input_tokens: 1, output_tokens: 1, cost_usd: null, unpriced: 1 }) as never,
    );
    expect((await queryToday(none, noon)).costUsd).toBeNull();
    expect(query).toHaveBeenCalledWith('stats', { since: new Date(2026, 10, 27).getTime() });
    expect(startOfLocalDay(noon)).toBe(new Date(2026, 10, 27).getTime());
  });
});

describe('config.yaml hot reload', () => {
  it('applies a valid edit and reports an invalid one (the running config stays)', async () => {
    const dir = makeTempDir();
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'redaction:\n  mode: mask\n');
    const load = () =>
      loadConfig({ env: { LUNAROUTE_CONFIG: file, LUNAROUTE_DATA_DIR: dir }, homeDir: dir }).config;
    const changes: string[] = [];
    const invalid: string[] = [];
    const w = watchConfigFile({
      file,
      load,
      onChange: (c) => changes.push(c.redaction.mode ?? ''),
      onInvalid: (m) => invalid.push(m),
      debounceMs: 20,
    });
    await w.ready;
    fs.writeFileSync(file, 'redaction:\n  mode: partial\n');
    await vi.waitFor(() => expect(changes).toEqual(['partial']));
    // An atomic replace (tmp + rename), as editors do, with an invalid value.
    fs.writeFileSync(`${file}.tmp`, 'redaction:\n  mode: scramble\n');
    fs.renameSync(`${file}.tmp`, file);
    await vi.waitFor(() => expect(invalid.join('\n')).toMatch(/redaction\.mode/));
    expect(changes).toEqual(['partial']);
    await w.close();
  });

  it('names the keys that need a restart', () => {
    const a = makeTestConfig({ dataDir: '/d' });
    expect(restartNeeded(a, { ...a, redaction: { mode: 'off' } })).toEqual([]);
    expect(
      restartNeeded(a, { ...a, port: 9000, upstreams: { ...a.upstreams, chatgpt: { url: 'x' } } }),
    ).toEqual(['port', 'upstreams']);
  });
});

describe('Linux autostart', () => {
  it('writes and removes an XDG autostart entry, quoting the path', () => {
    const home = makeTempDir();
    expect(isLinuxAutostartOn(home)).toBe(false);
    setLinuxAutostart(true, { configHome: home, exec: '/opt/Luna Route/lunaroute' });
    expect(isLinuxAutostartOn(home)).toBe(true);
    const text = fs.readFileSync(path.join(home, 'autostart', 'lunaroute.desktop'), 'utf8');
    expect(text).toContain('Exec="/opt/Luna Route/lunaroute" --hidden\n');
    expect(linuxAutostartEntry('/usr/bin/lunaroute')).toMatch(/^\[Desktop Entry\]\nType=Application\n/);
    setLinuxAutostart(false, { configHome: home, exec: 'x' });
    expect(isLinuxAutostartOn(home)).toBe(false);
  });
});
