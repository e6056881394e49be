import type { Request } from '../measure.js';
import type { Contender } from '../rounds.js';
import type { Workload } from '../workload.js';
import { GrpcEchoClient, isEcho, type GrpcPath } from './clients.js';
import { LEAD_IN_STREAM_MESSAGES, STREAM_MESSAGES } from './echo-service.js';
import type { GrpcServerPool } from './servers.js';
import type { GrpcVariant } from './variants.js';
import { STREAM_WORKLOAD } from './workloads.js';

/**
 * Starts the servers and makes one client per variant, each checked for the
 * echo, the stream and the path its calls take. Clients go into `clients` as
 * they are made, so the caller can close them whatever happens.
 */
export async function connectGrpcVariants(
  variants: readonly GrpcVariant[],
  workloads: readonly Workload[],
  pool: GrpcServerPool,
  clients: GrpcEchoClient[],
): Promise<Contender[]> {
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const client = new GrpcEchoClient(variant.client, await pool.target(variant.server, variant.address));
    clients.push(client);
    const { result: reply, path } = await client.unaryWithPath();
    if (!isEcho(reply)) throw new Error(`${variant.id}: the echo came back different`);
    assertPath(variant, path);
    const requests = new Map<string, { measured: Request; leadIn: Request }>();
    for (const workload of workloads) {
      if (workload !== STREAM_WORKLOAD) {
        requests.set(workload.key, { measured: client.unary, leadIn: client.unary });
      } else if (variant.streams) {
        const stream = await client.streamWithPath(STREAM_MESSAGES);
        if (stream.result !== STREAM_MESSAGES) {
          throw new Error(`${variant.id}: the stream brought ${stream.result} of ${STREAM_MESSAGES} messages`);
        }
        assertPath(variant, stream.path);
        requests.set(workload.key, {
          measured: () => client.stream(STREAM_MESSAGES),
          leadIn: () => client.stream(LEAD_IN_STREAM_MESSAGES),
        });
      }
    }
    const check = async (): Promise<void> => assertPath(variant, (await client.unaryWithPath()).path);
    contenders.push({ id: variant.id, requests, check });
  }
  return contenders;
}

function assertPath(variant: GrpcVariant, path: GrpcPath): void {
  if (path !== variant.tier)
    throw new Error(`${variant.id}: expected calls to go over ${variant.tier}, they went over ${path}`);
}
