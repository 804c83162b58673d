// Budgets end to end: a priced request through the proxy pushes today's spend over a tiny daily budget, and
// the next check raises one `budget_exceeded` problem (the UI's banner, the desktop notification) — once.
import { afterEach, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { startRecordingStack, type RecordingStack } from '../support/recording-stack.js';
import { dispatchCall, type UiEvent } from '../../src-shared/contract.js';

let stack: RecordingStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
});

describe('cost budgets', () => {
  it('raises budget_exceeded once when today’s priced spend reaches the daily budget', async () => {
    stack = await startRecordingStack({ dailyBudgetUsd: 0.0001 });
    const core = stack.core;
    const events: UiEvent[] = [];
    core.onUiEvent((e) => events.push(e));
    await core.budgets.check();
    expect(core.uiState.recentProblems()).toEqual([]);
    const a = new Anthropic({ apiKey: 'k', baseURL: core.proxyUrl, maxRetries: 0 });
    await a.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await core.recorder.client.flush();
    await core.budgets.check();
    await core.budgets.check();
    const problems = core.uiState.recentProblems().filter((p) => p.kind === 'budget_exceeded');
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^Daily budget of \$0\.00010 reached: \$0\.\d+ spent today\.$/);
    expect(events.some((e) => e.type === 'problem' && e.problem.kind === 'budget_exceeded')).toBe(true);
  });

  it('a budget set in the Settings view applies at once; a new limit alerts again, clearing it stops alerts', async () => {
    stack = await startRecordingStack();
    const core = stack.core;
    const a = new Anthropic({ apiKey: 'k', baseURL: core.proxyUrl, maxRetries: 0 });
    await a.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    });
    await core.recorder.client.flush();
    await core.budgets.check();
    const alerts = (): string[] =>
      core.uiState
        .recentProblems()
        .filter((p) => p.kind === 'budget_exceeded')
        .map((p) => p.message);
    expect(alerts()).toEqual([]);
    const set = core.uiState.handlers()['settings.set'];
    await set({ budgets: { weekly_usd: 0.00001 } });
    // settings_changed runs a check without waiting for the minute timer.
    await expect.poll(alerts).toHaveLength(1);
    expect(alerts()[0]).toMatch(/^Weekly budget of \$0\.000010 reached: \$0\.\d+ spent this week\.$/);
    await set({ budgets: { weekly_usd: 0.00002 } });
    await expect.poll(alerts).toHaveLength(2);
    await set({ budgets: { weekly_usd: null } });
    await core.budgets.check();
    expect(alerts()).toHaveLength(2);
    // Through the contract's dispatcher (what the web UI and the window's IPC use): a bad amount is refused.
    await expect(
      dispatchCall(core.uiState.handlers(), 'settings.set', { budgets: { daily_usd: -3 } }),
    ).rejects.toThrow(/daily_usd/);
    expect(core.config.budgets).toEqual({ dailyUsd: null, weeklyUsd: null, limitPercent: 0 });
  });
});
