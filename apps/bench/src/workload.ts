/** What a workload sends; each suite says how its transport makes it. */
export type WorkloadKind = 'unary' | 'stream' | 'bidi' | 'events';

/** One row group of a suite: what is sent, how many at once, and how it is reported. */
export interface Workload {
  /** Key of its results, and what `--workloads` names: `64B-c1`, `stream`. */
  key: string;
  /** As printed: `64 B, c=1`. */
  label: string;
  kind: WorkloadKind;
  /** Payload bytes of each message. */
  bytes: number;
  concurrency: number;
  /** Messages per request (a stream of N reports N messages); 1 for a round trip. */
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

export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

function sizeKey(bytes: number): string {
  return sizeLabel(bytes).replace(' ', '');
}

/** Round trips of each payload size at each concurrency, smallest first. */
export function unaryWorkloads(sizes: readonly number[], concurrencies: readonly number[]): Workload[] {
  return [...sizes]
    .sort((a, b) => a - b)
    .flatMap((bytes) =>
      concurrencies.map((concurrency) => ({
        key: `${sizeKey(bytes)}-c${concurrency}`,
        label: `${sizeLabel(bytes)}, c=${concurrency}`,
        kind: 'unary' as const,
        bytes,
        concurrency,
        items: 1,
        unit: 'req/s' as const,
        latencyUnit: bytes >= 256 * 1024 ? ('ms' as const) : ('µs' as const),
        ...(bytes >= 256 * 1024 ? { minPieceMs: 200 } : {}),
      })),
    );
}

/** A workload of `items` messages per request, one request at a time. */
export function messageWorkload(
  kind: Exclude<WorkloadKind, 'unary'>,
  label: string,
  items: number,
  bytes: number,
): Workload {
  return { key: kind, label, kind, bytes, concurrency: 1, items, unit: 'msg/s', latencyUnit: 'ms' };
}

/** The workloads `keys` names, in suite order (all when undefined). */
export function selectWorkloads(all: readonly Workload[], keys: readonly string[] | undefined): Workload[] {
  return keys ? all.filter((w) => keys.includes(w.key)) : [...all];
}
