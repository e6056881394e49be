import * as grpc from '@grpc/grpc-js';
import { FriendsGrpcServer } from '@friends/grpc';
import { HealthService } from './health.js';
import { pricingHandlers } from './pricing.js';
import { Health, Pricing } from './protos.js';

export interface PricingServer {
  server: FriendsGrpcServer;
  port: number;
  health: HealthService;
  /** Marks everything NOT_SERVING, then lets calls in flight finish. */
  stop(): Promise<void>;
}

/** Starts the pricing service (and the standard health service) on a friends gRPC server. */
export async function startPricing(
  address: string,
  options: ConstructorParameters<typeof FriendsGrpcServer>[0] = {},
): Promise<PricingServer> {
  const server = new FriendsGrpcServer(options);
  const health = new HealthService(['mesh.pricing.v1.Pricing']);
  server.addService(Pricing.service, pricingHandlers);
  server.addService(Health.service, health.handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const stop = async (): Promise<void> => {
    health.shutdown();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  };
  return { server, port, health, stop };
}
