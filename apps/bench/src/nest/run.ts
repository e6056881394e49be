import type { Meter } from '../meter/usage.js';
import type { Contender } from '../contender.js';
import type { Request } from '../measure.js';
import type { Workload } from '../workload.js';
import { FriendsClient } from '@friends/nest';
import { createClient, requestsFor, tierOf, type BenchClient } from './clients.js';
import type { ServerPool } from './servers.js';
import type { NestVariant } from './variants.js';

/**
 * Starts the servers and connects one client per variant, each checked on
 * every workload it runs and for its tier. Clients go into `clients` as they
 * are made, so the caller can close them whatever happens. A variant with a
 * server process of its own gets a new process and a new client every round.
 */
export async function connectVariants(
  variants: readonly NestVariant[],
  workloads: readonly Workload[],
  pool: ServerPool,
  clients: Set<BenchClient>,
): Promise<Contender[]> {
  // Servers boot mostly on CPU and wait on IPC: started together, they are up sooner.
  await Promise.all(variants.map((variant) => pool.port(variant)));
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const own = workloads.filter((w) => w.kind !== 'bidi' && (variant.runs?.(w) ?? true));
    let client: BenchClient;
    let server: Meter | undefined;
    const current = (): BenchClient => client;
    const perWorkload = own.map((w) => ({ workload: w, requests: requestsFor(current, w) }));
    const connect = async (port: number): Promise<void> => {
      client = createClient(variant, port);
      clients.add(client);
      await connected(client);
      for (const { requests } of perWorkload) await requests.check();
      assertTier(variant, client);
      server = await pool.process(variant);
    };
    await connect(await pool.port(variant));
    const requests = new Map<string, { measured: Request; leadIn: Request }>(
      perWorkload.map(({ workload, requests: r }) => [workload.key, { measured: r.measured, leadIn: r.leadIn }]),
    );
    const contender: Contender = {
      id: variant.id,
      requests,
      server: () => server,
      check: () => assertTier(variant, client),
      reset: async () => {
        client.close();
        clients.delete(client);
        client = createClient(variant, await pool.port(variant));
        clients.add(client);
        await connected(client);
      },
    };
    if (variant.place === 'own-process') {
      contender.renew = async () => {
        client.close();
        clients.delete(client);
        await connect(await pool.restart(variant));
      };
    }
    contenders.push(contender);
  }
  return contenders;
}

/** Connects, and waits for the tier: calls made while a connection's tier is decided go on tcp. */
async function connected(client: BenchClient): Promise<void> {
  await client.connect();
  if (client instanceof FriendsClient) await client.tierDecision();
}

function assertTier(variant: NestVariant, client: BenchClient): void {
  const tier = tierOf(client);
  if (tier !== variant.tier) {
    throw new Error(
      `${variant.id}: expected the '${variant.tier}' tier, the client is on '${tier ?? 'no connection'}'`,
    );
  }
}
