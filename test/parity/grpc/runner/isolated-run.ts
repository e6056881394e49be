import type { Json } from '../core/describe.js';
import { describe } from '../core/describe.js';
import { settle } from '../core/timing.js';
import { ALL_METHODS } from '../scenarios/index.js';
import { openPlacement } from './environment.js';
import { PLACEMENTS } from './placements.js';
import { runScenario } from './run-scenario.js';

/**
 * One scenario in one placement, in a process of its own (built by `npm run
 * build`). argv: placement name, scenario id, TLS directory (or ''). Prints
 * the run's result as one JSON line. Errors the code under test throws
 * asynchronously, which would end a test process, become the trace's last
 * client entry instead.
 */
const [placementName, scenarioId, tlsDir = ''] = process.argv.slice(2);
const uncaught: Json[] = [];
process.on('uncaughtException', (error) => uncaught.push(['uncaught exception', describe(error)]));
process.on('unhandledRejection', (error) => uncaught.push(['unhandled rejection', describe(error)]));

const placement = PLACEMENTS.find((p) => p.name === placementName);
const scenario = ALL_METHODS.find((s) => s.id === scenarioId);
if (!placement || !scenario) throw new Error(`unknown placement '${placementName}' or scenario '${scenarioId}'`);
const env = openPlacement(placement, tlsDir || null);
const result = await runScenario(scenario, env, () =>
  uncaught.length > 0 ? [['thrown asynchronously in the client process', uncaught.splice(0)]] : [],
);
await settle();
await env.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
