import type { Scenario } from './core/scenario.js';
import { differences, firstDifference, formatDifference, summarizeDifference, type Trace } from './core/trace.js';
import { applies, ISOLATED, KNOWN_DIVERGENCES, KNOWN_TIER_FALLBACKS, LEFTOVERS_CHECK } from './known-divergences.js';
import { runIsolated } from './runner/isolated.js';
import { openPlacement, type OpenPlacement } from './runner/environment.js';
import { ORACLE, PLACEMENTS } from './runner/placements.js';
import { writeReport, type PairResult } from './runner/report.js';
import { runScenario, type RunResult } from './runner/run-scenario.js';
import { selectPlacements, selectScenarios } from './runner/selection.js';
import { tierProblems, TierTally } from './runner/tier-check.js';
import { makeTlsMaterial } from './runner/tls-material.js';
import { ALL_METHODS, SCENARIOS } from './scenarios/index.js';

/**
 * Differential parity: every scenario runs on stock grpc-js (twice: a trace
 * that changes between two stock runs is a harness bug) and then in every
 * placement; each trace must equal stock's, except for the pairs listed in
 * known-divergences.ts, which must differ.
 *
 *   PARITY_ONLY=<id substring,...>  PARITY_PLACEMENT=<name substring,...>  PARITY_REPORT=<file.md>
 *   PARITY_TRACE=1 adds both whole traces to a failure, and prints every stock trace.
 *   PARITY_STOCK_RUNS=<n> runs stock n times instead of twice (to hunt a nondeterministic scenario).
 *
 * Every run also checks, from both sides' counters, that its calls took the
 * placement's tier (tier-check.ts); and each placement that its whole run did.
 */
/** Not a scenario: the tier every call of a placement's whole run took (see tier-check.ts). */
const TIERS_CHECK = 'placement/every-call-took-its-tier';

const scenarios = selectScenarios(SCENARIOS);
const STOCK_RUNS = Math.max(2, Number(process.env.PARITY_STOCK_RUNS ?? 2));
const placements = selectPlacements();
const oracle = new Map<string, Trace>();
const results: PairResult[] = [];
const listed = (scenario: string, placement: string) =>
  KNOWN_DIVERGENCES.find((d) => d.scenario === scenario && d.placements.includes(placement as never) && applies(d));
let tls: ReturnType<typeof makeTlsMaterial> = null;

beforeAll(() => {
  tls = makeTlsMaterial();
  if (!tls) console.warn('gRPC parity: openssl not found, TLS scenarios are skipped');
});

afterAll(async () => {
  if (process.env.PARITY_DEBUG_HANDLES) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    console.log(
      process.getActiveResourcesInfo(),
      handles.map((h) => [
        h.constructor.name,
        (h as { _handle?: object })._handle?.constructor.name,
        (h as { remotePort?: number }).remotePort,
        (h as { localPort?: number }).localPort,
      ]),
    );
  }
  tls?.remove();
  const path = process.env.PARITY_REPORT;
  if (path)
    writeReport(
      path,
      results,
      placements.filter((p) => p.name !== ORACLE).map((p) => p.name),
    );
});

test('known divergences name existing scenarios and placements, once each', () => {
  const ids = new Set([...ALL_METHODS.map((s) => s.id), LEFTOVERS_CHECK]);
  const names = new Set<string>(PLACEMENTS.map((p) => p.name));
  const seen = new Set<string>();
  const problems: string[] = [];
  const lists = [
    ['KNOWN_DIVERGENCES', KNOWN_DIVERGENCES],
    ['KNOWN_TIER_FALLBACKS', KNOWN_TIER_FALLBACKS],
  ] as const;
  for (const [list, entry] of lists.flatMap(([list, entries]) => entries.map((e) => [list, e] as const))) {
    if (!ids.has(entry.scenario)) problems.push(`no scenario '${entry.scenario}'`);
    for (const placement of entry.placements) {
      if (!names.has(placement) || placement === ORACLE)
        problems.push(`${entry.scenario}: bad placement '${placement}'`);
      const key = `${list}: ${entry.scenario} @ ${placement}`;
      if (seen.has(key)) problems.push(`listed twice: ${key}`);
      seen.add(key);
    }
  }
  expect(problems).toEqual([]);
});

test('scenario ids are unique', () => {
  const ids = SCENARIOS.map((s) => s.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
});

for (const placement of placements) {
  describe(`gRPC parity: ${placement.name}${placement.name === ORACLE ? ' (the oracle)' : ''}`, () => {
    let env: OpenPlacement;
    const tally = new TierTally(placement);
    beforeAll(() => {
      env = openPlacement(placement, tls?.dir ?? null);
    });
    afterAll(() => env.close());

    for (const scenario of scenarios) {
      test(scenario.id, async () => {
        if (placement.name === ORACLE) await runOracle(scenario, env, tally);
        else await compare(scenario, env, tally);
      });
    }

    test(TIERS_CHECK, () => {
      expect(tally.problems()).toEqual([]);
    });

    test(LEFTOVERS_CHECK, async () => {
      const leftovers = await env.close();
      const left = [
        ...leftovers.connections,
        ...leftovers.files.map((file) => `file ${file}`),
        ...leftovers.process.map((resource) => `server process kept alive by ${resource}`),
      ];
      if (placement.name === ORACLE) {
        if (left.length > 0) throw new Error(`stock left something behind (a harness bug): ${left.join(', ')}`);
        return;
      }
      const known = listed(LEFTOVERS_CHECK, placement.name);
      results.push({
        scenario: LEFTOVERS_CHECK,
        placement: placement.name,
        outcome: left.length > 0 ? 'differs' : 'equal',
        detail: left.length > 0 ? `left behind: ${left.join(', ')}` : undefined,
        listed: known?.reason,
      });
      if (left.length > 0 && !known)
        throw new Error(
          `left behind once every client closed and every server stopped (stock leaves nothing): ${left.join(', ')}`,
        );
      // What a placement leaves depends on which scenarios ran: only a full run can call an entry stale.
      if (left.length === 0 && known && scenarios.length === SCENARIOS.length)
        throw new Error(`listed in known-divergences.ts ("${known.reason}") but left nothing: remove the entry`);
    });
  });
}

/** Fails the test when the run's calls took another path than its placement's (or than a listed fallback's). */
function checkTiers(scenario: string, result: RunResult, env: OpenPlacement, tally: TierTally): void {
  if (result.skipped !== undefined) return;
  if (!result.tiers) throw new Error('no counters from the server process: where the calls went is unknown');
  tally.add(result.tiers);
  const fallback = KNOWN_TIER_FALLBACKS.find(
    (f) => f.scenario === scenario && f.placements.includes(env.placement.name) && applies(f),
  );
  if (fallback && tierProblems(env.placement, result.tiers).length === 0)
    throw new Error(
      `listed in KNOWN_TIER_FALLBACKS ("${fallback.reason}") but took its placement's tier: remove the entry`,
    );
  const problems = tierProblems(env.placement, result.tiers, fallback?.tiers);
  if (problems.length > 0)
    throw new Error(
      `the calls did not take the ${env.placement.name} placement's path: ${problems.join('; ')}\n` +
        `client counted ${JSON.stringify(result.tiers.client)}, server counted ${JSON.stringify(result.tiers.server)}`,
    );
}

async function runOracle(scenario: Scenario, env: OpenPlacement, tally: TierTally): Promise<void> {
  const first = await runScenario(scenario, env);
  checkTiers(scenario.id, first, env, tally);
  if (first.skipped !== undefined) return;
  for (let run = 2; run <= STOCK_RUNS; run++) {
    const again = await runScenario(scenario, env);
    const difference = firstDifference(first.trace, again.trace!);
    if (difference)
      throw new Error(
        `stock gave two different traces: normalize or restructure the scenario\n${formatDifference(difference, 'stock run 1', `stock run ${run}`)}${wholeTraces(first.trace, again.trace!, `stock run ${run}`)}`,
      );
  }
  oracle.set(scenario.id, first.trace);
  if (process.env.PARITY_TRACE) console.log(`${scenario.id}\n${showTrace(first.trace)}`);
}

async function compare(scenario: Scenario, env: OpenPlacement, tally: TierTally): Promise<void> {
  const name = env.placement.name;
  const known = listed(scenario.id, name);
  const expected = oracle.get(scenario.id);
  // A pair that throws asynchronously from inside the library would end this process: it runs in one of its own.
  const result = ISOLATED.some((pair) => pair.scenario === scenario.id && pair.placements.includes(name))
    ? await runIsolated(name, scenario.id, tls?.dir ?? null)
    : await runScenario(scenario, env);
  if (result.skipped !== undefined) {
    results.push({ scenario: scenario.id, placement: name, outcome: 'skipped', detail: result.skipped });
    return;
  }
  if (!expected) {
    results.push({ scenario: scenario.id, placement: name, outcome: 'no oracle' });
    throw new Error('no stock trace to compare with (the oracle run failed or was skipped)');
  }
  const found = differences(expected, result.trace, 3);
  const difference = found[0];
  results.push({
    scenario: scenario.id,
    placement: name,
    outcome: difference ? 'differs' : 'equal',
    detail: difference ? found.map(summarizeDifference).join(' • ') : undefined,
    listed: known?.reason,
  });
  if (difference && !known)
    throw new Error(formatDifference(difference, 'stock', name) + wholeTraces(expected, result.trace, name));
  checkTiers(scenario.id, result, env, tally);
  if (!difference && known && !known.intermittent)
    throw new Error(`listed in known-divergences.ts ("${known.reason}") but now equals stock: remove the entry`);
}

function wholeTraces(expected: Trace, actual: Trace, name: string): string {
  if (!process.env.PARITY_TRACE) return '';
  return `\n\n--- stock ---\n${showTrace(expected)}\n--- ${name} ---\n${showTrace(actual)}`;
}

function showTrace(trace: Trace): string {
  return [
    'client:',
    ...trace.client.map((e) => `  ${JSON.stringify(e)}`),
    'server:',
    ...trace.server.map((e) => `  ${JSON.stringify(e)}`),
  ].join('\n');
}
