import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/grpc-js/build/src/make-client.js';

/** The friends.v1.Handshake service, loaded from the proto shipped with this package. */
const PROTO = fileURLToPath(new URL('../proto/friends/v1/handshake.proto', import.meta.url));
const definition = loadSync(PROTO, { keepCase: true, longs: Number, defaults: true });

export const handshakeService = definition['friends.v1.Handshake'] as unknown as ServiceDefinition;
export const helloMethod = handshakeService.Hello as MethodDefinition<HelloRequestMessage, HelloAnswerMessage>;

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
