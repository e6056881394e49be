import * as grpc from '@grpc/grpc-js';
import { metricsSnapshot } from '@friends/core';
import { friends } from '@friends/grpc';
import {
  EchoClient,
  PAYLOAD_BYTES,
  STREAM_MESSAGE_BYTES,
  type EchoStub,
  type Payload,
  type StreamRequest,
} from './echo-service.js';

/** A stock grpc-js client, or one built with `friends()`. */
export type GrpcClientKind = 'stock' | 'friends';

/** Which way a call went. */
export type GrpcPath = 'memory' | 'unix' | 'http2';

/** The way `call` went, by which friend tier's counters in this process moved while it ran. */
async function pathOf<T>(call: () => Promise<T>): Promise<{ result: T; path: GrpcPath }> {
  const before = metricsSnapshot();
  const result = await call();
  const after = metricsSnapshot();
  if (after.memory.messagesIn > before.memory.messagesIn) return { result, path: 'memory' };
  if (after.unix.messagesIn > before.unix.messagesIn) return { result, path: 'unix' };
  return { result, path: 'http2' };
}

const REQUEST: Payload = { data: Buffer.alloc(PAYLOAD_BYTES, 0x61) };

/*
 * grpc-js shares one connection among channels with the same target and
 * options; each variant gets its own, as a separate service's client would.
 */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

/** One generated echo client, with the requests the benchmark makes. */
export class GrpcEchoClient {
  private readonly stub: EchoStub;

  constructor(kind: GrpcClientKind, target: string) {
    const credentials = grpc.credentials.createInsecure();
    this.stub = new EchoClient(
      target,
      credentials,
      kind === 'stock' ? OWN_CONNECTION : { ...friends(), ...OWN_CONNECTION },
    );
  }

  /** The measured unary request. */
  readonly unary = (): Promise<Payload> =>
    new Promise((resolve, reject) => {
      this.stub.Echo(REQUEST, (err, reply) => (err ? reject(err) : resolve(reply!)));
    });

  /** A server stream read to its end; resolves with the number of messages. */
  stream(count: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let received = 0;
      const request: StreamRequest = { count, size: STREAM_MESSAGE_BYTES };
      const call = this.stub.ServerStream(request);
      call.on('data', () => {
        received++;
      });
      call.on('error', reject);
      call.on('end', () => resolve(received));
    });
  }

  /** One unary call, and the way it went. */
  unaryWithPath(): Promise<{ result: Payload; path: GrpcPath }> {
    return pathOf(this.unary);
  }

  streamWithPath(count: number): Promise<{ result: number; path: GrpcPath }> {
    return pathOf(() => this.stream(count));
  }

  close(): void {
    this.stub.close();
  }
}

/** The payload the unary call must echo. */
export function isEcho(reply: Payload): boolean {
  return Buffer.isBuffer(reply.data) && reply.data.equals(REQUEST.data);
}
