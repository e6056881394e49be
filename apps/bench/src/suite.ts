import type { BenchOptions } from './cli.js';
import type { ReportedVariant } from './report.js';
import type { Progress } from './rounds.js';
import type { Results } from './tally.js';
import type { Target } from './targets.js';
import type { Workload } from './workload.js';

export const SUITE_NAMES = ['nest', 'grpc'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** What a suite measured, for the report. */
export interface SuiteOutcome {
  workloadLines: readonly string[];
  workloads: readonly Workload[];
  variants: readonly ReportedVariant[];
  results: Results;
  targets: readonly Target[];
}

/** One family of variants, measured in its own interleaved run and written to its own report. */
export interface Suite {
  name: SuiteName;
  title: string;
  variantIds: readonly string[];
  /** Runs these variants (all when undefined) and stops everything it started, whatever happens. */
  run(options: BenchOptions, variantIds: readonly string[] | undefined, progress: Progress): Promise<SuiteOutcome>;
}

/** The variants named by `ids`, in that order (all of them when undefined); an unknown id is an error. */
export function selectById<V extends { readonly id: string }>(
  all: readonly V[],
  ids: readonly string[] | undefined,
): V[] {
  if (!ids) return [...all];
  return ids.map((id) => {
    const variant = all.find((v) => v.id === id);
    if (!variant) throw new Error(`unknown variant '${id}' (known: ${all.map((v) => v.id).join(', ')})`);
    return variant;
  });
}
