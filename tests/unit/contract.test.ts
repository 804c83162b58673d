// The UI contract's schemas accept what the core really sends and reject malformed payloads with a message that
// names the field; the dispatcher parses arguments and results for every transport.
import { describe, expect, it } from 'vitest';
import {
  CALLS,
  CALL_NAMES,
  dispatchCall,
  parseArgs,
  parseEvent,
  parseResult,
  type CallHandlers,
  type SessionRow,
} from '../../src-shared/contract.js';
import { isLunaRouteError } from '../../src-shared/errors.js';
import * as s from '../../src-shared/schema.js';

const row: SessionRow = {
  id: 'sess-1',
  client: 'claude_code',
  client_version: '2.1.0',
  started_at: 1,
  last_at: 2,
  ended_at: null,
  request_count: 1,
  failed_count: 0,
  interrupted_count: 0,
  in_flight: 1,
  input_tokens: null,
  output_tokens: 10,
  cache_read_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  tool_call_count: 0,
  models: 'claude-sonnet-4-5',
  gaps: 0,
  lost_requests: 0,
  last_gap_at: null,
  cost_usd: null,
  unpriced_count: 0,
  last_status: 200,
  last_outcome: null,
  last_model: 'claude-sonnet-4-5',
  last_preview: 'hi',
  title: 'Say hi',
  project: '/home/dev/moon-base',
  branch: 'main',
};

const usage = {
  input: 1,
  cacheRead: null,
  cacheWrite: null,
  output: 2,
  reasoning: null,
  raw: { input_tokens: 1 },
};

describe('call arguments', () => {
  it('accepts valid arguments and fills nothing that was not given', () => {
    expect(parseArgs('sessions.list', { limit: 50, client: 'codex', q: 'closure' })).toEqual({
      limit: 50,
      client: 'codex',
      q: 'closure',
    });
    expect(parseArgs('sessions.list', undefined)).toEqual({});
    expect(parseArgs('export', { id: 'abc', format: 'har' })).toEqual({ id: 'abc', format: 'har' });
  });

  it.each([
    ['sessions.list', { limit: 'all' }, 'limit: expected an integer ≥ 1 ≤ 1000, got "all"'],
    ['sessions.list', { limit: 5000 }, 'limit: expected an integer ≥ 1 ≤ 1000, got 5000'],
    [
      'sessions.list',
      { client: 'vim' },
      'client: expected one of "claude_code", "codex", "opencode", "sdk", "other"',
    ],
    ['sessions.list', { offest: 10 }, 'offest: expected no such key'],
    ['sessions.list', [], '(value): expected an object, got an array'],
    [
      'sessions.view',
      {},
      'id: expected a string of at least 1 characters of at most 200 characters, got undefined',
    ],
    ['export', { id: 'a', format: 'pdf' }, 'format: expected one of "jsonl", "har", "md", got "pdf"'],
    ['settings.set', { retention: { max_age_days: 0 } }, 'retention.max_age_days: expected an integer ≥ 1'],
    ['settings.set', { recording: 'yes' }, 'recording: expected a boolean, got "yes"'],
    ['search', { q: '' }, 'q: expected a string of at least 1 characters'],
    ['analytics.get', { bucket: 'week' }, 'bucket: expected one of "hour", "day", got "week"'],
    ['analytics.get', { since: -1 }, 'since: expected a'],
    ['analytics.get', { by: 'model' }, 'by: expected no such key'],
  ] as const)('%s rejects %j with a message naming the field', (name, args, message) => {
    let err: unknown;
    try {
      parseArgs(name, args);
    } catch (e) {
      err = e;
    }
    expect(isLunaRouteError(err, 'bad_args')).toBe(true);
    expect(() => parseArgs(name, args)).toThrow(message);
  });
});

describe('call results', () => {
  it('parses a session list and drops keys the contract does not declare', () => {
    const out = parseResult('sessions.list', {
      sessions: [{ ...row, file: 'x.jsonl', user_agent: 'ua' }],
      total: 1,
    });
    expect(out.sessions[0]).toEqual(row);
    expect(out.sessions[0]).not.toHaveProperty('file');
  });

  it('rejects a row with a wrong type, naming the path', () => {
    expect(() => parseResult('sessions.list', { sessions: [{ ...row, in_flight: -1 }], total: 1 })).toThrow(
      'sessions.list: invalid result: sessions[0].in_flight: expected an integer ≥ 0, got -1',
    );
    expect(() =>
      parseResult('sessions.list', { sessions: [{ ...row, last_at: Number.NaN }], total: 1 }),
    ).toThrow('sessions[0].last_at: expected a finite number, got a non-finite number');
  });

  it('analytics.get: accepts the query result, keeps null ratios, rejects a share above 1 or a NaN cost', () => {
    expect(parseArgs('analytics.get', { since: 0, bucket: 'hour' })).toEqual({ since: 0, bucket: 'hour' });
    const sums = {
      requests: 1,
      failed: 0,
      input_tokens: 1,
      output_tokens: 2,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
      cost_usd: 0,
      priced_requests: 0,
      unpriced_requests: 1,
    };
    const ok = {
      since: null,
      bucket: 'day',
      bucket_ms: 86_400_000,
      sessions: 1,
      totals: { ...sums, errors: 0, interruptions: 0 },
      series: [{ t: 0, ...sums, failed: undefined, errors: 0, interruptions: 0 }].map(
        ({ failed: _f, ...p }) => p,
      ),
      split_by_model: { keys: ['local'], points: [{ t: 0, tokens: [10], cost_usd: [0] }] },
      split_by_client: { keys: ['other'], points: [{ t: 0, tokens: [10], cost_usd: [0] }] },
      by_model: [{ key: 'local', ...sums, token_share: 1, cost_share: null }],
      by_client: [],
      split_by_project: { keys: [], points: [{ t: 0, tokens: [], cost_usd: [] }] },
      split_by_branch: { keys: [], points: [{ t: 0, tokens: [], cost_usd: [] }] },
      by_project: [],
      by_branch: [],
      classes: [],
      cache: {
        input_tokens: 1,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        hit_ratio: null,
        saved_usd: 0,
        unpriced_cache_read_tokens: 0,
      },
      priced: { requests_share: 0, tokens_share: null, unpriced_models: ['local'] },
      tools: [
        { name: 'Bash', calls: 1, errors: 0, error_rate: null, latency_p50_ms: null, latency_p95_ms: null },
      ],
      slowest_tools: [
        { name: 'Bash', session_id: 's', request_id: 'r', called_at: 1, latency_ms: 5, is_error: null },
      ],
      time_split: { sessions: 1, span_ms: 10, model_ms: 5, tool_ms: 5, idle_ms: 0 },
    };
    expect(parseResult('analytics.get', ok)).toEqual(ok);
    expect(() =>
      parseResult('analytics.get', { ...ok, priced: { ...ok.priced, requests_share: 1.5 } }),
    ).toThrow('priced.requests_share');
    expect(() =>
      parseResult('analytics.get', { ...ok, totals: { ...ok.totals, cost_usd: Number.NaN } }),
    ).toThrow('totals.cost_usd');
  });

  it('accepts null for a missing session', () => {
    expect(parseResult('sessions.view', null)).toBeNull();
  });
});

describe('events', () => {
  it('accepts every live event shape the recorder produces', () => {
    const events = [
      {
        type: 'request_started',
        id: 'r1',
        session_id: 's1',
        at: 1,
        client: 'codex',
        dialect: 'openai',
        endpoint: 'responses',
        model: null,
        stream: true,
        prompt_preview: null,
      },
      { type: 'response_progress', id: 'r1', session_id: 's1', text_delta: 'he', text_chars: 2 },
      {
        type: 'request_finished',
        id: 'r1',
        session_id: 's1',
        at: 2,
        outcome: 'completed',
        reason: null,
        status: 200,
        model: 'gpt-5',
        usage,
        duration_ms: 12.5,
        error_message: null,
      },
      { type: 'recorder_problem', kind: 'dropped', count: 3, message: 'fell behind' },
      { type: 'problem', problem: { kind: 'upstream_unreachable', message: 'ECONNREFUSED', at: 3 } },
      {
        type: 'client_drift',
        at: 4,
        client: 'claude_code',
        client_version: '2.1.332',
        dialect: 'anthropic',
        items: [{ kind: 'event', name: 'message_annotation', count: 2 }],
        message: 'Claude Code 2.1.332 sent 1 kind of event …',
      },
      { type: 'problem', problem: { kind: 'client_drift', message: 'Claude Code 2.1.332 sent …', at: 4 } },
    ];
    for (const e of events) expect(parseEvent(e)).toEqual(e);
  });

  it('rejects an unknown event type and a malformed one', () => {
    expect(() => parseEvent({ type: 'boom' })).toThrow(
      'invalid event: type: expected one of request_started',
    );
    expect(() =>
      parseEvent({ type: 'response_progress', id: 'r', session_id: 's', text_delta: 5, text_chars: 1 }),
    ).toThrow('text_delta: expected a string, got 5');
    expect(() =>
      parseEvent({ type: 'request_finished', id: 'r', session_id: 's', at: 1, outcome: 'ok' }),
    ).toThrow('outcome: expected one of "completed", "failed", "interrupted", got "ok"');
  });
});

describe('dispatchCall', () => {
  const handlers = Object.fromEntries(
    CALL_NAMES.map((n) => [n, async () => null]),
  ) as unknown as CallHandlers;

  it('refuses an unknown call', async () => {
    await expect(dispatchCall(handlers, '__proto__', {})).rejects.toMatchObject({ code: 'unknown_call' });
    await expect(dispatchCall(handlers, 'fs.read', {})).rejects.toMatchObject({ code: 'unknown_call' });
  });

  it('refuses bad arguments before the handler runs', async () => {
    let ran = false;
    const h = { ...handlers, 'sessions.view': async () => ((ran = true), null) } as CallHandlers;
    await expect(dispatchCall(h, 'sessions.view', { id: 5 })).rejects.toMatchObject({ code: 'bad_args' });
    expect(ran).toBe(false);
  });

  it('refuses a handler result that breaks the contract', async () => {
    const h = { ...handlers, 'stats.get': async () => ({ sessions: 'many' }) } as unknown as CallHandlers;
    await expect(dispatchCall(h, 'stats.get', {})).rejects.toMatchObject({ code: 'bad_result' });
  });

  it('wraps a handler failure with the call name', async () => {
    const h = {
      ...handlers,
      export: async () => {
        throw new Error('no session x');
      },
    } as CallHandlers;
    await expect(dispatchCall(h, 'export', { id: 'x', format: 'md' })).rejects.toThrow(
      'export failed: no session x',
    );
  });

  it('every call declares argument and result schemas', () => {
    for (const name of CALL_NAMES) {
      expect(typeof CALLS[name].args.parse).toBe('function');
      expect(typeof CALLS[name].result.parse).toBe('function');
    }
  });
});

describe('schema primitives', () => {
  it('json() rejects functions and non-finite numbers and keeps nested values', () => {
    expect(s.json().parse({ a: [1, 'x', null, { b: true }] })).toEqual({ a: [1, 'x', null, { b: true }] });
    expect(() => s.json().parse({ a: Infinity })).toThrow('a: expected a JSON value');
    expect(() => s.json().parse(() => 1)).toThrow('expected a JSON value, got function');
  });
  it('optional keys may be absent; nullable keys may not', () => {
    const o = s.object({ a: s.optional(s.int()), b: s.nullable(s.string()) });
    expect(o.parse({ b: null })).toEqual({ b: null });
    expect(() => o.parse({})).toThrow('b: expected a string or null, got undefined');
  });
});
