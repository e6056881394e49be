import type { Tier } from '@friends/core';

/** Where a variant's server runs and which transport it speaks. */
export type ServerSlot = 'stock-local' | 'stock-child' | 'friends-local' | 'friends-child';

/** `friends-off` is a FriendsClient with `friends: false`: the stock wire from our client. */
export type ClientKind = 'stock' | 'friends' | 'friends-off';

export interface Variant {
  readonly id: string;
  readonly label: string;
  readonly client: ClientKind;
  readonly server: ServerSlot;
  /** The tier the connection must take; anything else aborts the run. */
  readonly tier: Tier;
}

export const VARIANTS: readonly Variant[] = [
  {
    id: 'stock-inproc',
    label: 'stock ClientTCP -> ServerTCP, same process',
    client: 'stock',
    server: 'stock-local',
    tier: 'tcp',
  },
  {
    id: 'stock-across',
    label: 'stock ClientTCP -> ServerTCP, two processes',
    client: 'stock',
    server: 'stock-child',
    tier: 'tcp',
  },
  {
    id: 'friends-memory',
    label: 'friends memory, same process',
    client: 'friends',
    server: 'friends-local',
    tier: 'memory',
  },
  {
    id: 'friends-unix',
    label: 'friends unix, two processes',
    client: 'friends',
    server: 'friends-child',
    tier: 'unix',
  },
  {
    id: 'friends-tcp',
    label: 'FriendsClient friends:false -> FriendsServer, two processes',
    client: 'friends-off',
    server: 'friends-child',
    tier: 'tcp',
  },
  {
    id: 'stock-to-friends',
    label: 'stock ClientTCP -> FriendsServer, two processes',
    client: 'stock',
    server: 'friends-child',
    tier: 'tcp',
  },
];

export function selectVariants(ids: readonly string[] | undefined): Variant[] {
  if (!ids) return [...VARIANTS];
  return ids.map((id) => {
    const variant = VARIANTS.find((v) => v.id === id);
    if (!variant) throw new Error(`unknown variant '${id}' (known: ${VARIANTS.map((v) => v.id).join(', ')})`);
    return variant;
  });
}
