import 'reflect-metadata';
import { Controller, Inject, Injectable, Logger, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ClientsModule,
  GrpcMethod,
  GrpcStreamMethod,
  ServerGrpc,
  Transport,
  type ClientGrpc,
} from '@nestjs/microservices';
import { Test, type TestingModule } from '@nestjs/testing';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { friends } from '@friends/grpc';
import { FriendsServerGrpc } from '@friends/grpc/nest';
import { firstValueFrom, from, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import { ECHO_LOADER_OPTIONS, ECHO_PROTO } from '../fixtures/src/grpc/echo-service.js';
import { wayOf } from '../support/tier.js';
import { freePort } from '../support/ports.js';

Logger.overrideLogger(false);

interface EchoRequest {
  text: string;
  count: number;
}
interface EchoReply {
  text: string;
  index: number;
  peer: string;
}
interface EchoService {
  Unary(request: Partial<EchoRequest>): Observable<EchoReply>;
  ServerStream(request: Partial<EchoRequest>): Observable<EchoReply>;
  Bidi(requests: Observable<Partial<EchoRequest>>): Observable<EchoReply>;
}

/** Which friend tier carried `run` ('tcp' for the standard wire). */
async function tierOf(run: () => Promise<unknown>): Promise<string> {
  const { way } = await wayOf(run);
  return way === 'http2' ? 'tcp' : way;
}

@Controller()
class EchoGrpcController {
  @GrpcMethod('Echo', 'Unary')
  unary(data: EchoRequest, _metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Partial<EchoReply> {
    return { text: data.text, peer: call.getPeer() };
  }

  @GrpcMethod('Echo', 'ServerStream')
  serverStream(data: EchoRequest): Observable<Partial<EchoReply>> {
    return from(Array.from({ length: data.count }, (_, index) => ({ index, text: data.text })));
  }

  @GrpcStreamMethod('Echo', 'Bidi')
  bidi(messages: Observable<EchoRequest>): Observable<Partial<EchoReply>> {
    return messages.pipe(map((m) => ({ text: m.text.toUpperCase() })));
  }
}

@Module({ controllers: [EchoGrpcController] })
class EchoGrpcModule {}

const grpcOptions = (port: number) => ({
  package: 'friends.test',
  protoPath: ECHO_PROTO,
  url: `127.0.0.1:${port}`,
  loader: ECHO_LOADER_OPTIONS,
});

@Injectable()
class Caller {
  constructor(@Inject('ECHO') readonly client: ClientGrpc) {}
}

describe.each([
  ['memory', 'friends', friends(), 'memory'],
  ['unix', 'friends', friends({ friends: { memory: false } }), 'unix'],
  ['tcp (stock Nest gRPC client)', 'friends', undefined, 'tcp'],
  ['friends client -> stock Nest gRPC server', 'stock', friends(), 'tcp'],
] as const)('Nest gRPC on %s', (_name, serverKind, channelOptions, expectedPeer) => {
  let app: INestMicroservice;
  let moduleRef: TestingModule;
  let echo: EchoService;

  beforeAll(async () => {
    const port = await freePort();
    const strategy =
      serverKind === 'friends' ? new FriendsServerGrpc(grpcOptions(port)) : new ServerGrpc(grpcOptions(port));
    app = await NestFactory.createMicroservice(EchoGrpcModule, { strategy, logger: false });
    await app.listen();
    @Module({
      imports: [
        ClientsModule.register([
          {
            name: 'ECHO',
            transport: Transport.GRPC,
            options: { ...grpcOptions(port), ...(channelOptions ? { channelOptions } : {}) },
          },
        ]),
      ],
      providers: [Caller],
    })
    class CallerModule {}
    moduleRef = await Test.createTestingModule({ imports: [CallerModule] }).compile();
    await moduleRef.init();
    echo = moduleRef.get(Caller).client.getService<EchoService>('Echo');
  });

  afterAll(async () => {
    await moduleRef?.close();
    await app?.close();
  });

  test('@GrpcMethod unary, server streaming and @GrpcStreamMethod bidi', async () => {
    expect(await firstValueFrom(echo.Unary({ text: 'hi' }))).toMatchObject({
      text: 'hi',
      peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    });
    expect(await tierOf(() => firstValueFrom(echo.Unary({ text: 'again' })))).toBe(expectedPeer);
    const stream = await lastValueFrom(echo.ServerStream({ text: 's', count: 3 }).pipe(toArray()));
    expect(stream.map((r) => r.index)).toEqual([0, 1, 2]);
    const bidi = await lastValueFrom(echo.Bidi(from([{ text: 'a' }, { text: 'b' }])).pipe(toArray()));
    expect(bidi.map((r) => r.text)).toEqual(['A', 'B']);
  });
});
