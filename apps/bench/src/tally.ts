import { LatencyHistogram } from './histogram.js';
import type { SliceResult } from './measure.js';

/**
 * Each figure is the median over rounds of that round's figure. Cross-process
 * round trips are dominated by CPU wake-ups, which any other load on the
 * machine changes a lot (a busy neighbour can make them several times faster
 * or slower); one disturbed slice moves a mean or a pooled percentile, a
 * median hardly.
 */
export interface Summary {
  requests: number;
  rps: number;
  p50Us: number;
  p99Us: number;
  /** Slowest and fastest round, to show how steady the variant was. */
  minRoundRps: number;
  maxRoundRps: number;
  /** Each round's rate, in round order, to pair with another variant's same round. */
  roundRps: readonly number[];
}

/** Everything measured for one variant on one workload, across rounds. */
export class Tally {
  private requests = 0;
  private readonly rps: number[] = [];
  private readonly p50Us: number[] = [];
  private readonly p99Us: number[] = [];

  add(slice: SliceResult, histogram: LatencyHistogram): void {
    this.requests += slice.requests;
    this.rps.push(slice.elapsedNs > 0 ? (slice.requests * 1e9) / slice.elapsedNs : 0);
    this.p50Us.push(histogram.quantile(0.5) / 1e3);
    this.p99Us.push(histogram.quantile(0.99) / 1e3);
  }

  summary(): Summary {
    return {
      requests: this.requests,
      rps: median(this.rps),
      p50Us: median(this.p50Us),
      p99Us: median(this.p99Us),
      minRoundRps: Math.min(...this.rps),
      maxRoundRps: Math.max(...this.rps),
      roundRps: [...this.rps],
    };
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type Results = Map<string, Summary>;

export function resultKey(variantId: string, workloadKey: string): string {
  return `${variantId}@${workloadKey}`;
}
