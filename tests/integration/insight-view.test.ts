// Insight on a recorded session file, through the two ways users get it: `lunaroute sessions show --json` (the
// field names are a promise to scripts) and the session view query the window uses. The file is indexed the way
// any old recording is — at start-up — so recordings made before this feature get the fields too.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openIndex } from '../../src-main/index/db.js';
import { sessionView } from '../../src-main/index/queries.js';
import { reconcile } from '../../src-main/index/reindex.js';
import { makeTempDir } from '../support/config.js';
import { INSIGHT_SESSION_ID, writeInsightSession } from '../support/insight-session.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/lunaroute.js');
let dir: string;

beforeAll(() => {
  dir = makeTempDir();
  writeInsightSession(dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('insight of a recorded session', () => {
  it('sessions show --json gives every request context, cache_break, agent and compaction, and the lanes', async () => {
    const { stdout } = await run(
      'node',
      [BIN, 'sessions', 'show', INSIGHT_SESSION_ID, '--json', '--data-dir', dir],
      {
        env: { ...process.env, HOME: dir },
      },
    );
    const out = JSON.parse(stdout) as {
      requests: Record<string, unknown>[];
      insight: {
        lanes: { id: string; label: string }[];
        cache_breaks: { count: number };
        compactions: number;
      };
    };
    expect(out.requests).toHaveLength(16);
    for (const r of out.requests)
      expect(Object.keys(r)).toEqual(
        expect.arrayContaining(['context', 'cache_break', 'agent', 'compaction']),
      );
    const byId = new Map(out.requests.map((r) => [r['id'], r]));
    const ctx = byId.get('req-05')!['context'] as {
      parts: { kind: string; name?: string; tokens: number }[];
    };
    expect(ctx.parts[0]).toMatchObject({ kind: 'tool_results', name: 'Read' });
    expect(byId.get('req-06')!['agent']).toEqual({
      id: 'agent-1',
      parent_tool_use_id: 'toolu_agent',
      label: 'Explore: Find proxy routes',
    });
    expect(byId.get('req-10')!['cache_break']).toMatchObject({
      cause: 'tools_changed',
      tokens_rewritten: expect.any(Number),
      extra_cost_usd: expect.any(Number),
    });
    expect(byId.get('req-12')!['cache_break']).toMatchObject({ cause: 'ttl_expired' });
    expect(byId.get('req-15')!['compaction']).toEqual({
      tokens_before: expect.any(Number),
      tokens_after: expect.any(Number),
    });
    expect(out.insight.lanes.map((l) => l.id)).toEqual(['main', 'agent-1']);
    expect(out.insight.cache_breaks.count).toBe(3);
    expect(out.insight.compactions).toBe(1);
  });

  it('sessions show says where the money went, what broke the cache and what the biggest context is made of', async () => {
    const { stdout } = await run('node', [BIN, 'sessions', 'show', INSIGHT_SESSION_ID, '--data-dir', dir], {
      env: { ...process.env, HOME: dir },
    });
    expect(stdout).toMatch(
      /insight {3}main \$0\.\d+ \(13 req\) · subagents \$0\.\d+ \(1 agent, 3 req\) · cache breaks 3 \(\+\$0\.\d+\) · compactions 1/,
    );
    expect(stdout).toMatch(/context {3}largest request: Read results \d+ %, /);
  });

  it('the session view carries the same fields, parsed by the contract schema', async () => {
    const { db } = await openIndex(null);
    const sessionsDir = path.join(dir, 'sessions');
    await reconcile(db, sessionsDir, { markCrashed: false });
    const v = (await sessionView({ index: db, sessionsDir }, { id: INSIGHT_SESSION_ID }))!;
    const { SessionViewSchema } = await import('../../src-shared/rows.js');
    const parsed = SessionViewSchema.parse(v);
    expect(parsed.requests.filter((r) => r.cache_break).map((r) => [r.id, r.cache_break!.cause])).toEqual([
      ['req-10', 'tools_changed'],
      ['req-12', 'ttl_expired'],
      ['req-15', 'compaction'],
    ]);
    expect(parsed.insight!.subagents.requests).toBe(3);
    expect(parsed.insight!.lanes[1]!.parent_request_id).toBe('req-05');
  });
});
