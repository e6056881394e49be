import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  countFallback,
  connectionTuple,
  describePeer,
  fallbackReason,
  HelloAttempt,
  isFriendsError,
  memoryCopies,
  publishLinkError,
  publishTier,
  seriesFor,
  resolveKernelIdentity,
  safeLogText,
  SocketLink,
  stockJsonCodec,
  type FallbackReason,
  type Link,
  type PeerAddress,
  type SeriesCounters,
  type Tier,
} from '@friends/core/internal';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
import { Observable, Subject, throwError } from 'rxjs';
import { DEFAULT_HOST, DEFAULT_PORT, HELLO_PATTERN, NEST_PROTOCOL, STOCK_IDS } from './constants.js';
import { resolveTiers, type FriendsClientOptions } from './options.js';
import { activeContext, endSpan, requireTracing, startClientSpan, withContext } from './tracing.js';
import { compactNestCodec, type NestPacket } from './wire.js';

type Callback = (packet: WritePacket) => void;
type Routed = WritePacket & { id: string | number };
/** Work waiting for the connection: runs with the error if it could not be made. */
type Waiter = (err?: unknown) => void;

const HELLO_TIMEOUT = 5_000;

/** Events of `FriendsClient.on()`. */
export type FriendsClientEvents = {
  /** The tier of a new connection was decided. */
  tier: (tier: Tier, peer: PeerAddress) => void;
  /** A connection ended; `err` says why when it was not a clean close. */
  close: (err: Error | undefined) => void;
  error: (err: Error) => void;
};

/** What `status` emits, as the stock TCP client. */
export type FriendsClientStatus = 'connected' | 'disconnected';

/**
 * A drop-in for the stock TCP transport's client. It connects to host:port
 * exactly as the stock client does and, when the server is a friend, moves the
 * connection to memory (same process) or a unix socket (same kernel).
 *
 *   ClientsModule.register([{ name: 'MATH', customClass: FriendsClient, options: { port: 3001 } }])
 */
export class FriendsClient extends ClientProxy<FriendsClientEvents, FriendsClientStatus> {
  protected readonly logger = new Logger('FriendsClient');
  private link: Link<NestPacket> | undefined;
  private connecting: Promise<void> | undefined;
  private waiters: Waiter[] = [];
  /** Bumped by close(): an attempt that started before it must not install its link. */
  private generation = 0;
  private nextId = 0;
  /**
   * Ids as the stock client makes them (21 hex characters) rather than a
   * cheaper counter: whenever a serializer on either side can see them.
   */
  private stockIds: boolean;
  private readonly customDeserializer: boolean;
  /** When the socket of an attempt that failed to connect has closed; until connect() has seen it. */
  private failedSocketClosed: Promise<void> | undefined;
  private readonly events = new EventEmitter();
  /** The labelled counters of the current link. */
  private series: SeriesCounters | undefined;
  /** Why the connection being made stays on tcp, when it does. */
  private fallback: { reason: FallbackReason; detail: string } | undefined;

  constructor(private readonly options: FriendsClientOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    if (options.kernelIdentity !== undefined) resolveKernelIdentity(options.kernelIdentity);
    // Fails here, with a coded error, when tracing is asked for without @opentelemetry/api.
    if (options.tracing) requireTracing();
    this.customDeserializer = options.deserializer !== undefined;
    this.stockIds = options.serializer !== undefined || this.customDeserializer;
    this.events.on('error', () => undefined);
  }

  /** The tier of the current connection, if connected. */
  get tier(): Tier | undefined {
    return this.link?.kind;
  }

  connect(): Promise<void> {
    if (this.link && !this.link.closed) return Promise.resolve();
    if (!this.connecting) {
      const generation = this.generation;
      const attempt: Promise<void> = this.establish(generation).then(
        (link) => this.install(link, generation),
        (err: unknown) => {
          // As the stock client, a failed attempt stays the answer to connect()
          // until its socket has closed; only then does the next call try again.
          const release = (): void => {
            if (this.connecting === attempt) this.connecting = undefined;
          };
          const closed = this.failedSocketClosed;
          this.failedSocketClosed = undefined;
          if (closed) void closed.then(release);
          else release();
          this.flushWaiters(err);
          throw err;
        },
      );
      this.connecting = attempt;
    }
    return this.connecting;
  }

  close(): void {
    this.generation++;
    const link = this.link;
    this.link = undefined;
    this.connecting = undefined;
    link?.close();
    this.flushWaiters(new Error('Connection closed'));
    this.failPending();
  }

  override on<
    K extends keyof FriendsClientEvents = keyof FriendsClientEvents,
    C extends FriendsClientEvents[K] = FriendsClientEvents[K],
  >(event: K, callback: C): void {
    this.events.on(event, callback);
  }

  unwrap<T>(): T {
    if (!this.link) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.link as T;
  }

  /** Like the stock `send()`, without the per-call connect plumbing once connected. */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) {
      return throwError(() => new InvalidMessageException());
    }
    return new Observable<TResult>((observer) => {
      const callback = this.createObserver(observer) as Callback;
      if (this.ready()) return this.publish(this.createPacket(pattern, data), callback);
      let teardown: (() => void) | undefined;
      let unsubscribed = false;
      // Sent later, from the connection's context: a span must still be the caller's child.
      const caller = this.options.tracing ? activeContext() : undefined;
      this.whenConnected((err) => {
        if (unsubscribed) return;
        if (err) return observer.error(err);
        try {
          const packet = this.createPacket(pattern, data);
          teardown = caller
            ? withContext(caller, () => this.publish(packet, callback))
            : this.publish(packet, callback);
        } catch (hookErr) {
          observer.error(hookErr);
        }
      });
      return () => {
        unsubscribed = true;
        teardown?.();
      };
    });
  }

  /** Like the stock `emit()`: hot, sent even without a subscriber, emits `undefined` once sent. */
  override emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) {
      return throwError(() => new InvalidMessageException());
    }
    const result = new Subject<TResult>();
    const caller = this.options.tracing ? activeContext() : undefined;
    const dispatch = (err?: unknown): void => {
      if (!err) {
        try {
          const packet = this.createPacket(pattern, data);
          if (caller) withContext(caller, () => this.dispatchEventNow(packet));
          else this.dispatchEventNow(packet);
        } catch (e) {
          err = e;
        }
      }
      // Reported a hop later, so a subscriber that subscribes right after emit() hears it.
      queueMicrotask(() => {
        if (err) return result.error(err);
        result.next(undefined as TResult);
        result.complete();
      });
    };
    if (this.ready()) dispatch();
    else this.whenConnected(dispatch);
    return result.asObservable();
  }

  protected publish(packet: ReadPacket, callback: Callback): () => void {
    const link = this.link;
    if (!link || link.closed) {
      callback({ err: new Error('Connection closed') });
      return noop;
    }
    const id =
      link.kind === 'tcp' || this.stockIds
        ? this.assignPacketId(packet).id
        : (this.nextId = (this.nextId + 1) % 0x7fffffff);
    const outgoing = packet as unknown as NestPacket;
    outgoing.id = id;
    const routes = this.routingMap as unknown as Map<string | number, Callback>;
    let endSpanEarly: (() => void) | undefined;
    if (this.options.tracing) [callback, endSpanEarly] = this.traced(outgoing, link, false, callback);
    try {
      routes.set(id, callback);
      link.send(this.serializer.serialize(outgoing as never) as NestPacket);
      if (this.series) this.series.calls++;
      return () => {
        // Unsubscribed before the last response: the span ends here.
        if (routes.delete(id)) endSpanEarly?.();
      };
    } catch (err) {
      routes.delete(id);
      callback({ err });
      return noop;
    }
  }

  protected async dispatchEvent<T = unknown>(packet: ReadPacket): Promise<T> {
    this.dispatchEventNow(packet);
    return undefined as T;
  }

  private dispatchEventNow(packet: ReadPacket): void {
    const link = this.link;
    if (!link || link.closed) throw new Error('Connection closed');
    const outgoing = { ...packet, pattern: this.normalizePattern(packet.pattern) } as unknown as NestPacket;
    if (this.options.tracing) this.traced(outgoing, link, true)[1]();
    link.send(this.serializer.serialize(outgoing as never) as NestPacket);
    if (this.series) this.series.calls++;
  }

  private ready(): boolean {
    return this.link !== undefined && !this.link.closed && this.waiters.length === 0;
  }

  /** Runs `waiter` once connected (in call order with every other waiter), or with the error. */
  private whenConnected(waiter: Waiter): void {
    this.waiters.push(waiter);
    // A refused attempt may still be the memoised answer: it fails this waiter too.
    this.connect().catch((err: unknown) => this.flushWaiters(err));
  }

  private flushWaiters(err?: unknown): void {
    while (this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter(err);
    }
  }

  private async establish(generation: number): Promise<Link<NestPacket>> {
    const { options } = this;
    const host = options.host ?? DEFAULT_HOST;
    const port = options.port ?? DEFAULT_PORT;
    const linkOptions = {
      maxFrameSize: options.maxBufferSize,
      incompleteMessageTimeout: options.incompleteMessageTimeout,
      maxSendBufferSize: options.maxSendBufferSize,
    };
    const socket = await openSocket(host, port, options, (closed) => (this.failedSocketClosed = closed));
    const tcp = new SocketLink<NestPacket>(
      'tcp',
      socket,
      { kind: 'tcp', host, port },
      stockJsonCodec as never,
      linkOptions,
    );
    const tiers = resolveTiers(options.friends);
    this.fallback = undefined;
    if (!tiers.memory && !tiers.unix) {
      this.fallback = { reason: 'switched-off', detail: 'friends off' };
      return tcp;
    }
    // A memory claim must come through this very connection: without its addresses, no memory tier.
    const binding = connectionTuple(socket);
    const attempt = new HelloAttempt<NestPacket>({
      protocol: NEST_PROTOCOL,
      memory: tiers.memory && binding !== undefined,
      unix: tiers.unix,
      memoryCopy: memoryCopies[options.copy ?? 'json'],
      unixCodec: compactNestCodec,
      linkOptions,
      kernelIdentity: options.kernelIdentity,
      // The server must see this very connection: what a server we dialled relays elsewhere gets nothing.
      binding,
      unixTimeoutMs: options.admissionTimeout,
    });
    let answer: NestPacket | undefined;
    try {
      answer = await this.askHello(tcp, attempt.hello, options.helloTimeout ?? HELLO_TIMEOUT);
    } catch (err) {
      attempt.cancel();
      if (tcp.closed) throw err;
      this.logger.warn(`hello to ${host}:${port} failed (${(err as Error).message}); staying on tcp`);
      this.fallback = { reason: 'handshake-failed', detail: (err as Error).message };
      return tcp;
    }
    const decision = await attempt.complete(answer.err ? undefined : answer.response);
    if ((answer.response as { ids?: unknown } | undefined)?.ids === STOCK_IDS) this.stockIds = true;
    if (decision.tier === 'tcp') {
      // The reason is the server's text, or names the path it sent.
      if (answer.err === undefined) this.logger.log(`tcp to ${host}:${port}: ${safeLogText(decision.reason)}`);
      this.fallback = {
        reason: answer.err === undefined ? fallbackReason(decision.reason) : 'stock-peer',
        detail: safeLogText(decision.reason),
      };
      return tcp;
    }
    tcp.close();
    if (generation !== this.generation) decision.link.destroy();
    return decision.link;
  }

  /**
   * Sends the hello as an ordinary request, through this client's serializer,
   * and reads answers through its deserializer: a user's wire format applies
   * to the hello as to any request, so a peer that speaks it answers.
   */
  private askHello(tcp: Link<NestPacket>, hello: unknown, timeoutMs: number): Promise<NestPacket> {
    const request = this.assignPacketId({ pattern: HELLO_PATTERN, data: hello });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no answer to hello in ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      const take = (packet: NestPacket | undefined): void => {
        if (packet?.id === request.id) finish(undefined, packet);
      };
      const onMessage = (raw: NestPacket): void => {
        try {
          const packet = this.deserializer.deserialize(raw) as NestPacket | Promise<NestPacket>;
          if (packet instanceof Promise) packet.then(take, () => undefined);
          else take(packet);
        } catch {
          // Not an answer this client can read; the timeout decides.
        }
      };
      const onClose = (): void => finish(new Error('Connection closed'));
      let done = false;
      function finish(err: Error | undefined, packet?: NestPacket): void {
        if (done) return;
        done = true;
        clearTimeout(timer);
        tcp.off('message', onMessage);
        tcp.off('close', onClose);
        if (err) reject(err);
        else resolve(packet!);
      }
      tcp.on('message', onMessage);
      tcp.on('close', onClose);
      try {
        tcp.send(this.serializer.serialize(request) as NestPacket);
      } catch (err) {
        finish(err as Error);
      }
    });
  }

  private install(link: Link<NestPacket>, generation: number): void {
    if (generation !== this.generation) {
      // close() came first: as stock, this connect() still resolves, and the connection is let go.
      link.close();
      return;
    }
    this.connecting = undefined;
    this.link = link;
    this.observe(link);
    link.on('message', (packet) => this.onResponse(packet));
    link.on('close', (err) => this.onClose(link, err));
    this.logger.log(
      // A unix peer's path is the one the server sent.
      `connected to ${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT} over ${link.kind} (${safeLogText(describePeer(link.peer), 300)})`,
    );
    this.events.emit('tier', link.kind, link.peer);
    this._status$.next('connected');
    this.flushWaiters();
  }

  /**
   * Starts the packet's span and puts its trace context in the packet's
   * metadata; the returned callback ends the span with the last response.
   */
  private traced(
    packet: NestPacket,
    link: Link<NestPacket>,
    event: boolean,
    callback: Callback = noop,
  ): [Callback, () => void] {
    const pattern = typeof packet.pattern === 'string' ? packet.pattern : this.normalizePattern(packet.pattern);
    const target = { host: this.options.host ?? DEFAULT_HOST, port: this.options.port ?? DEFAULT_PORT };
    const { span, metadata } = startClientSpan(pattern, link.kind, target, event, packet.metadata);
    packet.metadata = metadata;
    let ended = false;
    const end = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      endSpan(span, err);
    };
    return [
      (response) => {
        if (response.isDisposed || response.err !== undefined) end(response.err ?? undefined);
        callback(response);
      },
      () => end(),
    ];
  }

  /** Counts the new link in its labelled series, and tells diagnostics_channel subscribers its tier. */
  private observe(link: Link<NestPacket>): void {
    const target = `${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT}`;
    this.series = seriesFor({ transport: 'nest', role: 'client', target, tier: link.kind });
    link.observe(this.series);
    const fallback = link.kind === 'tcp' ? this.fallback : undefined;
    if (fallback) countFallback('nest', 'client', target, fallback.reason);
    publishTier({
      transport: 'nest',
      role: 'client',
      target,
      tier: link.kind,
      peer: link.peer,
      ...(fallback ? { reason: fallback.reason, detail: fallback.detail } : {}),
    });
  }

  private onResponse(raw: NestPacket): void {
    const packet = this.deserializer.deserialize(raw) as Routed | Promise<Routed>;
    // Stock awaits every deserialize: a user's deserializer sees each packet of a read before any
    // callback runs. The default one is pure, so nothing can tell whether we wait for it.
    if (packet instanceof Promise || this.customDeserializer) {
      Promise.resolve(packet).then(
        (p) => this.route(p),
        (err) => this.logger.error(err),
      );
    } else {
      this.route(packet);
    }
  }

  private route(packet: Routed): void {
    const callback = (this.routingMap as unknown as Map<string | number, Callback>).get(packet.id);
    if (!callback) return;
    if (packet.isDisposed || packet.err) callback({ err: packet.err, response: packet.response, isDisposed: true });
    else callback({ err: packet.err, response: packet.response });
  }

  private onClose(link: Link<NestPacket>, err: Error | undefined): void {
    if (err && this.series) {
      publishLinkError({ transport: 'nest', role: 'client', target: this.series.target, tier: link.kind, error: err });
    }
    if (err) {
      // As the stock client: a connection's error is logged (framing errors by their message).
      this.logger.error(isFriendsError(err) ? err.message : err);
      this.events.emit('error', err);
    }
    this.events.emit('close', err);
    if (link !== this.link) {
      // A connection close() let go: reported once it is closed, unless a newer one already replaced it.
      if (this.link === undefined && this.connecting === undefined) this._status$.next('disconnected');
      return;
    }
    this.link = undefined;
    this._status$.next('disconnected');
    this.failPending();
  }

  /** Every pending request fails as with the stock client. */
  private failPending(): void {
    if (this.routingMap.size === 0) return;
    const err = new Error('Connection closed');
    const callbacks = [...this.routingMap.values()] as Callback[];
    this.routingMap.clear();
    for (const callback of callbacks) {
      try {
        callback({ err });
      } catch (callbackErr) {
        this.logger.error(callbackErr);
      }
    }
  }
}

function noop(): void {}

function openSocket(
  host: string,
  port: number,
  options: FriendsClientOptions,
  onFailed: (closed: Promise<void>) => void,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.tlsOptions ? tlsConnect({ ...options.tlsOptions, host, port }) : netConnect({ host, port });
    const ready = options.tlsOptions ? 'secureConnect' : 'connect';
    const onError = (err: Error): void => {
      onFailed(new Promise((closed) => socket.once('close', () => closed())));
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      socket.off('error', onError);
      // Writes are coalesced per tick already; Nagle would only hold the next one back for a delayed ACK.
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
