import type { BenchOptions, SuiteName } from './options.js';
import type { RoundPlan } from './plan.js';
import type { Progress } from './progress.js';
import type { Failures, Results } from './tally.js';
import type { Target } from './targets.js';
import type { VariantInfo } from './variant.js';
import type { Workload } from './workload.js';

/** What a suite measured, for the report. */
export interface SuiteOutcome {
  name: SuiteName;
  title: string;
  /** What each workload's request is, and where the servers run. */
  notes: readonly string[];
  workloads: readonly Workload[];
  variants: readonly VariantInfo[];
  results: Results;
  /** Variants whose requests failed or stalled on a workload, and why. */
  failures: Failures;
  targets: readonly Target[];
  wallSeconds: number;
}

/** One transport's variants, measured in one interleaved run. */
export interface Suite {
  name: SuiteName;
  title: string;
  variantIds: readonly string[];
  /** The workloads the options select for this transport (bidi and events exist on one each). */
  workloads(options: BenchOptions): Workload[];
  /**
   * Runs these variants (all when undefined) on the workloads the options
   * select, and stops everything it started, whatever happens.
   */
  run(
    options: BenchOptions,
    plan: RoundPlan,
    variantIds: readonly string[] | undefined,
    progress: Progress,
  ): Promise<SuiteOutcome>;
}
