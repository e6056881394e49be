import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Server, Transport } from '@nestjs/microservices';
import { FriendsServer } from '@friends/nest';
import type { CopyMode } from '@friends/core/internal';
import { LOOPBACK } from '../free-port.js';
import { BenchModule } from './echo-module.js';

/** Which transport strategy a server runs. */
export type ServerKind = 'stock' | 'friends';

export interface BenchServer {
  app: INestMicroservice;
  port: number;
  /** The strategy, with the handlers Nest registered on it (for the in-process floor). */
  strategy: Server | undefined;
}

/**
 * Starts the benchmark's microservice. The stock server cannot report a port
 * it picked itself, so it is always given one; the friends server may take
 * port 0. `copy`: the friends server's memory-tier copy mode.
 */
export async function startBenchServer(kind: ServerKind, port: number, copy?: CopyMode): Promise<BenchServer> {
  if (kind === 'stock') {
    const app = await NestFactory.createMicroservice(BenchModule, {
      transport: Transport.TCP,
      options: { host: LOOPBACK, port },
      logger: false,
    });
    await app.listen();
    return { app, port, strategy: undefined };
  }
  const strategy = new FriendsServer({ host: LOOPBACK, port, ...(copy ? { copy } : {}) });
  const app = await NestFactory.createMicroservice(BenchModule, { strategy, logger: false });
  await app.listen();
  return { app, port: strategy.address().port, strategy };
}
