import { median, resultKey, type Results } from './tally.js';

/** The goals the fast tiers are held to, as ratios against the stock transport on the same run. */
export type Target =
  | { kind: 'speedup'; variant: string; baseline: string; concurrency: number; atLeast: number }
  | { kind: 'p50'; variant: string; concurrency: number; atMostUs: number };

export const TARGETS: readonly Target[] = [
  { kind: 'speedup', variant: 'friends-memory', baseline: 'stock-inproc', concurrency: 1, atLeast: 6 },
  { kind: 'p50', variant: 'friends-memory', concurrency: 1, atMostUs: 6 },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', concurrency: 1, atLeast: 1.3 },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', concurrency: 32, atLeast: 2 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', concurrency: 1, atLeast: 1 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', concurrency: 32, atLeast: 1 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', concurrency: 1, atLeast: 0.95 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', concurrency: 32, atLeast: 0.95 },
];

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export interface TargetOutcome {
  label: string;
  /** The figure the verdict is on. */
  measured: string;
  /** How much it moved between rounds, or why there is none. */
  detail: string;
  goal: string;
  verdict: Verdict;
}

/**
 * A speedup is judged on the median of per-round ratios: both variants of a
 * ratio ran in the same round, seconds apart, so a machine-wide slowdown
 * that lasts a few rounds cancels out instead of landing on one side.
 */
export function evaluate(target: Target, results: Results): TargetOutcome {
  const c = target.concurrency;
  const own = results.get(resultKey(target.variant, c));
  if (target.kind === 'p50') {
    const label = `${target.variant} p50, c=${c}`;
    const goal = `<= ${target.atMostUs} µs`;
    if (!own) return { label, measured: 'not run', detail: '', goal, verdict: 'n/a' };
    const verdict = own.p50Us <= target.atMostUs ? 'PASS' : 'MISS';
    return { label, measured: `${own.p50Us.toFixed(1)} µs`, detail: 'median of rounds', goal, verdict };
  }
  const label = `${target.variant} / ${target.baseline} req/s, c=${c}`;
  const goal = `>= ${target.atLeast}x`;
  const base = results.get(resultKey(target.baseline, c));
  if (!own || !base) return { label, measured: 'not run', detail: '', goal, verdict: 'n/a' };
  const ratios = own.roundRps.map((rps, round) => rps / base.roundRps[round]!);
  const ratio = median(ratios);
  return {
    label,
    measured: `${ratio.toFixed(2)}x`,
    detail: `rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x`,
    goal,
    verdict: ratio >= target.atLeast ? 'PASS' : 'MISS',
  };
}
