// Price lookup: which per-million-token rates apply to a model name as a client or provider wrote it. Names are
// normalised first (case, provider prefixes such as `anthropic/` or `us.anthropic.`, a `[1m]` suffix, dated
// snapshots `-20250929` / `-2025-08-07`, `-latest`, Bedrock `-v1:0`, dotted Claude versions `claude-opus-4.5`), then
// matched exactly against canonical names and aliases — never by prefix, so `gpt-5-mini` can never be billed as
// `gpt-5`. The table is the bundled one, with entries from `pricing.file` laid over it, then `pricing.overrides`.
import fs from 'node:fs';
import { BUNDLED_PRICES } from './price-table.js';

export type { ModelPrice, PriceTable, Rates } from './price-types.js';
import type { ModelPrice, PriceTable, Rates } from './price-types.js';

/** The bundled table (read at build time; works offline). */
export { BUNDLED_PRICES };

/** Normalise a model name for lookup. Returns '' for an empty name. */
export function normalizeModel(name: string): string {
  let m = name.trim().toLowerCase();
  // Provider routing prefixes: `anthropic/claude-…`, `openai/gpt-…`, Bedrock `us.anthropic.claude-…`.
  m = m.replace(/^.*\//, '');
  m = m.replace(/^(?:[a-z]{2,4}\.)?anthropic\./, '');
  m = m.replace(/\[[^\]]*\]$/, ''); // claude-sonnet-4-5[1m]
  m = m.replace(/-v\d+(?::\d+)?$/, ''); // Bedrock -v1:0
  m = m.replace(/@.*$/, ''); // Vertex claude-sonnet-4-5@20250929
  m = m.replace(/-latest$/, '');
  m = m.replace(/-\d{4}-\d{2}-\d{2}$/, ''); // OpenAI snapshots
  m = m.replace(/-\d{8}$/, ''); // Anthropic snapshots
  if (m.startsWith('claude')) m = m.replace(/(\d)\.(\d)/g, '$1-$2');
  return m;
}

/** A compiled table: name → price. */
export class Prices {
  private readonly byName = new Map<string, ModelPrice>();

  constructor(readonly table: PriceTable) {
    for (const p of table.models) {
      this.byName.set(normalizeModel(p.model), p);
      for (const a of p.aliases ?? []) this.byName.set(normalizeModel(a), p);
    }
  }

  /** The price of a model, or null when it is unpriced. */
  lookup(model: string | null | undefined): ModelPrice | null {
    if (!model) return null;
    return this.byName.get(normalizeModel(model)) ?? null;
  }
}

let bundled: Prices | null = null;
export function bundledPrices(): Prices {
  bundled ??= new Prices(BUNDLED_PRICES);
  return bundled;
}

/** Price overrides as written in the config: model → rates (a partial entry changes only what it names). */
export type PriceOverrides = Record<
  string,
  Partial<Rates> & { long_context?: Partial<Rates> & { above?: number } }
>;

function isRate(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/**
 * Check one entry of a price file or of `pricing.overrides`; returns a message for the user, or null when valid.
 * `partial`: only the fields present are checked (an override of an existing model).
 */
export function priceProblem(name: string, e: unknown, partial: boolean): string | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return `${name}: expected an object of rates`;
  const o = e as Record<string, unknown>;
  for (const k of ['input', 'output']) {
    if (o[k] === undefined ? !partial : !isRate(o[k]))
      return `${name}.${k} must be a price in USD per million tokens (a number ≥ 0)`;
  }
  for (const k of [
    'cacheRead',
    'cacheWrite',
    'cacheWrite1h',
    'cache_read',
    'cache_write',
    'cache_write_1h',
  ]) {
    if (o[k] !== undefined && o[k] !== null && !isRate(o[k]))
      return `${name}.${k} must be a price in USD per million tokens (a number ≥ 0) or null`;
  }
  return null;
}

function pick(o: Record<string, unknown>, camel: string, snake: string): number | null | undefined {
  const v = o[camel] ?? o[snake];
  return v === undefined ? undefined : (v as number | null);
}

function ratesOf(o: Record<string, unknown>, base?: Rates): Rates {
  const r: Rates = {
    input: (o['input'] as number | undefined) ?? base?.input ?? 0,
    output: (o['output'] as number | undefined) ?? base?.output ?? 0,
    cacheRead: pick(o, 'cacheRead', 'cache_read') ?? (base ? base.cacheRead : null),
    cacheWrite: pick(o, 'cacheWrite', 'cache_write') ?? (base ? base.cacheWrite : null),
  };
  const w1h = pick(o, 'cacheWrite1h', 'cache_write_1h') ?? base?.cacheWrite1h;
  if (w1h !== undefined) r.cacheWrite1h = w1h;
  return r;
}

/**
 * Build the table in effect: bundled < `file` entries (a JSON PriceTable, or a `{ models: [...] }` subset) <
 * `overrides`. Throws an Error with a message for the user when the file or an override is invalid.
 */
export function buildPrices(opts: { file?: string | null; overrides?: PriceOverrides } = {}): Prices {
  if (!opts.file && (!opts.overrides || Object.keys(opts.overrides).length === 0)) return bundledPrices();
  const models = new Map<string, ModelPrice>(BUNDLED_PRICES.models.map((m) => [normalizeModel(m.model), m]));
  let source = BUNDLED_PRICES.source;
  let asOf = BUNDLED_PRICES.as_of;
  if (opts.file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
    } catch (err) {
      throw new Error(`pricing.file ${opts.file} could not be read as JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const t = parsed as Partial<PriceTable>;
    if (!t || !Array.isArray(t.models))
      throw new Error(`pricing.file ${opts.file} must hold { "source", "as_of", "models": [...] }`);
    for (const [i, m] of t.models.entries()) {
      const name = typeof m?.model === 'string' ? m.model : `models[${i}]`;
      const problem =
        typeof m?.model === 'string' ? priceProblem(name, m, false) : `${name}.model is missing`;
      if (problem) throw new Error(`pricing.file ${opts.file}: ${problem}`);
      const o = m as unknown as Record<string, unknown>;
      const entry: ModelPrice = {
        ...ratesOf(o),
        model: m.model,
        provider: typeof m.provider === 'string' ? m.provider : 'other',
        source: typeof m.source === 'string' ? m.source : (t.source ?? opts.file),
      };
      if (Array.isArray(m.aliases)) entry.aliases = m.aliases.filter((a) => typeof a === 'string');
      const lc = (o['longContext'] ?? o['long_context']) as Record<string, unknown> | undefined;
      if (lc && isRate(lc['above'])) entry.longContext = { ...ratesOf(lc, entry), above: lc['above'] };
      models.set(normalizeModel(m.model), entry);
    }
    source = `${typeof t.source === 'string' ? t.source : opts.file} over the bundled table`;
    if (typeof t.as_of === 'string') asOf = t.as_of;
  }
  for (const [name, o] of Object.entries(opts.overrides ?? {})) {
    const known = new Prices({ source, as_of: asOf, models: [...models.values()] }).lookup(name);
    const key = known ? normalizeModel(known.model) : normalizeModel(name);
    const base = known ?? undefined;
    const problem = priceProblem(`pricing.overrides.${name}`, o, base !== undefined);
    if (problem) throw new Error(problem);
    const raw = o as Record<string, unknown>;
    const entry: ModelPrice = {
      ...(base ?? { model: key, provider: 'other' }),
      ...ratesOf(raw, base),
      model: base?.model ?? key,
      source: 'pricing.overrides in the config',
    };
    const lc = raw['long_context'] as Record<string, unknown> | undefined;
    if (lc && isRate(lc['above'])) entry.longContext = { ...ratesOf(lc, entry), above: lc['above'] };
    models.set(key, entry);
  }
  return new Prices({ source, as_of: asOf, models: [...models.values()] });
}
