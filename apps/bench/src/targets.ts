import { ratioOf, times } from './ratios.js';
import { summarize } from './summary.js';
import { resultKey, type Failures, type Results } from './tally.js';
import type { Workload } from './workload.js';

/**
 * A goal the libraries are held to. `family` groups the goals that hold at
 * every workload (reported as a matrix); goals without one are headlines.
 */
export type Target =
  | { kind: 'ratio'; variant: string; baseline: string; workload: string; atLeast: number; family?: string }
  | { kind: 'heap-per-call'; variant: string; workload: string; atMostBytes: number; family?: string };

export type Verdict = 'HIT' | 'MISS' | 'not run';

export interface TargetOutcome {
  target: Target;
  label: string;
  /** The figure the verdict is on. */
  measured: string;
  /** How it moved between rounds. */
  spread: string;
  goal: string;
  verdict: Verdict;
}

/**
 * A ratio is judged on the median of per-round ratios: both variants ran in
 * the same round, seconds apart, so a machine-wide slowdown that lasts a few
 * rounds cancels out instead of landing on one side.
 */
export function evaluate(
  target: Target,
  results: Results,
  workloads: readonly Workload[],
  failures: Failures = new Map(),
): TargetOutcome {
  const workload = workloads.find((w) => w.key === target.workload);
  const where = workload?.label ?? target.workload;
  const failed = (id: string): boolean => failures.has(resultKey(id, target.workload));
  if (target.kind === 'heap-per-call') {
    const label = `${target.variant}: V8 heap allocated per call, ${where}`;
    const goal = `≤ ${(target.atMostBytes / 1000).toFixed(0)} KB`;
    if (failed(target.variant)) return { target, label, measured: 'failed', spread: '', goal, verdict: 'MISS' };
    const rounds = results.get(resultKey(target.variant, target.workload));
    if (!rounds || !workload) return { target, label, measured: 'not run', spread: '', goal, verdict: 'not run' };
    const perCall = rounds.flatMap((r) => (r.heap?.requests ? [r.heap.clientBytes / r.heap.requests] : []));
    const { client } = summarize(rounds, 1);
    if (perCall.length === 0) return { target, label, measured: 'not measured', spread: '', goal, verdict: 'not run' };
    return {
      target,
      label,
      measured: `${(client.heapBytesPerItem / 1000).toFixed(1)} KB`,
      spread: `${(Math.min(...perCall) / 1000).toFixed(1)}–${(Math.max(...perCall) / 1000).toFixed(1)} KB`,
      goal,
      verdict: client.heapBytesPerItem <= target.atMostBytes ? 'HIT' : 'MISS',
    };
  }
  const label = `${target.variant} / ${target.baseline}, ${where}`;
  const goal = `≥ ${target.atLeast}×`;
  if (failed(target.variant)) return { target, label, measured: 'failed', spread: '', goal, verdict: 'MISS' };
  if (failed(target.baseline))
    return { target, label, measured: `${target.baseline} failed`, spread: '', goal, verdict: 'not run' };
  const ratio = ratioOf(results, target.variant, target.baseline, target.workload);
  if (!ratio) return { target, label, measured: 'not run', spread: '', goal, verdict: 'not run' };
  return {
    target,
    label,
    // Four significant digits: a verdict must never contradict the figure printed beside it.
    measured: `${ratio.median.toPrecision(4)}×`,
    spread: ratio.rounds.length > 1 ? `${times(ratio.min)}–${times(ratio.max)}` : '1 round',
    goal,
    verdict: ratio.median >= target.atLeast ? 'HIT' : 'MISS',
  };
}

/** Families of goals that hold at every workload. */
export const FAMILIES = {
  fastTier: 'every friends tier against stock on the same placement, ≥ 1×',
  stockPeers: 'friends against stock or remote peers, ≥ 0.97×',
} as const;

/** One goal per workload for each `[variant, baseline]` pair. */
export function everyWorkload(
  family: string,
  pairs: readonly (readonly [string, string])[],
  workloads: readonly Workload[],
  atLeast: number,
): Target[] {
  return workloads.flatMap((w) =>
    pairs.map(([variant, baseline]) => ({
      kind: 'ratio' as const,
      variant,
      baseline,
      workload: w.key,
      atLeast,
      family,
    })),
  );
}
