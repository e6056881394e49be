import type { Contender } from '../rounds.js';
import type { Workload } from '../workload.js';
import { FriendsClient } from '@friends/nest';
import { checkEcho, createClient, echo, tierOf, type EchoClient } from './clients.js';
import type { ServerPool } from './servers.js';
import type { Variant } from './variants.js';

/**
 * Starts the servers and connects one client per variant, each checked for
 * the echo and the tier. Clients go into `clients` as they are made, so the
 * caller can close them whatever happens. A variant with a server process of
 * its own gets a new process and a new client every round.
 */
export async function connectVariants(
  variants: readonly Variant[],
  workloads: readonly Workload[],
  pool: ServerPool,
  clients: EchoClient[],
): Promise<Contender[]> {
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const connect = async (port: number): Promise<EchoClient> => {
      const client = createClient(variant.client, port);
      clients.push(client);
      await client.connect();
      // Measured on the tier the connection takes: calls made while it is decided go on tcp.
      if (client instanceof FriendsClient) await client.tierDecision();
      await checkEcho(client);
      assertTier(variant, client);
      return client;
    };
    let client = await connect(await pool.port(variant));
    const request = { measured: () => echo(client), leadIn: () => echo(client) };
    const contender: Contender = {
      id: variant.id,
      requests: new Map(workloads.map((w) => [w.key, request])),
      check: () => assertTier(variant, client),
    };
    if (variant.place === 'own-process') {
      contender.renew = async () => {
        client.close();
        clients.splice(clients.indexOf(client), 1);
        client = await connect(await pool.restart(variant));
      };
    }
    contenders.push(contender);
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
