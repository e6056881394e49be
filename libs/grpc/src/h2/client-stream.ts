import { constants, type IncomingHttpHeaders } from 'node:http2';
import { LinkStream, type StreamCarrier } from './link-stream.js';

const { NGHTTP2_FLAG_END_HEADERS, NGHTTP2_FLAG_END_STREAM } = constants;

const emitHeaders = (stream: ClientLinkStream, event: string, headers: IncomingHttpHeaders, flags: number): void =>
  stream.headersEmitted(event, headers, flags);

/**
 * The client end of a call between friends, in place of a `ClientHttp2Stream`:
 * grpc-js's own `Http2SubchannelCall` runs on it unchanged. A client stream is
 * over once the server sent its final headers (Node resets a half that is
 * still open then, so later writes fail as they would on HTTP/2).
 */
export class ClientLinkStream extends LinkStream {
  /** @internal Whether the response headers came (what follows are trailers). */
  responded = false;

  constructor(
    carrier: StreamCarrier,
    id: number,
    /** Nothing else is in flight on the connection: Node's end waits for the request's write, a reset goes first. */
    private readonly resetsFirst = false,
  ) {
    super(carrier, id, true);
  }

  /**
   * @internal Headers from the server: the response, trailers-only, or
   * trailers. As Node: the event on the next tick, the end of the stream at once.
   */
  receiveHeaders(headers: IncomingHttpHeaders, end: boolean, empty = false): void {
    if (this.destroyed) return;
    const flags = end ? NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM : NGHTTP2_FLAG_END_HEADERS;
    const event = this.responded ? 'trailers' : 'response';
    // Empty trailers end the stream without a 'trailers' event, as over HTTP/2.
    if (event === 'trailers' && empty) return this.serverFinished();
    this.responded = true;
    this.pendingHeaders++;
    // Over HTTP/2, trailers sent after data the client has not read yet come in a later
    // read of the socket, and the reader gets that data first (grpc-js drops unread
    // messages once an error status is in). Between friends they may come in the same
    // batch: they wait for the next turn of the event loop, as a later read would.
    if (event === 'trailers' && this.hasUnread) setImmediate(emitHeaders, this, event, headers, flags);
    else process.nextTick(emitHeaders, this, event, headers, flags);
    if (end) this.serverFinished();
  }

  /** @internal The server ended its half without trailers. */
  override receiveEnd(): void {
    this.serverFinished();
  }

  /** @internal */
  headersEmitted(event: string, headers: IncomingHttpHeaders, flags: number): void {
    this.pendingHeaders--;
    // Node emits what it received even if the stream was reset meanwhile.
    this.emit(event, headers, flags);
    this.maybeEmitEnd();
  }

  private serverFinished(): void {
    // The stream is closed on both halves now: what we have not sent, we never will.
    this.writableEnded = true;
    super.receiveEnd();
  }

  /** As Node's: a reset stream still open for writing ends its half first, unless its reset goes first. */
  override close(code?: number): void {
    if (!this.resetsFirst && !this.writableEnded && !this.destroyed && this.phase !== 'bothEnded') this.end();
    super.close(code);
  }

  protected finishLocal(): void {
    if (this.endLocal()) this.carrier.send({ t: 'end', s: this.id });
  }
}
