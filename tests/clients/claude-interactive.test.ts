// Interactive Claude Code (not `-p`) through the proxy, driven in tmux: a real session makes the background calls
// `-p` never makes — the session-title request, and token counting (`/context`) — and the recorder must classify
// them as `title` and `count_tokens` (free), and the turn as `main`. Onboarding, the API-key prompt and the folder trust dialog are pre-answered in the throw-away HOME.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  startEgressTrap,
  type EgressTrap,
} from '../support/clients.js';
import { FAKE_ANSWER } from '../support/fake-provider/index.js';
import { useRecordingStack } from '../support/recording-stack.js';

const KEY = 'sk-ant-lunaroute-test-key-0123456789abcdef';
const SESSION = `lr-claude-${process.pid}`;
const tmuxMissing = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'tmux is not installed (.ci/run installs it)';
  }
})();

describe.skipIf(tmuxMissing !== null)('interactive Claude Code through the proxy (tmux)', () => {
  const stack = useRecordingStack();
  let trap: EgressTrap;
  let home: ReturnType<typeof makeClientHome>;

  beforeAll(async () => {
    await ensureClientsInstalled();
    trap = await startEgressTrap();
    home = makeClientHome(trap.url);
    fs.writeFileSync(
      path.join(home.dir, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        numStartups: 3,
        customApiKeyResponses: { approved: [KEY.slice(-20)], rejected: [] },
        projects: { [home.cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    );
  }, 660_000);

  afterAll(async () => {
    // Claude Code writes its state while it exits (after tmux's SIGHUP): wait for the pane's process to be gone
    // before removing its home, or the removal races those writes (ENOTEMPTY).
    let panePid = 0;
    try {
      panePid = Number(
        execFileSync('tmux', ['display-message', '-p', '-t', SESSION, '#{pane_pid}'], {
          encoding: 'utf8',
        }).trim(),
      );
      execFileSync('tmux', ['kill-session', '-t', SESSION], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; panePid > 0 && alive(panePid) && i < 100; i++)
      await new Promise((r) => setTimeout(r, 50));
    await trap?.close();
    if (home) fs.rmSync(home.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it('records the title call as `title`, token counting as free `count_tokens`, the turn as `main`, in one session', async () => {
    // Non-essential traffic allowed (that is where the title call lives); anything leaving loopback hits the trap.
    const env = {
      ...home.env,
      ANTHROPIC_BASE_URL: stack.core.proxyUrl,
      ANTHROPIC_API_KEY: KEY,
      TERM: 'xterm-256color',
    };
    delete (env as Record<string, unknown>)['CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC'];
    delete (env as Record<string, unknown>)['CI'];
    const envArgs = Object.entries(env).flatMap(([k, v]) =>
      typeof v === 'string' && v !== '' ? [`${k}=${v}`] : [],
    );
    const { command } = resolveClient('claude');
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '160',
      '-y',
      '40',
      '-c',
      home.cwd,
      'env',
      '-i',
      ...envArgs,
      command,
    ]);
    const pane = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', SESSION]).toString();
    const until = async (what: string, ok: () => boolean, ms = 60_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${pane()}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await until('the prompt', () => pane().includes('❯'));
    execFileSync('tmux', ['send-keys', '-t', SESSION, 'Say hello please', 'Enter']);
    await until('the answer on screen', () => pane().includes(FAKE_ANSWER));
    await until(
      'two model requests',
      () => stack.fake.requests.filter((q) => q.path === '/v1/messages').length >= 2,
    );
    await stack.core.recorder.client.flush();

    const list = await stack.core.recorder.client.query<{ sessions: { id: string; client: string }[] }>(
      'sessions.list',
      {},
    );
    const mine = list.sessions.filter((s) => s.client === 'claude_code');
    expect(mine).toHaveLength(1);
    const detail = await stack.core.recorder.client.query<{
      requests: { class: string; endpoint: string }[];
    }>('sessions.get', { id: mine[0]!.id });
    const classes = detail.requests
      .filter((r) => r.endpoint === 'messages')
      .map((r) => r.class)
      .sort();
    expect(classes).toEqual(['main', 'title']);
  }, 180_000);
});
