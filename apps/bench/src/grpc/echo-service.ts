import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('../../proto/echo.proto', import.meta.url));

export const PAYLOAD_BYTES = 64;
export const STREAM_MESSAGES = 10_000;
export const STREAM_MESSAGE_BYTES = 16;
/** The lead-in before a stream piece: a short stream, so it wakes the path up without costing a whole one. */
export const LEAD_IN_STREAM_MESSAGES = 100;

export interface Payload {
  data: Buffer;
}

export interface StreamRequest {
  count: number;
  size: number;
}

/** The generated client, with its two methods typed. */
export interface EchoStub extends grpc.Client {
  Echo(request: Payload, callback: grpc.requestCallback<Payload>): grpc.ClientUnaryCall;
  ServerStream(request: StreamRequest): grpc.ClientReadableStream<Payload>;
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

/** The handlers every benchmarked server runs, stock or friends. */
export const echoHandlers: grpc.UntypedServiceImplementation = {
  Echo(call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>) {
    callback(null, call.request);
  },
  ServerStream(call: grpc.ServerWritableStream<StreamRequest, Payload>) {
    const message: Payload = { data: Buffer.alloc(call.request.size, 0x62) };
    for (let i = 0; i < call.request.count; i++) call.write(message);
    call.end();
  },
};
