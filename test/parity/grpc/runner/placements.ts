import type * as grpc from '@grpc/grpc-js';
import type { Tier } from '@friends/core';
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
  /**
   * The tier each side must count every call on (null: that side is stock and
   * counts nothing). A friends client that silently stays on HTTP/2, or takes
   * unix where memory was possible, still gives stock's traces: only the
   * counters tell (see tier-check.ts).
   */
  tiers: { client: Tier | null; server: Tier | null };
}

export const ORACLE: TargetName = 'stock client -> stock server';

const BY_NAME: Record<TargetName, Omit<Placement, 'name'>> = {
  'stock client -> stock server': {
    server: 'stock',
    child: false,
    clientOptions: () => ({}),
    tiers: { client: null, server: null },
  },
  memory: {
    server: 'friends',
    child: false,
    clientOptions: () => friends(),
    tiers: { client: 'memory', server: 'memory' },
  },
  unix: { server: 'friends', child: true, clientOptions: () => friends(), tiers: { client: 'unix', server: 'unix' } },
  // Friends off: grpc-js's own channel, which counts nothing; the server counts its HTTP/2 calls.
  tcp: {
    server: 'friends',
    child: false,
    clientOptions: () => friends({ friends: false }),
    tiers: { client: null, server: 'tcp' },
  },
  'stock client -> friends server': {
    server: 'friends',
    child: false,
    clientOptions: () => ({}),
    tiers: { client: null, server: 'tcp' },
  },
  'friends client -> stock server': {
    server: 'stock',
    child: false,
    clientOptions: () => friends(),
    tiers: { client: 'tcp', server: null },
  },
};

/** The oracle first, then the others in the order of the shared target list. */
export const PLACEMENTS: readonly Placement[] = [ORACLE, ...TARGETS.filter((name) => name !== ORACLE)].map((name) => ({
  name,
  ...BY_NAME[name],
}));
