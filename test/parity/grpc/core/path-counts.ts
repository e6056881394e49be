import { friendsStats } from '@friends/core';
import { innerCallsMade } from './inner-client.js';

/**
 * What friends counted in this process, by `role/tier` (`client/memory`,
 * `server/tcp`…): the path calls took. Each side counts a call where it
 * dispatches it (the client at its pick, the server as the stream enters
 * grpc-js), on the tier of the link or HTTP/2 session it came over.
 */
export interface PathCounts {
  calls: Record<string, number>;
  /** Messages and bytes the links of that role and tier moved (friend links only: HTTP/2 is not counted). */
  traffic: Record<string, number>;
  /** Calls handlers made to their own server with a stock client: HTTP/2 whatever the placement. */
  innerCalls: number;
}

export function pathCounts(): PathCounts {
  const calls: Record<string, number> = {};
  const traffic: Record<string, number> = {};
  for (const series of friendsStats().series) {
    if (series.transport !== 'grpc') continue;
    const key = `${series.role}/${series.tier}`;
    calls[key] = (calls[key] ?? 0) + series.calls;
    const moved = series.messagesIn + series.messagesOut + series.bytesIn + series.bytesOut;
    traffic[key] = (traffic[key] ?? 0) + moved;
  }
  return { calls, traffic, innerCalls: innerCallsMade() };
}

/** How the counts moved from `before` to `after`, keeping the keys of one role. */
export function pathCountsSince(before: PathCounts, after: PathCounts, role: 'client' | 'server'): PathCounts {
  const since = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(a))
      if (key.startsWith(`${role}/`) && value - (b[key] ?? 0) !== 0) out[key] = value - (b[key] ?? 0);
    return out;
  };
  return {
    calls: since(after.calls, before.calls),
    traffic: since(after.traffic, before.traffic),
    innerCalls: after.innerCalls - before.innerCalls,
  };
}
