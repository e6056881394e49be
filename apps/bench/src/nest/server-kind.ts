import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { FriendsServer } from '@friends/nest';
import { LOOPBACK } from '../free-port.js';
import { EchoModule } from './echo-module.js';

/** Which transport strategy an echo server runs. */
export type ServerKind = 'stock' | 'friends';

export interface EchoServer {
  app: INestMicroservice;
  port: number;
}

/**
 * Starts an echo microservice. The stock server cannot report a port it picked
 * itself, so it is always given one; the friends server may take port 0.
 */
export async function startEchoServer(kind: ServerKind, port: number): Promise<EchoServer> {
  if (kind === 'stock') {
    const app = await NestFactory.createMicroservice(EchoModule, {
      transport: Transport.TCP,
      options: { host: LOOPBACK, port },
      logger: false,
    });
    await app.listen();
    return { app, port };
  }
  const server = new FriendsServer({ host: LOOPBACK, port });
  const app = await NestFactory.createMicroservice(EchoModule, { strategy: server, logger: false });
  await app.listen();
  return { app, port: server.address().port };
}
