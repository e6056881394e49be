import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  countFallback,
  describePeer,
  isFriendsError,
  publishLinkError,
  publishTier,
  seriesFor,
  resolveKernelIdentity,
  safeLogText,
  SocketLink,
  stockJsonCodec,
  type Link,
  type PeerAddress,
  type SeriesCounters,
  type Tier,
} from '@friends/core/internal';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable, Subject, throwError } from 'rxjs';
import { DEFAULT_HOST, DEFAULT_PORT } from './constants.js';
import { InvalidMessageException } from './host/nest-errors.js';
import { packetFactory, type PacketFactory } from './host/packet.js';
import { nestHost } from './host/shapes.js';
import { linkLimits, type FriendsClientOptions } from './options.js';
import { activeContext, requireTracing, traceRequest, withContext } from './tracing.js';
import { helloAttempt, openSocket, TierSwitch, type Fallback } from './tier-switch.js';
import type { NestPacket } from './wire.js';

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
 * connection to memory (same process) or a unix socket (same kernel). Calls
 * never wait for that decision: until it is made they go on the TCP
 * connection, as with the stock client.
 *
 *   ClientsModule.register([{ name: 'MATH', customClass: FriendsClient, options: { port: 3001 } }])
 */
export class FriendsClient extends ClientProxy<FriendsClientEvents, FriendsClientStatus> {
  protected readonly logger = new Logger('FriendsClient');
  /** The link calls go on: the TCP connection's until it moves. */
  private link: Link<NestPacket> | undefined;
  /** The socket `unwrap()` returns: the TCP socket, from connect() on; the unix socket once moved there. */
  private socket: Socket | undefined;
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
  /** The tier decision of the current connection, while it is being made. */
  private switching: TierSwitch | undefined;
  /** The TCP link of a connection that moved, until the requests sent on it are answered. */
  private retiring: { link: Link<NestPacket>; ids: Set<string | number> } | undefined;
  /** Waits for the current connection's tier: `tierDecision()`. */
  private decided: Deferred<Tier> | undefined;
  /** How the installed Nest builds a packet (host/packet.ts). */
  private readonly makePacket: PacketFactory;

  constructor(private readonly options: FriendsClientOptions = {}) {
    super();
    this.makePacket = packetFactory(nestHost());
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
    if (options.kernelIdentity !== undefined) resolveKernelIdentity(options.kernelIdentity);
    // Fails here, with a coded error, when tracing is asked for without @opentelemetry/api.
    if (options.tracing) requireTracing();
    this.customDeserializer = options.deserializer !== undefined;
    this.stockIds = options.serializer !== undefined || this.customDeserializer;
    this.events.on('error', () => undefined);
  }

  /** The tier of the current connection, if connected ('tcp' while its tier is being decided). */
  get tier(): Tier | undefined {
    return this.link?.kind;
  }

  /**
   * Connects as the stock client does: resolves once the TCP connection is
   * up. Its tier is decided in the background (see `tierDecision()`).
   */
  connect(): Promise<void> {
    if (this.link && !this.link.closed) return Promise.resolve();
    if (!this.connecting) {
      const generation = this.generation;
      const { socket, connected } = openSocket(this.options, (closed) => (this.failedSocketClosed = closed));
      this.socket = socket;
      const attempt: Promise<void> = connected.then(
        () => this.install(socket, generation),
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
          if (this.socket === socket) this.socket = undefined;
          this.flushWaiters(err);
          throw err;
        },
      );
      this.connecting = attempt;
    }
    return this.connecting;
  }

  /**
   * Resolves with the tier the connection takes, once decided: at once with
   * `friends: false`, after the hello's round trip with a friends server, or
   * with 'tcp' after `helloTimeout` with a peer that never answers it.
   * Connects first if needed.
   */
  async tierDecision(): Promise<Tier> {
    await this.connect();
    if (!this.switching?.deciding && this.link) return this.link.kind;
    this.decided ??= deferred<Tier>();
    return this.decided.promise;
  }

  close(): void {
    this.generation++;
    const link = this.link;
    this.link = undefined;
    this.socket = undefined;
    this.connecting = undefined;
    this.switching?.cancel();
    this.switching = undefined;
    link?.close();
    this.retiring?.link.close();
    this.retiring = undefined;
    this.flushWaiters(new Error('Connection closed'));
    this.failPending();
    this.undecided();
  }

  override on<
    K extends keyof FriendsClientEvents = keyof FriendsClientEvents,
    C extends FriendsClientEvents[K] = FriendsClientEvents[K],
  >(event: K, callback: C): void {
    this.events.on(event, callback);
  }

  /**
   * The socket of the connection, as the stock client's: the TCP (or TLS)
   * socket from the moment connect() is called, and the unix socket once the
   * connection has moved there. In memory there is no socket: it stays the TCP
   * socket the tier was decided on, which closes once the connection has moved.
   */
  unwrap<T>(): T {
    if (!this.socket) throw new Error('Not initialized. Please call the "connect" method first.');
    return this.socket as T;
  }

  /** Like the stock `send()`, without the per-call connect plumbing once connected. */
  override send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) {
      return throwError(() => new InvalidMessageException());
    }
    return new Observable<TResult>((observer) => {
      const callback = this.createObserver(observer) as Callback;
      if (this.ready()) return this.publish(this.makePacket(this, pattern, data), callback);
      let teardown: (() => void) | undefined;
      let unsubscribed = false;
      // Sent later, from the connection's context: a span must still be the caller's child.
      const caller = this.options.tracing ? activeContext() : undefined;
      this.whenConnected((err) => {
        if (unsubscribed) return;
        if (err) return observer.error(err);
        try {
          const packet = this.makePacket(this, pattern, data);
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
          const packet = this.makePacket(this, pattern, data);
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
    if (this.options.tracing) {
      [callback, endSpanEarly] = traceRequest(
        this.patternOf(outgoing),
        outgoing,
        link.kind,
        this.target(),
        false,
        callback,
      );
    }
    try {
      routes.set(id, callback);
      link.send(this.serializer.serialize(outgoing as never) as NestPacket);
      this.switching?.noteSent();
      if (this.series) this.series.calls++;
      return () => {
        // Unsubscribed before the last response: the span ends here.
        if (!routes.delete(id)) return;
        this.settledOnRetiring(id);
        endSpanEarly?.();
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
    if (this.options.tracing) traceRequest(outgoing.pattern as string, outgoing, link.kind, this.target(), true)[1]();
    link.send(this.serializer.serialize(outgoing as never) as NestPacket);
    this.switching?.noteSent();
    if (this.series) this.series.calls++;
  }

  private ready(): boolean {
    return (
      this.link !== undefined && !this.link.closed && this.waiters.length === 0 && this.switching?.holding !== true
    );
  }

  /** Runs `waiter` once calls can go out (in call order with every other waiter), or with the error. */
  private whenConnected(waiter: Waiter): void {
    this.waiters.push(waiter);
    // Connected and holding calls for a barrier: the move flushes them.
    if (this.link && !this.link.closed) return;
    // A refused attempt may still be the memoised answer: it fails this waiter too.
    this.connect().catch((err: unknown) => this.flushWaiters(err));
  }

  /** Runs the queued calls, with `err` if given, else once they can go out (not while a barrier holds them). */
  private flushWaiters(err?: unknown): void {
    while (this.waiters.length > 0) {
      if (err === undefined && (!this.link || this.link.closed || this.switching?.holding)) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter(err);
    }
  }

  private install(socket: Socket, generation: number): void {
    const { options } = this;
    const host = options.host ?? DEFAULT_HOST;
    const port = options.port ?? DEFAULT_PORT;
    const tcp = new SocketLink<NestPacket>(
      'tcp',
      socket,
      { kind: 'tcp', host, port },
      stockJsonCodec as never,
      linkLimits(this.options),
    );
    if (generation !== this.generation) {
      // close() came first: as stock, this connect() still resolves, and the connection is let go.
      tcp.close();
      return;
    }
    this.connecting = undefined;
    this.link = tcp;
    this.listen(tcp);
    this.observe(tcp);
    this.logger.log(`connected to ${host}:${port} over tcp (${safeLogText(describePeer(tcp.peer), 300)})`);
    this._status$.next('connected');
    this.decideTier(tcp, socket, generation);
    this.flushWaiters();
  }

  /** Starts the tier decision of a new TCP connection; calls go on it meanwhile. */
  private decideTier(tcp: Link<NestPacket>, socket: Socket, generation: number): void {
    const { options } = this;
    const attempt = helloAttempt(options, socket);
    if (!attempt) {
      this.decide('tcp', { reason: 'switched-off', detail: 'friends off' });
      return;
    }
    const current = (): boolean => generation === this.generation && this.link === tcp;
    const switching = new TierSwitch(
      {
        sendOnTcp: (pattern, data) => {
          // A user's wire format applies to these requests as to any: a peer that speaks it answers.
          const request = this.assignPacketId({ pattern, data });
          tcp.send(this.serializer.serialize(request) as NestPacket);
          return request.id;
        },
        useStockIds: () => (this.stockIds = true),
        moveTo: (link) => {
          if (current()) this.moveTo(tcp, link);
          else link.destroy();
        },
        stayOnTcp: (fallback) => {
          if (!current()) return;
          this.switching = undefined;
          this.decide('tcp', fallback);
          // Calls that waited for a barrier that will not come go on tcp.
          this.flushWaiters();
        },
      },
      attempt,
      options.helloTimeout ?? HELLO_TIMEOUT,
    );
    this.switching = switching;
    switching.start();
  }

  /** The connection moves to `link`; its TCP link retires once the requests sent on it are answered. */
  private moveTo(tcp: Link<NestPacket>, link: Link<NestPacket>): void {
    this.switching = undefined;
    // Every request still waiting was sent on tcp, while the tier was being decided.
    const ids = new Set((this.routingMap as unknown as Map<string | number, Callback>).keys());
    if (ids.size > 0) this.retiring = { link: tcp, ids };
    else tcp.close();
    this.link = link;
    if (link instanceof SocketLink) this.socket = link.socket;
    this.listen(link);
    this.observe(link);
    this.logger.log(
      // A unix peer's path is the one the server sent.
      `connection to ${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT} moved to ${link.kind} (${safeLogText(describePeer(link.peer), 300)})`,
    );
    this.decide(link.kind);
    this.flushWaiters();
  }

  /** Reports the decided tier; `fallback` says why a connection that could have moved stays on tcp. */
  private decide(tier: Tier, fallback?: Fallback): void {
    const target = `${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT}`;
    if (fallback) {
      if (fallback.reason === 'handshake-failed') this.logger.warn(`tier of ${target} stays tcp: ${fallback.detail}`);
      else if (fallback.reason !== 'switched-off') this.logger.log(`tcp to ${target}: ${fallback.detail}`);
      countFallback('nest', 'client', target, fallback.reason);
      publishTier({
        transport: 'nest',
        role: 'client',
        target,
        tier,
        peer: this.link!.peer,
        reason: fallback.reason,
        detail: fallback.detail,
      });
    } else {
      publishTier({ transport: 'nest', role: 'client', target, tier, peer: this.link!.peer });
    }
    this.events.emit('tier', tier, this.link!.peer);
    const decided = this.decided;
    this.decided = undefined;
    decided?.resolve(tier);
  }

  private listen(link: Link<NestPacket>): void {
    link.on('message', (packet) => this.onResponse(packet));
    link.on('close', (err) => this.onClose(link, err));
  }

  /** A pattern as spans name it: a string, or an object pattern normalised as Nest routes it. */
  private patternOf(packet: NestPacket): string {
    return typeof packet.pattern === 'string' ? packet.pattern : this.normalizePattern(packet.pattern);
  }

  private target(): { host: string; port: number } {
    return { host: this.options.host ?? DEFAULT_HOST, port: this.options.port ?? DEFAULT_PORT };
  }

  /** Counts the link in its labelled series from now on. */
  private observe(link: Link<NestPacket>): void {
    const target = `${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT}`;
    this.series = seriesFor({ transport: 'nest', role: 'client', target, tier: link.kind });
    link.observe(this.series);
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
    if (this.switching?.take(packet)) return;
    const callback = (this.routingMap as unknown as Map<string | number, Callback>).get(packet.id);
    if (!callback) return;
    if (packet.isDisposed || packet.err) {
      callback({ err: packet.err, response: packet.response, isDisposed: true });
      this.settledOnRetiring(packet.id);
    } else {
      callback({ err: packet.err, response: packet.response });
    }
  }

  /** A request sent on a retiring TCP link got its last answer (or its caller left): the link closes after the last. */
  private settledOnRetiring(id: string | number): void {
    const retiring = this.retiring;
    if (!retiring?.ids.delete(id) || retiring.ids.size > 0) return;
    this.retiring = undefined;
    retiring.link.close();
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
    if (this.retiring?.link === link) {
      // The connection moved on; only what was still waiting on its TCP link fails.
      const { ids } = this.retiring;
      this.retiring = undefined;
      this.failPending(ids);
      return;
    }
    if (this.switching?.next === link) {
      this.switching.lost(link);
      return;
    }
    this.events.emit('close', err);
    if (link !== this.link) {
      // A connection close() let go: reported once it is closed, unless a newer one already replaced it.
      if (this.link === undefined && this.connecting === undefined) this._status$.next('disconnected');
      return;
    }
    this.link = undefined;
    this.socket = undefined;
    this.switching?.cancel();
    this.switching = undefined;
    this._status$.next('disconnected');
    // Answers still on their way on a retiring TCP link arrive, or fail when it closes in turn.
    this.failPending(
      this.retiring ? new Set([...this.routingMap.keys()].filter((id) => !this.retiring!.ids.has(id))) : undefined,
    );
    this.flushWaiters(new Error('Connection closed'));
    this.undecided();
  }

  /** The connection went before its tier was decided: `tierDecision()` fails. */
  private undecided(): void {
    const decided = this.decided;
    this.decided = undefined;
    decided?.reject(new Error('Connection closed'));
  }

  /** Every pending request (or those of `ids`) fails as with the stock client. */
  private failPending(ids?: Set<string | number>): void {
    if (this.routingMap.size === 0) return;
    const err = new Error('Connection closed');
    const routes = this.routingMap as unknown as Map<string | number, Callback>;
    const failing = ids ? [...ids].filter((id) => routes.has(id)) : [...routes.keys()];
    const callbacks = failing.map((id) => routes.get(id)!);
    if (ids) for (const id of failing) routes.delete(id);
    else routes.clear();
    for (const callback of callbacks) {
      try {
        callback({ err });
      } catch (callbackErr) {
        this.logger.error(callbackErr);
      }
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  const d = {} as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => Object.assign(d, { resolve, reject }));
  return d;
}

function noop(): void {}
