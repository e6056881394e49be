import type { AsyncLocalStorage } from 'node:async_hooks';
import { Readable, Writable } from 'node:stream';
import { types } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { askIfPresent, describe, type Json } from './describe.js';
import type { CallRecorder, ServerLog } from './server-log.js';

/**
 * What a deadline looks like to the handler: its type, and where it lies, with
 * the moment the handler looked (both epoch ms). normalize.ts compares it with
 * the deadline the client set, as grpc-timeout carries it.
 */
export function describeDeadline(deadline: unknown): Json {
  const seen = Date.now();
  if (deadline === Infinity) return { type: 'Infinity' };
  if (typeof deadline === 'number')
    return Number.isFinite(deadline)
      ? { type: 'number', at: { $: 'deadline', v: deadline, seen } }
      : { type: 'number', value: describe(deadline) };
  if (types.isDate(deadline)) {
    const time = (deadline as Date).getTime();
    return { type: 'Date', at: Number.isNaN(time) ? 'Invalid Date' : { $: 'deadline', v: time, seen } };
  }
  return { type: typeof deadline, value: describe(deadline) };
}

export function describeAuthContext(context: unknown): Json {
  if (!context || typeof context !== 'object') return describe(context);
  const { transportSecurityType, sslPeerCertificate, ...rest } = context as {
    transportSecurityType?: string;
    sslPeerCertificate?: { subject?: unknown; issuer?: unknown; fingerprint256?: string };
  };
  return {
    keys: Object.keys(context).sort(),
    transportSecurityType: describe(transportSecurityType),
    sslPeerCertificate: sslPeerCertificate
      ? {
          subject: describe(sslPeerCertificate.subject),
          issuer: describe(sslPeerCertificate.issuer),
          fingerprint256: describe(sslPeerCertificate.fingerprint256),
        }
      : describe(sslPeerCertificate),
    rest: describe(rest),
  };
}

interface SurfaceCall extends NodeJS.EventEmitter {
  cancelled: boolean;
  metadata: grpc.Metadata;
  request?: unknown;
  getPeer(): string;
  getDeadline(): unknown;
  getPath(): string;
}

/** The handler's view of its call when it starts: the `handler` entry of a server log. */
export function describeServerCall(call: SurfaceCall, kind: string, als: AsyncLocalStorage<unknown>): Json {
  return {
    kind,
    shape: { readable: call instanceof Readable, writable: call instanceof Writable },
    path: call.getPath(),
    host: askIfPresent(call, 'getHost'),
    peer: { $: 'peer', v: call.getPeer() },
    deadline: describeDeadline(call.getDeadline()),
    cancelled: call.cancelled,
    metadata: describe(call.metadata),
    ...('request' in call ? { request: describe(call.request) } : {}),
    auth: askIfPresent(call, 'getAuthContext', describeAuthContext),
    als: describe(als.getStore()),
  };
}

/**
 * Events a handler's call emits that the handler need not ask for; listening
 * to them changes nothing. Stock emits 'cancelled' when the HTTP/2 stream
 * closes, also after a call that finished, at a moment that races the object
 * stream's own events: it is counted, not ordered (scenarios that care about
 * its order record it themselves, where stock's order is fixed).
 */
export function watchServerCall(call: SurfaceCall, recorder: CallRecorder, streamEvents = true): void {
  if (streamEvents) for (const event of ['end', 'finish', 'close']) call.on(event, () => recorder.rec(event));
  call.on('cancelled', () => recorder.count('cancelled'));
}

/** A server interceptor that records every step of every call it sees, handshakes included. */
export function recordingServerInterceptor(log: ServerLog, backend: number): grpc.ServerInterceptor {
  return (method, call) => {
    const { rec } = log.open('interceptor', method.path, backend);
    rec('start', {
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      peer: { $: 'peer', v: call.getPeer() },
      deadline: describeDeadline(call.getDeadline()),
      host: askIfPresent(call, 'getHost'),
      connection: askIfPresent(call, 'getConnectionInfo', describeConnection),
    });
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            rec('onReceiveMetadata', metadata);
            nextMetadata(metadata);
          },
          onReceiveMessage(message, nextMessage) {
            rec('onReceiveMessage', message);
            nextMessage(message);
          },
          onReceiveHalfClose(nextHalfClose) {
            rec('onReceiveHalfClose');
            nextHalfClose();
          },
          onCancel() {
            rec('onCancel');
          },
        });
      },
      sendMetadata(metadata, next) {
        rec('sendMetadata', metadata);
        next(metadata);
      },
      sendMessage(message, next) {
        rec('sendMessage', message);
        next(message);
      },
      sendStatus(status, next) {
        rec('sendStatus', { code: status.code, details: status.details, metadata: status.metadata });
        next(status);
      },
    });
  };
}

/**
 * Shuts its server down (forceShutdown) from the first call it sees, whatever
 * it is: on a stock server, a friends client's hello; on a friends server,
 * which answers hellos before grpc-js sees them, the first call after one.
 */
export function forceShutdownServerInterceptor(
  server: () => grpc.Server,
  log: ServerLog,
  backend: number,
): grpc.ServerInterceptor {
  let fired = false;
  return (method, call) => {
    if (!fired) {
      fired = true;
      const { rec } = log.open('interceptor', method.path, backend);
      server().forceShutdown();
      rec('forceShutdown at the first call', 'returned');
    }
    return new grpc.ServerInterceptingCall(call);
  };
}

/** Refuses calls without `authorization: Bearer parity` with UNAUTHENTICATED, as auth middleware does. */
export function authServerInterceptor(): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            if (metadata.get('authorization')[0] === 'Bearer parity') nextMetadata(metadata);
            else call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'no valid token', metadata: null });
          },
        });
      },
    });
}

/** Addresses as they are; ports only as their type (they are ephemeral). */
function describeConnection(info: {
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
}): Json {
  return {
    localAddress: describe(info.localAddress),
    localPort: typeof info.localPort,
    remoteAddress: describe(info.remoteAddress),
    remotePort: typeof info.remotePort,
  };
}
