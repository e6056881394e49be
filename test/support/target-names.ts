/**
 * Every way a behavioural suite runs: the three tiers, both interop directions
 * with the stock peer, and stock against stock as the reference.
 */
export type TargetName =
  | 'memory'
  | 'unix'
  | 'tcp'
  | 'stock client -> friends server'
  | 'friends client -> stock server'
  | 'stock client -> stock server';

export const TARGETS: readonly TargetName[] = [
  'memory',
  'unix',
  'tcp',
  'stock client -> friends server',
  'friends client -> stock server',
  'stock client -> stock server',
];
