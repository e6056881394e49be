import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import {
  connectionTuple,
  countFallback,
  describePeer,
  fallbackReason,
  FriendsAcceptor,
  memoryCopies,
  publishLinkError,
  publishTier,
  safeLogText,
  seriesFor,
  SocketLink,
  stockJsonCodec,
  type Link,
} from '@friends/core/internal';
import { Logger } from '@nestjs/common';
import {
  Server,
  type BaseRpcContext,
  type CustomTransportStrategy,
  type MessageHandler,
  type ReadPacket,
  type WritePacket,
} from '@nestjs/microservices';
import {
  BARRIER_PATTERN,
  DEFAULT_HOST,
  DEFAULT_PORT,
  FRIENDS_TRANSPORT,
  HELLO_PATTERN,
  NEST_PROTOCOL,
  NO_MESSAGE_HANDLER,
  STOCK_IDS,
} from './constants.js';
import { contextFactory, type ContextFactory } from './host/context.js';
import { invalidTcpDataReception, type InvalidTcpDataReception } from './host/nest-errors.js';
import { requestPath, type Reply, type RequestPath, type RequestServer } from './host/request.js';
import { nestHost } from './host/shapes.js';
import { InFlightRequests, type Connection } from './in-flight.js';
import { linkLimits, resolveTiers, type FriendsServerOptions } from './options.js';
import { FriendsSocketRef } from './socket-ref.js';
import { endSpan, requireTracing, startServerSpan, withContext, type Span } from './tracing.js';
import { compactNestCodec, type NestPacket } from './wire.js';

type ServerEvent = 'listening' | 'connection' | 'close' | 'error' | string;

/** Distinct patterns remembered by the route cache before it starts over (bounds client-chosen patterns). */
const ROUTE_CACHE_LIMIT = 1024;
/**
 * Longest pattern the route cache keeps: together with the entry limit, what a
 * client can make it hold is bounded by size, not only by count (1,024
 * patterns of 100 Mi characters would be gigabytes).
 */
const ROUTE_CACHE_MAX_PATTERN = 512;
/** Longest part of an unknown event's pattern that goes to the log. */
const LOGGED_PATTERN_MAX = 1024;

/**
 * A drop-in for the stock TCP transport's server. It serves the stock wire on
 * host:port to anyone, and serves friends (clients in this process, or on this
 * kernel) over memory or a unix socket, with the same handlers and semantics.
 *
 *   NestFactory.createMicroservice(AppModule, { strategy: new FriendsServer({ port: 3001 }) })
 */
export class FriendsServer extends Server implements CustomTransportStrategy {
  override readonly transportId = FRIENDS_TRANSPORT;
  protected override readonly logger = new Logger('FriendsServer');
  private netServer: NetServer | undefined;
  private acceptor: FriendsAcceptor<NestPacket> | undefined;
  private readonly links = new Set<Link<NestPacket>>();
  private targetLabel: { server: NetServer | undefined; text: string } | undefined;
  private readonly routeCache = new Map<string, MessageHandler>();
  /** The start hook every Server begins with: any other means processing hooks are in use. */
  private readonly defaultStartHook = this.onProcessingStartHook;
  private readonly inFlight = new InFlightRequests();
  /** What the stock server logs a connection's errors with; imported by listen(). */
  private invalidTcpData: InvalidTcpDataReception | undefined;
  /** The installed Nest's request path and RPC context (host/). */
  private readonly requestPath: RequestPath;
  private readonly createContext: ContextFactory;
  /** Set by close(): nothing that arrives afterwards is dispatched, as stock drops connections at once. */
  private closing = false;
  private pendingListeners: { event: ServerEvent; callback: (...args: unknown[]) => void }[] = [];

  constructor(private readonly options: FriendsServerOptions = {}) {
    super();
    const host = nestHost();
    this.requestPath = requestPath(host);
    this.createContext = contextFactory(host);
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    // Fails here, with a coded error, when tracing is asked for without @opentelemetry/api.
    if (options.tracing) requireTracing();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    const { options } = this;
    try {
      this.invalidTcpData ??= await invalidTcpDataReception();
      const tiers = resolveTiers(options.friends);
      const linkOptions = linkLimits(options);
      if (tiers.memory || tiers.unix) {
        this.acceptor = new FriendsAcceptor<NestPacket>({
          protocol: NEST_PROTOCOL,
          memory: tiers.memory,
          unix: tiers.unix,
          socketDir: options.socketDir,
          socketDirMode: options.socketDirMode,
          socketMode: options.socketMode,
          socketPrefix: 'nest',
          memoryCopy: memoryCopies[options.copy ?? 'json'],
          unixCodec: compactNestCodec,
          linkOptions,
          admissionTimeoutMs: options.admissionTimeout ?? options.handshakeTimeout,
          ticketTtlMs: options.ticketTtl,
          kernelIdentity: options.kernelIdentity,
          onLink: (link) => this.serve(link),
          onWarning: (err) => this.logger.warn(safeLogText(err.message, 1024)),
        });
        await this.acceptor.start();
      }
      this.closing = false;
      const onSocket = (socket: Socket): void => {
        // Writes are coalesced per tick already; Nagle would only hold the next one back for a delayed ACK.
        socket.setNoDelay(true);
        const peer = { kind: 'tcp' as const, host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
        this.serve(new SocketLink<NestPacket>('tcp', socket, peer, stockJsonCodec as never, linkOptions));
      };
      const server = options.tlsOptions ? createTlsServer(options.tlsOptions, onSocket) : createNetServer(onSocket);
      this.netServer = server;
      for (const { event, callback: listener } of this.pendingListeners) server.on(event, listener);
      this.pendingListeners = [];
      server.on('error', (err) => this.handleError(err));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? DEFAULT_PORT, options.host ?? DEFAULT_HOST, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      this._status$.next('disconnected');
      await this.acceptor?.close();
      this.acceptor = undefined;
      callback(err);
      return;
    }
    this._status$.next('connected');
    callback();
  }

  /**
   * Stops listening and drops every connection on every tier, like the stock
   * server; nothing that arrives afterwards is dispatched. With
   * `shutdownGracePeriod`, requests in flight on open connections first get
   * that long to be answered, and connections then end gracefully.
   */
  async close(): Promise<void> {
    this.closing = true;
    const server = this.netServer;
    this.netServer = undefined;
    const closing = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    // Both listeners stop accepting now; their close callbacks wait for the connections dropped below.
    const acceptorClosing = this.acceptor?.close();
    this.acceptor = undefined;
    const grace = this.options.shutdownGracePeriod ?? 0;
    if (grace > 0) {
      const deadline = Date.now() + grace;
      await this.inFlight.whenIdle(grace);
      // The last answers may still be on their way out: end gracefully, and only then drop what is left.
      await this.endLinks(Math.max(0, deadline - Date.now()));
    }
    for (const link of this.links) link.destroy();
    this.links.clear();
    await Promise.all([closing, acceptorClosing]);
    this._status$.next('disconnected');
  }

  /** Ends every connection gracefully; resolves once all have closed, or after `timeoutMs`. */
  private endLinks(timeoutMs: number): Promise<void> {
    const open = [...this.links].filter((link) => !link.closed);
    if (open.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let left = open.length;
      const timer = setTimeout(resolve, timeoutMs);
      const closed = (): void => {
        if (--left > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const link of open) {
        link.once('close', closed);
        link.close();
      }
    });
  }

  /** Requests received on open connections and not yet fully answered. */
  get inFlightRequests(): number {
    return this.inFlight.count;
  }

  on(event: ServerEvent, callback: Function): void {
    const listener = callback as unknown as (...args: unknown[]) => void;
    if (this.netServer) this.netServer.on(event, listener);
    else this.pendingListeners.push({ event, callback: listener });
  }

  unwrap<T>(): T {
    if (!this.netServer) {
      throw new Error(
        'Not initialized. Please call the "listen"/"startAllMicroservices" method before accessing the server.',
      );
    }
    return this.netServer as T;
  }

  /** The TCP address listened on (useful with port 0). */
  address(): AddressInfo {
    return this.unwrap<NetServer>().address() as AddressInfo;
  }

  /** `host:port` as configured, with the port bound: the `target` label of this server's counters. */
  private target(): string {
    if (this.targetLabel && this.targetLabel.server === this.netServer) return this.targetLabel.text;
    const port = this.netServer ? (this.netServer.address() as AddressInfo | null)?.port : undefined;
    const text = `${this.options.host ?? DEFAULT_HOST}:${port ?? this.options.port ?? DEFAULT_PORT}`;
    if (port !== undefined) this.targetLabel = { server: this.netServer, text };
    return text;
  }

  /** The unix socket friends connect to, when the unix tier is up. */
  get unixPath(): string | undefined {
    return this.acceptor?.unixPath;
  }

  override addHandler(pattern: unknown, callback: MessageHandler, isEventHandler = false, extras = {}): void {
    super.addHandler(pattern, callback, isEventHandler, extras);
    this.routeCache.clear();
  }

  /**
   * The stock lookup (which parses every pattern string), remembered per
   * pattern that has a handler. Patterns are the client's choice: misses and
   * long patterns are looked up each time, as stock does, never kept.
   */
  override getHandlerByPattern(pattern: string): MessageHandler | null {
    const cached = this.routeCache.get(pattern);
    if (cached !== undefined) return cached;
    const handler = super.getHandlerByPattern(pattern);
    if (handler && typeof pattern === 'string' && pattern.length <= ROUTE_CACHE_MAX_PATTERN) {
      if (this.routeCache.size >= ROUTE_CACHE_LIMIT) this.routeCache.clear();
      this.routeCache.set(pattern, handler);
    }
    return handler;
  }

  /** As stock's, except that the unknown pattern reaches the log escaped and cut short. */
  override async handleEvent(pattern: string, packet: ReadPacket, context: BaseRpcContext): Promise<unknown> {
    if (this.getHandlerByPattern(pattern)) return super.handleEvent(pattern, packet, context);
    this.logger.error(
      `There is no matching event handler defined in the remote service. Event pattern: ${safeLogText(pattern, LOGGED_PATTERN_MAX)}`,
    );
    return undefined;
  }

  private serve(link: Link<NestPacket>): void {
    this.links.add(link);
    const target = this.target();
    const series = seriesFor({ transport: 'nest', role: 'server', target, tier: link.kind });
    link.observe(series);
    if (link.kind !== 'tcp')
      publishTier({ transport: 'nest', role: 'server', target, tier: link.kind, peer: link.peer });
    const connection: Connection = { ref: new FriendsSocketRef(link), series, inFlight: 0, gone: false };
    this.logger.log(`${link.kind} connection from ${describePeer(link.peer)}`);
    // As the stock server binds each socket: a failure costs only its packet and is logged.
    link.on('message', (packet) => this.onMessage(connection, packet));
    link.on('drain', () => link.resume());
    link.on('close', (err) => {
      if (err) publishLinkError({ transport: 'nest', role: 'server', target, tier: link.kind, error: err });
      this.links.delete(link);
      this.inFlight.drop(connection);
      // As stock, which logs every error of an accepted socket this way; the coded error is its cause.
      if (err) this.handleError(Object.assign(new this.invalidTcpData!(err), { cause: err }) as never);
    });
  }

  private onMessage(connection: Connection, raw: NestPacket): void {
    try {
      const handled = this.handleMessage(connection, raw);
      if (handled instanceof Promise) handled.catch((err: unknown) => this.handleError(err as string));
    } catch (err) {
      this.handleError(err as string);
    }
  }

  /**
   * The stock ServerTCP's handleMessage, on a connection of any tier. Friends
   * adds the hello on its reserved pattern, counters, tracing and in-flight
   * tracking; nothing that arrives after close() is dispatched.
   */
  private handleMessage(connection: Connection, raw: NestPacket): Promise<unknown> | void {
    const packet = this.deserializer.deserialize(raw) as NestPacket | Promise<NestPacket>;
    // Stock awaits every deserialize: a user's deserializer sees each packet of a read before any
    // handler runs. The default one is pure, so nothing can tell whether we wait for it.
    if (packet instanceof Promise || this.options.deserializer) {
      return Promise.resolve(packet).then((deserialized) => this.route(connection, deserialized));
    }
    return this.route(connection, packet);
  }

  private route(connection: Connection, packet: NestPacket): Promise<unknown> | void {
    if (this.closing) return undefined;
    const pattern = this.getPatternAsString(packet.pattern);
    const reserved = this.reserved(pattern, connection.ref.link);
    if (reserved === HELLO_PATTERN) return this.answerHello(connection, packet);
    if (reserved === BARRIER_PATTERN) return this.answerBarrier(connection, packet);
    connection.series.calls++;
    if (!this.options.tracing) return this.dispatch(connection, packet, pattern);
    const traced = startServerSpan(pattern, connection.ref.link.kind, packet.id === undefined, packet.metadata);
    return withContext(traced.context, () => this.dispatch(connection, packet, pattern, traced.span));
  }

  /** An event to handleEvent, a request to its handler between the processing hooks; `span` ends with the last answer. */
  private dispatch(connection: Connection, packet: NestPacket, pattern: string, span?: Span): Promise<unknown> | void {
    const context = this.createContext(connection.ref, pattern, packet.metadata);
    if (packet.id === undefined) {
      const handled = this.handleEvent(pattern, packet as ReadPacket, context);
      return span
        ? handled.then(
            () => endSpan(span),
            (err: unknown) => failed(span, err),
          )
        : handled;
    }
    const id = packet.id;
    const link = connection.ref.link;
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      if (span) endSpan(span, NO_MESSAGE_HANDLER);
      // Key order as the stock server writes it: id first.
      return this.write(link, this.serializer.serialize({ id, status: 'error', err: NO_MESSAGE_HANDLER } as never));
    }
    const settle = this.inFlight.start(connection);
    const reply: Reply = {
      encode: (response) => {
        (response as NestPacket).id = id;
        const last = response.isDisposed || response.err !== undefined;
        return { encoded: this.encode(response), last, err: response.err };
      },
      write: (out) => {
        const { encoded, last, err } = out as Encoded;
        this.write(link, encoded);
        if (!last) return;
        settle();
        if (span) endSpan(span, err ?? undefined);
      },
    };
    const path = this.hooked() ? this.requestPath.hooked : this.requestPath.plain;
    let running: unknown;
    try {
      running = path(this as unknown as RequestServer, handler, packet.data, context, reply);
    } catch (err) {
      running = Promise.reject(err);
    }
    if (!(running instanceof Promise)) return undefined;
    return running.catch((err: unknown) => {
      settle();
      if (span) endSpan(span, err);
      throw err;
    });
  }

  /** Whether processing hooks are set; without them, a request needs none of handleRequest's plumbing. */
  private hooked(): boolean {
    return this.onProcessingStartHook !== this.defaultStartHook || this.onProcessingEndHook !== undefined;
  }

  /** The hello or barrier pattern when `pattern` is one, on tcp, and no handler of the application took it. */
  private reserved(pattern: string, link: Link<NestPacket>): string | undefined {
    if (pattern !== HELLO_PATTERN && pattern !== BARRIER_PATTERN) return undefined;
    return link.kind === 'tcp' && !this.messageHandlers.has(pattern) ? pattern : undefined;
  }

  /**
   * Answers a barrier: a client that sent calls on tcp while its tier was being
   * decided moves to the fast tier once the server has taken all of them, and
   * this connection takes packets in order: they have all been dispatched.
   */
  private answerBarrier(connection: Connection, packet: NestPacket): void {
    if (packet.id === undefined) return;
    this.write(connection.ref.link, this.encode({ response: { v: 1 }, isDisposed: true, id: packet.id } as never));
  }

  /** Answers a hello on the connection it came on: a hello relayed from another one gets neither memory nor unix. */
  private answerHello(connection: Connection, packet: NestPacket): void {
    if (packet.id === undefined) return;
    const link = connection.ref.link;
    const socket = connection.ref.netSocket;
    const answer = this.acceptor?.answer(packet.data, socket ? connectionTuple(socket) : undefined) ?? {
      v: 1,
      tier: 'tcp',
      reason: 'friends off',
    };
    // A serializer of ours sees packet ids: then the client must use the stock wire's kind of id.
    const ids = this.options.serializer || this.options.deserializer ? { ids: STOCK_IDS } : {};
    const response = { response: { ...answer, ...ids }, isDisposed: true, id: packet.id };
    this.write(link, this.encode(response as never));
    if (answer.tier === 'tcp') {
      const reason = fallbackReason(answer.reason);
      countFallback('nest', 'server', this.target(), reason);
      publishTier({ transport: 'nest', role: 'server', target: this.target(), tier: 'tcp', peer: link.peer, reason });
    }
  }

  /**
   * Serializes an answer. One that cannot be (or, below, cannot be written: a
   * value JSON cannot encode) is logged, as Nest 12's send() logs it, on both
   * majors: Nest 11's leaves it as an unhandled rejection, which ends a process.
   */
  private encode(packet: WritePacket): unknown {
    try {
      return this.serializer.serialize(packet as never);
    } catch (err) {
      this.logger.error(err);
      return NOT_ENCODED;
    }
  }

  /** Writes one serialized packet, as the socket's sendMessage does. */
  private write(link: Link<NestPacket>, encoded: unknown): void {
    if (encoded === NOT_ENCODED) return;
    try {
      if (!link.send(encoded as NestPacket)) link.pause();
    } catch (err) {
      this.logger.error(err);
    }
  }
}

/** A response packet serialized (or not), and what the in-flight count and span need to know of it. */
interface Encoded {
  encoded: unknown;
  last: boolean;
  err: unknown;
}

const NOT_ENCODED = Symbol('not encoded');

function failed(span: Span, err: unknown): never {
  endSpan(span, err);
  throw err;
}
