import fc from 'fast-check';
import type { Scenario } from './core/scenario.js';
import { firstDifference, formatDifference, type Trace } from './core/trace.js';
import { applies, KNOWN_DIVERGENCES } from './known-divergences.js';
import { message, metadataPairs, numericMessage, status } from './runner/arbitraries.js';
import { openPlacement, type OpenPlacement } from './runner/environment.js';
import { ORACLE, PLACEMENTS } from './runner/placements.js';
import { writeReport, type PairResult } from './runner/report.js';
import { runScenario } from './runner/run-scenario.js';
import { selectPlacements } from './runner/selection.js';
import { tierProblems, TierTally } from './runner/tier-check.js';
import {
  MESSAGE_ROUND_TRIP,
  METADATA_ROUND_TRIP,
  NUMBERS_ROUND_TRIP,
  STATUS_ROUND_TRIP,
  STREAMED_MESSAGES,
  type PropertyScenario,
} from './scenarios/properties.js';

/**
 * Property-based parity: generated messages, metadata and statuses, each case
 * run on stock (twice) and in a placement, traces compared as in
 * parity.spec.ts. Fixed seed and bounded runs, so a failure reproduces:
 *   PARITY_SEED=<n> PARITY_RUNS=<n>  (and PARITY_ONLY / PARITY_PLACEMENT)
 * Every case's calls must also take the placement's tier (tier-check.ts).
 */
const SEED = Number(process.env.PARITY_SEED ?? 20_241_130);
const RUNS = Number(process.env.PARITY_RUNS ?? 12);
const TIME_LIMIT_MS = 20_000;

interface Property<I> {
  scenario: PropertyScenario<I>;
  input: fc.Arbitrary<I>;
}

const PROPERTIES: Property<never>[] = [
  { scenario: MESSAGE_ROUND_TRIP, input: message },
  { scenario: NUMBERS_ROUND_TRIP, input: numericMessage },
  { scenario: STREAMED_MESSAGES, input: fc.array(message, { minLength: 1, maxLength: 4 }) },
  { scenario: METADATA_ROUND_TRIP, input: metadataPairs },
  { scenario: STATUS_ROUND_TRIP, input: status },
] as Property<unknown>[] as Property<never>[];

const only = process.env.PARITY_ONLY?.split(',')
  .map((part) => part.trim())
  .filter(Boolean);
const properties = PROPERTIES.filter((p) => !only || only.some((part) => p.scenario.scenario.id.includes(part)));
const placements = selectPlacements().filter((p) => p.name !== ORACLE);
const oraclePlacement = PLACEMENTS.find((p) => p.name === ORACLE)!;

let stock: OpenPlacement;
const stockTraces = new Map<string, Trace>();
const results: PairResult[] = [];

beforeAll(() => {
  stock = openPlacement(oraclePlacement, null);
});
afterAll(async () => {
  await stock?.close();
  const path = process.env.PARITY_REPORT;
  if (path)
    writeReport(
      path.replace(/(\.\w+)?$/, '.properties$1'),
      results,
      placements.map((p) => p.name),
    );
});

/** Stock's trace for one case, run twice: a case stock answers two ways is a harness bug. */
async function stockTrace(scenario: Scenario, key: string): Promise<Trace> {
  const cached = stockTraces.get(key);
  if (cached) return cached;
  const first = (await runScenario(scenario, stock)).trace!;
  const second = (await runScenario(scenario, stock)).trace!;
  const difference = firstDifference(first, second);
  if (difference)
    throw new Error(`stock answered one case two ways\n${formatDifference(difference, 'run 1', 'run 2')}`);
  stockTraces.set(key, first);
  return first;
}

for (const placement of placements) {
  describe(`gRPC parity properties: ${placement.name}`, () => {
    let env: OpenPlacement;
    const tally = new TierTally(placement);
    beforeAll(() => {
      env = openPlacement(placement, null);
    });
    afterAll(() => env?.close());

    for (const { scenario, input } of properties) {
      const id = scenario.scenario.id;
      test(id, async () => {
        const known = KNOWN_DIVERGENCES.find(
          (d) => d.scenario === id && d.placements.includes(placement.name) && applies(d),
        );
        const wrongPath: string[] = [];
        const result = await fc.check(
          fc.asyncProperty(input, async (value) => {
            const key = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
            const withInput = scenario.withInput(value);
            const expected = await stockTrace(withInput, `${id} ${key}`);
            const run = await runScenario(withInput, env);
            const difference = firstDifference(expected, run.trace!);
            if (difference) throw new Error(formatDifference(difference, 'stock', placement.name));
            if (!run.tiers) wrongPath.push('no counters from the server process: where the calls went is unknown');
            else {
              tally.add(run.tiers);
              wrongPath.push(...tierProblems(placement, run.tiers));
            }
          }),
          { seed: SEED, numRuns: RUNS, endOnFailure: true, interruptAfterTimeLimit: TIME_LIMIT_MS },
        );
        results.push({
          scenario: id,
          placement: placement.name,
          outcome: result.failed ? 'differs' : 'equal',
          detail: result.failed
            ? `${JSON.stringify(result.counterexample).slice(0, 200)}: ${String(
                (result.errorInstance as Error | undefined)?.message ?? result.error,
              )
                .split('\n')
                .slice(0, 3)
                .join(' ')}`
            : undefined,
          listed: known?.reason,
        });
        if (result.failed && !known)
          throw new Error(
            `differs from stock for ${JSON.stringify(result.counterexample)} (seed ${SEED}):\n${String(
              (result.errorInstance as Error | undefined)?.message ?? result.error,
            )}`,
          );
        if (!result.failed && known && !known.intermittent)
          throw new Error(`listed in known-divergences.ts ("${known.reason}") but agreed with stock on every case`);
        // Not excused by a listing: a case that took another tier compared the wrong path.
        if (wrongPath.length > 0)
          throw new Error(
            `the calls did not take the ${placement.name} placement's path: ${[...new Set(wrongPath)].join('; ')}`,
          );
      });
    }

    test('placement/every-call-took-its-tier', () => {
      expect(tally.problems()).toEqual([]);
    });
  });
}
