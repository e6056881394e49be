import type { Target } from '../targets.js';

/** The goals of the gRPC fast paths, against stock grpc-js on the same run. */
export const GRPC_TARGETS: readonly Target[] = [
  { kind: 'speedup', variant: 'friends-memory', baseline: 'stock-inproc', workload: 'unary c=1', atLeast: 8 },
  { kind: 'speedup', variant: 'friends-memory', baseline: 'stock-inproc', workload: 'stream', atLeast: 8 },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', workload: 'unary c=1', atLeast: 2 },
  { kind: 'reference', variant: 'floor-unix', baseline: 'stock-across', workload: 'unary c=1' },
  { kind: 'reference', variant: 'friends-unix', baseline: 'floor-unix', workload: 'unary c=1' },
  { kind: 'speedup', variant: 'friends-unix', baseline: 'stock-across', workload: 'unary c=32', atLeast: 5 },
  { kind: 'speedup', variant: 'friends-to-stock', baseline: 'stock-across', workload: 'unary c=1', atLeast: 0.97 },
  { kind: 'speedup', variant: 'friends-to-stock', baseline: 'stock-across', workload: 'unary c=32', atLeast: 0.97 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', workload: 'unary c=1', atLeast: 0.97 },
  { kind: 'speedup', variant: 'friends-tcp', baseline: 'stock-across', workload: 'unary c=32', atLeast: 0.97 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', workload: 'unary c=1', atLeast: 0.97 },
  { kind: 'speedup', variant: 'stock-to-friends', baseline: 'stock-across', workload: 'unary c=32', atLeast: 0.97 },
];
