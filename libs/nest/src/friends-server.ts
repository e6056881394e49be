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
} from '@nestjs/microservices';
import { InvalidTcpDataReceptionException } from '@nestjs/microservices/errors/invalid-tcp-data-reception.exception.js';
import type { Span } from '@opentelemetry/api';
import { isObservable } from 'rxjs';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  FRIENDS_TRANSPORT,
  HELLO_PATTERN,
  NEST_PROTOCOL,
  NO_MESSAGE_HANDLER,
  STOCK_IDS,
} from './constants.js';
import { FriendsContext } from './friends-context.js';
import { InFlightRequests, type Connection } from './in-flight.js';
import { resolveTiers, type FriendsServerOptions } from './options.js';
import { FriendsSocketRef } from './socket-ref.js';
import { endSpan, requireTracing, startServerSpan, withContext } from './tracing.js';
import type { NestPacket } from './wire.js';
import { compactNestCodec } from './wire.js';

type ServerEvent = 'listening' | 'connection' | 'close' | 'error' | string;
type Respond = (packet: NestPacket) => void;

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
  private readonly defaultStartHook = this.onProcessingStartHook;
  private readonly inFlight = new InFlightRequests();
  /** Set by close(): nothing that arrives afterwards is dispatched, as stock drops connections at once. */
  private closing = false;
  private pendingListeners: { event: ServerEvent; callback: (...args: unknown[]) => void }[] = [];

  constructor(private readonly options: FriendsServerOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    // Fails here, with a coded error, when tracing is asked for without @opentelemetry/api.
    if (options.tracing) requireTracing();
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    const { options } = this;
    try {
      const tiers = resolveTiers(options.friends);
      const linkOptions = {
        maxFrameSize: options.maxBufferSize,
        incompleteMessageTimeout: options.incompleteMessageTimeout,
        maxSendBufferSize: options.maxSendBufferSize,
      };
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
    const connection: Connection = { ref: new FriendsSocketRef(link), series, inFlight: 0, events: 0, gone: false };
    this.logger.log(`${link.kind} connection from ${describePeer(link.peer)}`);
    link.on('message', (packet) => this.onPacket(connection, packet));
    link.on('drain', () => link.resume());
    link.on('close', (err) => {
      if (err) publishLinkError({ transport: 'nest', role: 'server', target, tier: link.kind, error: err });
      this.links.delete(link);
      this.inFlight.drop(connection);
      // As stock, which logs every error of an accepted socket this way; the coded error is its cause.
      if (err) this.handleError(Object.assign(new InvalidTcpDataReceptionException(err), { cause: err }) as never);
    });
  }

  private onPacket(connection: Connection, raw: NestPacket): void {
    if (this.closing) return;
    try {
      const deserialized = this.deserializer.deserialize(raw) as unknown as NestPacket | Promise<NestPacket>;
      // Stock awaits every deserialize: a user's deserializer sees each packet of a read before any
      // handler runs. The default one is pure, so nothing can tell whether we wait for it.
      if (deserialized instanceof Promise || this.options.deserializer) {
        Promise.resolve(deserialized)
          .then((packet) => this.dispatch(connection, packet))
          .catch((err) => this.handleError(err));
      } else {
        this.dispatch(connection, deserialized);
      }
    } catch (err) {
      // As the stock server: a failing deserializer or dispatch is logged and costs only this packet.
      this.handleError(err as string);
    }
  }

  private dispatch(connection: Connection, packet: NestPacket): void {
    if (this.closing) return;
    if (this.options.tracing) {
      const pattern = this.getPatternAsString(packet.pattern as string);
      if (!this.isHello(pattern, connection.ref.link)) {
        const kind = connection.ref.link.kind;
        const traced = startServerSpan(pattern, kind, packet.id === undefined, packet.metadata);
        withContext(traced.context, () => this.dispatchPacket(connection, packet, traced.span));
        return;
      }
    }
    this.dispatchPacket(connection, packet);
  }

  private isHello(pattern: string, link: Link<NestPacket>): boolean {
    return pattern === HELLO_PATTERN && link.kind === 'tcp' && !this.messageHandlers.has(HELLO_PATTERN);
  }

  /** Runs the packet's handler; `span`, when tracing, ends with the handler's last answer. */
  private dispatchPacket(connection: Connection, packet: NestPacket, span?: Span): void {
    const link = connection.ref.link;
    const pattern = this.getPatternAsString(packet.pattern as string);
    const id = packet.id;
    const context = new FriendsContext([
      connection.ref,
      pattern,
      packet.metadata as Record<string, unknown> | undefined,
    ]);
    if (id === undefined) {
      connection.series.calls++;
      connection.events++;
      const handled = (err?: unknown): void => {
        connection.events--;
        if (span) endSpan(span, err);
      };
      this.handleEvent(pattern, packet as never, context).then(
        () => handled(),
        (err) => {
          handled(err);
          this.handleError(err);
        },
      );
      return;
    }
    const settle = this.inFlight.start(connection);
    const respond: Respond = (response) => {
      if (response.isDisposed || response.err !== undefined) {
        settle();
        if (span) endSpan(span, response.err ?? undefined);
      }
      response.id = id;
      if (!link.send(this.serializer.serialize(response as never) as NestPacket)) link.pause();
    };
    const fail = (err: unknown): void => {
      settle();
      if (span) endSpan(span, err);
      this.handleError(err as string);
    };
    if (this.isHello(pattern, link)) {
      // Bound to this connection: a hello relayed from another one gets neither memory nor unix.
      const socket = connection.ref.netSocket;
      const answer = this.acceptor?.answer(packet.data, socket ? connectionTuple(socket) : undefined) ?? {
        v: 1,
        tier: 'tcp',
        reason: 'friends off',
      };
      // A serializer of ours sees packet ids: then the client must use the stock wire's kind of id.
      const ids = this.options.serializer || this.options.deserializer ? { ids: STOCK_IDS } : {};
      respond({ response: { ...answer, ...ids }, isDisposed: true });
      if (answer.tier === 'tcp') {
        const reason = fallbackReason(answer.reason);
        countFallback('nest', 'server', this.target(), reason);
        publishTier({ transport: 'nest', role: 'server', target: this.target(), tier: 'tcp', peer: link.peer, reason });
      }
      return;
    }
    connection.series.calls++;
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) {
      settle();
      if (span) endSpan(span, NO_MESSAGE_HANDLER);
      // Key order as the stock server writes it: id first.
      if (
        !link.send(this.serializer.serialize({ id, status: 'error', err: NO_MESSAGE_HANDLER } as never) as NestPacket)
      )
        link.pause();
      return;
    }
    if (this.onProcessingStartHook !== this.defaultStartHook || (this.onProcessingEndHook as unknown)) {
      const running = this.handleRequest(
        context,
        async () => this.transformToObservable(await handler(packet.data, context)),
        respond,
      ) as unknown;
      if (running instanceof Promise) running.catch(fail);
      return;
    }
    // No processing hooks: what handleRequest does, without its plumbing.
    let result: unknown;
    try {
      result = handler(packet.data, context);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(result)
      .then((value) => this.takeResult(connection, value, respond))
      .catch(fail);
  }

  /**
   * With nothing else in flight on the connection, nothing can be overtaken:
   * the result is answered at once. Otherwise it is taken when stock's
   * handleRequest takes it (one more microtask) and a value is answered on the
   * next tick, as stock's send() does, so that concurrent requests and events
   * are handled and answered in the order stock handles and answers them.
   */
  private takeResult(connection: Connection, value: unknown, respond: Respond): void | Promise<void> {
    if (connection.inFlight === 1 && connection.events === 0) return this.reply(value, respond, false);
    return Promise.resolve().then(() => this.reply(value, respond, true));
  }

  private reply(value: unknown, respond: Respond, onNextTick: boolean): void {
    if (isObservable(value)) this.send(value, respond);
    else if (onNextTick) process.nextTick(() => this.respondOnce(respond, { response: value, isDisposed: true }));
    else this.respondOnce(respond, { response: value, isDisposed: true });
  }

  /** As stock's send(): an answer that cannot be written is logged, not thrown. */
  private respondOnce(respond: Respond, packet: NestPacket): void {
    try {
      respond(packet);
    } catch (err) {
      this.logger.error(err);
    }
  }
}
