import { median, resultKey, type Results } from './tally.js';

/** A ratio of two variants' rates, round by round: both ran in the same round, piece by piece. */
export interface Ratio {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

/** `variant`'s rate over `baseline`'s on one workload, or undefined when either did not run. */
export function ratioOf(results: Results, variant: string, baseline: string, workload: string): Ratio | undefined {
  const own = results.get(resultKey(variant, workload));
  const base = results.get(resultKey(baseline, workload));
  if (!own || !base) return undefined;
  const rounds = own.map((r, i) => r.rps / base[i]!.rps).filter((x) => Number.isFinite(x));
  if (rounds.length === 0) return undefined;
  return { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
}

/** A ratio as printed: three significant figures at most, with its sign. */
export function times(n: number): string {
  return `${n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n >= 0.1 ? n.toFixed(2) : n.toPrecision(2)}×`;
}

/** The median, and the range over rounds when there are several. */
export function formatRatio(ratio: Ratio | undefined): string {
  if (!ratio) return '–';
  if (ratio.rounds.length < 2) return times(ratio.median);
  return `${times(ratio.median)} (${times(ratio.min).slice(0, -1)}–${times(ratio.max)})`;
}
