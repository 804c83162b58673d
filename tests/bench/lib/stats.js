// Small statistics helpers for the benchmarks: nearest-rank percentiles over a sample array, median, and
// rounding for printing/JSON. Pure functions, no dependencies.

/** Nearest-rank percentile (p in 0..100) of an unsorted numeric array; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export function median(values) {
  return percentile(values, 50);
}

export function mean(values) {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Summary of a sample: count, p50, p90, p99, max, mean. */
export function summarize(values) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: percentile(values, 100),
    mean: mean(values),
  };
}

/** Round to `digits` decimals (keeps NaN/null as null for JSON). */
export function round(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return null;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
