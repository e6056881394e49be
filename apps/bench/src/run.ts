import type { BenchOptions } from './cli.js';
import { createClient, tierOf, type EchoClient } from './clients.js';
import { LatencyHistogram } from './histogram.js';
import { checkEcho, runSlice, type SliceResult } from './measure.js';
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
 * every variant gets one slice per concurrency, handed out in short pieces
 * that alternate the variants (order rotated per piece), so drifts of the
 * machine (CPU wake-up regimes, noisy neighbours, GC state) spread over all
 * variants of the round alike.
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
      const slices = new Map(contenders.map(({ variant }) => [variant, new SliceTotal()]));
      for (let piece = 0; piece < options.pieces; piece++) {
        for (const { variant, client } of rotate(contenders, round + piece)) {
          await runSlice(client, c, options.leadInMs, scratch);
          const total = slices.get(variant)!;
          total.add(await runSlice(client, c, options.pieceMs, total.histogram));
          // A dropped and re-made connection could land on another tier mid-run.
          assertTier(variant, client);
        }
      }
      for (const [variant, total] of slices) {
        const key = resultKey(variant.id, c);
        let tally = tallies.get(key);
        if (!tally) tallies.set(key, (tally = new Tally()));
        tally.add(total, total.histogram);
        const rps = Math.round((total.requests * 1e9) / total.elapsedNs);
        progress(`round ${round + 1}/${options.rounds} c=${c} ${variant.id}: ${rps} req/s`);
      }
    }
  }
  return new Map([...tallies].map(([key, tally]) => [key, tally.summary()]));
}

/** One variant's pieces of a round, added up. */
class SliceTotal implements SliceResult {
  readonly histogram = new LatencyHistogram();
  requests = 0;
  elapsedNs = 0;

  add(piece: SliceResult): void {
    this.requests += piece.requests;
    this.elapsedNs += piece.elapsedNs;
  }
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
