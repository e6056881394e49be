import { Logger } from '@nestjs/common';
import type { Contender } from '../contender.js';
import { UNIX_FLOOR, UnixEcho } from '../floor/unix-echo.js';
import { runRounds } from '../rounds.js';
import type { Suite } from '../suite.js';
import { selectVariants, variantInfo } from '../variant.js';
import type { BenchClient } from './clients.js';
import { handlerFloor } from './floor.js';
import { connectVariants } from './run.js';
import { ServerPool } from './servers.js';
import { nestTargets } from './targets.js';
import { NEST_FLOOR, NEST_VARIANT_IDS, NEST_VARIANTS } from './variants.js';
import { EVENTS_PER_BURST, nestWorkloads, STREAM_MESSAGES } from './workloads.js';

export const nestSuite: Suite = {
  name: 'nest',
  title: 'NestJS TCP transport',
  workloads: nestWorkloads,
  variantIds: NEST_VARIANT_IDS,
  async run(options, plan, variantIds, progress) {
    const started = Date.now();
    // The clients log each connection; the numbers are the only output wanted.
    Logger.overrideLogger(false);
    const variants = selectVariants(NEST_VARIANTS, variantIds);
    const wanted = (id: string): boolean => !variantIds || variantIds.includes(id);
    const workloads = this.workloads(options);
    const pool = new ServerPool();
    const clients = new Set<BenchClient>();
    let echo: UnixEcho | undefined;
    try {
      const contenders: Contender[] = await connectVariants(variants, workloads, pool, clients);
      if (wanted(NEST_FLOOR.id)) contenders.push(handlerFloor(await pool.friendsStrategy(), workloads));
      if (wanted(UNIX_FLOOR.id)) contenders.push((echo = await UnixEcho.start()).contender(workloads));
      const { results, failures } = await runRounds('nest', plan, workloads, contenders, progress);
      const ran = new Set(contenders.map((c) => c.id));
      return {
        name: 'nest',
        title: this.title,
        notes: [
          '`n B, c=k`: `await lastValueFrom(client.send(pattern, payload))` echoed by a `@MessagePattern` handler, ' +
            'payload `{"s":"xx…"}` of exactly n bytes of JSON, k independent request loops',
          `stream: one \`send\` answered by an Observable of ${STREAM_MESSAGES.toLocaleString('en-US')} ` +
            `${workloads.find((w) => w.kind === 'stream')?.bytes ?? 64}-byte values, counted to completion; msg/s counts values`,
          `events: ${EVENTS_PER_BURST} \`client.emit()\` of 64-byte events to an \`@EventPattern\` handler, then one ` +
            '`send` that the server answers once it has counted all of them (the completion check); msg/s counts events. ' +
            "The stock ClientTCP leaves Nagle's algorithm on, so after the first event of a burst the rest wait for " +
            'a delayed ACK (tens of ms on Linux); FriendsClient turns it off (also with `friends: false`). Most of ' +
            'the events ratios against a stock client are that',
          'the Nest TCP transport has no bidirectional streams: no bidi workload',
          'a variant whose requests stop being answered fails that workload (reported, and left out of its ratios). ' +
            'The stock transport does, with 16 or more 1 MiB requests in flight on one connection: each end stops ' +
            'reading while its own writes are backed up, so neither drains, until the 30 s incomplete-message ' +
            'timeout drops the connection',
          'servers: the same-process variants share one server of each kind (and copy mode) in the benchmark ' +
            'process; every cross-process variant has a server process of its own' +
            (plan.renewEachRound
              ? ', started afresh each round with a new connection and the same warm-up as before the first round'
              : ', kept for the whole run'),
          `${NEST_FLOOR.id}: ${NEST_FLOOR.label}. \`jsonCopy\` gives what \`JSON.parse(JSON.stringify(v))\` ` +
            'would without building the text (strings are shared, not copied), so large string payloads cost it ' +
            'little; a copy through JSON text would cost milliseconds at 1 MiB',
        ],
        workloads,
        variants: [...variants, NEST_FLOOR, UNIX_FLOOR].filter((v) => ran.has(v.id)).map(variantInfo),
        results,
        failures,
        targets: nestTargets(workloads),
        wallSeconds: (Date.now() - started) / 1e3,
      };
    } finally {
      for (const client of clients) client.close();
      await echo?.close();
      await pool.close();
    }
  },
};
