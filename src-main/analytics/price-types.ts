// The shape of a price table: per-model rates in USD per million tokens. A leaf module, so the bundled table
// (price-table.ts) and the lookup (prices.ts) can both use it without importing each other.

/** Rates in USD per million tokens. null = this token kind is not billed separately for the model. */
export interface Rates {
  input: number;
  output: number;
  /** Cache hits (Anthropic cache reads, OpenAI cached input). */
  cacheRead: number | null;
  /** Cache writes (Anthropic: the 5-minute rate). */
  cacheWrite: number | null;
  /** Anthropic 1-hour cache writes, when the usage says which writes were 1-hour ones. */
  cacheWrite1h?: number | null;
}

export interface ModelPrice extends Rates {
  /** Canonical model name (normalised form). */
  model: string;
  provider: 'anthropic' | 'openai' | string;
  /** Other names that mean this model (normalised form). */
  aliases?: string[];
  /**
   * Long-context tier: when the prompt (input + cache reads + cache writes) exceeds `above` tokens, every token of
   * the request is billed at these rates instead.
   */
  longContext?: Rates & { above: number };
  /** Where the numbers were read. */
  source: string;
}

export interface PriceTable {
  /** What the table as a whole is. */
  source: string;
  /** Date the prices were read (YYYY-MM-DD). */
  as_of: string;
  models: ModelPrice[];
}
