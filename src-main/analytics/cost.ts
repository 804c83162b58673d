// The cost of one request, from its own normalised Usage (src-shared/exchange.ts) and the price of its model.
// Usage is already disjoint across providers: `input` excludes cache reads and writes (for OpenAI the recorder has
// subtracted `cached_tokens`), `reasoning` is part of `output` and is never billed again. So for every provider:
//   cost = input·in + output·out + cacheRead·read + cacheWrite·write        (per million tokens)
// Anthropic 1-hour cache writes are billed at the 1-hour rate when the raw usage splits them out
// (`cache_creation.ephemeral_1h_input_tokens`). A long-context tier applies to the whole request when the prompt
// (input + cache reads + cache writes) exceeds its threshold.
// null is never 0: an unpriced model or unknown usage gives `usd: null` with a status saying why; a count that is
// unknown while others are known gives the known part with status `partial`.
import type { JsonValue, Usage } from '../../src-shared/exchange.js';
import { bundledPrices, type ModelPrice, type Prices, type Rates } from './prices.js';

/**
 * `priced`: every billed token kind was known and the model has a price. `partial`: input or output is unknown,
 * `usd` is a lower bound. `unpriced`: the model has no price (usd null). `no_usage`: the response reported no usage
 * (a failed or cut request, a Chat stream without include_usage; usd null). `free`: an endpoint that is not billed
 * (count_tokens, models; usd 0).
 */
export type CostStatus = 'priced' | 'partial' | 'unpriced' | 'no_usage' | 'free';

export interface Cost {
  usd: number | null;
  status: CostStatus;
  /** The price entry used (canonical name), or null. */
  priceModel: string | null;
  tier: 'standard' | 'long_context' | null;
  /** Per token kind, USD (null when that kind is unknown or not billed). */
  parts: { input: number | null; output: number | null; cacheRead: number | null; cacheWrite: number | null };
}

export interface CostInput {
  /** The model the response named, else the requested one. */
  model: string | null;
  usage: Pick<Usage, 'input' | 'output' | 'cacheRead' | 'cacheWrite'> & { raw?: JsonValue | null };
  /** Endpoint name (count_tokens and models are free). */
  endpoint?: string;
}

const FREE_ENDPOINTS = new Set(['count_tokens', 'models']);
const PER_TOKEN = 1 / 1_000_000;

function nothing(status: CostStatus, price: ModelPrice | null): Cost {
  return {
    usd: status === 'free' ? 0 : null,
    status,
    priceModel: price?.model ?? null,
    tier: null,
    parts: { input: null, output: null, cacheRead: null, cacheWrite: null },
  };
}

/** Anthropic's split of cache writes by TTL, when the raw usage carries it. */
function oneHourWrites(raw: JsonValue | null | undefined): number | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const cc = raw['cache_creation'];
  if (!cc || typeof cc !== 'object' || Array.isArray(cc)) return null;
  const h = cc['ephemeral_1h_input_tokens'];
  return typeof h === 'number' && h > 0 ? h : null;
}

/** Round to a millionth of a cent so sums of many rows stay stable in JSON. */
function round(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

export function requestCost(r: CostInput, prices: Prices = bundledPrices()): Cost {
  const price = prices.lookup(r.model);
  if (r.endpoint && FREE_ENDPOINTS.has(r.endpoint)) return nothing('free', price);
  const u = r.usage;
  if (u.input === null && u.output === null && u.cacheRead === null && u.cacheWrite === null)
    return nothing('no_usage', price);
  if (!price) return nothing('unpriced', null);
  const prompt = (u.input ?? 0) + (u.cacheRead ?? 0) + (u.cacheWrite ?? 0);
  const long = price.longContext && prompt > price.longContext.above ? price.longContext : null;
  const rates: Rates = long ?? price;
  const input = u.input === null ? null : u.input * rates.input * PER_TOKEN;
  const output = u.output === null ? null : u.output * rates.output * PER_TOKEN;
  // Unreported cache counts mean no caching happened (OpenAI never reports writes); they cost nothing.
  const cacheRead = u.cacheRead ? u.cacheRead * (rates.cacheRead ?? rates.input) * PER_TOKEN : 0;
  let cacheWrite = 0;
  if (u.cacheWrite) {
    const write = rates.cacheWrite ?? rates.input;
    const h1 = Math.min(oneHourWrites(u.raw) ?? 0, u.cacheWrite);
    cacheWrite = ((u.cacheWrite - h1) * write + h1 * (rates.cacheWrite1h ?? write)) * PER_TOKEN;
  }
  const partial = input === null || output === null;
  return {
    usd: round((input ?? 0) + (output ?? 0) + cacheRead + cacheWrite),
    status: partial ? 'partial' : 'priced',
    priceModel: price.model,
    tier: long ? 'long_context' : 'standard',
    parts: {
      input: input === null ? null : round(input),
      output: output === null ? null : round(output),
      cacheRead: round(cacheRead),
      cacheWrite: round(cacheWrite),
    },
  };
}
