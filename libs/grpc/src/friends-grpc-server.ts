import { Server, type ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import type { Deserialize, Serialize } from '@grpc/grpc-js/build/src/make-client.js';
import type { HandleCall } from '@grpc/grpc-js/build/src/server-call.js';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import { debuglog } from 'node:util';
import type { AddressInfo } from 'node:net';
import {
  connectionTuple,
  countFallback,
  ErrorCodes,
  fallbackReason,
  FriendsAcceptor,
  friendsDisabledByEnv,
  isFriendsError,
  memoryCopies,
  publishLinkError,
  publishTier,
  seriesFor,
  resolveKernelIdentity,
  safeLogText,
  type Link,
  type SeriesCounters,
  type Tier,
  tierAttributes,
} from '@friends/core/internal';
import { compactStreamCodec, type FrameBatch } from './h2/frames.js';
import { ServerLinkSession } from './h2/server-session.js';
import { helloFromMessage, helloMethod, type HelloAnswerMessage, type HelloRequestMessage } from './handshake.js';
import { grpcVerdict, shapeMismatch, UNSUPPORTED_GRPC } from './seams/guard.js';
import { streamOfServerCall } from './seams/server-call.js';
import {
  LISTENERS_PER_PORT,
  onHttp2ServerSetup,
  type AnyHttp2Server,
  type PortListeners,
} from './seams/server-ports.js';
import { GRPC_PROTOCOL } from './protocol.js';
import { activeSpan } from './client/call-spans.js';
import { answerHelloStream } from './server/hello-endpoint.js';
import { peerIdentity, type PeerIdentity } from './server/peer-identity.js';

export interface FriendsGrpcServerOptions {
  /** Fast tiers. Default both on; `FRIENDS=off` in the environment turns them off. */
  friends?: boolean | { memory?: boolean; unix?: boolean };
  /** Where the unix socket lives. Default `$XDG_RUNTIME_DIR/friends` or `<tmpdir>/friends-<uid>`. */
  socketDir?: string;
  /** Mode of the unix socket file. Default 0o600 (same user only). */
  socketMode?: number;
  /** Mode of the socket directory when it is created. Default 0o700. */
  socketDirMode?: number;
  /**
   * Names this machine's kernel for the unix tier, in place of Linux's boot id: only clients that
   * hold the same value take the unix tier. For machines that share a boot id but not a filesystem
   * (hosts modelled with network namespaces on one kernel), or that have none. A secret, as the boot id is.
   */
  kernelIdentity?: string;
  /** Time a unix connection has to present its ticket before it is closed. Default 5,000 ms. */
  admissionTimeout?: number;
  /** Lifetime of a unix admission ticket. Default 10,000 ms. */
  ticketTtl?: number;
  /**
   * Hears what costs a connection or a tier. Default: a socket directory that
   * cannot be used (the unix tier is off, or moved) is a process warning
   * (`process.emitWarning`, with the error's code); failed unix admissions,
   * aggregated per minute, go to NODE_DEBUG=friends.
   */
  onWarning?: (err: Error) => void;
}

/** NODE_DEBUG=friends logs friend links as they are served. */
const log = debuglog('friends');

/** One bound address: its HTTP/2 server and grpc-js's listeners on it. */
interface Port {
  http2Server: AnyHttp2Server;
  listeners: PortListeners;
  /** `host:port` it listens on: the `target` label of its counters (set once listening). */
  target?: string;
  series?: Partial<Record<Tier, SeriesCounters>>;
}

/** Where a hello came from: the port it reached and the connection it came on. */
interface HelloOrigin {
  port: Port;
  identity: PeerIdentity;
}

/**
 * A drop-in for `grpc.Server`: it serves standard gRPC over HTTP/2 on every
 * port it binds, exactly as grpc.Server does, and also serves friends —
 * clients in this process (memory) or on this kernel (a unix socket, no HTTP/2).
 * A friend link enters grpc-js's server where an HTTP/2 connection would, on
 * the port its friendship was agreed on: grpc-js's own handler lookup,
 * interceptors, call objects, limits, keepalive, channelz and shutdown apply
 * to it unchanged.
 *
 * On a grpc-js whose shapes friends does not know (see seams/guard.ts), it is
 * grpc.Server itself: it touches nothing of grpc-js, so a hello meets
 * grpc-js's own UNIMPLEMENTED, as at a stock server; each bound address is
 * reported as `tcp` with reason `unsupported-grpc`, and calls its handlers get
 * are counted on `tcp`.
 */
export class FriendsGrpcServer extends Server {
  private readonly friendsOptions: FriendsGrpcServerOptions;
  private readonly maxConcurrentStreams: number;
  private acceptor: FriendsAcceptor<FrameBatch> | undefined;
  private acceptorStarting: Promise<void> | undefined;
  private stopping = false;
  /** Whether friends stand under this server (the installed grpc-js passed the guard). */
  private readonly friendly: boolean;
  /** Where calls are counted when friends stepped aside (the first address bound). */
  private stockSeries: SeriesCounters | undefined;

  constructor(options: ServerOptions & { friends?: FriendsGrpcServerOptions } = {}) {
    const { friends: friendsOptions = {}, ...serverOptions } = options;
    super(serverOptions);
    if (friendsOptions.kernelIdentity !== undefined) resolveKernelIdentity(friendsOptions.kernelIdentity);
    this.friendsOptions = friendsOptions;
    this.maxConcurrentStreams = serverOptions['grpc.max_concurrent_streams'] ?? Infinity;
    this.friendly = grpcVerdict().supported;
    if (this.friendly)
      onHttp2ServerSetup(
        this,
        (http2Server, listeners) => this.adopt({ http2Server, listeners }),
        (http2Server, detail) => {
          shapeMismatch(LISTENERS_PER_PORT, detail);
          whenListening(http2Server, () => this.stockAddress(addressOf(http2Server) ?? 'unbound'));
        },
      );
  }

  /** As grpc.Server's; on a grpc-js friends steps aside from, each address bound is reported as `tcp`. */
  override bindAsync(
    port: string,
    creds: ServerCredentials,
    callback: (error: Error | null, port: number) => void,
  ): void {
    if (this.friendly || typeof callback !== 'function') return super.bindAsync(port, creds, callback);
    super.bindAsync(port, creds, (error, bound) => {
      if (!error) this.stockAddress(boundTarget(port, bound));
      callback(error, bound);
    });
  }

  /** An address grpc-js serves alone: every connection to it stays on HTTP/2. */
  private stockAddress(target: string): void {
    if (!this.friendly) this.stockSeries ??= seriesFor({ transport: 'grpc', role: 'server', target, tier: 'tcp' });
    countFallback('grpc', 'server', target, UNSUPPORTED_GRPC);
    publishTier({ transport: 'grpc', role: 'server', target, tier: 'tcp', reason: UNSUPPORTED_GRPC });
  }

  /**
   * As grpc.Server's. Each handler first tells the active span (an
   * OpenTelemetry gRPC instrumentation's server span, which wraps handlers
   * registered here) the tier its call came over.
   */
  override register<RequestType, ResponseType>(
    name: string,
    handler: HandleCall<RequestType, ResponseType>,
    serialize: Serialize<ResponseType>,
    deserialize: Deserialize<RequestType>,
    type: string,
  ): boolean {
    if (!this.friendly) {
      // grpc-js's server alone: its calls are counted on the standard wire, nothing more.
      const count = (): void => {
        (this.stockSeries ??= seriesFor({ transport: 'grpc', role: 'server', target: 'unbound', tier: 'tcp' })).calls++;
      };
      const counted = function (this: unknown, ...args: unknown[]): unknown {
        count();
        return (handler as (this: unknown, ...args: unknown[]) => unknown).apply(this, args);
      };
      return super.register<RequestType, ResponseType>(name, counted as typeof handler, serialize, deserialize, type);
    }
    // The handler gets exactly the arguments grpc-js passes (a streaming handler gets no callback).
    const marked = function (this: unknown, ...args: unknown[]): unknown {
      const span = activeSpan();
      if (span?.isRecording()) {
        const stream = streamOfServerCall(args[0]);
        if (stream) span.setAttributes(tierAttributes((stream as { friendTier?: Tier }).friendTier ?? 'tcp'));
      }
      return (handler as (this: unknown, ...args: unknown[]) => unknown).apply(this, args);
    };
    return super.register<RequestType, ResponseType>(name, marked as typeof handler, serialize, deserialize, type);
  }

  override tryShutdown(callback: (error?: Error) => void): void {
    const stopped = this.stopAcceptor();
    super.tryShutdown((error) => void stopped.then(() => callback(error)));
  }

  override forceShutdown(): void {
    void this.stopAcceptor();
    super.forceShutdown();
  }

  /** The unix socket friends connect to, once the first hello asked for it. */
  get unixPath(): string | undefined {
    return this.acceptor?.unixPath;
  }

  private tiers(): { memory: boolean; unix: boolean } {
    const option = this.friendsOptions.friends;
    if (friendsDisabledByEnv() || option === false) return { memory: false, unix: false };
    if (option === undefined || option === true) return { memory: true, unix: true };
    return { memory: option.memory ?? true, unix: option.unix ?? true };
  }

  /** Hellos are answered before grpc-js sees the stream; every other stream goes to grpc-js. */
  private adopt(port: Port): void {
    const { http2Server, listeners } = port;
    http2Server.on('session', (session) => {
      const series = this.series(port, 'tcp');
      series.connectionsOpened++;
      series.connectionsActive++;
      session.once('close', () => series.connectionsActive--);
    });
    http2Server.removeListener('stream', listeners.stream);
    http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => {
      if (headers[':path'] !== helloMethod.path) {
        this.series(port, 'tcp').calls++;
        listeners.stream.call(http2Server, stream, headers, ...rest);
        return;
      }
      const socket = stream.session?.socket as Socket | undefined;
      if (!socket) return;
      answerHelloStream(stream, headers, (request) =>
        this.answerHello(request, socket, { port, identity: peerIdentity(socket) }),
      );
    });
  }

  private async answerHello(
    request: HelloRequestMessage,
    socket: Socket,
    origin: HelloOrigin,
  ): Promise<HelloAnswerMessage> {
    const tiers = this.tiers();
    if ((!tiers.memory && !tiers.unix) || this.stopping) return tcpAnswer('friends off');
    if (!this.acceptorStarting) {
      this.acceptor = new FriendsAcceptor<FrameBatch>({
        protocol: GRPC_PROTOCOL,
        memory: tiers.memory,
        unix: tiers.unix,
        socketDir: this.friendsOptions.socketDir,
        socketDirMode: this.friendsOptions.socketDirMode,
        socketMode: this.friendsOptions.socketMode,
        socketPrefix: 'grpc',
        kernelIdentity: this.friendsOptions.kernelIdentity,
        memoryCopy: memoryCopies.none,
        unixCodec: compactStreamCodec,
        admissionTimeoutMs: this.friendsOptions.admissionTimeout,
        ticketTtlMs: this.friendsOptions.ticketTtl,
        onLink: (link, context) => this.serve(link, context as HelloOrigin),
        onWarning: this.friendsOptions.onWarning ?? defaultWarning,
      });
      this.acceptorStarting = this.acceptor.start();
    }
    await this.acceptorStarting;
    const acceptor = this.acceptor;
    if (!acceptor || this.stopping) return tcpAnswer('shutting down');
    const answer = acceptor.answer(helloFromMessage(request), connectionTuple(socket), origin);
    if (answer.tier === 'tcp') {
      const reason = fallbackReason(answer.reason);
      const { target } = this.series(origin.port, 'tcp');
      countFallback('grpc', 'server', target, reason);
      publishTier({ transport: 'grpc', role: 'server', target, tier: 'tcp', reason });
    }
    return {
      v: 1,
      tier: answer.tier,
      path: answer.tier === 'unix' ? answer.path : '',
      ticket: answer.tier === 'unix' ? answer.ticket : '',
      reason: answer.tier === 'tcp' ? answer.reason : '',
      proof: answer.tier === 'unix' ? answer.proof : '',
    };
  }

  /** A friend link becomes one of grpc-js's sessions on the port its hello came through. */
  private serve(link: Link<FrameBatch>, origin: HelloOrigin): void {
    const { port, identity } = origin;
    if (this.stopping || !port.http2Server.listening) {
      link.destroy();
      return;
    }
    const { http2Server, listeners } = port;
    const series = this.series(port, link.kind);
    link.observe(series);
    link.once('close', (error) => {
      if (error) publishLinkError({ transport: 'grpc', role: 'server', target: series.target, tier: link.kind, error });
    });
    const session = new ServerLinkSession(
      link,
      identity.socket,
      identity.encrypted,
      (stream, headers, flags) => {
        series.calls++;
        listeners.stream.call(http2Server, stream, headers, flags);
      },
      this.maxConcurrentStreams,
    );
    log('serving a %s friend', link.kind);
    listeners.session.call(http2Server, session);
    // Last: a subscriber runs here, synchronously, and may shut the server down; the session is grpc-js's
    // by now and goes with the others (published earlier, a shutdown from it would be followed by serving).
    publishTier({ transport: 'grpc', role: 'server', target: series.target, tier: link.kind, peer: link.peer });
  }

  /** The labelled counters of one port and tier. */
  private series(port: Port, tier: Tier): SeriesCounters {
    const known = port.series?.[tier];
    if (known) return known;
    const target = addressOf(port.http2Server);
    if (target === undefined) return seriesFor({ transport: 'grpc', role: 'server', target: 'unbound', tier });
    port.target = target;
    const series = seriesFor({ transport: 'grpc', role: 'server', target, tier });
    (port.series ??= {})[tier] = series;
    return series;
  }

  /** No new friends; the socket file goes. Links already served close with their sessions. */
  private async stopAcceptor(): Promise<void> {
    this.stopping = true;
    const acceptor = this.acceptor;
    this.acceptor = undefined;
    this.acceptorStarting = undefined;
    // Safe at any moment, a start() still under way included: it resolves once nothing is left open.
    await acceptor?.close();
  }
}

/** `host:port` an HTTP/2 server listens on (undefined before it listens). */
function addressOf(http2Server: AnyHttp2Server): string | undefined {
  const address = http2Server.address() as AddressInfo | string | null;
  if (!address) return undefined;
  if (typeof address === 'string') return address;
  return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

function whenListening(http2Server: AnyHttp2Server, then: () => void): void {
  if (http2Server.listening) then();
  else http2Server.once('listening', then);
}

/** The target label of an address grpc-js bound alone: as asked for, with the port it got. */
function boundTarget(asked: string, port: number): string {
  if (asked.startsWith('unix:')) return asked;
  const hostPort = asked.replace(/^dns:(\/\/[^/]*\/)?/, '');
  const colon = hostPort.lastIndexOf(':');
  return `${colon >= 0 ? hostPort.slice(0, colon) : hostPort}:${port}`;
}

function defaultWarning(err: Error): void {
  const message = safeLogText(err.message, 1024);
  if (isFriendsError(err, ErrorCodes.SOCKET_DIR)) process.emitWarning(message, { code: err.code });
  else log('%s', message);
}

function tcpAnswer(reason: string): HelloAnswerMessage {
  return { v: 1, tier: 'tcp', path: '', ticket: '', reason, proof: '' };
}
