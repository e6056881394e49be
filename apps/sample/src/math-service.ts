import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FriendsServer } from '@friends/nest';
import type { INestMicroservice } from '@nestjs/common';
import { MathModule } from './math.module.js';

/** Starts the math microservice on host:port with the friends transport. */
export async function startMathService(port: number, host = '127.0.0.1'): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(MathModule, {
    strategy: new FriendsServer({ host, port }),
    logger: ['error', 'warn'],
  });
  await app.listen();
  return app;
}
