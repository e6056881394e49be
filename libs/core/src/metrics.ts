import type { Tier } from './tier.js';

/**
 * Counters for one tier. Connections count link ends opened in this process;
 * bytes are what socket links wrote and read (characters for stock frames, which
 * are strings); the memory tier counts messages only.
 */
export interface TierCounters {
  connectionsOpened: number;
  connectionsActive: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  errors: number;
}

function zero(): TierCounters {
  return {
    connectionsOpened: 0,
    connectionsActive: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: 0,
  };
}

/** Live per-tier counters for this process. Read with `metricsSnapshot()`. */
export const metrics: Record<Tier, TierCounters> = { memory: zero(), unix: zero(), tcp: zero() };

export function metricsSnapshot(): Record<Tier, TierCounters> {
  return { memory: { ...metrics.memory }, unix: { ...metrics.unix }, tcp: { ...metrics.tcp } };
}
