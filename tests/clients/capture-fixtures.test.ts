// Regenerates tests/fixtures/clients/: drives the real clients (Claude Code in tmux through a subagent and a
// /compact, Codex exec with a tool call, a resumed turn and an auto-compaction, OpenCode run with a tool call and
// a continued turn) through a real LunaRoute core with recording on, against the fake provider scripted for each
// flow, and copies each recorded session's JSONL plus a manifest (what was set up: project, branch, prompts) into
// the fixtures folder. Skipped unless LUNAROUTE_CAPTURE=1:
//   LUNAROUTE_CAPTURE=1 npx vitest run tests/clients/capture-fixtures.test.ts
// The projects live at fixed paths under the OS temp dir (git repositories on named branches), so the paths in
// the fixtures do not change from one capture to the next; nothing leaves 127.0.0.1 (egress trap).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { format } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CODEX_QUIET_ARGS,
  ensureClientsInstalled,
  makeClientHome,
  resolveClient,
  runClient,
  startEgressTrap,
  writeOpencodeConfig,
  type ClientHome,
  type EgressTrap,
  type RunResult,
} from '../support/clients.js';
import type { FakeScript, RecordedRequest } from '../support/fake-provider/index.js';
import { recordedSession, useRecordingStack } from '../support/recording-stack.js';
import { CLIENT_FIXTURES_DIR, type ClientFixtureManifest } from '../support/client-fixtures.js';

const CAPTURE = process.env.LUNAROUTE_CAPTURE === '1';
const ROOT = path.join(os.tmpdir(), 'lunaroute-capture');
const CLAUDE_KEY = 'sk-ant-lunaroute-test-key-0123456789abcdef';
const TMUX = `lr-capture-${process.pid}`;

/** A git repository at ROOT/src/<name> on `branch`, with one commit. */
function makeProject(name: string, branch: string): string {
  const dir = path.join(ROOT, 'src', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'README.md'), `# ${name}\n\nA small project for LunaRoute's captures.\n`);
  fs.writeFileSync(path.join(dir, 'lib', 'orbit.js'), 'export const period = (r) => 2 * Math.PI * r;\n');
  const git = (...args: string[]): void => {
    execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  };
  git('init', '-q', '-b', branch);
  git('add', '.');
  git(
    '-c',
    'user.name=LunaRoute Capture',
    '-c',
    'user.email=capture@example.invalid',
    'commit',
    '-q',
    '-m',
    'Initial commit',
  );
  return dir;
}

function header(r: RecordedRequest, name: string): string | undefined {
  const v = r.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function expectOk(r: RunResult): void {
  const all = `exit ${String(r.code)} ${String(r.signal)}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(r.code, all).toBe(0);
}

describe.skipIf(!CAPTURE)('capture real-client fixtures (LUNAROUTE_CAPTURE=1)', () => {
  const stack = useRecordingStack();
  let trap: EgressTrap;
  const homes: string[] = [];

  /** A fresh client HOME at a fixed path (ROOT/home/<name>), so paths in the fixtures are the same every time. */
  function home(name: string, cwd: string): ClientHome {
    const h = makeClientHome(trap.url);
    const dir = path.join(ROOT, 'home', name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    fs.renameSync(h.dir, dir);
    homes.push(dir);
    const env = Object.fromEntries(
      Object.entries(h.env).map(([k, v]) => [k, typeof v === 'string' ? v.split(h.dir).join(dir) : v]),
    );
    return { dir, cwd, env };
  }

  beforeAll(async () => {
    await ensureClientsInstalled();
    trap = await startEgressTrap();
    fs.mkdirSync(ROOT, { recursive: true });
  }, 660_000);

  afterAll(async () => {
    await trap?.close();
    for (const d of homes) fs.rmSync(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  /** Copy session `sid`'s JSONL and a manifest into tests/fixtures/clients/<name>/. */
  async function save(name: string, sid: string, manifest: Omit<ClientFixtureManifest, 'session_id'>) {
    const sent = stack.fake.requests.filter((q) => q.method === 'POST' && sessionOf(q) === sid);
    await recordedSession(stack.core, sid, sent.length);
    const files = findFiles(path.join(stack.dataDir, 'sessions'), `${sid}.jsonl`);
    expect(files, `the JSONL of session ${sid}`).toHaveLength(1);
    const text = fs.readFileSync(files[0]!, 'utf8');
    // Only test credentials and loopback addresses may be in a fixture.
    const host = os.hostname();
    if (host.length > 3) expect(text.includes(host), `host name ${host} in the fixture`).toBe(false);
    expect(text).not.toMatch(/sk-(?:ant-)?lunaroute-test-key/);
    const out = path.join(CLIENT_FIXTURES_DIR, name);
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'session.jsonl'), text);
    const full: ClientFixtureManifest = { ...manifest, session_id: sid };
    // Formatted as the repository's `prettier --check` wants it.
    fs.writeFileSync(path.join(out, 'manifest.json'), await format(JSON.stringify(full), { parser: 'json' }));
    // Anything that tried to leave 127.0.0.1 (Claude Code's non-essential calls, allowed here) met the trap.
  }

  it('Claude Code: a turn that starts a subagent (which runs Bash), then /compact, then a turn after it', async () => {
    stack.fake.clear();
    const project = makeProject('moon-base', 'feature/orbit-math');
    const h = home('claude', project);
    fs.writeFileSync(
      path.join(h.dir, '.claude.json'),
      JSON.stringify({
        hasCompletedOnboarding: true,
        theme: 'dark',
        numStartups: 3,
        customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
        projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      }),
    );
    const first = 'Survey the orbit library in this project and tell me what it exports.';
    const subPrompt = 'List the files under lib/ and report which functions orbit.js exports.';
    const after = 'Thanks. Now suggest one unit test for the period function.';
    const script: FakeScript = (rec, v) => {
      if (rec.dialect !== 'anthropic') return undefined;
      const agent = v.tools.find((t) => t === 'Agent' || t === 'Task');
      if (/create a detailed summary of the conversation so far/i.test(v.lastUserText)) {
        return {
          text:
            '<analysis>The user asked for a survey of the orbit library; a subagent listed lib/.</analysis>\n' +
            '<summary>1. Primary Request and Intent: survey the orbit library and say what it exports.\n' +
            '2. Key Technical Concepts: lib/orbit.js exports period(r) = 2πr.\n' +
            '3. Files and Code Sections: lib/orbit.js, README.md.\n' +
            '4. Pending Tasks: none.\n5. Current Work: the survey is complete.</summary>',
          usage: { output: 180 },
        };
      }
      // 2.1.332's subagents declare the Agent tool too; their system prompt says which they are.
      const sub = rec.body.includes('cc_is_subagent=true');
      if (!sub && agent && v.toolResult === undefined && v.lastUserText.includes(first)) {
        return {
          text: 'I will ask a subagent to survey the library.',
          tool: {
            name: agent,
            input: {
              description: 'Survey orbit library',
              prompt: subPrompt,
              subagent_type: 'general-purpose',
            },
          },
        };
      }
      if (!sub && agent && v.toolResult !== undefined)
        return { text: 'The orbit library exports one function, period(r), which returns 2πr.' };
      if (sub && v.toolResult === undefined && v.lastUserText.includes(subPrompt))
        return {
          text: 'Listing lib/.',
          tool: { name: 'Bash', input: { command: 'ls lib', description: 'List the library files' } },
        };
      if (sub && v.toolResult !== undefined) return { text: 'lib/ holds orbit.js, which exports period(r).' };
      return undefined;
    };
    stack.fake.setScript(script);
    const env = {
      ...h.env,
      ANTHROPIC_BASE_URL: stack.core.proxyUrl,
      ANTHROPIC_API_KEY: CLAUDE_KEY,
      TERM: 'xterm-256color',
    };
    // Non-essential traffic allowed: the session-title call is part of what a real session sends.
    delete (env as Record<string, unknown>)['CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC'];
    delete (env as Record<string, unknown>)['CI'];
    const envArgs = Object.entries(env).flatMap(([k, val]) =>
      typeof val === 'string' && val !== '' ? [`${k}=${val}`] : [],
    );
    const { command, version } = resolveClient('claude');
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      TMUX,
      '-x',
      '160',
      '-y',
      '50',
      '-c',
      project,
      'env',
      '-i',
      ...envArgs,
      command,
      // Auto mode (2.1.332's default) needs a server-side check the fake cannot give: use the classic mode.
      '--permission-mode',
      'default',
      '--allowedTools',
      'Bash,Agent,Task',
    ]);
    const pane = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', TMUX]).toString();
    const until = async (what: string, ok: () => boolean, ms = 90_000): Promise<void> => {
      const deadline = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${pane()}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    // Typed text arrives as a paste; an Enter sent in the same instant can be swallowed, so send it once the
    // text shows in the input box, and again while it is still there.
    const inputLine = (): string =>
      pane()
        .split('\n')
        .findLast((l) => l.startsWith('❯')) ?? '';
    const type = async (text: string): Promise<void> => {
      execFileSync('tmux', ['send-keys', '-t', TMUX, '-l', text]);
      await until('the typed text', () => inputLine().includes(text.slice(0, 40)), 10_000);
      for (let i = 0; i < 10 && inputLine().includes(text.slice(0, 40)); i++) {
        execFileSync('tmux', ['send-keys', '-t', TMUX, 'Enter']);
        await new Promise((r) => setTimeout(r, 700));
      }
    };
    const bodies = (): string[] =>
      stack.fake.requests.filter((q) => q.path === '/v1/messages').map((q) => q.body.toString());
    try {
      await until('the prompt', () => pane().includes('❯'));
      await type(first);
      await until('the main answer after the subagent', () => pane().includes('which returns 2πr'));
      // 2.1.332 runs the agent in the background; the main thread answers again when it is notified.
      await until('the subagent finished', () => / finished/.test(pane()));
      await until('the answer to its notification', () =>
        (pane().split(' finished')[1] ?? '').includes('Hello from the fake provider'),
      );
      await type('/compact');
      await until('the compaction request', () =>
        bodies().some((b) => b.includes('create a detailed summary of the conversation')),
      );
      await until('compaction done', () => /Compacted|compacted/.test(pane()));
      await type(after);
      await until('the turn after the compaction', () =>
        bodies().some((b) => b.includes('continued from a previous conversation') && b.includes(after)),
      );
      await until(
        'its answer',
        () => pane().split(after)[1]?.includes('Hello from the fake provider') ?? false,
      );
    } finally {
      await killTmux(TMUX);
    }
    const msgs = stack.fake.requests.filter((q) => q.method === 'POST');
    const sid = header(msgs[0]!, 'x-claude-code-session-id')!;
    await save('claude-code-subagent-compact', sid, {
      client: 'claude_code',
      client_version: version,
      scenario:
        'interactive (tmux): a turn whose answer starts a subagent (Agent tool) that runs Bash, then /compact, then a turn after the compaction; the title call and count_tokens as Claude Code sends them',
      project,
      branch: 'feature/orbit-math',
      prompts: [first, '/compact', after],
      title: first,
      subagent_prompt: subPrompt,
    });
  }, 300_000);

  it('Codex: exec with a tool call, a resumed turn, and an auto-compaction', async () => {
    stack.fake.clear();
    const project = makeProject('tide-tables', 'main');
    const h = home('codex', project);
    const first = 'Find out which files this repository has and summarise them.';
    const second = 'Now describe what lib/orbit.js computes.';
    let seen = 0;
    const script: FakeScript = (rec, v) => {
      if (rec.dialect !== 'openai-responses') return undefined;
      seen++;
      if (/CONTEXT CHECKPOINT COMPACTION|summar/i.test(v.lastUserText) && !v.lastUserText.includes(first))
        return { text: 'Summary: the repository holds README.md and lib/orbit.js (period(r) = 2πr).' };
      if (v.toolResult !== undefined) return { text: 'The repository has README.md and lib/orbit.js.' };
      if (v.lastUserText.includes(first)) {
        const shell = v.tools.find((t) => /^(shell|shell_command|exec_command)$/.test(t));
        if (shell === 'exec_command')
          return { text: 'Listing.', tool: { name: shell, input: { cmd: 'ls -R' } } };
        if (shell)
          return { text: 'Listing.', tool: { name: shell, input: { command: ['bash', '-lc', 'ls -R'] } } };
        if (v.tools.includes('exec'))
          return { text: 'Listing.', tool: { name: 'exec', input: 'text("README.md lib/orbit.js");\n' } };
      }
      // Large usage on the resumed turn, so the next request crosses the auto-compaction limit.
      if (v.lastUserText.includes(second))
        return { text: 'lib/orbit.js computes the period 2πr.', usage: { input: 9000, cacheRead: 0 } };
      return undefined;
    };
    stack.fake.setScript(script);
    const env = { OPENAI_API_KEY: 'sk-lunaroute-test-key' };
    const common = [
      '--skip-git-repo-check',
      // A custom provider, WebSocket transport on: Codex compacts remotely (an opaque `compaction` item) for the
      // built-in OpenAI provider, and with its own summary prompt for any other.
      '-c',
      'model_provider=lr',
      '-c',
      `model_providers.lr={name="lr",base_url="${stack.core.proxyUrl}/v1",env_key="OPENAI_API_KEY",wire_api="responses",supports_websockets=true}`,
      '-c',
      'model_auto_compact_token_limit=5000',
      ...CODEX_QUIET_ARGS,
    ];
    const r1 = await runClient('codex', ['exec', ...common, first], h, env);
    expectOk(r1);
    const sid = /session id: ([0-9a-f-]{36})/.exec(r1.stderr + r1.stdout)?.[1] ?? '';
    expect(sid).not.toBe('');
    const r2 = await runClient('codex', ['exec', 'resume', ...common, sid, second], h, env);
    expectOk(r2);
    const r3 = await runClient('codex', ['exec', 'resume', ...common, sid, 'Anything else to note?'], h, env);
    expectOk(r3);
    expect(seen).toBeGreaterThan(2);
    await save('codex-tool-resume-compact', sid, {
      client: 'codex',
      client_version: resolveClient('codex').version,
      scenario:
        'codex exec with a custom provider on the WebSocket transport: a turn with a shell tool call, two resumed turns (codex exec resume), model_auto_compact_token_limit=5000 with a large reported usage to reach auto-compaction',
      project,
      branch: 'main',
      prompts: [first, second, 'Anything else to note?'],
      title: first,
    });
  }, 300_000);

  it('OpenCode: run with a bash tool call, then a continued turn', async () => {
    stack.fake.clear();
    const project = makeProject('star-chart', 'fix/label-overlap');
    const h = home('opencode', project);
    writeOpencodeConfig(h, `${stack.core.proxyUrl}/v1`, 'sk-ant-lunaroute-test-key');
    const first = 'Check which files the lib folder contains.';
    const second = 'Summarise the README in one line.';
    const script: FakeScript = (rec, v) => {
      if (rec.dialect !== 'anthropic') return undefined;
      if (v.toolResult !== undefined) return { text: 'The lib folder contains orbit.js.' };
      if (v.tools.includes('bash') && v.lastUserText.includes(first))
        return {
          text: 'Listing lib.',
          tool: { name: 'bash', input: { command: 'ls lib', description: 'List lib' } },
        };
      return undefined;
    };
    stack.fake.setScript(script);
    const model = ['--model', 'anthropic/claude-sonnet-4-5'];
    const r1 = await runClient('opencode', ['run', ...model, first], h);
    expectOk(r1);
    const r2 = await runClient('opencode', ['run', '--continue', ...model, second], h);
    expectOk(r2);
    const sids = new Set(
      stack.fake.requests.filter((q) => q.method === 'POST').map((q) => header(q, 'x-session-id')),
    );
    expect(sids.size, [...sids].join(', ')).toBe(1);
    await save('opencode-tool-continue', [...sids][0]!, {
      client: 'opencode',
      client_version: resolveClient('opencode').version,
      scenario: 'opencode run with a bash tool call, then opencode run --continue with a second prompt',
      project,
      branch: 'fix/label-overlap',
      prompts: [first, second],
      title: first,
    });
  }, 300_000);
});

/** Kill tmux session `name` and wait for its pane's process to exit (it writes its state while it goes). */
async function killTmux(name: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(
      execFileSync('tmux', ['display-message', '-p', '-t', name, '#{pane_pid}'], { encoding: 'utf8' }).trim(),
    );
    execFileSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' });
  } catch {
    return;
  }
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; pid > 0 && alive() && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
}

function sessionOf(q: RecordedRequest): string | undefined {
  for (const name of ['x-claude-code-session-id', 'session-id', 'x-session-id']) {
    const v = q.headers[name];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, name));
    else if (e.name === name) out.push(p);
  }
  return out;
}
