import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  describePeer,
  HelloAttempt,
  memoryCopies,
  SocketLink,
  stockJsonCodec,
  type Link,
  type PeerAddress,
  type Tier,
} from '@friends/core';
import { Logger } from '@nestjs/common';
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { InvalidMessageException } from '@nestjs/microservices/errors/invalid-message.exception.js';
import { Observable, Subject, throwError } from 'rxjs';
import { DEFAULT_HOST, DEFAULT_PORT, HELLO_PATTERN, NEST_PROTOCOL } from './constants.js';
import { resolveTiers, type FriendsClientOptions } from './options.js';
import { compactNestCodec, type NestPacket } from './wire.js';

type Callback = (packet: WritePacket) => void;
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
  private readonly events = new EventEmitter();

  constructor(private readonly options: FriendsClientOptions = {}) {
    super();
    this.initializeSerializer(options);
    this.initializeDeserializer(options);
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
      this.connecting = this.establish(generation).then(
        (link) => this.install(link, generation),
        (err: unknown) => {
          if (generation === this.generation) this.connecting = undefined;
          this.flushWaiters(err);
          throw err;
        },
      );
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
    if (link) this._status$.next('disconnected');
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
      this.whenConnected((err) => {
        if (unsubscribed) return;
        if (err) observer.error(err);
        else teardown = this.publish(this.createPacket(pattern, data), callback);
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
    const dispatch = (err?: unknown): void => {
      if (!err) {
        try {
          this.dispatchEventNow(this.createPacket(pattern, data));
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
    const id = link.kind === 'tcp' ? this.assignPacketId(packet).id : (this.nextId = (this.nextId + 1) % 0x7fffffff);
    const outgoing = packet as unknown as NestPacket;
    outgoing.id = id;
    const routes = this.routingMap as unknown as Map<string | number, Callback>;
    try {
      routes.set(id, callback);
      link.send(this.serializer.serialize(outgoing as never) as NestPacket);
      return () => routes.delete(id);
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
    link.send(this.serializer.serialize({ ...packet, pattern: this.normalizePattern(packet.pattern) }) as NestPacket);
  }

  private ready(): boolean {
    return this.link !== undefined && !this.link.closed && this.waiters.length === 0;
  }

  /** Runs `waiter` once connected (in call order with every other waiter), or with the error. */
  private whenConnected(waiter: Waiter): void {
    this.waiters.push(waiter);
    this.connect().catch(() => undefined);
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
    const socket = await openSocket(host, port, options);
    const tcp = new SocketLink<NestPacket>(
      'tcp',
      socket,
      { kind: 'tcp', host, port },
      stockJsonCodec as never,
      linkOptions,
    );
    const tiers = resolveTiers(options.friends);
    if (!tiers.memory && !tiers.unix) return tcp;
    const attempt = new HelloAttempt<NestPacket>({
      protocol: NEST_PROTOCOL,
      memory: tiers.memory,
      unix: tiers.unix,
      memoryCopy: memoryCopies[options.copy ?? 'json'],
      unixCodec: compactNestCodec,
      linkOptions,
    });
    let answer: NestPacket | undefined;
    try {
      answer = await askHello(
        tcp,
        attempt.hello,
        this.assignPacketId({ pattern: HELLO_PATTERN, data: null }).id,
        options.helloTimeout ?? HELLO_TIMEOUT,
      );
    } catch (err) {
      attempt.cancel();
      if (tcp.closed) throw err;
      this.logger.warn(`hello to ${host}:${port} failed (${(err as Error).message}); staying on tcp`);
      return tcp;
    }
    const decision = await attempt.complete(answer.err ? undefined : answer.response);
    if (decision.tier === 'tcp') {
      if (answer.err === undefined) this.logger.log(`tcp to ${host}:${port}: ${decision.reason}`);
      return tcp;
    }
    tcp.close();
    if (generation !== this.generation) decision.link.destroy();
    return decision.link;
  }

  private install(link: Link<NestPacket>, generation: number): void {
    if (generation !== this.generation) {
      link.destroy();
      throw new Error('Connection closed');
    }
    this.connecting = undefined;
    this.link = link;
    link.on('message', (packet) => this.onResponse(packet));
    link.on('close', (err) => this.onClose(link, err));
    this.logger.log(
      `connected to ${this.options.host ?? DEFAULT_HOST}:${this.options.port ?? DEFAULT_PORT} over ${link.kind} (${describePeer(link.peer)})`,
    );
    this.events.emit('tier', link.kind, link.peer);
    this._status$.next('connected');
    this.flushWaiters();
  }

  private onResponse(raw: NestPacket): void {
    const packet = this.deserializer.deserialize(raw) as WritePacket & { id: string | number };
    const callback = (this.routingMap as unknown as Map<string | number, Callback>).get(packet.id);
    if (!callback) return;
    if (packet.isDisposed || packet.err) callback({ err: packet.err, response: packet.response, isDisposed: true });
    else callback({ err: packet.err, response: packet.response });
  }

  private onClose(link: Link<NestPacket>, err: Error | undefined): void {
    if (err) this.events.emit('error', err);
    this.events.emit('close', err);
    if (link !== this.link) return;
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

function openSocket(host: string, port: number, options: FriendsClientOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = options.tlsOptions ? tlsConnect({ ...options.tlsOptions, host, port }) : netConnect({ host, port });
    const ready = options.tlsOptions ? 'secureConnect' : 'connect';
    const onError = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', onError);
    socket.once(ready, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Sends the hello as an ordinary request and waits for its one answer. */
function askHello(tcp: Link<NestPacket>, hello: unknown, id: string, timeoutMs: number): Promise<NestPacket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no answer to hello in ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    const onMessage = (packet: NestPacket): void => {
      if (packet.id === id) finish(undefined, packet);
    };
    const onClose = (): void => finish(new Error('Connection closed'));
    function finish(err: Error | undefined, packet?: NestPacket): void {
      clearTimeout(timer);
      tcp.off('message', onMessage);
      tcp.off('close', onClose);
      if (err) reject(err);
      else resolve(packet!);
    }
    tcp.on('message', onMessage);
    tcp.on('close', onClose);
    tcp.send({ pattern: HELLO_PATTERN, data: hello, id });
  });
}
