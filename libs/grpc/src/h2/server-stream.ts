import { constants, type OutgoingHttpHeaders } from 'node:http2';
import { microtask } from '@friends/core/internal';
import { responseHeaderList, toHeaderList } from './headers.js';
import { LinkStream, type StreamCarrier } from './link-stream.js';

const { NGHTTP2_NO_ERROR } = constants;

function stateError(code: string, message: string): Error {
  const error = new Error(message) as Error & { code: string };
  error.code = code;
  return error;
}

/** The date Node puts on every response: recomputed at most once a second. */
let cachedDate = '';
let cachedSecond = -1;
function utcDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

/**
 * The server end of a call between friends, in place of a `ServerHttp2Stream`:
 * grpc-js's own server (its handler lookup, interceptors, call objects,
 * deadlines, limits and status handling) runs on it unchanged. A server stream
 * is over once its final headers are out (Node resets the client's half then).
 */
export class ServerLinkStream extends LinkStream {
  headersSent = false;
  private trailersWanted = false;
  private trailersReady = false;

  constructor(
    carrier: StreamCarrier,
    id: number,
    /** What grpc-js reads as `stream.session` (the peer's socket, for getPeer and auth context). */
    readonly session: object,
  ) {
    // grpc-js pauses a new stream before reading it.
    super(carrier, id, false, true);
  }

  respond(headers: OutgoingHttpHeaders = {}, options: { endStream?: boolean; waitForTrailers?: boolean } = {}): void {
    if (this.destroyed || this.closed) throw stateError('ERR_HTTP2_INVALID_STREAM', 'The stream has been destroyed');
    if (this.headersSent) throw stateError('ERR_HTTP2_HEADERS_SENT', 'Response has already been initiated.');
    const list = responseHeaderList(headers, utcDate);
    this.headersSent = true;
    this.trailersWanted = options.waitForTrailers === true;
    const end = options.endStream === true;
    this.carrier.send({ t: 'headers', s: this.id, h: list, end });
    if (end) this.serverFinished();
  }

  sendTrailers(headers: OutgoingHttpHeaders): void {
    if (this.destroyed || this.closed) throw stateError('ERR_HTTP2_INVALID_STREAM', 'The stream has been destroyed');
    if (!this.trailersReady)
      throw stateError(
        'ERR_HTTP2_TRAILERS_NOT_READY',
        'Trailing headers cannot be sent until after the wantTrailers event is emitted',
      );
    this.trailersReady = false;
    this.carrier.send({ t: 'headers', s: this.id, h: toHeaderList(headers, 'trailers'), end: true });
    this.serverFinished();
  }

  protected endsWhilePaused(): boolean {
    return false;
  }

  protected finishLocal(): void {
    if (this.localEnded || this.closed) return;
    this.markLocalEndSent();
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
    this.markLocalEndSent();
    this.destroyWith(NGHTTP2_NO_ERROR, undefined);
  }
}
