// Session titles, projects and branches derived from what the real clients sent (tests/fixtures/clients/,
// captured from Claude Code, Codex and OpenCode): each fixture is put into a data dir and indexed from its JSONL
// alone (as a reindex of an old recording does), and the session row must carry the prompt the capture typed
// first, the directory it ran in and the branch it was on — as the index, `lunaroute sessions list|show --json`
// and the title rules for wrapped prompts see them.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { computeAnalytics } from '../../src-main/analytics/analytics.js';
import { envFacts, sessionTitle } from '../../src-main/analytics/session-facts.js';
import { computeStats } from '../../src-main/analytics/stats.js';
import { openIndex } from '../../src-main/index/db.js';
import { getSession, listSessions, type SessionRow } from '../../src-main/index/queries.js';
import { reconcile } from '../../src-main/index/reindex.js';
import {
  CLIENT_FIXTURES,
  installClientFixture,
  loadClientFixture,
  type ClientFixtureName,
} from '../support/client-fixtures.js';
import { makeTempDir } from '../support/config.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/lunaroute.js');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A data dir holding the given fixtures, indexed from the JSONL alone; its session rows by id. */
async function indexed(
  names: readonly ClientFixtureName[],
): Promise<{ dir: string; rows: SessionRow[]; db: Awaited<ReturnType<typeof openIndex>>['db'] }> {
  const dir = makeTempDir('lr-facts-');
  dirs.push(dir);
  for (const n of names) installClientFixture(dir, n);
  const { db } = await openIndex(null);
  const sessionsDir = path.join(dir, 'sessions');
  await reconcile(db, sessionsDir, { markCrashed: false });
  const rows = listSessions({ index: db, sessionsDir }, { limit: 100 }).sessions;
  return { dir, rows, db };
}

/** What the capture set up for each fixture, and the branch the client states (only Claude Code states one). */
const EXPECTED_BRANCH: Record<ClientFixtureName, 'manifest' | null> = {
  'claude-code-subagent-compact': 'manifest',
  'codex-tool-resume-compact': null,
  'opencode-tool-continue': null,
};

describe('titles, projects and branches of captured real-client sessions', () => {
  for (const name of CLIENT_FIXTURES) {
    it(`${name}: the title is the first prompt typed, the project the directory it ran in`, async () => {
      const fx = loadClientFixture(name);
      const { rows } = await indexed([name]);
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row.id).toBe(fx.manifest.session_id);
      expect(row.title).toBe(fx.manifest.title);
      expect(row.project).toBe(fx.manifest.project);
      expect(row.branch).toBe(EXPECTED_BRANCH[name] === 'manifest' ? fx.manifest.branch : null);
    });
  }

  it('Claude Code: neither the title call, the subagent, /compact nor the turn after it becomes the title', async () => {
    const fx = loadClientFixture('claude-code-subagent-compact');
    // The capture did send all of them, in this session, before or after the first prompt.
    const prompts = fx.requests.map((r) => r.prompt ?? '');
    expect(prompts[0]).toMatch(/^<session>/);
    expect(prompts).toContain(fx.manifest.subagent_prompt);
    expect(prompts.some((p) => p.includes('<command-name>/compact</command-name>'))).toBe(true);
    const { rows } = await indexed(['claude-code-subagent-compact']);
    expect(rows[0]!.title).toBe(fx.manifest.prompts[0]);
  });

  it('a title is skipped when it is only a slash command, a reminder or a compaction summary', () => {
    const compact = loadClientFixture('claude-code-subagent-compact').requests.find((r) =>
      r.prompt?.includes('<command-name>/compact'),
    )!.prompt;
    expect(sessionTitle(compact, 'claude_code')).toBeNull();
    expect(sessionTitle('<system-reminder>\nnote\n</system-reminder>', 'claude_code')).toBeNull();
    expect(
      sessionTitle(
        'This session is being continued from a previous conversation that ran out',
        'claude_code',
      ),
    ).toBeNull();
    expect(sessionTitle('<system-reminder>x</system-reminder>\nFix the  build\n', 'claude_code')).toBe(
      'Fix the build',
    );
    expect(sessionTitle('"Check the lib folder."', 'opencode')).toBe('Check the lib folder.');
    expect(sessionTitle('"quoted on purpose"', 'claude_code')).toBe('"quoted on purpose"');
    expect(sessionTitle('x'.repeat(500), 'codex')).toHaveLength(200);
  });

  it("the environment lines of each client's own wording give the project and branch", () => {
    // Claude Code 2.1 (the `# Environment` list and the gitStatus reminder), older Claude Code, Codex, OpenCode.
    expect(
      envFacts(
        ' - Primary working directory: /w/moon-base\n - Is a git repository: true\nCurrent branch: dev\n',
      ),
    ).toEqual({ project: '/w/moon-base', branch: 'dev' });
    expect(envFacts('<env>\nWorking directory: /w/old\nIs directory a git repo: Yes\n</env>')).toEqual({
      project: '/w/old',
      branch: null,
    });
    expect(envFacts('<environment_context>\n  <cwd>/w/tide</cwd>\n</environment_context>')).toEqual({
      project: '/w/tide',
      branch: null,
    });
    expect(envFacts('no environment here')).toEqual({ project: null, branch: null });
  });

  it('`lunaroute sessions list --json` and `show --json` carry title, project and branch', async () => {
    const { dir } = await indexed(CLIENT_FIXTURES);
    const env = { ...process.env, HOME: dir };
    const list = JSON.parse(
      (await run('node', [BIN, 'sessions', 'list', '--json', '--data-dir', dir], { env })).stdout,
    ) as { sessions: SessionRow[] };
    expect(list.sessions).toHaveLength(CLIENT_FIXTURES.length);
    for (const name of CLIENT_FIXTURES) {
      const m = loadClientFixture(name).manifest;
      const row = list.sessions.find((x) => x.id === m.session_id);
      expect(row).toMatchObject({ title: m.title, project: m.project });
    }
    const claude = loadClientFixture('claude-code-subagent-compact').manifest;
    const show = JSON.parse(
      (await run('node', [BIN, 'sessions', 'show', claude.session_id, '--json', '--data-dir', dir], { env }))
        .stdout,
    ) as { session: SessionRow };
    expect(show.session).toMatchObject({
      title: claude.title,
      project: claude.project,
      branch: claude.branch,
    });
    const table = (await run('node', [BIN, 'sessions', 'list', '--data-dir', dir], { env })).stdout;
    expect(table).toContain('moon-base@feature/orbit-math');
    expect(table).toContain('tide-tables');
  }, 90_000);

  it('getSession returns the same fields for one session', async () => {
    const { dir } = await indexed(['opencode-tool-continue']);
    const { db } = await openIndex(null);
    const sessionsDir = path.join(dir, 'sessions');
    await reconcile(db, sessionsDir, { markCrashed: false });
    const m = loadClientFixture('opencode-tool-continue').manifest;
    const d = getSession({ index: db, sessionsDir }, { id: m.session_id });
    expect(d?.session).toMatchObject({ title: m.title, project: m.project, branch: null });
  });

  it('stats and analytics by project and branch sum each captured session into its own project', async () => {
    const { db } = await indexed(CLIENT_FIXTURES);
    const byProject = computeStats(db, { by: 'project' });
    const keys = byProject.groups.map((g) => g.key).sort();
    expect(keys).toEqual(CLIENT_FIXTURES.map((n) => loadClientFixture(n).manifest.project).sort());
    // Every request of a session counts for its project: the groups add up to the totals.
    expect(byProject.groups.reduce((n, g) => n + g.requests, 0)).toBe(byProject.totals.requests);
    for (const name of CLIENT_FIXTURES) {
      const fx = loadClientFixture(name);
      const g = byProject.groups.find((x) => x.key === fx.manifest.project)!;
      expect(g.requests).toBe(fx.requests.length);
      expect(g.project).toBe(fx.manifest.project);
    }
    const byBranch = computeStats(db, { by: 'branch' });
    expect(byBranch.groups.map((g) => [g.project, g.branch]).sort()).toEqual(
      [
        [loadClientFixture('claude-code-subagent-compact').manifest.project, 'feature/orbit-math'],
        [loadClientFixture('codex-tool-resume-compact').manifest.project, null],
        [loadClientFixture('opencode-tool-continue').manifest.project, null],
      ].sort(),
    );
    const a = computeAnalytics(db, { bucket: 'day' });
    expect(a.by_project.map((g) => g.key).sort()).toEqual(keys);
    expect(a.split_by_branch.keys.sort()).toEqual([
      'moon-base@feature/orbit-math',
      'star-chart',
      'tide-tables',
    ]);
    // Every token is in some bucket of the split, Codex's WebSocket turns (fractional arrival times) included.
    const split = a.split_by_project.points.reduce((n, p) => n + p.tokens.reduce((x, y) => x + y, 0), 0);
    const all =
      a.totals.input_tokens +
      a.totals.output_tokens +
      a.totals.cache_read_tokens +
      a.totals.cache_write_tokens;
    expect(split).toBe(all);
    expect(a.series.reduce((n, p) => n + p.requests, 0)).toBe(a.totals.requests);
  });

  it('`lunaroute stats --by project` and `--by branch` print the projects and branches', async () => {
    const { dir } = await indexed(CLIENT_FIXTURES);
    const env = { ...process.env, HOME: dir };
    const since = ['--since', '2000-01-01'];
    const table = (await run('node', [BIN, 'stats', '--by', 'branch', ...since, '--data-dir', dir], { env }))
      .stdout;
    expect(table).toContain('BRANCH (PROJECT)');
    expect(table).toContain('feature/orbit-math  (moon-base)');
    const json = JSON.parse(
      (await run('node', [BIN, 'stats', '--by', 'project', '--json', ...since, '--data-dir', dir], { env }))
        .stdout,
    ) as { by: string; groups: { key: string; project: string | null }[] };
    expect(json.by).toBe('project');
    expect(json.groups.map((g) => g.project).sort()).toEqual(
      CLIENT_FIXTURES.map((n) => loadClientFixture(n).manifest.project).sort(),
    );
  }, 90_000);
});
