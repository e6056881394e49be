import type { Scenario } from './core/scenario.js';
import { firstDifference, formatDifference, summarizeDifference, type Trace } from './core/trace.js';
import { KNOWN_DIVERGENCES } from './known-divergences.js';
import { openPlacement, type OpenPlacement } from './runner/environment.js';
import { ORACLE, PLACEMENTS } from './runner/placements.js';
import { writeReport, type PairResult } from './runner/report.js';
import { runScenario } from './runner/run-scenario.js';
import { selectPlacements, selectScenarios } from './runner/selection.js';
import { makeTlsMaterial } from './runner/tls-material.js';
import { SCENARIOS } from './scenarios/index.js';

/**
 * Differential parity: every scenario runs on stock grpc-js (twice: a trace
 * that changes between two stock runs is a harness bug) and then in every
 * placement; each trace must equal stock's, except for the pairs listed in
 * known-divergences.ts, which must differ.
 *
 *   PARITY_ONLY=<id substring,...>  PARITY_PLACEMENT=<name substring,...>  PARITY_REPORT=<file.md>
 *   PARITY_TRACE=1 adds both whole traces to a failure.
 */
const scenarios = selectScenarios(SCENARIOS);
const placements = selectPlacements();
const oracle = new Map<string, Trace>();
const results: PairResult[] = [];
const listed = (scenario: string, placement: string) =>
  KNOWN_DIVERGENCES.find((d) => d.scenario === scenario && d.placements.includes(placement as never));
let tls: ReturnType<typeof makeTlsMaterial> = null;

beforeAll(() => {
  tls = makeTlsMaterial();
  if (!tls) console.warn('gRPC parity: openssl not found, TLS scenarios are skipped');
});

afterAll(() => {
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
  const ids = new Set(SCENARIOS.map((s) => s.id));
  const names = new Set<string>(PLACEMENTS.map((p) => p.name));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const entry of KNOWN_DIVERGENCES) {
    if (!ids.has(entry.scenario)) problems.push(`no scenario '${entry.scenario}'`);
    for (const placement of entry.placements) {
      if (!names.has(placement) || placement === ORACLE)
        problems.push(`${entry.scenario}: bad placement '${placement}'`);
      const key = `${entry.scenario} @ ${placement}`;
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
    beforeAll(() => {
      env = openPlacement(placement, tls?.dir ?? null);
    });
    afterAll(async () => {
      const leftovers = await env.close();
      if (leftovers.length > 0) throw new Error(`servers left files behind: ${leftovers.join(', ')}`);
    });

    for (const scenario of scenarios) {
      test(scenario.id, async () => {
        if (placement.name === ORACLE) await runOracle(scenario, env);
        else await compare(scenario, env);
      });
    }
  });
}

async function runOracle(scenario: Scenario, env: OpenPlacement): Promise<void> {
  const first = await runScenario(scenario, env);
  if (first.skipped !== undefined) return;
  const second = await runScenario(scenario, env);
  const difference = firstDifference(first.trace, second.trace!);
  if (difference)
    throw new Error(
      `stock gave two different traces: normalize or restructure the scenario\n${formatDifference(difference, 'stock run 1', 'stock run 2')}${wholeTraces(first.trace, second.trace!, 'stock run 2')}`,
    );
  oracle.set(scenario.id, first.trace);
}

async function compare(scenario: Scenario, env: OpenPlacement): Promise<void> {
  const name = env.placement.name;
  const known = listed(scenario.id, name);
  const expected = oracle.get(scenario.id);
  const result = await runScenario(scenario, env);
  if (result.skipped !== undefined) {
    results.push({ scenario: scenario.id, placement: name, outcome: 'skipped', detail: result.skipped });
    return;
  }
  if (!expected) {
    results.push({ scenario: scenario.id, placement: name, outcome: 'no oracle' });
    throw new Error('no stock trace to compare with (the oracle run failed or was skipped)');
  }
  const difference = firstDifference(expected, result.trace);
  results.push({
    scenario: scenario.id,
    placement: name,
    outcome: difference ? 'differs' : 'equal',
    detail: difference ? summarizeDifference(difference) : undefined,
    listed: known?.reason,
  });
  if (difference && !known)
    throw new Error(formatDifference(difference, 'stock', name) + wholeTraces(expected, result.trace, name));
  if (!difference && known)
    throw new Error(`listed in known-divergences.ts ("${known.reason}") but now equals stock: remove the entry`);
}

function wholeTraces(expected: Trace, actual: Trace, name: string): string {
  if (!process.env.PARITY_TRACE) return '';
  const show = (trace: Trace): string =>
    [
      'client:',
      ...trace.client.map((e) => `  ${JSON.stringify(e)}`),
      'server:',
      ...trace.server.map((e) => `  ${JSON.stringify(e)}`),
    ].join('\n');
  return `\n\n--- stock ---\n${show(expected)}\n--- ${name} ---\n${show(actual)}`;
}
