import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FriendsServer } from '@friends/nest';
import { CatalogModule } from '@friends/catalog';
import { InventoryModule } from '@friends/inventory';
import { startPricing } from '@friends/pricing';
import type { ServiceName } from './config.js';

/** A started service: the port it listens on, and how to stop it gracefully. */
export interface RunningService {
  port: number;
  stop(): Promise<void>;
}

const NEST_MODULES = { catalog: CatalogModule, inventory: InventoryModule } as const;

/** Starts one service of the mesh in this process, listening on host (port 0: any free one). */
export async function startService(name: ServiceName, host: string, port = 0): Promise<RunningService> {
  if (name === 'pricing') {
    const pricing = await startPricing(`${host.includes(':') ? `[${host}]` : host}:${port}`);
    return { port: pricing.port, stop: () => pricing.stop() };
  }
  const server = new FriendsServer({ host, port, tracing: true });
  const app = await NestFactory.createMicroservice(NEST_MODULES[name], { strategy: server, logger: ['error', 'warn'] });
  await app.listen();
  return { port: server.address().port, stop: () => app.close() };
}
