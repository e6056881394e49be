import type { Tier } from '@friends/core';
import type { ServerKind } from './server-kind.js';

/**
 * Where a variant's server runs: in the benchmark's own process (one server of
 * each kind, shared by the same-process variants), or in a child process that
 * serves that variant alone. Every cross-process variant gets a process of its
 * own, as the stock baseline does: one that also answered other variants'
 * pieces measured a few percent slower in the same run.
 */
export type ServerPlace = 'same-process' | 'own-process';

/** `friends-off` is a FriendsClient with `friends: false`: the stock wire from our client. */
export type ClientKind = 'stock' | 'friends' | 'friends-off';

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly client: ClientKind;
  readonly server: ServerKind;
  readonly place: ServerPlace;
  /** The tier the connection must take; anything else aborts the run. */
  readonly tier: Tier;
}

export const VARIANTS: readonly Variant[] = [
  {
    id: 'stock-inproc',
    label: 'stock ClientTCP -> ServerTCP, same process',
    client: 'stock',
    server: 'stock',
    place: 'same-process',
    tier: 'tcp',
  },
  {
    id: 'stock-across',
    label: 'stock ClientTCP -> ServerTCP, two processes',
    client: 'stock',
    server: 'stock',
    place: 'own-process',
    tier: 'tcp',
  },
  {
    id: 'friends-memory',
    label: 'friends memory, same process',
    client: 'friends',
    server: 'friends',
    place: 'same-process',
    tier: 'memory',
  },
  {
    id: 'friends-unix',
    label: 'friends unix, two processes',
    client: 'friends',
    server: 'friends',
    place: 'own-process',
    tier: 'unix',
  },
  {
    id: 'friends-tcp',
    label: 'FriendsClient friends:false -> FriendsServer, two processes',
    client: 'friends-off',
    server: 'friends',
    place: 'own-process',
    tier: 'tcp',
  },
  {
    id: 'stock-to-friends',
    label: 'stock ClientTCP -> FriendsServer, two processes',
    client: 'stock',
    server: 'friends',
    place: 'own-process',
    tier: 'tcp',
  },
];
