import { Logger } from '@nestjs/common';
import { FLOOR_VARIANT, runRoundsWithFloor, withoutFloor } from '../floor.js';
import { selectById, type Suite } from '../suite.js';
import { roundTrips } from '../workload.js';
import { PAYLOAD_BYTES, type EchoClient } from './clients.js';
import { connectVariants } from './run.js';
import { ServerPool } from './servers.js';
import { NEST_TARGETS } from './targets.js';
import { VARIANTS } from './variants.js';

export const nestSuite: Suite = {
  name: 'nest',
  title: 'Nest transport benchmark',
  variantIds: [...VARIANTS.map((v) => v.id), FLOOR_VARIANT.id],
  async run(options, variantIds, progress) {
    // The clients log each connection; the numbers are the only output wanted.
    Logger.overrideLogger(false);
    const variants = selectById(VARIANTS, withoutFloor(variantIds));
    const workloads = roundTrips(options.concurrencies);
    const pool = new ServerPool();
    const clients: EchoClient[] = [];
    try {
      const contenders = await connectVariants(variants, workloads, pool, clients);
      const { results, reported } = await runRoundsWithFloor(options, variantIds, workloads, contenders, progress);
      return {
        workloadLines: [
          `workload: \`await lastValueFrom(client.send('echo', payload))\`, ${PAYLOAD_BYTES}-byte JSON payload, ` +
            `concurrency ${options.concurrencies.join(' and ')} (independent request loops)`,
          'servers: the same-process variants share one server of each kind in the benchmark process; every ' +
            'cross-process variant has a server process of its own, as a service deployed alone would, started ' +
            'afresh each round with a new connection and the same warm-up as before the first round',
        ],
        workloads,
        variants: [...variants, ...reported],
        results,
        targets: NEST_TARGETS,
      };
    } finally {
      for (const client of clients) client.close();
      await pool.close();
    }
  },
};
