// The latency sketch (src-main/analytics/latency-sketch.ts): exact nearest-rank quantiles while it holds few
// values, within its stated relative accuracy once in buckets, the same after encode/decode and after merging
// sketches as one sketch of all the values.
import { describe, expect, it } from 'vitest';
import { EXACT_MAX, LatencySketch, RELATIVE_ACCURACY } from '../../src-main/analytics/latency-sketch.js';
import { quantile } from '../../src-main/analytics/stats.js';

/** A deterministic spread of latencies over five orders of magnitude (and a few zeros). */
function latencies(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return i % 97 === 0 ? 0 : Math.round(Math.exp((x / 2_147_483_648) * 11.5) * 10) / 10;
  });
}

const Q = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1];

describe('latency sketch', () => {
  it('answers exactly as stats.ts quantile while it holds at most EXACT_MAX values', () => {
    const values = latencies(EXACT_MAX, 7);
    const s = new LatencySketch();
    for (const v of values) s.add(v);
    expect(s.isExact).toBe(true);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of Q) expect(LatencySketch.decode(s.encode()).quantile(q)).toBe(quantile(sorted, q));
    expect(new LatencySketch().quantile(0.5)).toBeNull();
  });

  it('stays within its relative accuracy in buckets, also merged from several sketches', () => {
    const parts = [latencies(5_000, 1), latencies(40, 2), latencies(20_000, 3)];
    const merged = new LatencySketch();
    for (const p of parts) {
      const s = new LatencySketch();
      for (const v of p) s.add(v);
      merged.merge(LatencySketch.decode(s.encode()));
    }
    expect(merged.isExact).toBe(false);
    const all = parts.flat().sort((a, b) => a - b);
    expect(merged.count).toBe(all.length);
    for (const q of Q) {
      const want = quantile(all, q)!;
      expect(Math.abs(merged.quantile(q)! - want), `q ${q}`).toBeLessThanOrEqual(
        RELATIVE_ACCURACY * want + 1e-3,
      );
    }
    // Encoded in buckets it stays small, whatever the count.
    expect(merged.encode().length).toBeLessThan(20_000);
  });
});
