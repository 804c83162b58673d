// Formatting and the live list's pure model: numbers render as users read them, null stays "not reported",
// events update the rows in the window at once and ask for a refetch when order may change.
import { describe, expect, it } from 'vitest';
import type { SessionRow, UiEvent } from '../../src-shared/contract.js';
import {
  duration,
  prettyArgs,
  relativeTime,
  rowStatus,
  sessionDuration,
  snippetParts,
  tokens,
} from '../../src-renderer/lib/format.js';
import {
  applyEvents,
  covers,
  rowAt,
  streamingTextFor,
  wantedRange,
  STREAM_TAIL,
} from '../../src-renderer/lib/live-model.js';

const base: SessionRow = {
  id: 's1',
  client: 'claude_code',
  client_version: null,
  started_at: 1000,
  last_at: 1000,
  ended_at: null,
  request_count: 0,
  failed_count: 0,
  interrupted_count: 0,
  in_flight: 0,
  input_tokens: null,
  output_tokens: null,
  cache_read_tokens: null,
  cache_write_tokens: null,
  reasoning_tokens: null,
  tool_call_count: 0,
  models: null,
  gaps: 0,
  lost_requests: 0,
  last_gap_at: null,
  cost_usd: null,
  unpriced_count: 0,
  last_status: null,
  last_outcome: null,
  last_model: null,
  last_preview: null,
  title: null,
  project: null,
  branch: null,
};
const usage = { input: 10, cacheRead: 100, cacheWrite: null, output: 5, reasoning: null, raw: null };

describe('format', () => {
  it('tokens: compact, and null is a dash, not zero', () => {
    expect([tokens(null), tokens(0), tokens(999), tokens(1234), tokens(56_789), tokens(2_345_678)]).toEqual([
      '–',
      '0',
      '999',
      '1.2k',
      '57k',
      '2.35M',
    ]);
  });
  it('duration: ms, seconds, minutes, hours', () => {
    expect([
      duration(null),
      duration(850.4),
      duration(2400),
      duration(12_400),
      duration(185_000),
      duration(3_720_000),
    ]).toEqual(['–', '850 ms', '2.4 s', '12 s', '3 m 05 s', '1 h 02 m']);
  });
  it('relative time', () => {
    expect(relativeTime(0, 3000)).toBe('just now');
    expect(relativeTime(0, 42_000)).toBe('42 s ago');
    expect(relativeTime(0, 5 * 60_000)).toBe('5 min ago');
    expect(relativeTime(0, 3 * 3_600_000)).toBe('3 h ago');
  });
  it('row status: streaming wins, then the last outcome', () => {
    expect(rowStatus({ ...base, in_flight: 1, last_outcome: 'failed', request_count: 2 })).toBe('streaming');
    expect(rowStatus({ ...base, last_outcome: 'failed', request_count: 1 })).toBe('failed');
    expect(rowStatus({ ...base, last_outcome: 'completed', request_count: 1 })).toBe('ok');
  });
  it('session duration runs to now while in flight', () => {
    expect(sessionDuration({ ...base, in_flight: 1 }, 5000)).toBe(4000);
    expect(sessionDuration({ ...base, ended_at: 3000 }, 9000)).toBe(2000);
  });
  it('snippets split into marked and plain text (never HTML)', () => {
    expect(snippetParts('a \u0002<b>x</b>\u0003 c')).toEqual([
      { text: 'a ', mark: false },
      { text: '<b>x</b>', mark: true },
      { text: ' c', mark: false },
    ]);
  });
  it('tool arguments pretty-print when JSON, else stay as is', () => {
    expect(prettyArgs('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyArgs('*** Begin Patch')).toBe('*** Begin Patch');
  });
});

describe('live model', () => {
  const win = { offset: 0, rows: [base], total: 1 };
  const started: UiEvent = {
    type: 'request_started',
    id: 'r1',
    session_id: 's1',
    at: 2000,
    client: 'claude_code',
    dialect: 'anthropic',
    endpoint: 'messages',
    model: 'claude-x',
    stream: true,
    prompt_preview: 'hello',
  };

  it('a started request marks its row in flight and asks for a refetch', () => {
    const r = applyEvents(win, new Map(), [started]);
    expect(r.window.rows[0]).toMatchObject({
      in_flight: 1,
      request_count: 1,
      last_at: 2000,
      last_preview: 'hello',
      last_model: 'claude-x',
    });
    expect(r.refetch).toBe(true);
    expect(win.rows[0]!.in_flight).toBe(0); // not mutated
  });

  it('progress grows the streaming text, capped to its tail', () => {
    let r = applyEvents(win, new Map(), [started]);
    r = applyEvents(r.window, r.streaming, [
      { type: 'response_progress', id: 'r1', session_id: 's1', text_delta: 'Hel', text_chars: 3 },
      { type: 'response_progress', id: 'r1', session_id: 's1', text_delta: 'lo', text_chars: 5 },
    ]);
    expect(streamingTextFor(r.streaming, 's1')).toBe('Hello');
    expect(r.refetch).toBe(false);
    r = applyEvents(r.window, r.streaming, [
      {
        type: 'response_progress',
        id: 'r1',
        session_id: 's1',
        text_delta: 'x'.repeat(1000),
        text_chars: 1005,
      },
    ]);
    expect(streamingTextFor(r.streaming, 's1')).toHaveLength(STREAM_TAIL);
  });

  it('an outcome updates status and tokens at once and ends the streaming text', () => {
    let r = applyEvents(win, new Map(), [started]);
    r = applyEvents(r.window, r.streaming, [
      {
        type: 'request_finished',
        id: 'r1',
        session_id: 's1',
        at: 3000,
        outcome: 'failed',
        reason: 'upstream_status',
        status: 529,
        model: 'claude-x',
        usage,
        duration_ms: 1000,
        error_message: 'overloaded',
      },
    ]);
    expect(r.window.rows[0]).toMatchObject({
      in_flight: 0,
      failed_count: 1,
      last_outcome: 'failed',
      last_status: 529,
      input_tokens: 10,
      output_tokens: 5,
      cache_read_tokens: 100,
      cache_write_tokens: null,
      models: 'claude-x',
      ended_at: 3000,
    });
    expect(streamingTextFor(r.streaming, 's1')).toBeNull();
    expect(r.finished).toEqual(['r1']);
  });

  it('events for sessions outside the window only ask for a refetch', () => {
    const r = applyEvents(win, new Map(), [{ ...started, session_id: 'other' }]);
    expect(r.window).toBe(win);
    expect(r.refetch).toBe(true);
  });

  it('window arithmetic', () => {
    expect(wantedRange(100, 20, 10_000, 40)).toEqual({ from: 60, to: 160 });
    expect(wantedRange(0, 20, 5, 40)).toEqual({ from: 0, to: 5 });
    const w = { offset: 50, rows: new Array(100).fill(base), total: 10_000 };
    expect(covers(w, 60, 140)).toBe(true);
    expect(covers(w, 40, 140)).toBe(false);
    expect(rowAt(w, 49)).toBeUndefined();
    expect(rowAt(w, 50)).toBe(base);
  });
});
