// Budgets: crossing a daily or weekly threshold raises one alert per period, names the spend and the
// unpriced requests left out, and nothing below the threshold (or with no budget set) alerts.
import { describe, expect, it } from 'vitest';
import { BudgetWatch, startOfLocalWeek, type SpendSince } from '../../src-main/analytics/budgets.js';

function watch(
  limits: { dailyUsd: number | null; weeklyUsd: number | null },
  spend: Record<number, SpendSince>,
  now: { t: number },
) {
  const alerts: string[] = [];
  const asked: number[] = [];
  const w = new BudgetWatch(
    limits,
    async (since) => {
      asked.push(since);
      return spend[since] ?? { cost_usd: null, unpriced: 0 };
    },
    (m) => alerts.push(m),
    () => now.t,
  );
  return { w, alerts, asked };
}

describe('BudgetWatch', () => {
  const wednesdayNoon = new Date(2026, 10, 25, 12, 0).getTime();
  const day = new Date(2026, 10, 25).getTime();
  const monday = new Date(2026, 10, 23).getTime();

  it('weeks start on Monday 00:00 local', () => {
    expect(startOfLocalWeek(wednesdayNoon)).toBe(monday);
    expect(startOfLocalWeek(new Date(2026, 10, 23, 0, 0).getTime())).toBe(monday);
    expect(startOfLocalWeek(new Date(2026, 10, 29, 23, 59).getTime())).toBe(monday);
  });

  it('alerts once per day when the daily budget is reached, naming unpriced requests', async () => {
    const now = { t: wednesdayNoon };
    const spend: Record<number, SpendSince> = {
      [day]: { cost_usd: 5.2, unpriced: 2 },
      [monday]: { cost_usd: 5.2, unpriced: 2 },
    };
    const { w, alerts } = watch({ dailyUsd: 5, weeklyUsd: null }, spend, now);
    await w.check();
    await w.check();
    expect(alerts).toEqual([
      'Daily budget of $5.00 reached: $5.20 spent today (plus 2 unpriced request(s) not counted).',
    ]);
    // The next day starts a new period.
    now.t = wednesdayNoon + 86_400_000;
    spend[day + 86_400_000] = { cost_usd: 6, unpriced: 0 };
    await w.check();
    expect(alerts[1]).toBe('Daily budget of $5.00 reached: $6.00 spent today.');
  });

  it('checks the weekly budget from Monday, and stays quiet below the thresholds or without budgets', async () => {
    const now = { t: wednesdayNoon };
    const { w, alerts, asked } = watch(
      { dailyUsd: 10, weeklyUsd: 20 },
      { [day]: { cost_usd: 3, unpriced: 0 }, [monday]: { cost_usd: 21, unpriced: 0 } },
      now,
    );
    await w.check();
    expect(asked).toEqual([day, monday]);
    expect(alerts).toEqual(['Weekly budget of $20.00 reached: $21.00 spent this week.']);
    const none = watch({ dailyUsd: null, weeklyUsd: null }, {}, now);
    expect(none.w.active).toBe(false);
    await none.w.check();
    expect(none.asked).toEqual([]);
  });

  it('an unpriced spend (null) never reaches a budget', async () => {
    const { w, alerts } = watch({ dailyUsd: 0.01, weeklyUsd: null }, {}, { t: wednesdayNoon });
    await w.check();
    expect(alerts).toEqual([]);
  });
});
