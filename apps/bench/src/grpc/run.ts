import type { Contender } from '../contender.js';
import type { Request } from '../measure.js';
import type { Meter } from '../meter/usage.js';
import type { Workload } from '../workload.js';
import { CANNED_TARGET, cannedOptions } from './canned-channel.js';
import { clientOptions, createStub, pathOf, requestsFor, type GrpcPath } from './clients.js';
import type { EchoStub } from './echo-service.js';
import type { GrpcServerPool } from './servers.js';
import { GRPC_FLOOR, type GrpcVariant } from './variants.js';

/**
 * Starts the servers and makes one client per variant, each checked on every
 * workload it runs and for the path its calls take. Clients go into `stubs`
 * as they are made, so the caller can close them whatever happens.
 */
export async function connectGrpcVariants(
  variants: readonly GrpcVariant[],
  workloads: readonly Workload[],
  pool: GrpcServerPool,
  stubs: EchoStub[],
): Promise<Contender[]> {
  // Servers boot mostly on CPU and wait on IPC: started together, they are up sooner.
  await Promise.all(variants.map((variant) => pool.target(variant.server, variant.address)));
  const contenders: Contender[] = [];
  for (const variant of variants) {
    const target = await pool.target(variant.server, variant.address);
    let stub = createStub(target, clientOptions(variant.client));
    stubs.push(stub);
    const current = (): EchoStub => stub;
    const server: Meter | undefined = await pool.process(variant.server);
    const own = workloads.filter((w) => w.kind !== 'events' && (variant.runs?.(w) ?? true));
    const requests = new Map<string, { measured: Request; leadIn: Request }>();
    let probe: (() => Promise<void>) | undefined;
    for (const workload of own) {
      const { measured, leadIn, check } = requestsFor(current, workload);
      assertPath(variant, await pathOf(check));
      requests.set(workload.key, { measured, leadIn });
      if (workload.kind === 'unary' && !probe) probe = check;
    }
    // After each piece: one small call, to see that the path has not changed.
    const check = async (): Promise<void> => {
      if (probe) assertPath(variant, await pathOf(probe));
    };
    const reset = async (): Promise<void> => {
      stub.close();
      stub = createStub(target, clientOptions(variant.client));
      stubs.push(stub);
    };
    contenders.push({ id: variant.id, requests, server: () => server, check, reset });
  }
  return contenders;
}

/** The floor: a client of the canned channel, checked on every workload it runs. */
export async function cannedFloor(workloads: readonly Workload[], stubs: EchoStub[]): Promise<Contender> {
  let stub = createStub(CANNED_TARGET, cannedOptions());
  stubs.push(stub);
  const current = (): EchoStub => stub;
  const requests = new Map<string, { measured: Request; leadIn: Request }>();
  for (const workload of workloads.filter((w) => w.kind !== 'events')) {
    const { measured, leadIn, check } = requestsFor(current, workload);
    await check();
    requests.set(workload.key, { measured, leadIn });
  }
  const reset = async (): Promise<void> => {
    stub.close();
    stub = createStub(CANNED_TARGET, cannedOptions());
    stubs.push(stub);
  };
  return { id: GRPC_FLOOR.id, requests, server: () => undefined, check: () => undefined, reset };
}

function assertPath(variant: GrpcVariant, path: GrpcPath): void {
  if (path !== variant.tier)
    throw new Error(`${variant.id}: expected calls to go over ${variant.tier}, they went over ${path}`);
}
