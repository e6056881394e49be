import type { AsyncResource } from 'node:async_hooks';
import { constants } from 'node:http2';
import { microtask } from '@friends/core/internal';
import { MAX_DATA_FRAME, STREAM_WINDOW, type StreamFrame } from './frames.js';
import { LiteEmitter, nodeError } from './lite-emitter.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL } = constants;

/** Output Node buffers before `write()` says "wait": a writable stream's default high-water mark. */
const WRITE_HIGH_WATER_MARK = 16_384;

/** What a stream needs from the session that carries it. */
export interface StreamCarrier {
  /** Header blocks go to the peer as objects (memory), not as lists of fields. */
  readonly objects: boolean;
  send(frame: StreamFrame): void;
  /** The stream is closed on both sides: forget it. */
  release(id: number): void;
}

interface PendingWrite {
  buf: Buffer;
  sent: number;
  cb: ((err?: Error | null) => void) | undefined;
}

/**
 * A stream's life as HTTP/2 counts it (RFC 9113, 5.1): open, one half ended,
 * both ended; then closed (Node's destroyed), remembering whether the peer's
 * end had come first.
 */
export type StreamPhase = 'open' | 'localEnded' | 'remoteEnded' | 'bothEnded' | 'closed' | 'closedAfterEnd';

/** The transitions a stream may make; any other is refused (and changes nothing). */
const NEXT: Record<StreamPhase, readonly StreamPhase[]> = {
  open: ['localEnded', 'remoteEnded', 'closed'],
  localEnded: ['bothEnded', 'closed'],
  remoteEnded: ['bothEnded', 'closedAfterEnd'],
  bothEnded: ['closedAfterEnd'],
  closed: [],
  closedAfterEnd: [],
};

/**
 * One HTTP/2 stream as grpc-js sees it, carried by a friend link: Node's
 * Duplex semantics where grpc-js depends on them, and a credit window so a
 * reader that stops reading holds the writer back. The client and server
 * streams differ in their headers API and in how reading starts.
 */
export abstract class LinkStream extends LiteEmitter {
  /** Node runs a client stream's events in the context of its `request()`; a server stream's in the link's. */
  scope: AsyncResource | undefined;
  /** Where the end of a stream that closes is read: Node reads it in its connection's context. */
  closeScope: AsyncResource | undefined;
  rstCode: number = NGHTTP2_NO_ERROR;
  /** Where the stream is in its life; changed only by `to()`. */
  phase: StreamPhase = 'open';
  /** Node's Writable: end() was called (what is queued may still be going out). */
  writableEnded = false;

  // Node's Readable bookkeeping: paused or flowing, a flow due on the next tick, the first
  // read allowed yet, the stream being handed to its reader, 'end' emitted.
  private readonly inbox: Buffer[] = [];
  private inboxHead = 0;
  private flowing: boolean;
  private flowScheduled = false;
  protected reading: boolean;
  protected handingOver = false;
  private endEmitted = false;
  /** A client's headers received and not emitted yet: 'end' waits for them, as in Node. */
  protected pendingHeaders = 0;
  private unacked = 0;
  /** Bytes the peer may still send before we grant more; below zero it broke the window. */
  private allowance = STREAM_WINDOW;

  private readonly outbox: PendingWrite[] = [];
  private outboxBytes = 0;
  private credit = STREAM_WINDOW;

  constructor(
    protected readonly carrier: StreamCarrier,
    readonly id: number,
    /**
     * A client stream flows from the start (grpc-js listens to 'data' at
     * once) and ends even while paused (Node reads its end when it closes).
     * A server stream starts paused, and a first read asked for after it was
     * handed over waits a turn, as Node's http2 hands data over only from a
     * later I/O callback once a stream is read (grpc-js's own read of a
     * unary request, while it takes the stream, needs no wait).
     */
    private readonly client: boolean,
  ) {
    super();
    this.flowing = client;
    this.reading = client;
  }

  /** The one place the stream's life changes: false, and no change, unless NEXT allows it. */
  protected to(next: StreamPhase): boolean {
    if (!NEXT[this.phase].includes(next)) return false;
    this.phase = next;
    return true;
  }

  /** Reset or done: released from the session (Node's `destroyed`, and `closed`). */
  get destroyed(): boolean {
    return this.phase === 'closed' || this.phase === 'closedAfterEnd';
  }

  get closed(): boolean {
    return this.destroyed;
  }

  /** The peer's half is done (its end, or a reset from it, came). */
  protected get remoteEnded(): boolean {
    return this.phase === 'remoteEnded' || this.phase === 'bothEnded' || this.phase === 'closedAfterEnd';
  }

  /** The peer's half is done; false if it was already, or the stream is closed. */
  protected endRemote(): boolean {
    return this.to(this.phase === 'open' ? 'remoteEnded' : this.phase === 'localEnded' ? 'bothEnded' : this.phase);
  }

  /** Our half is done; false if it was already, or the stream is closed. */
  protected endLocal(): boolean {
    return this.to(this.phase === 'open' ? 'localEnded' : this.phase === 'remoteEnded' ? 'bothEnded' : this.phase);
  }

  // ----- readable side -----

  pause(): this {
    this.flowing = false;
    return this;
  }

  resume(): this {
    if (!this.reading && this.handingOver) this.reading = true;
    if (!this.reading) {
      this.flowing = true;
      if (!this.flowScheduled) {
        this.flowScheduled = true;
        setImmediate(firstRead, this);
      }
      return this;
    }
    if (this.flowing && !this.flowScheduled) return this;
    this.flowing = true;
    // Node resumes on the next tick; with nothing buffered that tick would do nothing.
    if (!this.flowScheduled && (this.hasUnread || (this.remoteEnded && !this.endEmitted))) {
      this.flowScheduled = true;
      process.nextTick(flowOn, this);
    }
    return this;
  }

  /** @internal A data frame from the peer; false when it sent more than its window allowed. */
  receiveData(chunk: Buffer): boolean {
    this.allowance -= chunk.length;
    if (this.allowance < 0) return false;
    if (this.closed || this.remoteEnded) return true;
    if (this.flowing && !this.flowScheduled && !this.hasUnread) this.deliver(chunk);
    else this.inbox.push(chunk);
    return true;
  }

  /** @internal The peer's half of the stream is done. */
  receiveEnd(): void {
    if (this.endRemote()) this.maybeEmitEnd();
  }

  /** @internal The peer granted more credit. */
  receiveWindow(n: number): void {
    this.credit += n;
    this.pump();
  }

  private deliver(chunk: Buffer): void {
    this.unacked += chunk.length;
    // Credit goes back in batches, as the chunks are read (not as they arrive).
    if (this.unacked >= STREAM_WINDOW / 2 && !this.remoteEnded) {
      this.carrier.send({ t: 'window', s: this.id, n: this.unacked });
      this.allowance += this.unacked;
      this.unacked = 0;
    }
    this.emit('data', chunk);
  }

  /** @internal `firstRead`: the read a server stream's first resume() waited a turn for. */
  flow(firstRead = false): void {
    if (firstRead) this.reading = true;
    this.flowScheduled = false;
    while (this.flowing && this.hasUnread && !this.destroyed) {
      const chunk = this.inbox[this.inboxHead]!;
      this.inbox[this.inboxHead++] = undefined as unknown as Buffer;
      this.deliver(chunk);
    }
    if (!this.hasUnread) {
      this.inbox.length = 0;
      this.inboxHead = 0;
    }
    this.maybeEmitEnd(true);
  }

  /** `reading`: asked by the reader (its read finds the end), not by what arrived. */
  protected maybeEmitEnd(reading = false): void {
    if (!this.remoteEnded || this.endEmitted || this.hasUnread || this.pendingHeaders > 0) return;
    if (!this.flowing && !this.client) return;
    this.endEmitted = true;
    if (!reading && this.closeScope) this.closeScope.runInAsyncScope(process.nextTick, process, emitEnd, this);
    else process.nextTick(emitEnd, this);
  }

  /** @internal 'end', unless the stream was reset meanwhile. */
  emitEnd(): void {
    // As a Node stream destroyed before its 'end': it comes unless the reset was an error.
    if (this.destroyed && this.rstCode !== NGHTTP2_NO_ERROR && this.rstCode !== NGHTTP2_CANCEL) return;
    this.emit('end');
    // A client stream is closed on both halves and read: it goes away, as Node's does after 'end'.
    if (this.client) this.destroyWith(NGHTTP2_NO_ERROR, undefined);
  }

  /** Data received and not read yet. */
  protected get hasUnread(): boolean {
    return this.inboxHead < this.inbox.length;
  }

  // ----- writable side -----

  write(chunk: Buffer, cb?: (err?: Error | null) => void): boolean {
    if (this.writableEnded || this.destroyed) {
      const err = this.writableEnded
        ? nodeError('ERR_STREAM_WRITE_AFTER_END', 'write after end')
        : nodeError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed');
      if (cb) process.nextTick(cb, err);
      if (!this.destroyed) process.nextTick(() => this.emit('error', err));
      return false;
    }
    // Most writes go straight out: nothing queued, and the window has room.
    if (this.outbox.length === 0 && chunk.length <= this.credit && chunk.length <= MAX_DATA_FRAME) {
      this.credit -= chunk.length;
      this.carrier.send({ t: 'data', s: this.id, b: chunk });
      if (cb) microtask(cb);
      return true;
    }
    this.outbox.push({ buf: chunk, sent: 0, cb });
    this.outboxBytes += chunk.length;
    this.pump();
    return this.outboxBytes < WRITE_HIGH_WATER_MARK;
  }

  end(): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    if (this.outbox.length === 0) this.finishLocal();
    return this;
  }

  /** Our half is done and every byte went out: a client half-closes, a server asks for trailers. */
  protected abstract finishLocal(): void;

  private pump(): void {
    while (this.credit > 0 && this.outbox.length > 0 && !this.destroyed) {
      const head = this.outbox[0]!;
      const left = head.buf.length - head.sent;
      const n = Math.min(left, this.credit, MAX_DATA_FRAME);
      const piece = n === head.buf.length ? head.buf : head.buf.subarray(head.sent, head.sent + n);
      head.sent += n;
      this.credit -= n;
      this.outboxBytes -= n;
      this.carrier.send({ t: 'data', s: this.id, b: piece });
      if (head.sent === head.buf.length) {
        this.outbox.shift();
        // The bytes are on their way: HTTP/2 calls back once its socket took them, later still.
        if (head.cb) microtask(head.cb);
      }
    }
    if (this.outbox.length === 0 && this.writableEnded && (this.phase === 'open' || this.phase === 'remoteEnded'))
      this.finishLocal();
  }

  // ----- closing -----

  /** @internal The peer reset the stream. */
  receiveReset(code: number): void {
    if (this.destroyed) return;
    // As Node's: a stream the peer resets while it is still open for writing says it was aborted.
    if (!this.writableEnded) this.emit('aborted');
    // A stream being read when the peer resets it ends its readable side first, as Node's does;
    // one that is paused, or holds unread data, just closes.
    const endFirst = this.flowing && !this.flowScheduled && !this.remoteEnded && !this.hasUnread;
    this.endRemote();
    const err =
      code === NGHTTP2_NO_ERROR || code === NGHTTP2_CANCEL
        ? undefined
        : nodeError('ERR_HTTP2_STREAM_ERROR', `Stream closed with error code ${nameOfCode(code)}`);
    this.destroyWith(code, err, endFirst && !this.endEmitted);
  }

  /**
   * Resets the stream: the peer sees `code`. As Node's, a stream whose two
   * halves both ended is closed already: nothing goes out, and it goes away
   * once its end was read (grpc-js before 1.10.12 closes every call's stream so).
   */
  close(code: number = NGHTTP2_NO_ERROR): void {
    if (this.destroyed || this.phase === 'bothEnded') return;
    this.carrier.send({ t: 'rst', s: this.id, code });
    this.destroyWith(code, undefined);
  }

  /** @internal Ends the stream here without telling the peer (it is gone, or already knows). */
  destroyWith(code: number, err: Error | undefined, endFirst = false): void {
    if (!this.to(this.remoteEnded ? 'closedAfterEnd' : 'closed')) return;
    this.writableEnded = true;
    this.rstCode = code;
    this.inbox.length = 0;
    this.inboxHead = 0;
    const failed = this.outbox.length > 0 ? this.outbox.splice(0) : undefined;
    this.outboxBytes = 0;
    this.carrier.release(this.id);
    if (endFirst) this.endEmitted = true;
    process.nextTick(emitClose, this, failed, err, endFirst);
  }
}

// Scheduled without a closure per stream.
const flowOn = (stream: LinkStream): void => stream.flow();
const firstRead = (stream: LinkStream): void => stream.flow(true);
const emitEnd = (stream: LinkStream): void => stream.emitEnd();

function emitClose(stream: LinkStream, failed: PendingWrite[] | undefined, err: Error | undefined, endFirst: boolean) {
  if (endFirst) stream.emit('end');
  if (failed)
    for (const write of failed)
      write.cb?.(nodeError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'));
  if (err) stream.emit('error', err);
  stream.emit('close');
}

/** HTTP/2 error codes by number, as Node names them in its stream errors. */
const CODE_NAMES = (
  'NO_ERROR PROTOCOL_ERROR INTERNAL_ERROR FLOW_CONTROL_ERROR SETTINGS_TIMEOUT STREAM_CLOSED FRAME_SIZE_ERROR ' +
  'REFUSED_STREAM CANCEL COMPRESSION_ERROR CONNECT_ERROR ENHANCE_YOUR_CALM INADEQUATE_SECURITY HTTP_1_1_REQUIRED'
).split(' ');

const nameOfCode = (code: number): string => (code in CODE_NAMES ? `NGHTTP2_${CODE_NAMES[code]}` : `${code}`);
