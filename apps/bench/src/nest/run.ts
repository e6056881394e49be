import type { Contender } from '../rounds.js';
import type { Workload } from '../workload.js';
import { checkEcho, createClient, echo, tierOf, type EchoClient } from './clients.js';
import type { ServerPool } from './servers.js';
import type { Variant } from './variants.js';

/**
 * Starts the servers and connects one client per variant, each checked for
 * the echo and the tier. Clients go into `clients` as they are made, so the
 * caller can close them whatever happens.
 */
export async function connectVariants(
  variants: readonly Variant[],
  workloads: readonly Workload[],
  pool: ServerPool,
  clients: EchoClient[],
): Promise<Contender[]> {
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const port = await pool.port(variant);
    const client = createClient(variant.client, port);
    clients.push(client);
    await client.connect();
    await checkEcho(client);
    const check = (): void => assertTier(variant, client);
    check();
    const request = { measured: () => echo(client), leadIn: () => echo(client) };
    contenders.push({ id: variant.id, requests: new Map(workloads.map((w) => [w.key, request])), check });
  }
  return contenders;
}

function assertTier(variant: Variant, client: EchoClient): void {
  const tier = tierOf(client);
  if (tier !== variant.tier) {
    throw new Error(
      `${variant.id}: expected the '${variant.tier}' tier, the client is on '${tier ?? 'no connection'}'`,
    );
  }
}
