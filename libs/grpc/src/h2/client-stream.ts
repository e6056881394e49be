import { constants, type IncomingHttpHeaders } from 'node:http2';
import { LinkStream, type StreamCarrier } from './link-stream.js';

const { NGHTTP2_FLAG_END_HEADERS, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = constants;

/**
 * The client end of a call between friends, in place of a `ClientHttp2Stream`:
 * grpc-js's own `Http2SubchannelCall` runs on it unchanged. A client stream is
 * over once the server sent its final headers (Node resets a half that is
 * still open then, so later writes fail as they would on HTTP/2).
 */
export class ClientLinkStream extends LinkStream {
  private responded = false;

  constructor(carrier: StreamCarrier, id: number) {
    // grpc-js adds its 'data' listener at once, which sets a Node stream flowing.
    super(carrier, id, true);
  }

  /** @internal Headers from the server: the response, trailers-only, or trailers. */
  receiveHeaders(headers: IncomingHttpHeaders, end: boolean): void {
    if (this.destroyed) return;
    if (!this.responded) {
      this.responded = true;
      this.emit('response', headers, end ? NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM : NGHTTP2_FLAG_END_HEADERS);
    } else {
      this.emit('trailers', headers, NGHTTP2_FLAG_END_HEADERS | NGHTTP2_FLAG_END_STREAM);
    }
    if (end) this.serverFinished();
  }

  /** @internal The server ended its half without trailers. */
  override receiveEnd(): void {
    this.serverFinished();
  }

  private serverFinished(): void {
    // The stream is closed on both halves now: what we have not sent, we never will.
    this.writableEnded = true;
    super.receiveEnd();
  }

  protected endsWhilePaused(): boolean {
    return true;
  }

  protected override afterEnd(): void {
    // Closed on both halves and everything read: the stream goes away, as Node's does after 'end'.
    this.destroyWith(NGHTTP2_NO_ERROR, undefined);
  }

  protected finishLocal(): void {
    if (this.localEnded) return;
    this.markLocalEndSent();
    this.carrier.send({ t: 'end', s: this.id });
  }
}
