import { constants, type IncomingHttpHeaders } from 'node:http2';
import type { Link } from '@friends/core/internal';
import { nodeError } from './lite-emitter.js';
import type { FrameBatch, StreamFrame } from './frames.js';
import { receiveBlock } from './received-headers.js';
import { LinkSession } from './link-session.js';
import { ServerLinkStream } from './server-stream.js';

const { NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM, NGHTTP2_FLAG_END_HEADERS, NGHTTP2_FLAG_END_STREAM } = constants;

/** grpc-js's handler for a new stream on a port (what it listens to 'stream' with). */
export type StreamDispatch = (stream: ServerLinkStream, headers: IncomingHttpHeaders, flags: number) => void;

const handOver = (stream: ServerLinkStream, dispatch: StreamDispatch, headers: IncomingHttpHeaders, flags: number) =>
  stream.handOver(dispatch, headers, flags);

/**
 * The server side of a friend link, in place of a `ServerHttp2Session`:
 * grpc-js's server adopts it as one of its sessions, so keepalive, connection
 * age and idle limits, channelz, drain and shutdown apply to it as to HTTP/2.
 * `socket` describes the connection the friendship was agreed on (addresses,
 * TLS peer): what grpc-js reports as peer and auth context.
 */
export class ServerLinkSession extends LinkSession<ServerLinkStream> {
  readonly state = { localWindowSize: 65_535, remoteWindowSize: 65_535 };
  private lastStreamId = 0;

  constructor(
    link: Link<FrameBatch>,
    readonly socket: object,
    readonly encrypted: boolean,
    private readonly dispatch: StreamDispatch,
    private readonly maxConcurrentStreams: number,
  ) {
    super(link);
    if (Number.isFinite(maxConcurrentStreams) && maxConcurrentStreams >= 0)
      this.send({ t: 'settings', s: 0, maxConcurrentStreams: Math.max(1, Math.min(maxConcurrentStreams, 0xffffffff)) });
  }

  /** As Node's: `closed` from the moment close() is called. */
  get closed(): boolean {
    return this.phase === 'draining' || this.phase === 'closing' || this.phase === 'closed';
  }

  /** HTTP/2 GOAWAY: streams after `lastStreamID` will not be served. */
  goaway(code: number = NGHTTP2_NO_ERROR, lastStreamID?: number): void {
    if (this.destroyed) {
      throw nodeError('ERR_HTTP2_INVALID_SESSION', 'The session has been destroyed');
    }
    this.to('goingAway');
    const last =
      lastStreamID === undefined || lastStreamID < 0 ? this.lastStreamId : Math.min(lastStreamID, 0x7fffffff);
    this.send({ t: 'goaway', s: last, code });
  }

  /** Graceful: no new streams, the link closes once open streams are done. */
  close(callback?: () => void): void {
    if (callback) this.once('close', callback);
    if (this.closed) return;
    if (this.phase === 'open') this.goaway(NGHTTP2_NO_ERROR, this.lastStreamId);
    this.to('draining');
    this.afterRelease();
  }

  /** Node's `session.destroy([error][, code])`: every stream ends with `code` at once. */
  destroy(error?: Error | number, code?: number): void {
    const rst = typeof error === 'number' ? error : (code ?? NGHTTP2_NO_ERROR);
    if (this.destroyed) return;
    if (this.phase === 'open') this.send({ t: 'goaway', s: this.lastStreamId, code: rst });
    this.destroyLink(rst, error instanceof Error ? error : undefined);
  }

  protected neverOpened(id: number): boolean {
    return id % 2 === 0 || id > this.lastStreamId;
  }

  protected onHeaders(frame: Extract<StreamFrame, { t: 'headers' }>): void {
    const existing = this.streams.get(frame.s);
    if (existing || frame.s <= this.lastStreamId) {
      // Clients send no trailers in gRPC, and a stream id never comes back.
      if (!existing) this.violation(`headers for stream ${frame.s}, at or below ${this.lastStreamId}`);
      return;
    }
    if (frame.s % 2 !== 1 || frame.s > 0x7fffffff) {
      this.violation(`bad stream id ${frame.s}`);
      return;
    }
    this.lastStreamId = frame.s;
    if (this.phase !== 'open' || this.streams.size >= this.maxConcurrentStreams) {
      this.send({ t: 'rst', s: frame.s, code: NGHTTP2_REFUSED_STREAM });
      return;
    }
    const fold = receiveBlock(frame.h, 'request');
    if (!fold) return this.violation(`malformed header block on stream ${frame.s}`);
    const received = fold.finish();
    if (received.refused !== undefined) {
      if (received.connection) this.destroyLink(received.refused, undefined, true);
      else this.send({ t: 'rst', s: frame.s, code: received.refused });
      return;
    }
    const stream = new ServerLinkStream(this, frame.s);
    this.streams.set(frame.s, stream);
    const flags = frame.end ? NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM : NGHTTP2_FLAG_END_HEADERS;
    // As Node: the stream exists now (data that follows is buffered), 'stream' comes on the next tick.
    process.nextTick(handOver, stream, this.dispatch, received.headers, flags);
    if (frame.end) stream.receiveEnd();
  }

  protected onSettings(): void {
    this.violation('settings from a client');
  }

  /** A draining session closes its link once its last stream is gone. */
  protected afterRelease(): void {
    if (this.phase === 'draining' && this.streams.size === 0) this.closeLink();
  }

  protected onClosed(): void {
    for (const stream of [...this.streams.values()]) stream.destroyWith(constants.NGHTTP2_CANCEL, undefined);
    process.nextTick(() => this.emit('close'));
  }
}
