import type { Tier } from '@friends/core';
import { grpcVerdict } from '@friends/grpc/internal';
import type { Json } from '../core/describe.js';
import type { PathCounts } from '../core/path-counts.js';
import type { Placement } from './placements.js';

/** Where one run's calls went, from each side's counters (deltas over the run). */
export interface TierRecord {
  client: PathCounts;
  server: PathCounts;
  /** A handler or interceptor of the scenario's servers saw a call. */
  reachedServer: boolean;
}

type Side = 'client' | 'server';
const SIDES: readonly Side[] = ['client', 'server'];

/**
 * The tier each side must count calls on in `placement`. On a grpc-js that
 * friends step aside from (seams/guard.ts), every friends side is HTTP/2.
 */
export function expectedTiers(placement: Placement): Record<Side, Tier | null> {
  if (grpcVerdict().supported) return placement.tiers;
  const stockOr = (tier: Tier | null): Tier | null => (tier === null ? null : 'tcp');
  return { client: stockOr(placement.tiers.client), server: stockOr(placement.tiers.server) };
}

/** Calls a side counted on tiers other than `tier` (a handler's own stock calls excepted: HTTP/2 by design). */
function offTier(counts: PathCounts, side: Side, tier: Tier | null): string[] {
  const problems: string[] = [];
  for (const [key, calls] of Object.entries(counts.calls)) {
    const counted = key === `${side}/${tier}` ? 0 : key === 'server/tcp' ? calls - counts.innerCalls : calls;
    if (counted > 0)
      problems.push(
        `the ${side} counted ${counted} call(s) on ${key.slice(side.length + 1)}, expected ${tier ?? 'none'}`,
      );
  }
  return problems;
}

/**
 * What is wrong with where one run's calls went: a call counted on another
 * tier than the placement's, or calls that reached the server with no call
 * counted on the placement's tier, or a fast tier counting calls its links
 * never carried.
 */
export function tierProblems(
  placement: Placement,
  record: TierRecord,
  expected: Record<Side, Tier | null> = expectedTiers(placement),
): string[] {
  const problems: string[] = [];
  for (const side of SIDES) {
    const tier = expected[side];
    const counts = record[side];
    problems.push(...offTier(counts, side, tier));
    if (tier === null) continue;
    const onTier = counts.calls[`${side}/${tier}`] ?? 0;
    if (record.reachedServer && onTier === 0)
      problems.push(`calls reached the server, but the ${side} counted none on ${tier}`);
    if (tier !== 'tcp' && onTier > 0 && !(counts.traffic[`${side}/${tier}`] > 0))
      problems.push(`the ${side} counted ${onTier} call(s) on ${tier}, but its ${tier} links carried nothing`);
  }
  return problems;
}

/** Calls on each side's tier over a whole placement: a run of scenarios none of which took the tier proves nothing. */
export class TierTally {
  private readonly onTier: Record<Side, number> = { client: 0, server: 0 };

  constructor(private readonly placement: Placement) {}

  add(record: TierRecord): void {
    const expected = expectedTiers(this.placement);
    for (const side of SIDES) {
      const tier = expected[side];
      if (tier !== null) this.onTier[side] += record[side].calls[`${side}/${tier}`] ?? 0;
    }
  }

  /** Sides that should have counted calls on their tier and counted none. */
  problems(): string[] {
    const expected = expectedTiers(this.placement);
    return SIDES.filter((side) => expected[side] !== null && this.onTier[side] === 0).map(
      (side) => `over the whole placement, the ${side} counted no call on ${expected[side]}`,
    );
  }
}

/** Whether a server log (as collected for a trace) holds a handler's or an interceptor's call. */
export function reachedServer(logs: readonly Json[]): boolean {
  return logs.some((entry) => {
    if (!Array.isArray(entry)) return false;
    if (entry[0] === 'handler' || entry[0] === 'interceptor') return true;
    return typeof entry[0] === 'string' && entry[0].startsWith('server ') && Array.isArray(entry[1])
      ? reachedServer(entry[1])
      : false;
  });
}
