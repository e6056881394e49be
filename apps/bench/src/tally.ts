import { LatencyHistogram } from './histogram.js';
import type { SliceResult } from './measure.js';

export interface Summary {
  requests: number;
  /** Requests over measured time, all rounds together. */
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
  private elapsedNs = 0;
  private readonly roundRps: number[] = [];

  add(slice: SliceResult): void {
    this.requests += slice.requests;
    this.elapsedNs += slice.elapsedNs;
    this.roundRps.push(rate(slice.requests, slice.elapsedNs));
  }

  summary(): Summary {
    return {
      requests: this.requests,
      rps: rate(this.requests, this.elapsedNs),
      p50Us: this.histogram.quantile(0.5) / 1e3,
      p99Us: this.histogram.quantile(0.99) / 1e3,
      minRoundRps: Math.min(...this.roundRps),
      maxRoundRps: Math.max(...this.roundRps),
    };
  }
}

function rate(requests: number, elapsedNs: number): number {
  return elapsedNs > 0 ? (requests * 1e9) / elapsedNs : 0;
}

export type Results = Map<string, Summary>;

export function resultKey(variantId: string, concurrency: number): string {
  return `${variantId}@${concurrency}`;
}
