import { resultKey, type Results } from './tally.js';

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
  measured: string;
  goal: string;
  verdict: Verdict;
}

export function evaluate(target: Target, results: Results): TargetOutcome {
  const c = target.concurrency;
  const own = results.get(resultKey(target.variant, c));
  if (target.kind === 'p50') {
    const label = `${target.variant} p50, c=${c}`;
    const goal = `<= ${target.atMostUs} µs`;
    if (!own) return { label, measured: 'not run', goal, verdict: 'n/a' };
    return {
      label,
      measured: `${own.p50Us.toFixed(1)} µs`,
      goal,
      verdict: own.p50Us <= target.atMostUs ? 'PASS' : 'MISS',
    };
  }
  const label = `${target.variant} / ${target.baseline} req/s, c=${c}`;
  const goal = `>= ${target.atLeast}x`;
  const base = results.get(resultKey(target.baseline, c));
  if (!own || !base || base.rps === 0) return { label, measured: 'not run', goal, verdict: 'n/a' };
  const ratio = own.rps / base.rps;
  return { label, measured: `${ratio.toFixed(2)}x`, goal, verdict: ratio >= target.atLeast ? 'PASS' : 'MISS' };
}
