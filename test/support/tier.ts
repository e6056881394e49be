import { metricsSnapshot } from '@friends/core';

/** Which way calls went: a friend tier, or the standard wire. */
export type Way = 'memory' | 'unix' | 'http2';

/**
 * Runs `work` and tells which friend tier carried it, by which of this
 * process's per-tier counters moved meanwhile (neither: the standard wire).
 * Calls do not say their tier themselves: that would differ from stock.
 */
export async function wayOf<T>(work: () => Promise<T>): Promise<{ result: T; way: Way }> {
  const before = metricsSnapshot();
  const result = await work();
  const after = metricsSnapshot();
  if (after.memory.messagesIn > before.memory.messagesIn) return { result, way: 'memory' };
  if (after.unix.messagesIn > before.unix.messagesIn) return { result, way: 'unix' };
  return { result, way: 'http2' };
}
