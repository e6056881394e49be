import type { SeriesCounters } from '@friends/core/internal';
import type { FriendsSocketRef } from './socket-ref.js';

/** A served connection and the requests on it that still await their last answer. */
export interface Connection {
  readonly ref: FriendsSocketRef;
  /** The labelled counters of its link. */
  readonly series: SeriesCounters;
  inFlight: number;
  /** Events whose handlers have not returned yet. */
  events: number;
  gone: boolean;
}

/**
 * Requests received and not yet fully answered, across connections. A
 * connection that goes away takes its requests with it: nobody is left to
 * answer, so a graceful shutdown must not wait for them.
 */
export class InFlightRequests {
  private total = 0;
  private waiters: (() => void)[] = [];

  get count(): number {
    return this.total;
  }

  /** Counts one request on `connection`; the returned function uncounts it, once. */
  start(connection: Connection): () => void {
    connection.inFlight++;
    this.total++;
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      if (connection.gone) return;
      connection.inFlight--;
      this.subtract(1);
    };
  }

  drop(connection: Connection): void {
    if (connection.gone) return;
    connection.gone = true;
    const count = connection.inFlight;
    connection.inFlight = 0;
    this.subtract(count);
  }

  /** Resolves once nothing is in flight, or after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.total === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.waiters;
      function done(): void {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private subtract(count: number): void {
    this.total -= count;
    if (this.total > 0 || this.waiters.length === 0) return;
    for (const done of [...this.waiters]) done();
  }
}
