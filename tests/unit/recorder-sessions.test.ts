// Client recognition, session grouping and the one-outcome rule.
import { describe, expect, it } from 'vitest';
import { recognizeClient, resolveSession } from '../../src-main/recorder/sessions.js';
import { decideOutcome } from '../../src-main/recorder/exchange.js';
import type { ReassembledResponse, SessionHints } from '../../src-shared/exchange.js';

const noHints: SessionHints = {
  sessionId: null,
  source: null,
  userId: null,
  accountId: null,
  deviceId: null,
  previousResponseId: null,
  promptCacheKey: null,
};

describe('recognizeClient', () => {
  it.each([
    [{ 'user-agent': 'claude-cli/2.1.3 (external, cli)' }, 'claude_code', '2.1.3'],
    [{ 'x-claude-code-session-id': 'abc', 'user-agent': 'x' }, 'claude_code', null],
    [
      { 'user-agent': 'codex_cli_rs/0.170.0 (Debian 12; x86_64)', originator: 'codex_cli_rs' },
      'codex',
      '0.170.0',
    ],
    [{ originator: 'codex_exec' }, 'codex', null],
    [{ 'user-agent': 'opencode/1.18.2 ai-sdk/anthropic' }, 'opencode', '1.18.2'],
    [{ 'user-agent': 'Anthropic/JS 1.14.0', 'x-stainless-lang': 'js' }, 'sdk', null],
    [{ 'user-agent': 'curl/8.0' }, 'other', null],
  ] as const)('%j → %s', (headers, client, version) => {
    const c = recognizeClient(headers);
    expect(c.client).toBe(client);
    expect(c.version).toBe(version);
  });
});

describe('resolveSession', () => {
  it('prefers client headers in order, then metadata.user_id, else a fresh UUIDv4 per request', () => {
    expect(resolveSession({ 'x-claude-code-session-id': 'cc-1', 'session-id': 'x' }, noHints)).toEqual({
      id: 'cc-1',
      source: 'x-claude-code-session-id',
    });
    expect(resolveSession({ 'session-id': 'codex-1' }, noHints).source).toBe('session-id');
    expect(resolveSession({ session_id: 'codex-2' }, noHints).id).toBe('codex-2');
    expect(resolveSession({ 'x-session-id': 'oc-1' }, noHints).source).toBe('x-session-id');
    const fromBody = resolveSession({}, { ...noHints, sessionId: 'meta-1', source: 'metadata.user_id:json' });
    expect(fromBody).toEqual({ id: 'meta-1', source: 'metadata.user_id' });
    const a = resolveSession({}, noHints);
    const b = resolveSession({}, noHints);
    expect(a.source).toBe('generated');
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
  });

  it('sanitises client-supplied ids before they can reach a path', () => {
    for (const evil of ['../../etc/passwd', 'a/b', 'x'.repeat(400), 'dot.dot', 'nul\u0000byte', '']) {
      const r = resolveSession({ 'x-session-id': evil }, noHints);
      expect(r.id).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    }
    expect(resolveSession({ 'x-session-id': 'a.b' }, noHints).id).not.toBe(
      resolveSession({ 'x-session-id': 'a_b' }, noHints).id,
    );
  });
});

describe('decideOutcome', () => {
  const resp = (o: Partial<ReassembledResponse>): ReassembledResponse =>
    ({ streamed: true, complete: true, error: null, finishReason: 'stop', ...o }) as ReassembledResponse;
  it('gives exactly one outcome for each way an exchange ends', () => {
    expect(decideOutcome({ kind: 'completed' }, 200, resp({})).outcome).toBe('completed');
    expect(
      decideOutcome(
        { kind: 'completed' },
        429,
        resp({ error: { type: 'rate_limit_error', code: null, message: 'slow down' } }),
      ),
    ).toMatchObject({
      outcome: 'failed',
      reason: 'upstream_status',
      errorStatus: 429,
      errorMessage: 'slow down',
    });
    expect(
      decideOutcome(
        { kind: 'completed' },
        200,
        resp({ error: { type: 'overloaded_error', code: null, message: 'o' }, finishReason: 'error' }),
      ).reason,
    ).toBe('stream_error');
    expect(decideOutcome({ kind: 'completed' }, 200, resp({ complete: false })).outcome).toBe('interrupted');
    expect(decideOutcome({ kind: 'client_abort' }, 200, resp({ complete: false }))).toMatchObject({
      outcome: 'interrupted',
      reason: 'client_abort',
    });
    expect(decideOutcome({ kind: 'upstream_reset', code: 'ECONNRESET' }, 200, null)).toMatchObject({
      outcome: 'interrupted',
      reason: 'upstream_reset',
    });
    expect(
      decideOutcome(
        { kind: 'upstream_error', code: 'ECONNREFUSED', status: 502, message: 'could not reach' },
        null,
        null,
      ),
    ).toMatchObject({ outcome: 'failed', reason: 'upstream_error', errorStatus: 502 });
    expect(decideOutcome({ kind: 'shutdown' }, 200, null)).toMatchObject({
      outcome: 'interrupted',
      reason: 'shutdown',
    });
  });
});
