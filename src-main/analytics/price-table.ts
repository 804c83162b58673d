// The bundled price table: USD per million tokens for current Anthropic and OpenAI models, with where each
// number was read. It is used offline; `pricing.file` (a JSON file of the same shape) replaces or adds entries and
// `pricing.overrides` in the config wins over both. A model missing here is "unpriced" — never $0.
//
// Only prices found in a published table are listed; models whose price could not be confirmed are left out
// (see README "Cost and analytics"). Cache rates: Anthropic `cacheWrite` is the 5-minute write rate and
// `cacheWrite1h` the 1-hour one; OpenAI has no cache write charge for these models (null = not billed).
import type { PriceTable } from './price-types.js';

const ANTHROPIC_PRICING = 'https://platform.claude.com/docs/en/about-claude/pricing';
const ANTHROPIC_SONNET_5 = 'https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview';
const ANTHROPIC_OPUS_5 = 'https://platform.claude.com/docs/about-claude/models/whats-new-opus-5';
const ANTHROPIC_LONG_CONTEXT =
  'https://docs.anthropic.com/en/docs/about-claude/pricing (long context pricing)';
// Sonnet 5.5, Opus 5.5 and Haiku 5.5 cache rates as published on the pricing page, cross-checked against two
// changelogs that re-read it (kurofune/claudit v1.8.2 and v1.9.2, TheKrush/PromptFuel v1.0.23).
const ANTHROPIC_5_5 = `${ANTHROPIC_PRICING} (5.5 rows, as re-read by kurofune/claudit v1.8.2/v1.9.2 and TheKrush/PromptFuel v1.0.23)`;
// OpenAI list prices as mirrored, per model, in GitHub's Copilot price table (which states that it mirrors the
// providers' per-token rates): github/docs data/tables/copilot/models-and-pricing.yml.
const OPENAI_VIA_GITHUB =
  'https://developers.openai.com/api/docs/pricing (via github/docs copilot/models-and-pricing.yml)';
const OPENAI_PRICING = 'https://developers.openai.com/api/docs/pricing';

const claude = (
  model: string,
  input: number,
  output: number,
  cacheWrite: number,
  cacheWrite1h: number,
  cacheRead: number,
  source: string,
  aliases: string[] = [],
): PriceTable['models'][number] => ({
  model,
  provider: 'anthropic',
  input,
  output,
  cacheRead,
  cacheWrite,
  cacheWrite1h,
  source,
  ...(aliases.length ? { aliases } : {}),
});

const gpt = (
  model: string,
  input: number,
  cachedInput: number,
  output: number,
  source: string,
  aliases: string[] = [],
): PriceTable['models'][number] => ({
  model,
  provider: 'openai',
  input,
  output,
  cacheRead: cachedInput,
  cacheWrite: null,
  source,
  ...(aliases.length ? { aliases } : {}),
});

export const BUNDLED_PRICES: PriceTable = {
  source:
    'LunaRoute bundled table: published Anthropic and OpenAI API list prices (standard tier, no batch discount)',
  as_of: '2026-11-06',
  models: [
    // Anthropic — model pricing table (base input, 5m write, 1h write, cache hits, output).
    claude('claude-fable-5-1', 10, 50, 12.5, 20, 0.25, ANTHROPIC_PRICING),
    claude('claude-mythos-5-1', 10, 50, 12.5, 20, 0.25, ANTHROPIC_PRICING),
    claude('claude-fable-5', 10, 50, 12.5, 20, 1, ANTHROPIC_PRICING),
    claude('claude-mythos-5', 10, 50, 12.5, 20, 1, ANTHROPIC_PRICING),
    claude('claude-opus-5-5', 4, 20, 5, 8, 0.2, ANTHROPIC_5_5),
    claude('claude-opus-5', 5, 25, 6.25, 10, 0.5, ANTHROPIC_OPUS_5),
    claude('claude-opus-4-8', 5, 25, 6.25, 10, 0.5, ANTHROPIC_PRICING),
    claude('claude-opus-4-7', 5, 25, 6.25, 10, 0.5, ANTHROPIC_PRICING),
    claude('claude-opus-4-6', 5, 25, 6.25, 10, 0.5, ANTHROPIC_PRICING),
    claude('claude-opus-4-5', 5, 25, 6.25, 10, 0.5, ANTHROPIC_PRICING),
    claude('claude-opus-4-1', 15, 75, 18.75, 30, 1.5, ANTHROPIC_PRICING),
    claude('claude-opus-4', 15, 75, 18.75, 30, 1.5, ANTHROPIC_PRICING, ['claude-opus-4-0']),
    claude('claude-sonnet-5-5', 2, 10, 2.5, 4, 0.1, ANTHROPIC_5_5),
    claude('claude-sonnet-5', 2, 10, 2.5, 4, 0.2, ANTHROPIC_SONNET_5),
    claude('claude-sonnet-4-6', 3, 15, 3.75, 6, 0.3, ANTHROPIC_PRICING),
    {
      ...claude('claude-sonnet-4-5', 3, 15, 3.75, 6, 0.3, ANTHROPIC_PRICING),
      // Over 200K prompt tokens (1M context window): every token of the request at the long-context rates; the
      // cache rates keep their multipliers (1.25× / 2× / 0.1× of input).
      longContext: {
        above: 200_000,
        input: 6,
        output: 22.5,
        cacheWrite: 7.5,
        cacheWrite1h: 12,
        cacheRead: 0.6,
      },
      source: `${ANTHROPIC_PRICING}; ${ANTHROPIC_LONG_CONTEXT}`,
    },
    {
      ...claude('claude-sonnet-4', 3, 15, 3.75, 6, 0.3, ANTHROPIC_PRICING, ['claude-sonnet-4-0']),
      longContext: {
        above: 200_000,
        input: 6,
        output: 22.5,
        cacheWrite: 7.5,
        cacheWrite1h: 12,
        cacheRead: 0.6,
      },
      source: `${ANTHROPIC_PRICING}; ${ANTHROPIC_LONG_CONTEXT}`,
    },
    claude('claude-sonnet-3-7', 3, 15, 3.75, 6, 0.3, ANTHROPIC_PRICING, ['claude-3-7-sonnet']),
    {
      ...claude('claude-haiku-5-5', 0.1, 0.5, 0.125, 0.2, 0.01, ANTHROPIC_5_5),
      // Priced by prompt length: over 100K prompt tokens (input + cache reads + cache writes) the whole request.
      longContext: {
        above: 100_000,
        input: 0.5,
        output: 2.5,
        cacheWrite: 0.625,
        cacheWrite1h: 1,
        cacheRead: 0.05,
      },
    },
    claude('claude-haiku-4-5', 1, 5, 1.25, 2, 0.1, ANTHROPIC_PRICING),
    claude('claude-haiku-3-5', 0.8, 4, 1, 1.6, 0.08, ANTHROPIC_PRICING, ['claude-3-5-haiku']),
    claude('claude-opus-3', 15, 75, 18.75, 30, 1.5, ANTHROPIC_PRICING, ['claude-3-opus']),
    claude('claude-haiku-3', 0.25, 1.25, 0.3, 0.5, 0.03, ANTHROPIC_PRICING, ['claude-3-haiku']),

    // OpenAI — input, cached input, output.
    {
      ...gpt('gpt-5.5', 5, 0.5, 30, OPENAI_VIA_GITHUB),
      longContext: { above: 272_000, input: 10, output: 45, cacheRead: 1, cacheWrite: null },
    },
    {
      ...gpt('gpt-5.4', 2.5, 0.25, 15, OPENAI_VIA_GITHUB),
      longContext: { above: 272_000, input: 5, output: 22.5, cacheRead: 0.5, cacheWrite: null },
    },
    gpt('gpt-5.4-mini', 0.75, 0.075, 4.5, OPENAI_VIA_GITHUB),
    gpt('gpt-5.4-nano', 0.2, 0.02, 1.25, OPENAI_VIA_GITHUB),
    gpt('gpt-5.3-codex', 1.75, 0.175, 14, OPENAI_VIA_GITHUB),
    gpt('gpt-5.2', 1.75, 0.175, 14, OPENAI_VIA_GITHUB),
    gpt('gpt-5.2-codex', 1.75, 0.175, 14, OPENAI_VIA_GITHUB),
    gpt('gpt-5.1', 1.25, 0.125, 10, `${OPENAI_PRICING} (GPT-5.1 launch pricing, Nov 2025)`),
    gpt('gpt-5', 1.25, 0.125, 10, `${OPENAI_PRICING} (same rates as GPT-5.1)`),
    gpt('gpt-5-mini', 0.25, 0.025, 2, OPENAI_VIA_GITHUB),
    gpt('gpt-4.1', 2, 0.5, 8, OPENAI_VIA_GITHUB),
    gpt('gpt-4o', 2.5, 1.25, 10, OPENAI_PRICING),
    gpt('gpt-4o-mini', 0.15, 0.075, 0.6, OPENAI_PRICING),
  ],
};
