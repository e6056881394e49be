import 'reflect-metadata';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { firstDifference } from './diff.js';
import { HostPool } from './hosts.js';
import { normalize } from './normalize.js';
import { ORACLE, placementsUnderTest } from './placements.js';
import { runScenario, type Trace } from './run.js';
import { SCENARIOS } from './src/all-scenarios.js';
import { captureLogger } from './src/logs.js';
import { NEST_MAJOR } from '../../support/nest-major.js';

/**
 * Every scenario in every placement, compared with stock against stock.
 * PARITY_ONLY=<part of a scenario id> and PARITY_PLACEMENT=<part of a placement
 * name> narrow the run; PARITY_VERBOSE=1 prints whole traces on a difference.
 */
Logger.overrideLogger(captureLogger);

const only = process.env.PARITY_ONLY;
const scenarios = SCENARIOS.filter((scenario) => !only || scenario.id.includes(only));
const placements = placementsUnderTest();
let socketDir: string;
let hosts: HostPool;

beforeAll(async () => {
  socketDir = await mkdtemp(join(tmpdir(), 'friends-parity-'));
  hosts = new HostPool(socketDir);
});

afterAll(async () => {
  await hosts?.dispose();
  const left = await readdir(socketDir);
  await rm(socketDir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

test('scenario ids are unique', () => {
  const ids = SCENARIOS.map((s) => s.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
});

const notHere = scenarios.filter((s) => s.notOnNest11 !== undefined && NEST_MAJOR < 12);
if (notHere.length > 0) test.skip.each(notHere)('$id (not on Nest 11: $notOnNest11)', () => undefined);

describe.each(scenarios.filter((s) => !notHere.includes(s)))('$id', (scenario) => {
  let oracle: Trace | undefined;

  test(`${ORACLE.name} (twice: the oracle must be deterministic)`, async () => {
    const first = await runScenario(scenario, ORACLE, hosts);
    const second = await runScenario(scenario, ORACLE, hosts);
    const diff = firstDifference(
      normalize(first.trace, scenario.id, ORACLE, 'oracle'),
      normalize(second.trace, scenario.id, ORACLE, 'oracle'),
      'stock',
      'stock again',
    );
    if (diff) throw new Error(`the oracle is not deterministic:\n${diff}`);
    oracle = first.trace;
  });

  test.each(placements)('$name', async (placement) => {
    if (!oracle) throw new Error('no oracle trace (its test failed)');
    const { trace, tiers } = await runScenario(scenario, placement, hosts);
    if (placement.tier) expect(tiers.filter((tier) => tier !== placement.tier)).toEqual([]);
    const diff = firstDifference(
      normalize(oracle, scenario.id, placement, 'oracle'),
      normalize(trace, scenario.id, placement, 'placement'),
      'stock',
      placement.name,
    );
    if (diff) throw new Error(diff);
  });
});
