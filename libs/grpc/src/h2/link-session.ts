import { EventEmitter } from 'node:events';
import { ErrorCodes, FriendsError, microtask, type Link } from '@friends/core/internal';
import { nodeError } from './lite-emitter.js';
import type { FrameBatch, StreamFrame } from './frames.js';
import type { LinkStream, StreamCarrier } from './link-stream.js';

/**
 * open; goingAway (a GOAWAY went or came); draining (close(): open streams
 * finish); closing (the link closes, or dropped); closed (the link is gone).
 */
export type SessionPhase = 'open' | 'goingAway' | 'draining' | 'closing' | 'closed';

type PingCallback = (err: Error | null, ms: number, payload: Buffer) => void;

/** The transitions a session may make; any other is refused (and changes nothing). */
const NEXT: Record<SessionPhase, readonly SessionPhase[]> = {
  open: ['goingAway', 'draining', 'closing', 'closed'],
  goingAway: ['draining', 'closing', 'closed'],
  draining: ['closing', 'closed'],
  closing: ['closed'],
  closed: [],
};

/**
 * Streams multiplexed on one friend link, as an HTTP/2 session multiplexes
 * them on a connection: routes frames to streams, answers pings, and closes
 * the link of a peer that breaks the rules (never a thrown error).
 */
export abstract class LinkSession<S extends LinkStream> extends EventEmitter implements StreamCarrier {
  protected readonly streams = new Map<number, S>();
  /** Where the session is in its life; changed only by `to()`. */
  phase: SessionPhase = 'open';
  private nextPing = 1;
  private readonly pings = new Map<number, { started: bigint; cb: PingCallback }>();

  /** Header blocks go to the peer as objects (memory), not as lists of fields. */
  readonly objects: boolean;

  constructor(readonly link: Link<FrameBatch>) {
    super();
    this.objects = link.kind === 'memory';
    link.on('message', (batch) => {
      for (let i = 0; i < batch.length; i++) this.onFrame(batch[i]!);
    });
    link.on('close', (err) => this.onLinkClose(err));
  }

  /** The one place the session's life changes: false, and no change, unless NEXT allows it. */
  protected to(next: SessionPhase): boolean {
    if (!NEXT[this.phase].includes(next)) return false;
    this.phase = next;
    return true;
  }

  /** Node's `closed`: no more streams here (when that starts differs between client and server). */
  abstract get closed(): boolean;

  /** Node's `destroyed`: the link is gone. */
  get destroyed(): boolean {
    return this.phase === 'closed';
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  /**
   * Frames go out together as one link message, as nghttp2 writes what a
   * session queued: in memory after this turn's microtasks; on a socket at the
   * loop's next check, as Node's http2 writes (a unary call's pieces, made over
   * several microtasks, go in one write). A session destroyed meanwhile drops
   * them (a reply begun just before `forceShutdown()` never reaches the client).
   */
  send(frame: StreamFrame): void {
    this.unsent.push(frame);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (this.objects) microtask(this.flush);
    else setImmediate(this.flush);
  }

  private unsent: FrameBatch = [];
  private flushScheduled = false;
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const frames = this.unsent;
    if (frames.length === 0) return;
    this.unsent = [];
    this.link.send(frames);
  };

  release(id: number): void {
    if (this.streams.delete(id)) this.afterRelease();
  }

  /** Sends a ping; `cb` gets the round-trip time when the pong comes back. */
  ping(cb: PingCallback): boolean {
    if (this.destroyed) throw nodeError('ERR_HTTP2_INVALID_SESSION', 'The session has been destroyed');
    const id = this.nextPing++;
    this.pings.set(id, { started: process.hrtime.bigint(), cb });
    this.send({ t: 'ping', s: id });
    return true;
  }

  /**
   * Drops the link now: every stream ends with `code`. The peer hears the
   * resets first (as RST_STREAM frames before the connection goes), unless
   * `quiet`: a peer that broke the protocol (`err`) hears nothing more, nor
   * one whose block was a connection error (an HPACK one).
   */
  protected destroyLink(code: number, err?: Error, quiet = err !== undefined): void {
    if (this.destroyed) return;
    this.unsent.length = 0;
    for (const stream of [...this.streams.values()]) {
      if (!quiet) this.send({ t: 'rst', s: stream.id, code });
      stream.destroyWith(code, undefined);
    }
    this.closeLink(err);
  }

  /** Sends what is queued, then closes the link (or destroys it with `err`). */
  protected closeLink(err?: Error): void {
    this.to('closing');
    this.flush();
    if (err) this.link.destroy(err);
    else this.link.close();
  }

  /** Whether `id` names a stream that was never opened (a frame for it breaks the protocol). */
  protected abstract neverOpened(id: number): boolean;
  protected abstract onHeaders(frame: Extract<StreamFrame, { t: 'headers' }>): void;
  /** A server ignores a client's: a client says goodbye by closing its end of the link. */
  protected onGoaway(_frame: Extract<StreamFrame, { t: 'goaway' }>): void {}
  protected abstract onSettings(frame: Extract<StreamFrame, { t: 'settings' }>): void;
  protected abstract afterRelease(): void;
  protected abstract onClosed(err: Error | undefined): void;

  protected violation(why: string): void {
    this.destroyLink(
      1 /* PROTOCOL_ERROR */,
      new FriendsError(ErrorCodes.BAD_FRAME, `Friend link peer broke the protocol: ${why}`),
    );
  }

  private onFrame(frame: StreamFrame): void {
    if (this.destroyed) return;
    const t = frame.t;
    const stream =
      t === 'ping' || t === 'pong' || t === 'goaway' || t === 'settings' ? undefined : this.streams.get(frame.s);
    // A stream's events run in its own async context where it has one (see LinkStream.scope).
    if (stream?.scope) stream.scope.runInAsyncScope(this.onStreamFrame, this, frame, stream);
    else this.onStreamFrame(frame, stream);
  }

  private onStreamFrame(frame: StreamFrame, stream: S | undefined): void {
    if (!stream && (frame.t === 'data' || frame.t === 'end' || frame.t === 'window' || frame.t === 'rst')) {
      // A frame for a stream that is over is normal (it crossed our reset); one that never was is not.
      if (this.neverOpened(frame.s)) this.violation(`${frame.t} frame for stream ${frame.s}, which was never opened`);
      return;
    }
    switch (frame.t) {
      case 'data':
        if (!stream!.receiveData(frame.b)) this.violation(`stream ${frame.s} sent beyond its window`);
        return;
      case 'headers':
        return this.onHeaders(frame);
      case 'end':
        return stream!.receiveEnd();
      case 'window':
        return stream!.receiveWindow(frame.n);
      case 'rst':
        return stream!.receiveReset(frame.code);
      case 'ping':
        return this.send({ t: 'pong', s: frame.s });
      case 'pong': {
        const ping = this.pings.get(frame.s);
        if (!ping) return;
        this.pings.delete(frame.s);
        ping.cb(null, Number(process.hrtime.bigint() - ping.started) / 1e6, Buffer.alloc(8));
        return;
      }
      case 'goaway':
        return this.onGoaway(frame);
      case 'settings':
        return this.onSettings(frame);
    }
  }

  private onLinkClose(err: Error | undefined): void {
    if (!this.to('closed')) return;
    // A socket's close comes in a later I/O callback than its last data: what that data
    // set in motion (headers events on the next tick) happens before streams hear of it.
    setImmediate(() => {
      for (const ping of this.pings.values()) {
        const failed = nodeError('ERR_HTTP2_PING_CANCEL', 'The session was closed before the ping was acknowledged');
        process.nextTick(ping.cb, failed, 0, Buffer.alloc(8));
      }
      this.pings.clear();
      this.onClosed(err);
    });
  }
}
