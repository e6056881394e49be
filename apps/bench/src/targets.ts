import { median, resultKey, type Results } from './tally.js';
import type { Workload } from './workload.js';

/** A goal a fast path is held to, as a ratio against a stock variant of the same run, or a latency bound. */
export type Target =
  | { kind: 'speedup'; variant: string; baseline: string; workload: string; atLeast: number }
  | { kind: 'p50'; variant: string; workload: string; atMostUs: number }
  /** A ratio reported for context, with no goal: how far the platform floor is from stock. */
  | { kind: 'reference'; variant: string; baseline: string; workload: string };

export type Verdict = 'PASS' | 'MISS' | 'n/a' | 'reference';

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
export function evaluate(target: Target, results: Results, workloads: readonly Workload[]): TargetOutcome {
  const workload = workloads.find((w) => w.key === target.workload);
  const where = workload?.label ?? target.workload;
  const own = results.get(resultKey(target.variant, target.workload));
  if (target.kind === 'p50') {
    const label = `${target.variant} p50, ${where}`;
    const goal = `<= ${target.atMostUs} µs`;
    if (!own) return { label, measured: 'not run', detail: '', goal, verdict: 'n/a' };
    const verdict = own.p50Us <= target.atMostUs ? 'PASS' : 'MISS';
    return { label, measured: `${own.p50Us.toFixed(1)} µs`, detail: 'median of rounds', goal, verdict };
  }
  const label = `${target.variant} / ${target.baseline} ${workload?.unit ?? 'req/s'}, ${where}`;
  const goal = target.kind === 'reference' ? '(none)' : `>= ${target.atLeast}x`;
  const base = results.get(resultKey(target.baseline, target.workload));
  if (!own || !base) return { label, measured: 'not run', detail: '', goal, verdict: 'n/a' };
  const ratios = own.roundRps.map((rps, round) => rps / base.roundRps[round]!);
  const ratio = median(ratios);
  return {
    label,
    measured: `${ratio.toFixed(2)}x`,
    detail: `rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x`,
    goal,
    verdict: target.kind === 'reference' ? 'reference' : ratio >= target.atLeast ? 'PASS' : 'MISS',
  };
}
