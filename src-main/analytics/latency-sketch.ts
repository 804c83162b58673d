// A mergeable latency sketch with a bounded relative error, so tool latency quantiles over many closed partitions
// are merged from the summary (index/part-aggregates.ts) instead of read from every latency row. Up to EXACT_MAX
// values are kept as they are (a quantile over them is exact, as stats.ts quantile); above that the values go
// into log-spaced buckets (DDSketch-like): bucket i holds (γ^(i-1), γ^i] with γ = (1 + α) / (1 − α) and answers
// 2γ^i / (γ + 1), which is within α = 1 % of every value in it; values ≤ 0 share one bucket answering 0.
// Size: at most one bucket per 2 % of range (~800 from 1 ms to 1 hour), usually a few dozen.
/** A quantile from the buckets is within this fraction of the true (nearest-rank) quantile. */
export const RELATIVE_ACCURACY = 0.01;
/** Values kept exactly before a sketch switches to buckets. */
export const EXACT_MAX = 64;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

const bucketOf = (x: number): number => Math.ceil(Math.log(x) / LOG_GAMMA);
const valueOf = (i: number): number => (2 * Math.pow(GAMMA, i)) / (GAMMA + 1);

/** The stored form: exact values, or the count of values ≤ 0 and [bucket, count] pairs. */
type Encoded = { v: number[] } | { z: number; b: [number, number][] };

export class LatencySketch {
  /** The values while they are few (null once in buckets). */
  private exact: number[] | null = [];
  private zero = 0;
  private readonly buckets = new Map<number, number>();

  get count(): number {
    if (this.exact) return this.exact.length;
    let n = this.zero;
    for (const c of this.buckets.values()) n += c;
    return n;
  }

  /** Whether quantiles are exact (every value is kept). */
  get isExact(): boolean {
    return this.exact !== null;
  }

  private toBuckets(): void {
    if (!this.exact) return;
    const values = this.exact;
    this.exact = null;
    for (const x of values) this.bucketAdd(x, 1);
  }

  private bucketAdd(x: number, n: number): void {
    if (x <= 0) this.zero += n;
    else {
      const i = bucketOf(x);
      this.buckets.set(i, (this.buckets.get(i) ?? 0) + n);
    }
  }

  /** Add one value; a sketch that would hold more than EXACT_MAX exact values switches to buckets. */
  add(x: number): void {
    if (this.exact) {
      this.exact.push(x);
      if (this.exact.length > EXACT_MAX) this.toBuckets();
    } else this.bucketAdd(x, 1);
  }

  /** Add every value of `o` (exact values stay exact, however many: a merge is only held while a query runs). */
  merge(o: LatencySketch): void {
    if (this.exact && o.exact) {
      for (const x of o.exact) this.exact.push(x);
      return;
    }
    this.toBuckets();
    if (o.exact) for (const x of o.exact) this.bucketAdd(x, 1);
    else {
      this.zero += o.zero;
      for (const [i, c] of o.buckets) this.buckets.set(i, (this.buckets.get(i) ?? 0) + c);
    }
  }

  /** The nearest-rank quantile (stats.ts quantile): exact while exact, else within RELATIVE_ACCURACY. */
  quantile(q: number): number | null {
    const n = this.count;
    if (n === 0) return null;
    const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    if (this.exact) return [...this.exact].sort((x, y) => x - y)[rank]!;
    if (rank < this.zero) return 0;
    let seen = this.zero;
    for (const i of [...this.buckets.keys()].sort((x, y) => x - y)) {
      seen += this.buckets.get(i)!;
      if (rank < seen) return Math.round(valueOf(i) * 1000) / 1000;
    }
    return null;
  }

  encode(): string {
    const e: Encoded = this.exact
      ? { v: this.exact }
      : { z: this.zero, b: [...this.buckets.entries()].sort((x, y) => x[0] - y[0]) };
    return JSON.stringify(e);
  }

  /** A sketch holding these values exactly (however many: for merging rows read at query time). */
  static ofValues(values: number[]): LatencySketch {
    const s = new LatencySketch();
    s.exact = values;
    return s;
  }

  static decode(text: string): LatencySketch {
    const e = JSON.parse(text) as Encoded;
    const s = new LatencySketch();
    if ('v' in e) s.exact = e.v;
    else {
      s.exact = null;
      s.zero = e.z;
      for (const [i, c] of e.b) s.buckets.set(i, c);
    }
    return s;
  }
}
