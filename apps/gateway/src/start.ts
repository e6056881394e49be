import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import type { GatewayConfig } from './config.js';
import { Downstream } from './downstream.js';
import { GatewayModule } from './gateway.module.js';
import { requestSpans } from './request-spans.js';

export interface Gateway {
  app: INestApplication;
  url: string;
  downstream: Downstream;
  close(): Promise<void>;
}

/** Starts the HTTP gateway and its clients. */
export async function startGateway(config: GatewayConfig): Promise<Gateway> {
  const app = await NestFactory.create(GatewayModule.forConfig(config), { logger: ['error', 'warn'] });
  app.use(requestSpans);
  await app.listen(config.httpPort, config.httpHost);
  const address = app.getHttpServer().address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const downstream = app.get(Downstream);
  return {
    app,
    url: `http://${host}:${address.port}`,
    downstream,
    close: async () => {
      await downstream.close();
      await app.close();
    },
  };
}
