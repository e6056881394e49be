import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import { ErrorCodes, FriendsError, frameTooLarge } from '../errors.js';
import { metrics } from '../metrics.js';
import type { SeriesCounters } from '../observe.js';
import type { PeerAddress } from '../tier.js';
import { jsonCopyWithin, TooLong } from './json-copy.js';
import type { Link, LinkEvents } from './link.js';
import { deferDelivery, guarded } from './schedule.js';

/**
 * How a message is copied on its way through memory. `encode` runs in `send()`
 * (so an uncopyable message fails there, as it would on a socket), `decode` at
 * delivery. `encode` returns a TooLong when the message's wire form would exceed
 * the receiver's `maxLength`; copies that have no wire form ignore it.
 */
export interface MemoryCopy {
  readonly mode: CopyMode;
  encode(message: unknown, maxLength: number): unknown;
  decode(copy: unknown): unknown;
}

/** `json`: exactly what a socket does to a payload; `clone`: structuredClone; `none`: by reference. */
export type CopyMode = 'json' | 'clone' | 'none';

const identity = (v: unknown): unknown => v;

/** As on a socket, a message JSON cannot represent at all (undefined, a function) fails in send(). */
function jsonCopyMessage(message: unknown, maxLength: number): unknown {
  const copy = jsonCopyWithin(message, maxLength);
  if (copy === undefined) throw new TypeError(`A ${typeof message} message has no JSON representation`);
  return copy;
}

export const memoryCopies: Record<CopyMode, MemoryCopy> = {
  json: { mode: 'json', encode: jsonCopyMessage, decode: identity },
  clone: { mode: 'clone', encode: (m) => structuredClone(m), decode: identity },
  none: { mode: 'none', encode: identity, decode: identity },
};

export interface MemoryLinkOptions {
  /** Queued messages above which `send()` returns false. Default 1024. */
  highWaterMark?: number;
}

/** One end's own settings. */
export interface MemoryEnd {
  peer: PeerAddress;
  /** How this end copies what it sends. */
  copy: MemoryCopy;
  /**
   * Longest message this end accepts, measured as its JSON text (UTF-16 code
   * units, as a socket's `maxBufferSize`). A longer one closes the link with
   * FRIENDS_ERR_FRAME_TOO_LARGE after the messages before it. Default: none.
   */
  maxMessageLength?: number;
  /**
   * The async context this end delivers in: the one its own side had when it
   * set the connection up, as a socket's events run in its handle's context.
   * Default: the context `createMemoryLinkPair` is called in.
   */
  context?: AsyncResource;
}

const DEFAULT_HIGH_WATER_MARK = 1024;
/**
 * Messages delivered per turn, like one socket read: a producer that queued far
 * more in one go is consumed over several event-loop turns, so timers, I/O and
 * the garbage collector keep up.
 */
const DELIVERY_BATCH = 256;
/** Inbox slots an emptied inbox keeps for reuse. */
const SLOTS_KEPT = 1024;
const CLOSE_MARK: unique symbol = Symbol('close');
/** Stands in the receiver's inbox for a message above its maximum length. */
const TOO_LONG_MARK: unique symbol = Symbol('too long');

/** One end of an in-process link. Create both ends with `createMemoryLinkPair`. */
export class MemoryLink<M> extends EventEmitter<LinkEvents<M>> implements Link<M> {
  readonly kind = 'memory' as const;
  private remote!: MemoryLink<M>;
  /** Queued messages are inbox[head..tail); slots are reused rather than the array truncated. */
  private readonly inbox: unknown[] = [];
  private head = 0;
  private tail = 0;
  private paused = false;
  /** No 'message' listener yet: as a socket nobody reads, messages wait. */
  private unread = true;
  private scheduled = false;
  private ending = false;
  private ended = false;
  private closeError: Error | undefined;
  private needDrain = false;
  /** The length of the first oversized message queued here. */
  private tooLong: number | undefined;
  private readonly flush = (): void => guarded(this.deliverInContext);
  private readonly deliverInContext = (): void => this.context.runInAsyncScope(this.deliver, this);
  readonly peer: PeerAddress;
  private readonly copy: MemoryCopy;
  private readonly maxMessageLength: number;
  private readonly context: AsyncResource;
  private series: SeriesCounters | undefined;

  constructor(
    end: MemoryEnd,
    private readonly highWaterMark: number,
  ) {
    super();
    this.peer = end.peer;
    this.copy = end.copy;
    this.maxMessageLength = end.maxMessageLength ?? Infinity;
    this.context = end.context ?? new AsyncResource('FriendsMemoryLink');
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event !== 'message' || !this.unread) return;
      this.unread = false;
      this.schedule();
    });
  }

  /** @internal */
  static join<M>(a: MemoryLink<M>, b: MemoryLink<M>): void {
    a.remote = b;
    b.remote = a;
  }

  get closed(): boolean {
    return this.ending || this.ended;
  }

  observe(series: SeriesCounters): void {
    if (this.series) return;
    this.series = series;
    series.connectionsOpened++;
    if (!this.ended) series.connectionsActive++;
  }

  send(message: M): boolean {
    if (this.ending || this.ended) return false;
    const remote = this.remote;
    const copy = this.copy.encode(message, remote.maxMessageLength);
    if (copy instanceof TooLong) {
      remote.tooLong ??= copy.length;
      remote.enqueue(TOO_LONG_MARK);
    } else {
      remote.enqueue(copy);
    }
    metrics.memory.messagesOut++;
    if (this.series) this.series.messagesOut++;
    const queued = remote.tail - remote.head;
    if (queued < this.highWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  close(): void {
    if (this.ending || this.ended) return;
    this.ending = true;
    this.remote.enqueue(CLOSE_MARK);
  }

  destroy(err?: Error): void {
    if (this.ended) return;
    this.end(err);
    this.remote.end(undefined);
  }

  /** Nothing to hold: an in-process link never keeps the process alive. */
  ref(): void {}

  unref(): void {}

  private enqueue(item: unknown): void {
    if (this.ended) return;
    this.inbox[this.tail++] = item;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.paused) return;
    this.scheduled = true;
    deferDelivery(this.flush);
  }

  private deliver(): void {
    this.scheduled = false;
    try {
      this.deliverBatch();
    } finally {
      // Also after a listener threw (an uncaught exception, as from a socket's
      // 'data' handler): what is still queued is delivered, as a socket would.
      this.afterBatch();
    }
  }

  private deliverBatch(): void {
    const decode = this.remote.copy.decode;
    const stop = Math.min(this.tail, this.head + DELIVERY_BATCH);
    while (!this.paused && !this.ended && this.head < stop) {
      const item = this.inbox[this.head]!;
      if (this.unread && item !== CLOSE_MARK) return;
      this.inbox[this.head++] = undefined;
      if (item === CLOSE_MARK) {
        // The peer closed: answer with our own mark, behind anything we already
        // sent, so the peer drains its inbox before it ends (as FIN answers FIN).
        if (!this.ending) {
          this.ending = true;
          this.remote.enqueue(CLOSE_MARK);
        }
        this.end(undefined);
        break;
      }
      if (item === TOO_LONG_MARK) {
        this.refuseTooLong();
        break;
      }
      metrics.memory.messagesIn++;
      if (this.series) this.series.messagesIn++;
      this.emit('message', decode(item) as M);
    }
  }

  private afterBatch(): void {
    if (this.head === this.tail) {
      // Emptied: start over at slot 0; give a burst's slots back only when there were many.
      if (this.tail > SLOTS_KEPT) this.inbox.length = 0;
      this.head = this.tail = 0;
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.inbox.splice(0, this.head);
      this.tail -= this.head;
      this.head = 0;
    }
    if (this.head < this.tail && !this.paused && !this.ended && !this.unread) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    const remote = this.remote;
    if (remote.needDrain && this.tail - this.head < remote.highWaterMark / 2 && !remote.closed) {
      remote.needDrain = false;
      remote.context.runInAsyncScope(remote.emit, remote, 'drain');
    }
  }

  /**
   * As a socket reader that meets an oversized frame: what came before it was
   * delivered, the rest is dropped, and the connection ends gracefully (the
   * peer still gets what this end sent before).
   */
  private refuseTooLong(): void {
    if (!this.ending) {
      this.ending = true;
      this.remote.enqueue(CLOSE_MARK);
    }
    this.end(frameTooLarge(this.tooLong));
  }

  /** Marks this end closed and reports it once, asynchronously. */
  private end(err: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.ending = true;
    this.closeError = err;
    this.inbox.length = 0;
    this.head = this.tail = 0;
    metrics.memory.connectionsActive--;
    if (err) metrics.memory.errors++;
    if (this.series) {
      this.series.connectionsActive--;
      if (err) this.series.errors++;
    }
    deferDelivery(() => guarded(() => this.context.runInAsyncScope(this.emit, this, 'close', this.closeError)));
  }
}

/**
 * Two joined ends. Each end copies what it sends with its own `copy`, so each
 * side of a connection decides how its own messages are copied, and delivers
 * in its own async context, never in the sender's.
 */
export function createMemoryLinkPair<M>(
  a: MemoryEnd,
  b: MemoryEnd,
  options: MemoryLinkOptions = {},
): [MemoryLink<M>, MemoryLink<M>] {
  const hwm = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  if (!(hwm >= 1)) throw new FriendsError(ErrorCodes.INVALID_OPTION, `highWaterMark must be >= 1, got ${hwm}`);
  const left = new MemoryLink<M>(a, hwm);
  const right = new MemoryLink<M>(b, hwm);
  MemoryLink.join(left, right);
  metrics.memory.connectionsOpened += 2;
  metrics.memory.connectionsActive += 2;
  return [left, right];
}
