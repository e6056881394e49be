import type { Tier } from '@friends/core';
import { FriendsClient } from '@friends/nest';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { LOOPBACK } from '../free-port.js';
import { ECHO_PATTERN } from './echo-module.js';
import type { ClientKind } from './variants.js';

/** The two clients under test; both are Nest `ClientProxy`s. */
export type EchoClient = ClientTCP | FriendsClient;

/** 56 characters in `{"s":…}` make a 64-byte JSON payload. */
export const PAYLOAD_BYTES = 64;
export const PAYLOAD = { s: 'x'.repeat(PAYLOAD_BYTES - '{"s":""}'.length) };

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

/** The measured request: one echo, awaited. */
export function echo(client: EchoClient): Promise<unknown> {
  return lastValueFrom(client.send(ECHO_PATTERN, PAYLOAD));
}

/** One round trip, checked: the echo must come back equal. */
export async function checkEcho(client: EchoClient): Promise<void> {
  const answer = await lastValueFrom(client.send<typeof PAYLOAD>(ECHO_PATTERN, PAYLOAD));
  if (answer?.s !== PAYLOAD.s) throw new Error(`echo came back different: ${JSON.stringify(answer)}`);
}
