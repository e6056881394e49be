import { AsyncResource } from 'node:async_hooks';
import { constants, type OutgoingHttpHeaders } from 'node:http2';
import type { Link } from '@friends/core/internal';
import { nodeError } from './lite-emitter.js';
import { ClientLinkStream } from './client-stream.js';
import type { FrameBatch, StreamFrame } from './frames.js';
import { blockBound, receiveBlock, sendBlock } from './received-headers.js';
import { LinkSession } from './link-session.js';

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_FRAME_SIZE_ERROR } = constants;

function refuseUnsent(stream: ClientLinkStream, id: number): void {
  stream.emit('frameError', 1 /* HEADERS */, NGHTTP2_FRAME_SIZE_ERROR, id);
  stream.receiveReset(NGHTTP2_REFUSED_STREAM);
}

/**
 * The client side of a friend link, in place of a `ClientHttp2Session`:
 * streams wait while the server's concurrent-stream limit is reached (as
 * nghttp2 queues them), and when the link goes the session says 'close' before
 * its streams end. The link holds the process open only while streams are.
 */
export class ClientLinkSession extends LinkSession<ClientLinkStream> {
  private nextId = 1;
  private maxConcurrent = Infinity;
  /** Streams waiting for the server's concurrency limit, in the order they were made, with what they sent. */
  private readonly held = new Map<number, StreamFrame[]>();
  private readonly defaults: Record<string, string>;
  /** An HTTP/2 session's events run in its socket's context: the link's setup. */
  private readonly scope = new AsyncResource('Http2Session');

  constructor(
    link: Link<FrameBatch>,
    scheme: 'http' | 'https',
    /** The largest request header block the HTTP/2 session it stands for sends (see seams/client-session.ts). */
    private readonly maxSendHeaderBlock = Infinity,
    /** Nothing is in flight when grpc-js first calls on it (see seams/client-session.ts). */
    private readonly idle = false,
  ) {
    super(link);
    this.defaults = { ':scheme': scheme, ':method': 'GET', ':path': '/' };
    link.unref();
  }

  /** True while new calls may use this link. */
  get usable(): boolean {
    return this.phase === 'open';
  }

  /** Once its link is closing (a client draining its streams is not closed yet). */
  get closed(): boolean {
    return this.phase === 'closing' || this.phase === 'closed';
  }

  request(headers: OutgoingHttpHeaders): ClientLinkStream {
    if (this.closed) throw nodeError('ERR_HTTP2_INVALID_SESSION', 'The session has been destroyed');
    if (this.phase !== 'open')
      throw nodeError('ERR_HTTP2_GOAWAY_SESSION', 'New streams cannot be created after receiving a GOAWAY');
    const h = sendBlock(this.objects, headers, 'request', this.defaults);
    const id = this.nextId;
    this.nextId += 2;
    const stream = new ClientLinkStream(this, id, this.idle);
    stream.scope = new AsyncResource('Http2Stream');
    stream.closeScope = this.scope;
    if (
      this.maxSendHeaderBlock !== Infinity &&
      blockBound(Buffer.isBuffer(h) ? h : (sendBlock(false, headers, 'request', this.defaults) as Buffer)) >
        this.maxSendHeaderBlock
    ) {
      // As nghttp2: the headers are never sent, and the stream is refused (the peer never hears of it).
      process.nextTick(refuseUnsent, stream, id);
      return stream;
    }
    if (this.streams.size === 0) this.link.ref();
    this.streams.set(id, stream);
    const open: StreamFrame = { t: 'headers', s: id, h, end: false };
    if (this.streams.size - this.held.size > this.maxConcurrent) this.held.set(id, [open]);
    else super.send(open);
    return stream;
  }

  override send(frame: StreamFrame): void {
    if ('s' in frame) {
      const held = this.held.get(frame.s);
      if (held) {
        // A reset before the stream opened: it never reaches the server.
        if (frame.t === 'rst') this.held.delete(frame.s);
        else held.push(frame);
        return;
      }
    }
    super.send(frame);
  }

  /** Closes the link once its streams are done (no new streams meanwhile). */
  close(): void {
    if (this.closed) return;
    this.to('draining');
    if (this.streams.size === 0) this.closeLink();
  }

  /** Drops the link at once: open streams end as on a dropped connection. */
  destroy(): void {
    this.destroyLink(NGHTTP2_CANCEL);
  }

  protected neverOpened(id: number): boolean {
    return id % 2 === 0 || id >= this.nextId;
  }

  protected onHeaders(frame: Extract<StreamFrame, { t: 'headers' }>): void {
    const stream = this.streams.get(frame.s);
    if (!stream) {
      if (this.neverOpened(frame.s)) this.violation(`headers for stream ${frame.s}, which was never opened`);
      return;
    }
    const fold = receiveBlock(frame.h, stream.responded ? 'trailers' : 'response');
    if (!fold) return this.violation(`malformed header block on stream ${frame.s}`);
    const received = fold.finish();
    if (received.refused !== undefined && received.connection) this.destroyLink(received.refused, undefined, true);
    else if (received.refused !== undefined) stream.close(received.refused);
    else stream.receiveHeaders(received.headers, frame.end, fold.count === 0);
  }

  protected override onGoaway(frame: Extract<StreamFrame, { t: 'goaway' }>): void {
    if (this.to('goingAway')) this.emit('goaway', frame.code);
    // Streams the server will not serve are refused, and grpc-js may retry them elsewhere.
    for (const stream of [...this.streams.values()])
      if (stream.id > frame.s) stream.receiveReset(NGHTTP2_REFUSED_STREAM);
    if (this.streams.size === 0) this.close();
  }

  protected onSettings(frame: Extract<StreamFrame, { t: 'settings' }>): void {
    this.maxConcurrent = frame.maxConcurrentStreams > 0 ? frame.maxConcurrentStreams : Infinity;
    this.openWaiting();
  }

  protected afterRelease(): void {
    this.openWaiting();
    if (this.streams.size === 0) {
      this.link.unref();
      if (this.phase === 'goingAway' || this.phase === 'draining') this.close();
    }
  }

  protected onClosed(err: Error | undefined): void {
    this.held.clear();
    // As an HTTP/2 session: 'close' first (calls mark the connection dropped), then the streams end.
    this.emit('close', err);
    for (const stream of [...this.streams.values()]) stream.destroyWith(NGHTTP2_CANCEL, undefined);
  }

  private openWaiting(): void {
    for (const [id, frames] of this.held) {
      if (this.streams.size - this.held.size >= this.maxConcurrent) return;
      this.held.delete(id);
      if (this.streams.get(id)?.destroyed === false) for (const frame of frames) super.send(frame);
    }
  }
}
