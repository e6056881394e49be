import type { Tier } from '@friends/core';
import { FriendsClient } from '@friends/nest';
import { ClientTCP } from '@nestjs/microservices';
import { LOOPBACK } from './server-kind.js';
import type { ClientKind } from './variants.js';

/** The two clients under test; both are Nest `ClientProxy`s. */
export type EchoClient = ClientTCP | FriendsClient;

export function createClient(kind: ClientKind, port: number): EchoClient {
  switch (kind) {
    case 'stock':
      return new ClientTCP({ host: LOOPBACK, port });
    case 'friends':
      return new FriendsClient({ host: LOOPBACK, port });
    case 'friends-off':
      return new FriendsClient({ host: LOOPBACK, port, friends: false });
  }
}

/** The tier a connected client took; the stock client knows only the TCP wire. */
export function tierOf(client: EchoClient): Tier | undefined {
  return client instanceof FriendsClient ? client.tier : 'tcp';
}
