import type { Tier } from '@friends/core';
import { TARGETS, type TargetName } from '../../support/target-names.js';

export type ClientKind = 'stock' | 'friends' | 'friends-off';
export type ServerKind = 'stock' | 'friends';

/**
 * Where a scenario runs: which client, which server, and where the server
 * lives ('here' is the test process). Stock against stock is the oracle.
 */
export interface Placement {
  name: TargetName;
  client: ClientKind;
  server: ServerKind;
  where: 'here' | 'child';
  /** The tier every FriendsClient connection must take; a fallback would test the wrong path. */
  tier?: Tier;
}

const ALL: Record<TargetName, Omit<Placement, 'name'>> = {
  'stock client -> stock server': { client: 'stock', server: 'stock', where: 'here' },
  memory: { client: 'friends', server: 'friends', where: 'here', tier: 'memory' },
  unix: { client: 'friends', server: 'friends', where: 'child', tier: 'unix' },
  tcp: { client: 'friends-off', server: 'friends', where: 'here', tier: 'tcp' },
  'stock client -> friends server': { client: 'stock', server: 'friends', where: 'here' },
  'friends client -> stock server': { client: 'friends', server: 'stock', where: 'here', tier: 'tcp' },
};

export const ORACLE: Placement = { name: 'stock client -> stock server', ...ALL['stock client -> stock server'] };

/** Every placement compared with the oracle, narrowed by `PARITY_PLACEMENT` (a name or part of one). */
export function placementsUnderTest(filter = process.env.PARITY_PLACEMENT): Placement[] {
  return TARGETS.filter((name) => name !== ORACLE.name && (!filter || name.includes(filter))).map((name) => ({
    name,
    ...ALL[name],
  }));
}
