import type * as grpc from '@grpc/grpc-js';
import { friends } from '@friends/grpc';
import type { ServerKind } from '../core/server-host.js';
import { TARGETS, type TargetName } from '../../../support/target-names.js';

/** How one placement pairs a client with a server. */
export interface Placement {
  name: TargetName;
  server: ServerKind;
  /** The server lives in a child process (the unix tier needs another process). */
  child: boolean;
  /** Fresh client options for every client: a friends client gets its own `friends()`. */
  clientOptions(): grpc.ClientOptions;
}

export const ORACLE: TargetName = 'stock client -> stock server';

const BY_NAME: Record<TargetName, Omit<Placement, 'name'>> = {
  'stock client -> stock server': { server: 'stock', child: false, clientOptions: () => ({}) },
  memory: { server: 'friends', child: false, clientOptions: () => friends() },
  unix: { server: 'friends', child: true, clientOptions: () => friends() },
  tcp: { server: 'friends', child: false, clientOptions: () => friends({ friends: false }) },
  'stock client -> friends server': { server: 'friends', child: false, clientOptions: () => ({}) },
  'friends client -> stock server': { server: 'stock', child: false, clientOptions: () => friends() },
};

/** The oracle first, then the others in the order of the shared target list. */
export const PLACEMENTS: readonly Placement[] = [ORACLE, ...TARGETS.filter((name) => name !== ORACLE)].map((name) => ({
  name,
  ...BY_NAME[name],
}));
