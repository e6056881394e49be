import type { Target } from '../targets.js';

/** The goals of the Nest tiers, against the stock TCP transport on the same run. */
export const NEST_TARGETS: readonly Target[] = [
  { kind: 'speedup', variant: 'friends-memory', baseline: 'stock-inproc', workload: 'c=1', atLeast: 10 },
  { kind: 'p50', variant: 'friends-memory', workload: 'c=1', atMostUs: 6 },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', workload: 'c=1', atLeast: 1.3 },
  { kind: 'reference', variant: 'floor-unix', baseline: 'stock-across', workload: 'c=1' },
  { kind: 'reference', variant: 'friends-unix', baseline: 'floor-unix', workload: 'c=1' },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', workload: 'c=32', atLeast: 2 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', workload: 'c=1', atLeast: 1 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', workload: 'c=32', atLeast: 1 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', workload: 'c=1', atLeast: 0.95 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', workload: 'c=32', atLeast: 0.95 },
];
