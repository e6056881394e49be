import { subscribe } from 'node:diagnostics_channel';
import { friendsStats, type FriendsTransport, type Tier, type TierMessage } from '@friends/core';

const decisions: TierMessage[] = [];
subscribe('friends:connection:tier', (message) => decisions.push(message as TierMessage));

const warnings: { code?: string; message: string }[] = [];
process.on('warning', (warning: Error & { code?: string }) =>
  warnings.push({ code: warning.code, message: warning.message }),
);

/** The warnings this process emitted with a friends code. */
export function friendsWarnings(): { code?: string; message: string }[] {
  return warnings.filter((w) => w.code?.startsWith('FRIENDS_'));
}

/** Calls counted per tier for one transport and role, summed over targets. */
function callsByTier(transport: FriendsTransport, role: 'client' | 'server'): Record<Tier, number> {
  const calls: Record<Tier, number> = { memory: 0, unix: 0, tcp: 0 };
  for (const series of friendsStats().series)
    if (series.transport === transport && series.role === role) calls[series.tier] += series.calls;
  return calls;
}

export interface Seen {
  /** The tier the client side reported for the connection (its last decision), if it reported one. */
  reported: Tier | undefined;
  /** Why it stayed on tcp, if it said. */
  reason: string | undefined;
  /** The tier whose counters carried the calls (none moved: undefined). */
  counted: Tier | undefined;
  /** Calls counted on each tier meanwhile. */
  calls: Record<Tier, number>;
}

/**
 * Runs `work` (which makes `expected` calls of `transport` as a client) and
 * tells which tier the client reported and which tier's counters moved.
 */
export async function observe(
  transport: FriendsTransport,
  role: 'client' | 'server',
  expected: number,
  work: () => Promise<void>,
): Promise<Seen> {
  const before = callsByTier(transport, role);
  const firstDecision = decisions.length;
  await work();
  const after = callsByTier(transport, role);
  const calls: Record<Tier, number> = {
    memory: after.memory - before.memory,
    unix: after.unix - before.unix,
    tcp: after.tcp - before.tcp,
  };
  const mine = decisions.slice(firstDecision).filter((d) => d.transport === transport && d.role === role);
  const last = mine[mine.length - 1];
  const moved = (Object.keys(calls) as Tier[]).filter((tier) => calls[tier] > 0);
  if (moved.length > 1 || (moved.length === 1 && calls[moved[0]!] < expected))
    throw new Error(`${transport} ${role}: calls split over tiers ${JSON.stringify(calls)}, expected ${expected}`);
  return { reported: last?.tier, reason: last?.reason, counted: moved[0], calls };
}
