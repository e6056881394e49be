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
import * as grpc from '@grpc/grpc-js';
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

/**
 * FriendsServerGrpc builds its server with a copy of what ServerGrpc#createClient
 * builds its grpc.Server with (see FriendsServerGrpc#serverSetup): run Nest's
 * own createClient for the installed Nest, with a grpc package that records
 * the server it is asked for, and compare.
 */
describe("FriendsServerGrpc builds its server as the installed Nest's ServerGrpc does", () => {
  type Recorded = { options?: unknown; calls: { method: string; args: unknown[] }[] };

  /** A ServerGrpc whose grpc package makes servers that only record what Nest asks of them. */
  class RecordingServerGrpc extends ServerGrpc {
    static record: Recorded = { calls: [] };
  }
  function recordingPackage(name: string, pkg: Record<string, unknown>): unknown {
    if (name !== '@grpc/grpc-js') return pkg;
    const record = RecordingServerGrpc.record;
    const RecordingServer = function (this: object, options: unknown) {
      record.options = options;
      return new Proxy(this, {
        get: (_target, method: string) =>
          method === 'then'
            ? undefined
            : (...args: unknown[]) => {
                record.calls.push({ method, args });
                const callback = args[args.length - 1];
                if (method === 'bindAsync' && typeof callback === 'function') callback(null, 1234);
              },
      });
    };
    return { ...pkg, Server: RecordingServer };
  }
  // Nest 12 loads its packages with loadPackageSynchronously, Nest 11 with loadPackage: whichever it has.
  for (const method of ['loadPackage', 'loadPackageSynchronously']) {
    const original = (ServerGrpc.prototype as unknown as Record<string, Function | undefined>)[method];
    if (typeof original !== 'function') continue;
    (RecordingServerGrpc.prototype as unknown as Record<string, Function>)[method] = function (
      this: ServerGrpc,
      name: string,
      ...rest: unknown[]
    ) {
      return recordingPackage(name, original.call(this, name, ...rest));
    };
  }

  class ExposedFriendsServerGrpc extends FriendsServerGrpc {
    setup() {
      return this.serverSetup();
    }
  }

  const credentials = grpc.ServerCredentials.createInsecure();
  const optionSets: [string, () => Record<string, unknown>][] = [
    ['the least', () => ({ package: 'friends.test', protoPath: ECHO_PROTO })],
    [
      'limits, keepalive, channel options, credentials',
      () => ({
        package: 'friends.test',
        protoPath: ECHO_PROTO,
        url: '127.0.0.1:0',
        channelOptions: { 'grpc.max_concurrent_streams': 5, 'grpc.max_send_message_length': 1 },
        maxSendMessageLength: 1_000,
        maxReceiveMessageLength: 2_000,
        maxMetadataSize: 3_000,
        keepalive: { keepaliveTimeMs: 10_000, http2MaxPingStrikes: 3, notAKeepaliveKey: 1 },
        credentials,
      }),
    ],
  ];

  afterAll(() => {
    // Nest keeps the package in a variable every ServerGrpc shares: give it back the real one.
    new ServerGrpc({ package: 'friends.test', protoPath: ECHO_PROTO });
  });

  test.each(optionSets)('%s', async (_name, options) => {
    RecordingServerGrpc.record = { calls: [] };
    const nest = new RecordingServerGrpc(options() as never);
    await (nest as unknown as { createClient(): Promise<unknown> }).createClient();
    const { options: nestOptions, calls } = RecordingServerGrpc.record;
    // Nest makes the server, binds it, and asks nothing else of it.
    expect(calls.map((c) => c.method)).toEqual(['bindAsync']);
    const [nestUrl, nestCredentials] = calls[0]!.args as [string, grpc.ServerCredentials];

    const ours = new ExposedFriendsServerGrpc(options() as never).setup();
    expect(ours.serverOptions).toEqual(nestOptions);
    expect(ours.url).toBe(nestUrl);
    const given = options().credentials;
    if (given) expect([ours.credentials, nestCredentials]).toEqual([given, given]);
    else expect([ours.credentials._isSecure(), nestCredentials._isSecure()]).toEqual([false, false]);
  });
});
