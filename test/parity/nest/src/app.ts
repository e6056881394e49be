import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ServerTCP, type MicroserviceOptions } from '@nestjs/microservices';
import { FriendsServer } from '@friends/nest';
import { CONTROLLERS } from './all-scenarios.js';
import { captureLogger } from './logs.js';
import { Recorder } from './recorder.js';
import type { ServerSetup } from './scenario.js';
import { RecordingGuard, RecordingInterceptor, RecordingPipe } from './scenarios/enhancers.js';
import { SETUPS } from './setups.js';

export type ServerKind = 'stock' | 'friends';

export interface ParityServer {
  readonly port: number;
  /** The FriendsServer's unix socket, if it has one. */
  readonly unixPath: string | null;
  close(): Promise<void>;
}

@Module({})
class ParityModule {}

function parityModule(rec: Recorder): DynamicModule {
  return { module: ParityModule, controllers: CONTROLLERS, providers: [{ provide: Recorder, useValue: rec }] };
}

/** One server hosting every scenario's handlers, recording into `rec`. Port 0 picks a free one. */
export async function startParityServer(
  kind: ServerKind,
  setup: ServerSetup,
  port: number,
  rec: Recorder,
  socketDir?: string,
): Promise<ParityServer> {
  const { options: setupOptions, prepare, enhancers = true } = SETUPS[setup];
  const options = { host: '127.0.0.1', port, ...setupOptions(rec) };
  const friends = kind === 'friends' ? new FriendsServer({ ...options, socketDir }) : undefined;
  // The stock server as Nest builds it for `transport: Transport.TCP`, in hand so that a setup can prepare it.
  const server = friends ?? new ServerTCP(options);
  prepare?.(server, rec);
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(parityModule(rec), {
    strategy: server,
    logger: captureLogger,
  });
  if (enhancers) {
    app.useGlobalGuards(new RecordingGuard(rec));
    app.useGlobalInterceptors(new RecordingInterceptor(rec));
    app.useGlobalPipes(new RecordingPipe(rec));
  }
  await app.listen();
  const address = app.unwrap<{ address(): { port: number } }>().address();
  return { port: address.port, unixPath: friends?.unixPath ?? null, close: () => app.close() };
}
