import 'reflect-metadata';
import { createServer, type AddressInfo } from 'node:net';
import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, GrpcStreamMethod, RpcException, ServerGrpc } from '@nestjs/microservices';
import * as grpc from '@grpc/grpc-js';
import { FriendsServerGrpc } from '@friends/grpc/nest';
import { map, Observable, of, toArray } from 'rxjs';
import { nestGrpcOptions } from './nest-options.js';
import { describeServerCall } from './server-observe.js';
import type { ServerKind } from './server-host.js';
import type { ServerLog } from './server-log.js';
import { parityAls } from './server-host.js';

Logger.overrideLogger(false);

interface Msg {
  text?: string;
  n?: number;
}

type SurfaceCall = Parameters<typeof describeServerCall>[0];

function controllerFor(log: ServerLog): new () => object {
  const open = (path: string, kind: string, call: SurfaceCall) => {
    const { rec } = log.open('handler', path, 0);
    rec('handler', describeServerCall(call, kind, parityAls));
    return rec;
  };

  @Controller()
  class NestParityController {
    @GrpcMethod('Nest', 'Unary')
    unary(data: Msg, _metadata: grpc.Metadata, call: SurfaceCall): Msg {
      open('/parity.Nest/Unary', 'unary', call);
      return { text: `nest:${data.text}`, n: (data.n ?? 0) + 1 };
    }

    @GrpcMethod('Nest', 'Fail')
    fail(data: Msg, _metadata: grpc.Metadata, call: SurfaceCall): Msg {
      open('/parity.Nest/Fail', 'unary', call);
      throw new RpcException({ code: data.n || grpc.status.NOT_FOUND, message: `no ${data.text}` });
    }

    @GrpcMethod('Nest', 'Meta')
    meta(data: Msg, metadata: grpc.Metadata, call: SurfaceCall & { sendMetadata(md: grpc.Metadata): void }): Msg {
      const rec = open('/parity.Nest/Meta', 'unary', call);
      rec('metadata argument', metadata);
      const initial = new grpc.Metadata();
      initial.set('x-nest', 'initial');
      call.sendMetadata(initial);
      return { text: String(metadata.get('x-token')[0] ?? 'none') };
    }

    @GrpcMethod('Nest', 'Stream')
    stream(data: Msg, _metadata: grpc.Metadata, call: SurfaceCall): Observable<Msg> {
      open('/parity.Nest/Stream', 'serverStream', call);
      return of(1, 2, 3).pipe(map((n) => ({ text: data.text, n })));
    }

    @GrpcStreamMethod('Nest', 'Collect')
    collect(messages: Observable<Msg>, _metadata: grpc.Metadata, call: SurfaceCall): Observable<Msg> {
      const rec = open('/parity.Nest/Collect', 'clientStream', call);
      return messages.pipe(
        toArray(),
        map((all) => {
          rec('received', all);
          return { text: all.map((m) => m.text).join('+'), n: all.length };
        }),
      );
    }

    @GrpcStreamMethod('Nest', 'Chat')
    chat(messages: Observable<Msg>, _metadata: grpc.Metadata, call: SurfaceCall): Observable<Msg> {
      open('/parity.Nest/Chat', 'bidi', call);
      return messages.pipe(map((m) => ({ text: (m.text ?? '').toUpperCase() })));
    }
  }
  return NestParityController;
}

/** Nest's gRPC transport serving parity.Nest: ServerGrpc for stock, FriendsServerGrpc for friends. */
export async function startNestServer(
  kind: ServerKind,
  port: number,
  log: ServerLog,
): Promise<{ port: number; stop(): Promise<void> }> {
  const bound = port || (await freeLoopbackPort());
  const options = nestGrpcOptions(`127.0.0.1:${bound}`);
  @Module({ controllers: [controllerFor(log)] })
  class NestParityModule {}
  const strategy = kind === 'friends' ? new FriendsServerGrpc(options) : new ServerGrpc(options);
  const app = await NestFactory.createMicroservice(NestParityModule, { strategy, logger: false });
  await app.listen();
  return { port: bound, stop: () => app.close() };
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
