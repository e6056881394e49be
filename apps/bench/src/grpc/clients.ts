import * as grpc from '@grpc/grpc-js';
import { metricsSnapshot } from '@friends/core';
import { friends } from '@friends/grpc';
import type { Request } from '../measure.js';
import type { Workload } from '../workload.js';
import { EchoClient, type EchoStub, type Payload, type StreamRequest } from './echo-service.js';

/** A stock grpc-js client, or one built with `friends()`. */
export type GrpcClientKind = 'stock' | 'friends';

/** Which way a call went: by the friend tiers' counters in this process (neither moved: HTTP/2). */
export type GrpcPath = 'memory' | 'unix' | 'http2';

/*
 * grpc-js shares one connection among channels with the same target and
 * options; each variant gets its own, as a separate service's client would.
 */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

/** The channel options of a client kind. */
export function clientOptions(kind: GrpcClientKind): grpc.ClientOptions {
  return kind === 'stock' ? OWN_CONNECTION : { ...friends(), ...OWN_CONNECTION };
}

export function createStub(target: string, options: grpc.ClientOptions): EchoStub {
  return new EchoClient(target, grpc.credentials.createInsecure(), options);
}

/** The way `call` went, by which friend tier's counters moved while it ran. */
export async function pathOf(call: () => Promise<unknown>): Promise<GrpcPath> {
  const before = metricsSnapshot();
  await call();
  const after = metricsSnapshot();
  if (after.memory.messagesIn > before.memory.messagesIn) return 'memory';
  if (after.unix.messagesIn > before.unix.messagesIn) return 'unix';
  return 'http2';
}

/** What a client sends for a workload: the measured request, and a check that it is answered right. */
export interface GrpcRequests {
  measured: Request;
  leadIn: Request;
  check(): Promise<void>;
}

/** `stub` may be replaced (a reset connection): requests read it through `current`. */
export function requestsFor(current: () => EchoStub, workload: Workload): GrpcRequests {
  const payload: Payload = { data: Buffer.alloc(workload.bytes, 0x61) };
  switch (workload.kind) {
    case 'unary': {
      const unary = (): Promise<Payload> =>
        new Promise((resolve, reject) =>
          current().Echo(payload, (err, reply) => (err ? reject(err) : resolve(reply!))),
        );
      return {
        measured: unary,
        leadIn: unary,
        check: async () => {
          const reply = await unary();
          if (!Buffer.isBuffer(reply.data) || !reply.data.equals(payload.data))
            throw new Error(`the ${workload.label} echo came back different`);
        },
      };
    }
    case 'stream': {
      const stream = (count: number) => (): Promise<void> =>
        new Promise((resolve, reject) => {
          let received = 0;
          const request: StreamRequest = { count, size: workload.bytes };
          const call = current().ServerStream(request);
          call.on('data', () => received++);
          call.on('error', reject);
          call.on('end', () =>
            received === count ? resolve() : reject(new Error(`a stream of ${count} brought ${received} messages`)),
          );
        });
      return { measured: stream(workload.items), leadIn: stream(10), check: stream(workload.items) };
    }
    case 'bidi': {
      // Ping-pong: each message waits for the echo of the one before.
      const pingPong = (count: number) => (): Promise<void> =>
        new Promise((resolve, reject) => {
          let received = 0;
          const call = current().Bidi();
          call.on('data', () => {
            if (++received < count) call.write(payload);
            else call.end();
          });
          call.on('error', reject);
          call.on('end', () =>
            received === count ? resolve() : reject(new Error(`${received} of ${count} echoes came back`)),
          );
          call.write(payload);
        });
      return { measured: pingPong(workload.items), leadIn: pingPong(10), check: pingPong(workload.items) };
    }
    case 'events':
      throw new Error('gRPC has no fire-and-forget events');
  }
}
