/**
 * Where grpc-js's server attaches to each HTTP/2 server it listens with
 * (`Server#_setupHandlers`: one 'stream' and one 'session' listener per
 * bound address). Friend links enter the server through those two listeners,
 * exactly where HTTP/2 streams and sessions do, with that port's interceptors
 * (bound into the listener from 1.11 on, which is why `_setupHandlers` gained
 * a parameter). The listeners then use friends' session and stream as they
 * would Node's: each member they use must be one those have.
 */
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import type { Link } from '@friends/core/internal';
import type { FrameBatch } from '../h2/frames.js';
import { ServerLinkSession } from '../h2/server-session.js';
import { ServerLinkStream } from '../h2/server-stream.js';
import { grpcModule, grpcRoot, notAFunction, runtimeShape, type Shape } from './shape.js';
import { describeList, membersUsed, methodParameters, missingMembers } from './source-shape.js';

export type AnyHttp2Server = Http2Server | Http2SecureServer;
type Listener = (...args: unknown[]) => void;

/** The listeners grpc-js set up on one of a server's HTTP/2 servers. */
export interface PortListeners {
  stream: Listener;
  session: Listener;
}

interface ServerInternals {
  _setupHandlers: (http2Server: AnyHttp2Server, ...rest: unknown[]) => void;
}

const serverClass = (): Function | undefined => {
  const found = grpcRoot<{ Server: Function }>().Server;
  return typeof found === 'function' ? found : undefined;
};

/** A session and a stream that never carry anything, to ask which members friends' have. */
function samples(): { session: object; stream: object } {
  const link = { on: () => link } as unknown as Link<FrameBatch>;
  const session = new ServerLinkSession(link, {}, false, () => undefined, Infinity);
  const stream = new ServerLinkStream(session, 1);
  return { session, stream };
}

export const LISTENERS_PER_PORT = runtimeShape(
  'server-ports',
  "each _setupHandlers adds one 'stream' listener taking (stream, headers) and one 'session' listener taking (session)",
  'each address a server binds: other listeners → that address serves HTTP/2 only, and leaves hellos to grpc-js',
);

export const serverPortShapes: readonly Shape[] = [
  {
    seam: 'server-ports',
    name: 'grpc.Server#_setupHandlers(http2Server[, extraInterceptors])',
    differs: () => {
      const cls = serverClass();
      if (!cls) return notAFunction(grpcRoot<{ Server: unknown }>().Server);
      const params = methodParameters(cls.prototype, '_setupHandlers');
      const known =
        params !== undefined &&
        params[0] === 'http2Server' &&
        (params.length === 1 || (params.length === 2 && params[1] === 'extraInterceptors'));
      return known ? undefined : `_setupHandlers${describeList(params)}`;
    },
  },
  {
    seam: 'server-ports',
    name: 'grpc.Server uses only what a friend session has of an HTTP/2 session',
    differs: () => {
      const cls = serverClass();
      if (!cls) return 'no Server';
      const used = membersUsed(cls, ['session']);
      if (used.size === 0) return 'uses nothing readable of its sessions';
      const missing = missingMembers(used, samples().session);
      return missing && `asks a session for ${missing.join(', ')}`;
    },
  },
  {
    seam: 'server-ports',
    name: "grpc-js's server call uses only what a friend stream has of an HTTP/2 stream",
    differs: () => {
      const base = grpcModule<{ BaseServerInterceptingCall: Function }>(
        'server-interceptors',
      ).BaseServerInterceptingCall;
      const cls = serverClass();
      if (typeof base !== 'function' || !cls)
        return `build/src/server-interceptors.js BaseServerInterceptingCall: ${notAFunction(base)}`;
      const used = new Set([...membersUsed(base, ['this.stream']), ...membersUsed(cls, ['stream'])]);
      if (used.size === 0) return 'uses nothing readable of its streams';
      const missing = missingMembers(used, samples().stream);
      return missing && `asks a stream for ${missing.join(', ')}`;
    },
  },
  LISTENERS_PER_PORT,
];

/**
 * Calls `onPort` each time `server` sets up an HTTP/2 server (once per bound
 * address), after grpc-js attached its listeners, with those listeners; or
 * `onMismatch` when they are not what friends knows (that address then stays
 * grpc-js's alone).
 */
export function onHttp2ServerSetup(
  server: Server,
  onPort: (http2Server: AnyHttp2Server, listeners: PortListeners) => void,
  onMismatch: (http2Server: AnyHttp2Server, detail: string) => void,
): void {
  const internals = server as unknown as ServerInternals;
  const setup = internals._setupHandlers;
  internals._setupHandlers = function (this: Server, http2Server: AnyHttp2Server, ...rest: unknown[]): void {
    const streamBefore = http2Server ? http2Server.listeners('stream').length : 0;
    const sessionBefore = http2Server ? http2Server.listeners('session').length : 0;
    setup.call(this, http2Server, ...rest);
    if (!http2Server) return;
    const streams = http2Server.listeners('stream') as Listener[];
    const sessions = http2Server.listeners('session') as Listener[];
    const stream = streams[streams.length - 1];
    const session = sessions[sessions.length - 1];
    if (streams.length !== streamBefore + 1 || sessions.length !== sessionBefore + 1)
      onMismatch(
        http2Server,
        `${streams.length - streamBefore} 'stream' and ${sessions.length - sessionBefore} 'session' listeners`,
      );
    else if (stream!.length !== 2 || session!.length !== 1)
      onMismatch(
        http2Server,
        `a 'stream' listener of ${stream!.length} and a 'session' listener of ${session!.length} parameters`,
      );
    else onPort(http2Server, { stream: stream!, session: session! });
  };
}
