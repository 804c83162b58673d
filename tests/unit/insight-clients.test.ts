// Insight on real-client traffic: sessions LunaRoute recorded while the real Claude Code (a subagent through the
// Agent tool, then /compact), Codex (a tool call over WebSocket turns, then auto-compaction) and OpenCode ran
// against the fake provider (tests/fixtures/clients, see its README). The fake reports the same usage for every
// request, so the cache-break tests set the provider's cache counts the way a prefix cache reports them, on the
// real request bodies, and change one real request where a test needs a change.
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src-shared/exchange.js';
import { bundledPrices } from '../../src-main/analytics/prices.js';
import { collectSession } from '../../src-main/export/session-data.js';
import { fromExchanges } from '../../src-main/insight/exchanges.js';
import { analyzeSession } from '../../src-main/insight/session.js';
import { firstUserText, bodyObject, requestClass } from '../../src-main/insight/threads.js';
import type { InsightRequest } from '../../src-main/insight/types.js';
import { loadClientFixture, type ClientFixtureName } from '../support/client-fixtures.js';

const prices = bundledPrices();

function captured(name: ClientFixtureName): {
  requests: InsightRequest[];
  manifest: ReturnType<typeof loadClientFixture>['manifest'];
} {
  const f = loadClientFixture(name);
  return { requests: fromExchanges(collectSession(f.lines).exchanges), manifest: f.manifest };
}

const billed = (r: InsightRequest): number =>
  (r.usage.input ?? 0) + (r.usage.cacheRead ?? 0) + (r.usage.cacheWrite ?? 0);
const sum = (parts: { tokens: number }[]): number => parts.reduce((a, p) => a + p.tokens, 0);

describe('context composition on captured traffic', () => {
  it('splits every Claude Code request into parts that sum to what the provider billed', () => {
    const { requests } = captured('claude-code-subagent-compact');
    const a = analyzeSession(requests, prices);
    for (const r of requests) expect(sum(a.byRequest.get(r.id)!.context!.parts)).toBe(billed(r));
    const mainTurn = a.byRequest.get(requests.find((r) => requestClass(r) === 'main')!.id)!.context!;
    expect(mainTurn.parts.map((p) => p.kind)).toEqual(
      expect.arrayContaining(['system', 'tools', 'messages']),
    );
    // The main thread's turn after the subagent carries the Agent tool's result; the subagent's, Bash's.
    const names = [...a.byRequest.values()].flatMap((i) =>
      i.context!.parts.filter((p) => p.kind === 'tool_results').map((p) => p.name),
    );
    expect(new Set(names)).toEqual(new Set(['Agent', 'Bash']));
  });

  it('names a Codex tool result by the call made in an earlier WebSocket response, and measures its tool namespace as tools', () => {
    const { requests } = captured('codex-tool-resume-compact');
    const a = analyzeSession(requests, prices);
    const withResult = requests.filter((r) =>
      a.byRequest.get(r.id)!.context?.parts.some((p) => p.kind === 'tool_results'),
    );
    expect(withResult.length).toBeGreaterThan(0);
    for (const r of withResult)
      expect(
        a.byRequest
          .get(r.id)!
          .context!.parts.filter((p) => p.kind === 'tool_results')
          .map((p) => p.name),
      ).toEqual(['exec']);
    // The turn after the warm-up sends only new items on previous_response_id; its context still has the
    // instructions and tools of the turn it continues.
    const continued = requests.find(
      (r) => typeof bodyObject(r)?.['previous_response_id'] === 'string' && billed(r) > 0,
    )!;
    expect(a.byRequest.get(continued.id)!.context!.parts.map((p) => p.kind)).toEqual(
      expect.arrayContaining(['system', 'tools']),
    );
  });

  it("names OpenCode's bash results, and gives its title call a context of its own", () => {
    const { requests } = captured('opencode-tool-continue');
    const a = analyzeSession(requests, prices);
    const last = a.byRequest.get(requests.at(-1)!.id)!.context!;
    expect(last.parts.find((p) => p.kind === 'tool_results')?.name).toBe('bash');
    expect(sum(last.parts)).toBe(billed(requests.at(-1)!));
    expect(requestClass(requests[0]!)).toBe('title');
    expect(a.byRequest.get(requests[0]!.id)!.context!.parts[0]!.kind).toBe('system');
  });
});

describe('subagents on captured traffic', () => {
  it("gives Claude Code's subagent requests the Agent call that spawned them, and lanes them under that request", () => {
    const { requests, manifest } = captured('claude-code-subagent-compact');
    const a = analyzeSession(requests, prices);
    const spawner = requests.find((r) => r.calls.some((c) => c.name === 'Agent'))!;
    const call = spawner.calls.find((c) => c.name === 'Agent')!;
    const sub = requests.filter((r) => firstUserText(bodyObject(r))?.trim() === manifest.subagent_prompt);
    expect(sub.length).toBe(2);
    for (const r of requests) {
      const agent = a.byRequest.get(r.id)!.agent;
      if (sub.includes(r))
        expect(agent).toMatchObject({
          id: 'agent-1',
          parent_tool_use_id: call.id,
          label: expect.stringContaining(': '),
        });
      else expect(agent).toBeNull();
    }
    expect(a.session.lanes.map((l) => [l.id, l.parent_request_id, l.request_ids.length])).toEqual([
      ['main', null, requests.length - 2],
      ['agent-1', spawner.id, 2],
    ]);
    const all = requests.reduce((n, r) => n + (r.usage.output ?? 0), 0);
    expect(a.session.main.output_tokens + a.session.subagents.output_tokens).toBe(all);
    expect(a.session.subagents.requests).toBe(2);
  });

  it('sees no subagent in Codex or OpenCode sessions', () => {
    for (const name of ['codex-tool-resume-compact', 'opencode-tool-continue'] as const) {
      const a = analyzeSession(captured(name).requests, prices);
      expect(a.session.lanes.map((l) => l.id)).toEqual(['main']);
      expect([...a.byRequest.values()].every((i) => i.agent === null)).toBe(true);
    }
  });
});

describe('compaction on captured traffic', () => {
  it("marks the request after Claude Code's /compact, with the provider's input before and after", () => {
    const { requests } = captured('claude-code-subagent-compact');
    const a = analyzeSession(requests, prices);
    const marked = requests.filter((r) => a.byRequest.get(r.id)!.compaction);
    expect(marked).toHaveLength(1);
    expect(firstUserText(bodyObject(marked[0]!))).toMatch(
      /This session is being continued from a previous conversation/,
    );
    const summarize = requests.find((r) => requestClass(r) === 'compaction')!;
    expect(summarize.at).toBeLessThan(marked[0]!.at);
    expect(a.byRequest.get(marked[0]!.id)!.compaction).toEqual({
      tokens_before: billed(summarize),
      tokens_after: billed(marked[0]!),
    });
    expect(a.session.compactions).toBe(1);
  });

  it("marks the Codex turn after its CONTEXT CHECKPOINT COMPACTION, with the large turn before it as 'before'", () => {
    const { requests } = captured('codex-tool-resume-compact');
    const a = analyzeSession(requests, prices);
    const marked = requests.filter((r) => a.byRequest.get(r.id)!.compaction);
    expect(marked).toHaveLength(1);
    const summarize = requests.find((r) => requestClass(r) === 'compaction')!;
    expect(summarize.at).toBeLessThanOrEqual(marked[0]!.at);
    const largest = Math.max(...requests.filter((r) => r.at < summarize.at).map(billed));
    expect(a.byRequest.get(marked[0]!.id)!.compaction).toEqual({
      tokens_before: largest,
      tokens_after: billed(marked[0]!),
    });
  });

  it('sees no compaction in the OpenCode session', () => {
    expect(analyzeSession(captured('opencode-tool-continue').requests, prices).session.compactions).toBe(0);
  });
});

describe('cache breaks on captured traffic', () => {
  /** The main thread's usage as a prefix cache reports it: each turn reads what the one before left cached. */
  function warmCache(requests: InsightRequest[]): void {
    let cached = 0;
    for (const r of requests) {
      if (billed(r) === 0) continue;
      r.usage = { input: 3, output: r.usage.output, cacheRead: cached, cacheWrite: 4_000 };
      cached += 4_000;
    }
  }
  const mainOf = (requests: InsightRequest[]) =>
    requests.filter((r) => requestClass(r) === 'main' || requestClass(r) === 'compaction');

  it('reports none while every turn reads what the previous one cached', () => {
    for (const name of ['claude-code-subagent-compact', 'opencode-tool-continue'] as const) {
      const { requests } = captured(name);
      warmCache(
        mainOf(requests).filter(
          (r) => !firstUserText(bodyObject(r))?.includes('This session is being continued'),
        ),
      );
      const after = requests.find((r) =>
        firstUserText(bodyObject(r))?.includes('This session is being continued'),
      );
      if (after) after.usage = { input: 3, output: 1, cacheRead: 8_000_000, cacheWrite: 0 };
      const a = analyzeSession(requests, prices);
      expect(a.session.cache_breaks).toEqual({ count: 0, extra_cost_usd: null });
    }
  });

  it("blames /compact for the cache Claude Code's next turn writes again, and nothing else in the real requests", () => {
    const { requests } = captured('claude-code-subagent-compact');
    const main = mainOf(requests);
    warmCache(main);
    const after = main.at(-1)!;
    after.usage = { input: 3, output: 10, cacheRead: 0, cacheWrite: 3_000 };
    const a = analyzeSession(requests, prices);
    const breaks = requests.filter((r) => a.byRequest.get(r.id)!.cache_break);
    expect(breaks.map((r) => r.id)).toEqual([after.id]);
    // claude-opus-5-5: input $4/M, cache write $5/M, cache read $0.20/M; the 3 uncached input tokens too.
    expect(a.byRequest.get(after.id)!.cache_break).toEqual({
      cause: 'compaction',
      detail: 'history replaced by a compaction summary',
      tokens_rewritten: 3_003,
      extra_cost_usd: expect.closeTo((3_000 * (5 - 0.2) + 3 * (4 - 0.2)) / 1e6, 8),
    });
  });

  it('names the MCP tools added to a real Claude Code request, and the TTL when its turn came 6 minutes late', () => {
    const { requests } = captured('claude-code-subagent-compact');
    const main = mainOf(requests);
    warmCache(main);
    const [first, second, third] = main;
    const body = bodyObject(second!)!;
    body['tools'] = [
      ...(body['tools'] as JsonValue[]),
      { name: 'mcp__github__create_issue', description: 'Create an issue', input_schema: { type: 'object' } },
    ];
    second!.usage = { input: 3, output: 10, cacheRead: 0, cacheWrite: 9_000 };
    // The user steps away for 6 minutes before the third turn (every later request moves with it).
    const late = 6 * 60_000 - (third!.at - (second!.endedAt ?? second!.at));
    const from = third!.at;
    for (const r of requests)
      if (r.at >= from) {
        r.at += late;
        if (r.endedAt !== null) r.endedAt += late;
      }
    third!.usage = { input: 3, output: 10, cacheRead: 0, cacheWrite: 9_100 };
    const a = analyzeSession(requests, prices);
    expect(a.byRequest.get(first!.id)!.cache_break).toBeNull();
    expect(a.byRequest.get(second!.id)!.cache_break).toMatchObject({
      cause: 'tools_changed',
      detail: 'added mcp__github__create_issue',
    });
    // The third turn drops the MCP tool again — the tools changed back — so move that change out of the way:
    // give the third the second's tools, and the TTL is what is left.
    bodyObject(third!)!['tools'] = body['tools'];
    const b = analyzeSession(requests, prices);
    expect(b.byRequest.get(third!.id)!.cache_break).toMatchObject({
      cause: 'ttl_expired',
      detail: '6 min since the previous request (cache TTL 5 min)',
    });
    expect(b.session.cache_breaks.count).toBe(2);
  });
});
