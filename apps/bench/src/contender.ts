import type { Request } from './measure.js';
import type { Meter } from './meter/usage.js';

/** A connected variant, ready to be measured. */
export interface Contender {
  id: string;
  /** Its requests by workload key; a contender without one sits that workload out. */
  requests: ReadonlyMap<string, { measured: Request; leadIn: Request }>;
  /** The process that serves it, when that is not this one (metered over IPC). */
  server(): Meter | undefined;
  /** Throws when the client is not on the path the variant is about. */
  check(): void | Promise<void>;
  /**
   * Replaces the contender's server process and connection before each round
   * after the first. Two identical server processes can differ by several
   * percent for as long as they live (where the scheduler keeps them); a fresh
   * one each round turns that into noise the median over rounds absorbs.
   */
  renew?(): Promise<void>;
  /**
   * Drops the client's connection for a new one to the same server: after a
   * workload failed, its requests may still hang on the old one.
   */
  reset(): Promise<void>;
}
