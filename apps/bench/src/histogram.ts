/*
 * Log-linear latency histogram in nanoseconds: exact below 256 ns, then 128
 * buckets per power of two (under 0.8% error), up to ~2.1 s. Recording is a
 * couple of integer operations and one array increment, so it does not show
 * up next to a request of a few microseconds, and memory stays fixed however
 * long the run.
 */
const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
const MAX_VALUE = 0x7fffffff;
const BUCKETS = bucketOf(MAX_VALUE) + 1;

function bucketOf(ns: number): number {
  if (ns < 2 * SUB_COUNT) return ns;
  const shift = 31 - Math.clz32(ns) - SUB_BITS;
  return (shift << SUB_BITS) + (ns >>> shift);
}

/** Middle of the bucket's range. */
function valueOf(bucket: number): number {
  if (bucket < 2 * SUB_COUNT) return bucket;
  const shift = (bucket >> SUB_BITS) - 1;
  const mantissa = (bucket & (SUB_COUNT - 1)) + SUB_COUNT;
  return mantissa * 2 ** shift + 2 ** (shift - 1);
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;

  record(ns: number): void {
    const clamped = ns < 0 ? 0 : ns > MAX_VALUE ? MAX_VALUE : ns | 0;
    this.counts[bucketOf(clamped)]++;
    this.count++;
  }

  add(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
  }

  /** The value at quantile q (0..1), in nanoseconds; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return valueOf(i);
    }
    return MAX_VALUE;
  }
}
