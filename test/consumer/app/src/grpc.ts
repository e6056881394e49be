import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod } from '@nestjs/microservices';
import { friends, FriendsGrpcServer } from '@friends/grpc';
import { FriendsServerGrpc } from '@friends/grpc/nest';

interface Words {
  text: string;
  times: number;
}

/** The Echo client class of echo.proto (in the application's directory). */
type EchoClient = grpc.Client & {
  say(request: Words, callback: (err: grpc.ServiceError | null, reply?: Words) => void): grpc.ClientUnaryCall;
  repeat(request: Words): grpc.ClientReadableStream<Words>;
};
type EchoClientClass = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => EchoClient;

const PROTO = 'echo.proto';
const definition = loadSync(PROTO, { keepCase: true, defaults: true });
const echoPackage = grpc.loadPackageDefinition(definition).consumer as unknown as {
  Echo: EchoClientClass & { service: grpc.ServiceDefinition };
};

const handlers: grpc.UntypedServiceImplementation = {
  say(call: grpc.ServerUnaryCall<Words, Words>, callback: grpc.sendUnaryData<Words>) {
    callback(null, { text: call.request.text, times: call.request.times });
  },
  repeat(call: grpc.ServerWritableStream<Words, Words>) {
    for (let i = 0; i < call.request.times; i++) call.write({ text: call.request.text, times: i });
    call.end();
  },
};

/** grpc-js before 1.10 serves a bound server only once start() is called (1.10 deprecated it). */
export function grpcJsNeedsStart(): boolean {
  const { version } = createRequire(process.argv[1]!)('@grpc/grpc-js/package.json') as { version: string };
  const [major, minor] = version.split('.').map(Number);
  return major === 1 && minor! < 10;
}

/** A gRPC server of the Echo service on 127.0.0.1 (port 0: any): friends' or stock grpc-js's. */
export async function startGrpcServer(port: number, stock = false): Promise<{ server: grpc.Server; port: number }> {
  const server = stock ? new grpc.Server() : new FriendsGrpcServer();
  server.addService(echoPackage.Echo.service, handlers);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  if (grpcJsNeedsStart()) server.start();
  return { server, port: bound };
}

@Controller()
class EchoController {
  @GrpcMethod('Echo', 'Say')
  say(request: Words): Words {
    return { text: request.text, times: request.times };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

/** Nest's gRPC transport with friends, serving EchoController (Say only). */
export async function startNestGrpcServer(port: number): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(EchoModule, {
    strategy: new FriendsServerGrpc({
      package: 'consumer',
      protoPath: PROTO,
      url: `127.0.0.1:${port}`,
      loader: { keepCase: true, defaults: true },
    }),
    logger: false,
  });
  await app.listen();
  return app;
}

export function echoClient(port: number, stock = false): EchoClient {
  return new echoPackage.Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), stock ? {} : friends());
}

/** `calls` unary calls and one server stream (when `streams`); checks every answer. */
export async function grpcCalls(client: EchoClient, calls: number, streams = true): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const reply = await new Promise<Words>((resolve, reject) =>
      client.say({ text: `hello ${i}`, times: i }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
    if (reply.text !== `hello ${i}` || reply.times !== i) throw new Error(`Say answered ${JSON.stringify(reply)}`);
  }
  if (!streams) return;
  const seen: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = client.repeat({ text: 'again', times: 3 });
    stream.on('data', (words: Words) => seen.push(words.times));
    stream.on('error', reject);
    stream.on('end', resolve);
  });
  if (seen.join() !== '0,1,2') throw new Error(`Repeat streamed ${seen.join()}`);
}
