import { constants, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import type { Tier } from '@friends/core';
import { microtask } from '@friends/core/internal';
import { nodeError } from './lite-emitter.js';
import { responseStatus, STATUS_DEFAULT, wantsDate } from './headers.js';
import { sendBlock } from './received-headers.js';
import { LinkStream } from './link-stream.js';
import type { ServerLinkSession, StreamDispatch } from './server-session.js';

const { NGHTTP2_NO_ERROR } = constants;

/** The date Node puts on every response: recomputed at most once a second. */
let cachedDate = '';
let cachedSecond = -1;
function utcDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) [cachedSecond, cachedDate] = [second, new Date(second * 1000).toUTCString()];
  return cachedDate;
}

/**
 * The server end of a call between friends, in place of a `ServerHttp2Stream`:
 * grpc-js's own server runs on it unchanged. It is over once its final headers
 * are out (Node resets the client's half then).
 */
export class ServerLinkStream extends LinkStream {
  headersSent = false;
  private dispatched = false;
  private heldReset: number | undefined;
  private trailersWanted = false;
  private trailersReady = false;

  constructor(
    private readonly owner: ServerLinkSession,
    id: number,
  ) {
    super(owner, id, false);
  }

  /** As Node's: the session (for getPeer and auth context) until the stream is destroyed, then 'unknown'. */
  get session(): ServerLinkSession | undefined {
    return this.destroyed ? undefined : this.owner;
  }

  /** The tier the stream came over, for a span that marks its call. */
  get friendTier(): Tier {
    return this.owner.link.kind;
  }

  respond(headers: OutgoingHttpHeaders = {}, options: { endStream?: boolean; waitForTrailers?: boolean } = {}): void {
    if (this.destroyed || this.closed) throw nodeError('ERR_HTTP2_INVALID_STREAM', 'The stream has been destroyed');
    if (this.headersSent) throw nodeError('ERR_HTTP2_HEADERS_SENT', 'Response has already been initiated.');
    // Node replaces the application's `:status` with the number it coerces to, and adds its date last.
    const status = responseStatus(headers);
    const date = wantsDate(headers) ? utcDate() : undefined;
    const h = sendBlock(this.carrier.objects, headers, 'response', STATUS_DEFAULT, status, date);
    this.headersSent = true;
    this.trailersWanted = options.waitForTrailers === true;
    const end = options.endStream === true;
    this.carrier.send({ t: 'headers', s: this.id, h, end });
    if (end) this.serverFinished();
  }

  sendTrailers(headers: OutgoingHttpHeaders): void {
    if (this.destroyed || this.closed) throw nodeError('ERR_HTTP2_INVALID_STREAM', 'The stream has been destroyed');
    if (!this.trailersReady)
      throw nodeError(
        'ERR_HTTP2_TRAILERS_NOT_READY',
        'Trailing headers cannot be sent until after the wantTrailers event is emitted',
      );
    this.trailersReady = false;
    this.carrier.send({ t: 'headers', s: this.id, h: sendBlock(this.carrier.objects, headers, 'trailers'), end: true });
    this.serverFinished();
  }

  /**
   * @internal A reset that comes after the client's end, or before grpc-js
   * was handed the stream and read it, waits a turn: Node's sender flushes
   * what it sent before a reset (a client ends its half first), so the reset
   * comes in a later socket read, once the handler has the request and its end.
   */
  override receiveReset(code: number): void {
    if (this.heldReset !== undefined) return;
    if (this.destroyed || (this.reading && !this.remoteEnded)) {
      super.receiveReset(code);
      return;
    }
    this.heldReset = code;
    if (this.dispatched) this.releaseResetLater();
  }

  /** @internal Hands the stream to grpc-js; a reset held until then goes a turn later. */
  handOver(dispatch: StreamDispatch, headers: IncomingHttpHeaders, flags: number): void {
    this.handingOver = true;
    try {
      dispatch(this, headers, flags);
    } finally {
      this.handingOver = false;
      this.dispatched = true;
      if (this.heldReset !== undefined) this.releaseResetLater();
    }
  }

  private releaseResetLater(): void {
    setImmediate(() => super.receiveReset(this.heldReset!));
  }

  protected finishLocal(): void {
    if (!this.endLocal()) return;
    if (!this.headersSent) this.respond();
    if (this.trailersWanted) {
      // Node asks for trailers once the last data went out, from its socket's write.
      microtask(() => {
        if (this.closed) return;
        this.trailersReady = true;
        if (!this.emit('wantTrailers')) this.sendTrailers({});
      });
      return;
    }
    this.carrier.send({ t: 'end', s: this.id });
    this.serverFinished();
  }

  private serverFinished(): void {
    this.endLocal();
    this.destroyWith(NGHTTP2_NO_ERROR, undefined);
  }
}
