import type { Usage } from './meter/usage.js';
import { median, type RoundFigures } from './tally.js';

/** One side's costs, per item (a call, or a message of a stream), median over rounds. */
export interface SideSummary {
  cpuUsPerItem: number;
  /** NaN when no allocation piece ran. */
  heapBytesPerItem: number;
  /** Largest RSS seen at the end of a piece. */
  rssPeakBytes: number;
  /** The process's RSS high-water mark by the end of the last piece. */
  maxRssBytes: number;
}

/** A variant on a workload: each figure is the median over rounds of that round's figure. */
export interface Summary {
  rounds: number;
  requests: number;
  /** Requests per second; multiply by the workload's items for messages. */
  rps: number;
  minRps: number;
  maxRps: number;
  p50Us: number;
  p99Us: number;
  /** The benchmark's process: the client, and the server too when they share it. */
  client: SideSummary;
  /** The server's own process, when it has one. */
  server?: SideSummary;
}

/*
 * Cross-process round trips are dominated by CPU wake-ups, which any other
 * load on the machine changes a lot; one disturbed round moves a mean or a
 * pooled percentile, a median of rounds hardly.
 */
export function summarize(rounds: readonly RoundFigures[], items: number): Summary {
  const rps = rounds.map((r) => r.rps);
  const side = (
    pick: (r: RoundFigures) => Usage | undefined,
    heap: (r: RoundFigures) => number | undefined,
  ): SideSummary | undefined => {
    const usages = rounds.map((r) => ({ usage: pick(r), itemCount: r.requests * items }));
    if (usages.some((u) => !u.usage)) return undefined;
    const heapPerItem = rounds.flatMap((r) => {
      const bytes = heap(r);
      return bytes === undefined || !r.heap?.requests ? [] : [bytes / (r.heap.requests * items)];
    });
    return {
      cpuUsPerItem: median(usages.map((u) => u.usage!.cpuUs / Math.max(1, u.itemCount))),
      heapBytesPerItem: median(heapPerItem),
      rssPeakBytes: Math.max(...usages.map((u) => u.usage!.rssBytes)),
      maxRssBytes: Math.max(...usages.map((u) => u.usage!.maxRssBytes)),
    };
  };
  const server = side(
    (r) => r.server,
    (r) => r.heap?.serverBytes,
  );
  return {
    rounds: rounds.length,
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    rps: median(rps),
    minRps: Math.min(...rps),
    maxRps: Math.max(...rps),
    p50Us: median(rounds.map((r) => r.p50Us)),
    p99Us: median(rounds.map((r) => r.p99Us)),
    client: side(
      (r) => r.client,
      (r) => r.heap?.clientBytes,
    )!,
    ...(server ? { server } : {}),
  };
}
