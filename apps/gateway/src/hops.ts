import type { Tier } from '@friends/core';

/** One way the gateway calls a service. */
export interface HopKey {
  service: string;
  transport: 'nest' | 'grpc';
}

export interface HopRow extends HopKey {
  caller: string;
  tier: Tier | 'unknown';
  calls: number;
  errors: number;
  p50Us: number;
}

const WINDOW = 1_024;

interface Hop extends HopKey {
  tier: Tier | 'unknown';
  calls: number;
  errors: number;
  /** The latest WINDOW latencies, in µs (a ring). */
  latencies: number[];
  next: number;
}

/**
 * What the gateway saw of each downstream hop: calls, errors, the tier the
 * call went over and recent latencies. Feeds the tour's table and `GET /hops`.
 */
export class Hops {
  private readonly hops = new Map<string, Hop>();

  constructor(private readonly caller = 'gateway') {}

  /** Times `call`, and records it under the tier `tierOf()` names once it settled. */
  async measure<T>(key: HopKey, tierOf: () => Tier | undefined, call: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } finally {
      this.record(key, tierOf() ?? 'unknown', Number(process.hrtime.bigint() - started) / 1_000, ok);
    }
  }

  record(key: HopKey, tier: Tier | 'unknown', micros: number, ok: boolean): void {
    const id = `${key.service}\0${key.transport}\0${tier}`;
    let hop = this.hops.get(id);
    if (!hop) this.hops.set(id, (hop = { ...key, tier, calls: 0, errors: 0, latencies: [], next: 0 }));
    hop.calls++;
    if (!ok) hop.errors++;
    if (hop.latencies.length < WINDOW) hop.latencies.push(micros);
    else hop.latencies[hop.next] = micros;
    hop.next = (hop.next + 1) % WINDOW;
  }

  /** Forgets what was measured so far (after a warm-up). */
  reset(): void {
    this.hops.clear();
  }

  rows(): HopRow[] {
    return [...this.hops.values()].map((hop) => ({
      caller: this.caller,
      service: hop.service,
      transport: hop.transport,
      tier: hop.tier,
      calls: hop.calls,
      errors: hop.errors,
      p50Us: median(hop.latencies),
    }));
  }
}

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
}
