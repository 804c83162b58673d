// The cost a replay is expected to have, shown before it is sent: the original's recorded token counts priced at
// the target model's rates. The output length of an answer not yet given is unknown, so the original's is used.
// A change of model cannot read the original's prompt cache (caches are per model): Anthropic then writes the
// cached prefix again (cache reads count as cache writes), OpenAI bills it as plain input. Pure.
import type { Usage } from '../../src-shared/exchange.js';
import { requestCost } from '../analytics/cost.js';
import type { Prices } from '../analytics/prices.js';

export interface CostEstimate {
  usd: number | null;
  /** priced | partial | unpriced | no_usage | free (analytics/cost.ts). */
  status: string;
  /** How it was estimated, in one sentence. */
  note: string;
}

export function estimateReplayCost(
  o: {
    dialect: string;
    endpoint: string;
    usage: Usage | null;
    originalModel: string | null;
    targetModel: string | null;
  },
  prices: Prices,
): CostEstimate {
  const u = o.usage;
  if (!u || (u.input === null && u.output === null)) {
    const c = requestCost(
      {
        model: o.targetModel,
        usage: { input: null, output: null, cacheRead: null, cacheWrite: null },
        endpoint: o.endpoint,
      },
      prices,
    );
    return {
      usd: c.status === 'free' ? 0 : null,
      status: c.status,
      note:
        c.status === 'free'
          ? `${o.endpoint} requests are not billed`
          : 'the original recorded no token usage, so no estimate can be made',
    };
  }
  const sameModel = (o.targetModel ?? '') === (o.originalModel ?? '');
  let usage: Pick<Usage, 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'raw'> = u;
  let cacheNote = '';
  if (!sameModel && (u.cacheRead ?? 0) > 0) {
    usage =
      o.dialect === 'anthropic'
        ? { ...u, cacheRead: 0, cacheWrite: (u.cacheWrite ?? 0) + (u.cacheRead ?? 0), raw: null }
        : { ...u, cacheRead: 0, input: (u.input ?? 0) + (u.cacheRead ?? 0), raw: null };
    cacheNote =
      o.dialect === 'anthropic'
        ? '; another model cannot read the cached prompt, so it is written again'
        : '; another model cannot read the cached prompt, so it is billed as input';
  }
  const c = requestCost({ model: o.targetModel, usage, endpoint: o.endpoint }, prices);
  const model = o.targetModel ?? 'the model';
  if (c.status === 'unpriced')
    return { usd: null, status: c.status, note: `${model} has no price in the price table (pricing.*)` };
  return {
    usd: c.usd,
    status: c.status,
    note: `the original's tokens (output as long as the original's) at ${model}'s rates${cacheNote}`,
  };
}
