import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/grpc-js/build/src/make-client.js';

/** The friends.v1.Handshake service, loaded from the proto shipped with this package. */
const PROTO = fileURLToPath(new URL('../proto/friends/v1/handshake.proto', import.meta.url));
const definition = loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });

export const handshakeService = definition['friends.v1.Handshake'] as unknown as ServiceDefinition;
export const helloMethod = handshakeService.Hello as MethodDefinition<HelloRequestMessage, HelloAnswerMessage>;

/** A hello or its answer is a few hundred bytes at most; anything much larger is not one. */
export const MAX_HELLO_BYTES = 1024;

export interface HelloRequestMessage {
  v: number;
  nonce: string;
  endpoint: string;
  kernel: string;
}

export interface HelloAnswerMessage {
  v: number;
  tier: string;
  path: string;
  ticket: string;
  reason: string;
  proof: string;
}

/** A message as grpc-js puts it on a stream: uncompressed flag, length, bytes. */
export function frameMessage(body: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(body.length + 5);
  framed[0] = 0;
  framed.writeUInt32BE(body.length, 1);
  body.copy(framed, 5);
  return framed;
}

/** The bytes of one framed, uncompressed message; throws on anything else. */
export function unframeMessage(framed: Buffer): Buffer {
  if (framed.length < 5 || framed[0] !== 0 || framed.readUInt32BE(1) !== framed.length - 5)
    throw new Error('Hello message is not one uncompressed gRPC message');
  return framed.subarray(5);
}

/** Proto3 has no absent strings: empty means not given. */
export function helloFromMessage(message: HelloRequestMessage): Record<string, unknown> {
  return {
    v: message.v,
    nonce: message.nonce,
    ...(message.endpoint ? { endpoint: message.endpoint } : {}),
    ...(message.kernel ? { kernel: message.kernel } : {}),
  };
}
