import type { EventEmitter } from 'node:events';
import type { SeriesCounters } from '../observe.js';
import type { PeerAddress, Tier } from '../tier.js';

/**
 * Ordered, reliable, full-duplex delivery of messages between two endpoints.
 *
 * Contract, identical for every tier:
 * - `send()` queues one message and returns `false` once the queue is above its
 *   high-water mark; `'drain'` follows when it is below again. Sending on a closed
 *   link returns `false` and drops the message.
 * - Inbound messages arrive as `'message'` events in the order they were sent.
 * - No event is ever emitted synchronously from inside `send()`, `close()` or
 *   `destroy()`, not even on the memory tier: callers may hold locks or be
 *   half-way through updating their own state when they call us.
 * - `close()` is graceful (queued messages are delivered first), `destroy(err)` is
 *   immediate. Both are idempotent; `'close'` is emitted once, with the error
 *   that ended the link, if any.
 * - `pause()` stops delivery of inbound messages; the peer then sees backpressure.
 */
export interface Link<M> extends EventEmitter<LinkEvents<M>> {
  readonly kind: Tier;
  /** Where the other end is, for logs and metrics. */
  readonly peer: PeerAddress;
  readonly closed: boolean;
  send(message: M): boolean;
  pause(): void;
  resume(): void;
  close(): void;
  destroy(err?: Error): void;
  /** Whether an open link keeps the process alive (a socket's ref/unref; nothing to hold in memory). */
  ref(): void;
  unref(): void;
  /**
   * Counts this link's connection, messages, bytes and errors in `series` too
   * (the labelled counters of its transport and target), from now on. Once per link.
   */
  observe(series: SeriesCounters): void;
}

export type LinkEvents<M> = {
  message: [message: M];
  drain: [];
  close: [err: Error | undefined];
};
