import { constants, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { status as Status } from '@grpc/grpc-js';
import {
  MAX_HELLO_BYTES,
  frameMessage,
  helloMethod,
  unframeMessage,
  type HelloAnswerMessage,
  type HelloRequestMessage,
} from '../handshake.js';

/** Time a client has to send its hello once the stream is open. */
const HELLO_READ_TIMEOUT_MS = 5_000;

/**
 * Answers `friends.v1.Handshake/Hello` on an HTTP/2 stream, before grpc-js's
 * server sees the stream: the handshake is the transport's, not a call, so no
 * interceptor, handler registration or call counter of the application sees it.
 */
export function answerHelloStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  answer: (request: HelloRequestMessage) => Promise<HelloAnswerMessage>,
): void {
  stream.on('error', () => undefined);
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
    stream.respond({ ':status': constants.HTTP_STATUS_UNSUPPORTED_MEDIA_TYPE }, { endStream: true });
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => stream.close(constants.NGHTTP2_CANCEL), HELLO_READ_TIMEOUT_MS);
  timer.unref();
  stream.on('close', () => clearTimeout(timer));
  stream.on('data', (chunk: Buffer) => {
    if (size < 0) return;
    size += chunk.length;
    if (size > MAX_HELLO_BYTES) {
      size = -1;
      clearTimeout(timer);
      fail(stream, Status.RESOURCE_EXHAUSTED, 'Hello too large');
      return;
    }
    chunks.push(chunk);
  });
  stream.on('end', () => {
    clearTimeout(timer);
    if (size < 0) return;
    let request: HelloRequestMessage;
    try {
      request = helloMethod.requestDeserialize(unframeMessage(Buffer.concat(chunks)));
    } catch {
      fail(stream, Status.INTERNAL, 'Error deserializing request');
      return;
    }
    answer(request).then(
      (reply) => respond(stream, reply),
      () => fail(stream, Status.INTERNAL, 'Hello failed'),
    );
  });
}

function respond(stream: ServerHttp2Stream, answer: HelloAnswerMessage): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto' }, { waitForTrailers: true });
  stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': String(Status.OK), 'grpc-message': 'OK' }));
  stream.end(frameMessage(helloMethod.responseSerialize(answer)));
}

function fail(stream: ServerHttp2Stream, code: Status, details: string): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  stream.respond(
    {
      ':status': 200,
      'content-type': 'application/grpc+proto',
      'grpc-status': String(code),
      'grpc-message': encodeURI(details),
    },
    { endStream: true },
  );
}
