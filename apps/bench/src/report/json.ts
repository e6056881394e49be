import { ratioOf } from '../ratios.js';
import type { SuiteOutcome } from '../suite.js';
import { summarize } from '../summary.js';
import { resultKey } from '../tally.js';
import { evaluate } from '../targets.js';
import type { RunInfo } from './markdown.js';

/**
 * Every figure of the run, for other tools: per variant and workload, each
 * round's raw figures and their summary, the ratios against stock and the
 * floor, and each target's outcome.
 */
export function renderJson(run: RunInfo, suites: readonly SuiteOutcome[]): string {
  return JSON.stringify(
    {
      version: 1,
      run,
      suites: suites.map((suite) => ({
        name: suite.name,
        title: suite.title,
        notes: suite.notes,
        wallSeconds: suite.wallSeconds,
        workloads: suite.workloads,
        variants: suite.variants,
        failures: Object.fromEntries(suite.failures),
        results: suite.workloads.flatMap((workload) =>
          suite.variants.flatMap((variant) => {
            const rounds = suite.results.get(resultKey(variant.id, workload.key));
            if (!rounds) return [];
            const ratio = (other: string | undefined) =>
              other ? (ratioOf(suite.results, variant.id, other, workload.key) ?? null) : null;
            return [
              {
                variant: variant.id,
                workload: workload.key,
                summary: summarize(rounds, workload.items),
                againstStock: ratio(variant.baseline),
                againstFloor: variant.role === 'floor' ? null : ratio(variant.floor),
                rounds,
              },
            ];
          }),
        ),
        targets: suite.targets.map((target) => {
          const { label, measured, spread, goal, verdict } = evaluate(
            target,
            suite.results,
            suite.workloads,
            suite.failures,
          );
          return { ...target, label, measured, spread, goal, verdict };
        }),
      })),
    },
    null,
    1,
  );
}
