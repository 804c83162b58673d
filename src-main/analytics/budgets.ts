// Cost budgets: a daily and a weekly threshold (USD, from config or the Settings view, read live). Checked in
// the background against the index's per-request costs; crossing one raises a problem once per period (again
// if the limit changes) — the UI shows it as a banner and the desktop app as a notification. Only priced
// requests count: an unpriced model never makes a budget look safer than it is without saying so (the message
// names how many requests are unpriced).

export interface BudgetLimits {
  /** USD per local day; null = no daily budget. */
  dailyUsd: number | null;
  /** USD per week (Monday 00:00 local); null = no weekly budget. */
  weeklyUsd: number | null;
}

export interface SpendSince {
  cost_usd: number | null;
  unpriced: number;
}

export function startOfLocalDay(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** Monday 00:00 local of the week containing `t`. */
export function startOfLocalWeek(t: number): number {
  const d = new Date(startOfLocalDay(t));
  const daysSinceMonday = (d.getDay() + 6) % 7;
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() - daysSinceMonday).getTime();
}

/** $5.00, or $0.00012 for amounts under a cent (never a misleading $0.00). */
export function usd(n: number): string {
  return n > 0 && n < 0.01 ? `$${n.toPrecision(2)}` : `$${n.toFixed(2)}`;
}

export class BudgetWatch {
  /** Period start and limit already alerted, per budget: one alert per day / week (again if the limit changes). */
  private readonly alerted = new Map<'daily' | 'weekly', string>();

  constructor(
    private readonly limits: BudgetLimits,
    /** Spend (priced requests' cost) since an epoch ms. */
    private readonly spendSince: (since: number) => Promise<SpendSince>,
    private readonly onCross: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get active(): boolean {
    return this.limits.dailyUsd !== null || this.limits.weeklyUsd !== null;
  }

  async check(): Promise<void> {
    const t = this.now();
    const budgets: ['daily' | 'weekly', number | null, number, string][] = [
      ['daily', this.limits.dailyUsd, startOfLocalDay(t), 'today'],
      ['weekly', this.limits.weeklyUsd, startOfLocalWeek(t), 'this week'],
    ];
    for (const [kind, limit, since, when] of budgets) {
      if (limit === null || this.alerted.get(kind) === `${since}:${limit}`) continue;
      const s = await this.spendSince(since);
      const spent = s.cost_usd ?? 0;
      if (spent < limit) continue;
      this.alerted.set(kind, `${since}:${limit}`);
      const unpriced = s.unpriced > 0 ? ` (plus ${s.unpriced} unpriced request(s) not counted)` : '';
      this.onCross(
        `${kind === 'daily' ? 'Daily' : 'Weekly'} budget of ${usd(limit)} reached: ${usd(spent)} spent ${when}${unpriced}.`,
      );
    }
  }
}
