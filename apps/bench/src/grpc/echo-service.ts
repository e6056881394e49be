import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../proto/echo.proto', import.meta.url));

export interface Payload {
  data: Buffer;
}

export interface StreamRequest {
  count: number;
  size: number;
}

/** The generated client, with its methods typed. */
export interface EchoStub extends grpc.Client {
  Echo(request: Payload, callback: grpc.requestCallback<Payload>): grpc.ClientUnaryCall;
  ServerStream(request: StreamRequest): grpc.ClientReadableStream<Payload>;
  Bidi(): grpc.ClientDuplexStream<Payload, Payload>;
}

const pkg = grpc.loadPackageDefinition(loadSync(PROTO)) as unknown as {
  friends: { bench: { Echo: grpc.ServiceClientConstructor } };
};
export const EchoClient = pkg.friends.bench.Echo as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => EchoStub;
export const echoService = pkg.friends.bench.Echo.service;

const streamed = new Map<number, Payload>();

/** The handlers every benchmarked server runs, stock or friends. */
export const echoHandlers: grpc.UntypedServiceImplementation = {
  Echo(call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>) {
    callback(null, call.request);
  },
  ServerStream(call: grpc.ServerWritableStream<StreamRequest, Payload>) {
    let message = streamed.get(call.request.size);
    if (!message) streamed.set(call.request.size, (message = { data: Buffer.alloc(call.request.size, 0x62) }));
    for (let i = 0; i < call.request.count; i++) call.write(message);
    call.end();
  },
  Bidi(call: grpc.ServerDuplexStream<Payload, Payload>) {
    call.on('data', (message: Payload) => call.write(message));
    call.on('end', () => call.end());
  },
};
