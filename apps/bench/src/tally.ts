import { LatencyHistogram } from './histogram.js';
import type { SliceResult } from './measure.js';

export interface Summary {
  requests: number;
  /**
   * Median of the rounds' rates: one slice disturbed by another process on the
   * machine moves a mean a lot (cross-process round trips are dominated by CPU
   * wake-ups, which any other load changes), a median hardly.
   */
  rps: number;
  p50Us: number;
  p99Us: number;
  /** Slowest and fastest round, to show how steady the variant was. */
  minRoundRps: number;
  maxRoundRps: number;
}

/** Everything measured for one variant at one concurrency, across rounds. */
export class Tally {
  readonly histogram = new LatencyHistogram();
  private requests = 0;
  private readonly roundRps: number[] = [];

  add(slice: SliceResult): void {
    this.requests += slice.requests;
    this.roundRps.push(rate(slice.requests, slice.elapsedNs));
  }

  summary(): Summary {
    return {
      requests: this.requests,
      rps: median(this.roundRps),
      p50Us: this.histogram.quantile(0.5) / 1e3,
      p99Us: this.histogram.quantile(0.99) / 1e3,
      minRoundRps: Math.min(...this.roundRps),
      maxRoundRps: Math.max(...this.roundRps),
    };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rate(requests: number, elapsedNs: number): number {
  return elapsedNs > 0 ? (requests * 1e9) / elapsedNs : 0;
}

export type Results = Map<string, Summary>;

export function resultKey(variantId: string, concurrency: number): string {
  return `${variantId}@${concurrency}`;
}
