/**
 * The grpc-js pieces friends relies on that are not its public API, in one
 * place. Each is checked when this module loads, so a grpc-js release that
 * moves one fails at once with a coded error naming the version, instead of
 * misbehaving later. test/grpc/internals.spec.ts holds the same checks.
 *
 * What and why:
 * - `Http2SubchannelCall`: grpc-js's own client call over one HTTP/2 stream.
 *   Friends run it on a stream carried by a friend link, so everything above
 *   the HTTP/2 stream (status, trailers, message framing and limits,
 *   cancellation, disconnects) is grpc-js's code on every tier.
 * - A server's HTTP/2 servers and the two listeners grpc-js puts on each
 *   ('stream' and 'session'): friend links enter the server exactly where
 *   HTTP/2 streams and sessions do, with that port's interceptors.
 * - The HTTP/2 stream under a client call: the hello reads which connection it
 *   travels on, to bind a memory claim to that connection.
 */
import { createRequire } from 'node:module';
import type { Http2Server, Http2SecureServer, ClientHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { ErrorCodes, FriendsError } from '@friends/core/internal';
import type { Metadata, Server } from '@grpc/grpc-js';
import type { SubchannelCall, SubchannelCallInterceptingListener } from '@grpc/grpc-js/build/src/subchannel-call.js';
import type { CallEventTracker } from '@grpc/grpc-js/build/src/transport.js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { ChannelOptions } from '@grpc/grpc-js';

const require = createRequire(import.meta.url);

export const GRPC_JS_VERSION = (require('@grpc/grpc-js/package.json') as { version: string }).version;

function unsupported(what: string): FriendsError {
  return new FriendsError(
    ErrorCodes.UNSUPPORTED_GRPC_VERSION,
    `@grpc/grpc-js ${GRPC_JS_VERSION} is not supported by @friends/grpc: ${what}. Use the version @friends/grpc names as its peer dependency.`,
  );
}

/** What Http2SubchannelCall needs of the transport it runs on. */
export interface CallTransport {
  getOptions(): ChannelOptions;
  getPeerName(): string;
  getAuthContext(): AuthContext;
}

export type SubchannelCallWithDisconnect = SubchannelCall & { onDisconnect(): void };

type Http2SubchannelCallClass = new (
  stream: ClientHttp2Stream,
  tracker: CallEventTracker,
  listener: SubchannelCallInterceptingListener,
  transport: CallTransport,
  callId: number,
) => SubchannelCallWithDisconnect;

const subchannelCallModule = require('@grpc/grpc-js/build/src/subchannel-call.js') as {
  Http2SubchannelCall?: Http2SubchannelCallClass;
};
if (typeof subchannelCallModule.Http2SubchannelCall !== 'function')
  throw unsupported('build/src/subchannel-call.js no longer exports Http2SubchannelCall');
if (typeof subchannelCallModule.Http2SubchannelCall.prototype.onDisconnect !== 'function')
  throw unsupported('Http2SubchannelCall has no onDisconnect()');

export const Http2SubchannelCall: Http2SubchannelCallClass = subchannelCallModule.Http2SubchannelCall;

export type AnyHttp2Server = Http2Server | Http2SecureServer;
type StreamListener = (...args: unknown[]) => void;

interface ServerInternals {
  http2Servers: Map<AnyHttp2Server, unknown>;
  _setupHandlers: (http2Server: AnyHttp2Server, extraInterceptors: unknown[]) => void;
}

if (typeof (require('@grpc/grpc-js').Server.prototype as Partial<ServerInternals>)._setupHandlers !== 'function')
  throw unsupported('grpc.Server has no _setupHandlers()');

/** The listeners grpc-js set up on one of a server's HTTP/2 servers. */
export interface PortListeners {
  stream: StreamListener;
  session: StreamListener;
}

/**
 * Calls `onPort` each time `server` sets up an HTTP/2 server (once per bound
 * address), after grpc-js attached its listeners, with those listeners.
 */
export function onHttp2ServerSetup(
  server: Server,
  onPort: (http2Server: AnyHttp2Server, listeners: PortListeners) => void,
): void {
  const internals = server as unknown as ServerInternals;
  const setup = internals._setupHandlers;
  internals._setupHandlers = function (this: Server, http2Server: AnyHttp2Server, extra: unknown[]): void {
    const streamBefore = http2Server.listeners('stream').length;
    const sessionBefore = http2Server.listeners('session').length;
    setup.call(this, http2Server, extra);
    if (!http2Server) return;
    const streams = http2Server.listeners('stream') as StreamListener[];
    const sessions = http2Server.listeners('session') as StreamListener[];
    if (streams.length !== streamBefore + 1 || sessions.length !== sessionBefore + 1)
      throw unsupported("grpc.Server#_setupHandlers no longer adds one 'stream' and one 'session' listener");
    onPort(http2Server, { stream: streams[streams.length - 1]!, session: sessions[sessions.length - 1]! });
  };
}

/** The socket a client call's HTTP/2 stream travels on (its session's socket). */
export function socketOfCall(call: SubchannelCall): Socket | undefined {
  const stream = (call as unknown as { http2Stream?: ClientHttp2Stream }).http2Stream;
  return stream?.session?.socket as Socket | undefined;
}

export type { Metadata };

/**
 * The stream under a handler's call object (ServerUnaryCallImpl and friends
 * hold grpc-js's intercepting call, whose innermost `nextCall` holds the
 * stream), or undefined when grpc-js stores it elsewhere.
 */
export function streamOfServerCall(call: unknown): object | undefined {
  let inner = (call as { call?: unknown } | null)?.call;
  for (let depth = 0; inner && typeof inner === 'object' && depth < 32; depth++) {
    const candidate = inner as { stream?: unknown; nextCall?: unknown };
    if (candidate.stream && typeof candidate.stream === 'object') return candidate.stream;
    inner = candidate.nextCall;
  }
  return undefined;
}
