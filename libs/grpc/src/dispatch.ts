import { status as Status, type Metadata, type ServerInterceptingCallInterface } from '@grpc/grpc-js';
import { serverCall } from './grpc-internals.js';
import type { RegisteredHandler } from './server-call.js';

type Call = ServerInterceptingCallInterface;
type Stream = {
  cancelled: boolean;
  emit(event: string, ...args: unknown[]): boolean;
  destroy?(): void;
  push?(v: unknown): boolean;
};

const debugDetails = (process.env.GRPC_NODE_DEBUG_SEND_ERROR_DETAILS ?? 'false') === 'true';

/**
 * Runs a handler on a call exactly as grpc-js's server does for HTTP/2 calls
 * (its dispatch is private): the same call objects, messages, status details
 * and cancellation events.
 */
export function runHandler(call: Call, handler: RegisteredHandler): void {
  switch (handler.type) {
    case 'unary':
    case 'serverStream':
      return runSingleRequest(call, handler);
    case 'clientStream':
    case 'bidi':
      return runStreamingRequest(call, handler);
  }
}

function respondWith(call: Call) {
  return (err: unknown, value?: unknown, trailer?: Metadata): void => {
    if (err) {
      call.sendStatus(serverCall.serverErrorToStatus(err, trailer));
      return;
    }
    call.sendMessage(value, () => call.sendStatus({ code: Status.OK, details: 'OK', metadata: trailer ?? null }));
  };
}

function invoke(call: Call, run: () => void): void {
  try {
    run();
  } catch (err) {
    call.sendStatus({
      code: Status.UNKNOWN,
      details: debugDetails ? `Server method handler threw error ${(err as Error).message}` : 'Unknown error',
      metadata: null,
    });
  }
}

function cancel(stream: Stream | undefined, destroy: boolean): void {
  if (!stream) return;
  stream.cancelled = true;
  stream.emit('cancelled', 'cancelled');
  if (destroy) stream.destroy?.();
}

function runSingleRequest(call: Call, handler: RegisteredHandler): void {
  let stream: Stream | undefined;
  let metadata: Metadata;
  let request: unknown = null;
  call.start({
    onReceiveMetadata(received) {
      metadata = received;
      call.startRead();
    },
    onReceiveMessage(message) {
      if (request) {
        call.sendStatus({
          code: Status.UNIMPLEMENTED,
          details: `Received a second request message for server streaming method ${handler.path}`,
          metadata: null,
        });
        return;
      }
      request = message;
      call.startRead();
    },
    onReceiveHalfClose() {
      if (!request) {
        call.sendStatus({
          code: Status.UNIMPLEMENTED,
          details: `Received no request message for server streaming method ${handler.path}`,
          metadata: null,
        });
        return;
      }
      const created = new serverCall.ServerWritableStreamImpl(handler.path, call, metadata, request);
      stream = created as unknown as Stream;
      invoke(call, () => (handler.type === 'unary' ? handler.func(created, respondWith(call)) : handler.func(created)));
    },
    onCancel() {
      cancel(stream, handler.type === 'serverStream');
    },
  });
}

function runStreamingRequest(call: Call, handler: RegisteredHandler): void {
  let stream: Stream | undefined;
  call.start({
    onReceiveMetadata(metadata) {
      const created = new serverCall.ServerDuplexStreamImpl(handler.path, call, metadata);
      stream = created as unknown as Stream;
      invoke(call, () =>
        handler.type === 'clientStream' ? handler.func(created, respondWith(call)) : handler.func(created),
      );
    },
    onReceiveMessage(message) {
      stream?.push?.(message);
    },
    onReceiveHalfClose() {
      stream?.push?.(null);
    },
    onCancel() {
      cancel(stream, true);
    },
  });
}
