import { describe, expect, it } from 'vitest';
import type { RequestRow, SessionView } from '../../src-shared/contract.js';
import { contextChart, laneRows, largestParts } from '../../src-renderer/lib/insight-model.js';

function row(
  id: string,
  parts: { kind: string; name?: string; tokens: number }[],
  extra: Partial<RequestRow> = {},
): RequestRow {
  return {
    id,
    context: { parts },
    cache_break: null,
    agent: null,
    compaction: null,
    ...extra,
  } as unknown as RequestRow;
}

describe('session view insight model', () => {
  it('stacks each request context in series ranked by peak size, with "Other" past seven', () => {
    const kinds = ['system', 'tools', 'messages', 'thinking', 'media'] as const;
    const parts = [
      ...kinds.map((k, i) => ({ kind: k, tokens: 100 * (i + 1) })),
      { kind: 'tool_results', name: 'Read', tokens: 900 },
      { kind: 'tool_results', name: 'Bash', tokens: 50 },
      { kind: 'mcp_tools', name: 'github', tokens: 40 },
    ];
    const c = contextChart([row('a', parts.slice(0, 3)), row('b', parts)]);
    expect(c.series.map((s) => s.label)).toEqual([
      'Read results',
      'Images',
      'Thinking',
      'Messages',
      'Built-in tools',
      'System prompt',
      'Other',
    ]);
    expect(c.columns[1]!.segments.at(-1)).toEqual({ key: 'other', tokens: 90 });
    expect(c.max).toBe(2_490);
    expect(c.columns[0]!.total).toBe(600);
  });

  it('names the largest parts of the biggest request in percent', () => {
    const r = [
      row('a', [
        { kind: 'tool_results', name: 'Read', tokens: 41 },
        { kind: 'mcp_tools', name: 'github', tokens: 9 },
        { kind: 'system', tokens: 50 },
      ]),
    ];
    expect(largestParts(r, 2)).toEqual([
      { label: 'Read results', pct: 41 },
      { label: 'MCP github tools', pct: 9 },
    ]);
    expect(largestParts([row('x', [])])).toEqual([]);
  });

  it('puts each subagent lane under the request that spawned it, or the last of its lane before the subagent started', () => {
    const lane = (id: string, ids: string[], parent: string | null) => ({
      id,
      label: id,
      parent_tool_use_id: parent ? 't' : null,
      parent_request_id: parent,
      request_ids: ids,
      first_at: 0,
      last_at: 0,
      totals: {
        requests: ids.length,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: null,
        duration_ms: 0,
      },
    });
    const insight = {
      lanes: [lane('main', ['m1', 'm2'], null), lane('agent-1', ['s1'], 'm1'), lane('agent-2', ['s2'], null)],
    } as unknown as SessionView['insight'];
    const rows = laneRows(
      insight,
      ['m1', 's1', 's2', 'm2'].map((id) => row(id, [])),
    );
    expect(rows.map((r) => (r.type === 'lane' ? `lane:${r.lane.id}` : r.id) + `@${r.depth}`)).toEqual([
      'lane:main@0',
      'm1@0',
      'lane:agent-1@1',
      's1@1',
      'm2@0',
      'lane:agent-2@1',
      's2@1',
    ]);
    // The main thread went on (m2) before the subagent's first request (s3): the lane comes after m2.
    const later = {
      lanes: [lane('main', ['m1', 'm2', 'm3'], null), lane('agent-1', ['s3'], 'm1')],
    } as unknown as SessionView['insight'];
    const order = laneRows(
      later,
      ['m1', 'm2', 's3', 'm3'].map((id) => row(id, [])),
    ).map((r) => (r.type === 'lane' ? `lane:${r.lane.id}` : r.id));
    expect(order).toEqual(['lane:main', 'm1', 'm2', 'lane:agent-1', 's3', 'm3']);
    expect(laneRows({ lanes: [insight!.lanes[0]!] } as SessionView['insight'], [row('m1', [])])).toEqual([
      { type: 'request', id: 'm1', depth: 0 },
    ]);
  });
});
