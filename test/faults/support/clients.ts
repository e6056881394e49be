import * as grpc from '@grpc/grpc-js';
import { friends } from '@friends/grpc';
import { lastValueFrom } from 'rxjs';
import { loadEcho, type EchoRequest } from '../../fixtures/src/grpc/echo-service.js';
import { FriendsClient } from '@friends/nest';
import type { AnyClient } from '../../support/targets.js';

export const Echo = loadEcho();
export type EchoClient = grpc.Client & Record<string, Function>;
export type Tier = 'memory' | 'unix' | 'tcp';

export const nestSend = <T = unknown>(client: AnyClient, pattern: string, data: unknown = {}): Promise<T> =>
  lastValueFrom(client.send<T>(pattern, data));

/** The tier the server says a connection has, once a FriendsClient (connecting if needed) has decided it. */
export async function nestTier(client: AnyClient): Promise<string> {
  if (client instanceof FriendsClient) await client.tierDecision();
  return nestSend<string>(client, 'tier');
}

/** The friends option that makes a client in this process take `tier` to a server placed for it. */
export function grpcFriends(tier: Tier): grpc.ClientOptions {
  return friends(tier === 'tcp' ? { friends: false } : {});
}

/** Reconnects are quick (grpc-js waits 1 s, then longer, by default); each channel has its own connection. */
export const FAST_RECONNECT: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.use_local_subchannel_pool': 1,
};

export function echoClient(port: number, tier: Tier, options: grpc.ClientOptions = {}): EchoClient {
  return new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    ...grpcFriends(tier),
    ...FAST_RECONNECT,
    ...options,
  }) as EchoClient;
}

/** A unary call; `waitForReady` (a metadata option in grpc-js) makes it wait through reconnects. */
export function unary(
  client: EchoClient,
  request: Partial<EchoRequest>,
  { waitForReady, ...options }: grpc.CallOptions & { waitForReady?: boolean } = {},
): Promise<{ text: string; index: number }> {
  const metadata = new grpc.Metadata();
  if (waitForReady) metadata.setOptions({ waitForReady });
  return new Promise((resolve, reject) =>
    client.Unary(request, metadata, options, (err: grpc.ServiceError | null, reply: { text: string; index: number }) =>
      err ? reject(err) : resolve(reply),
    ),
  );
}

/** A gRPC failure by its status code name (UNAVAILABLE...). */
export function grpcCode(err: unknown): string {
  const code = (err as { code?: number }).code;
  return code === undefined ? String(err) : (grpc.status[code] ?? String(code));
}
