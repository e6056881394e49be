/** One row group of a suite: what is sent, how many at once, and how it is reported. */
export interface Workload {
  /** Key of its results. */
  key: string;
  /** As printed: `c=32`, `unary c=1`, `stream 10,000`. */
  label: string;
  concurrency: number;
  /** Items per request, so a stream of N reports N messages: 1 for a round trip. */
  items: number;
  /** Rate unit: items per second. */
  unit: 'req/s' | 'msg/s';
  /** Latency unit in the report; whole streams take milliseconds. */
  latencyUnit: 'µs' | 'ms';
  /**
   * Shortest piece. A piece always runs at least one whole request, so
   * requests that take longer than a round-trip piece would otherwise
   * stretch a slow variant's slice to one request per piece.
   */
  minPieceMs?: number;
}

/** The plain round-trip workload at each concurrency. */
export function roundTrips(concurrencies: readonly number[], prefix = ''): Workload[] {
  return concurrencies.map((c) => ({
    key: `${prefix}c=${c}`,
    label: `${prefix}c=${c}`,
    concurrency: c,
    items: 1,
    unit: 'req/s',
    latencyUnit: 'µs',
  }));
}
