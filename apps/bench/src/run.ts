import type { BenchOptions } from './cli.js';
import { createClient, tierOf, type EchoClient } from './clients.js';
import { LatencyHistogram } from './histogram.js';
import { checkEcho, runSlice } from './measure.js';
import type { ServerPool } from './servers.js';
import { resultKey, Tally, type Results } from './tally.js';
import type { Variant } from './variants.js';

type Progress = (line: string) => void;

/** A variant with its connected client. */
interface Contender {
  variant: Variant;
  client: EchoClient;
}

/**
 * Connects every variant, warms each up, then runs the rounds: in each round
 * every variant gets one slice per concurrency, so slow drifts of the machine
 * (thermal, noisy neighbours, GC state) spread over all variants alike.
 */
export async function runBenchmark(
  options: BenchOptions,
  variants: readonly Variant[],
  pool: ServerPool,
  clients: EchoClient[],
  progress: Progress,
): Promise<Results> {
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const port = await pool.port(variant.server);
    const client = createClient(variant.client, port);
    clients.push(client);
    await client.connect();
    await checkEcho(client);
    assertTier(variant, client);
    contenders.push({ variant, client });
  }

  const scratch = new LatencyHistogram();
  for (const c of options.concurrencies) {
    for (const { variant, client } of contenders) {
      await runSlice(client, c, options.warmupMs, scratch);
      assertTier(variant, client);
    }
  }
  progress(`warmed up ${contenders.length} variant(s)`);

  const tallies = new Map<string, Tally>();
  for (let round = 0; round < options.rounds; round++) {
    for (const c of options.concurrencies) {
      for (const { variant, client } of rotate(contenders, round)) {
        await runSlice(client, c, options.leadInMs, scratch);
        const key = resultKey(variant.id, c);
        let tally = tallies.get(key);
        if (!tally) tallies.set(key, (tally = new Tally()));
        const slice = await runSlice(client, c, options.sliceMs, tally.histogram);
        // A dropped and re-made connection could land on another tier mid-run.
        assertTier(variant, client);
        tally.add(slice);
        const rps = Math.round((slice.requests * 1e9) / slice.elapsedNs);
        progress(`round ${round + 1}/${options.rounds} c=${c} ${variant.id}: ${rps} req/s`);
      }
    }
  }
  return new Map([...tallies].map(([key, tally]) => [key, tally.summary()]));
}

function assertTier(variant: Variant, client: EchoClient): void {
  const tier = tierOf(client);
  if (tier !== variant.tier) {
    throw new Error(
      `${variant.id}: expected the '${variant.tier}' tier, the client is on '${tier ?? 'no connection'}'`,
    );
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const n = by % items.length;
  return [...items.slice(n), ...items.slice(0, n)];
}
