import { everyWorkload, FAMILIES, type Target } from '../targets.js';
import type { Workload } from '../workload.js';

/** The goals of the Nest tiers, as ratios within one run. */
export function nestTargets(workloads: readonly Workload[]): Target[] {
  return [
    { kind: 'ratio', variant: 'friends-memory', baseline: 'stock-inproc', workload: '64B-c1', atLeast: 10 },
    { kind: 'ratio', variant: 'friends-unix', baseline: 'friends-tcp', workload: '64B-c32', atLeast: 1 },
    ...everyWorkload(
      FAMILIES.fastTier,
      [
        ['friends-memory', 'stock-inproc'],
        ['friends-memory-clone', 'stock-inproc'],
        ['friends-memory-none', 'stock-inproc'],
        ['friends-unix', 'stock-across'],
        ['friends-tcp', 'stock-across'],
      ],
      workloads,
      1,
    ),
    ...everyWorkload(
      FAMILIES.stockPeers,
      [
        ['stock-to-friends', 'stock-across'],
        ['friends-to-stock', 'stock-across'],
      ],
      workloads,
      0.97,
    ),
  ];
}
