import { everyWorkload, FAMILIES, type Target } from '../targets.js';
import type { Workload } from '../workload.js';

/** The goals of the gRPC tiers, as ratios within one run (and one allocation bound). */
export function grpcTargets(workloads: readonly Workload[]): Target[] {
  return [
    { kind: 'ratio', variant: 'friends-memory', baseline: 'stock-inproc', workload: '64B-c1', atLeast: 5.5 },
    { kind: 'ratio', variant: 'friends-memory', baseline: 'stock-inproc', workload: '64B-c32', atLeast: 4.5 },
    { kind: 'ratio', variant: 'friends-memory', baseline: 'stock-inproc', workload: 'stream', atLeast: 5 },
    { kind: 'ratio', variant: 'friends-unix', baseline: 'stock-across', workload: '64B-c1', atLeast: 2.5 },
    { kind: 'ratio', variant: 'friends-unix', baseline: 'stock-across', workload: '64B-c32', atLeast: 3 },
    { kind: 'heap-per-call', variant: 'friends-memory', workload: '64B-c1', atMostBytes: 25_000 },
    ...everyWorkload(
      FAMILIES.fastTier,
      [
        ['friends-memory', 'stock-inproc'],
        ['friends-unix', 'stock-across'],
      ],
      workloads,
      1,
    ),
    ...everyWorkload(
      FAMILIES.stockPeers,
      [
        ['friends-tcp', 'stock-across'],
        ['stock-to-friends', 'stock-across'],
        ['friends-to-stock', 'stock-across'],
      ],
      workloads,
      0.97,
    ),
  ];
}
