import { connectivityState as State, type ChannelOptions } from '@grpc/grpc-js';
import type { Subchannel } from '@grpc/grpc-js/build/src/subchannel.js';
import type { SubchannelInterface } from '@grpc/grpc-js/build/src/subchannel-interface.js';
import { debuglog } from 'node:util';
import {
  countFallback,
  fallbackReason,
  friendsDisabledByEnv,
  HelloAttempt,
  memoryCopies,
  publishLinkError,
  publishTier,
  safeLogText,
  seriesFor,
  type FallbackReason,
  type Link,
  type SeriesCounters,
} from '@friends/core/internal';
import { ClientLinkSession } from '../h2/client-session.js';
import { compactStreamCodec, type StreamFrame } from '../h2/frames.js';
import type { HelloAnswerMessage } from '../handshake.js';
import { GRPC_PROTOCOL } from '../protocol.js';
import { FriendTransport } from './friend-transport.js';
import { HelloExchange } from './hello.js';

/** NODE_DEBUG=friends logs each backend's tier decisions. */
const log = debuglog('friends');

/** What a friends channel asked for (its LB config). */
export interface FriendsSettings {
  memory: boolean;
  unix: boolean;
  helloTimeoutMs: number;
  /** In place of the boot id (see `friends()`). */
  kernelIdentity?: string;
  /** Longest wait for the unix connect and admission. */
  unixTimeoutMs: number;
}

/** Someone who wants to hear when the state the LB should see changes. */
export interface FriendshipObserver {
  friendshipStateChanged(previous: State, next: State, keepaliveTime: number, errorMessage?: string): void;
}

const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 120_000;

const friendships = new WeakMap<Subchannel, Friendship>();

/**
 * Whether, and how, one backend connection (a grpc-js subchannel) has a
 * friend. Each time the subchannel's HTTP/2 connection becomes READY, a Hello
 * on it decides; until then the LB policy sees CONNECTING, so calls wait in
 * grpc-js's own pick queue (its deadlines and cancellation apply). A friend
 * link that is lost while the connection stays up leaves calls on HTTP/2 and
 * is asked for again with backoff; a connection that goes away takes its link
 * with it. Shared by every wrapper of the subchannel.
 */
export class Friendship {
  private readonly observers = new Set<FriendshipObserver>();
  private realState: State;
  private firstHelloPending = false;
  private generation = 0;
  private transport: FriendTransport | undefined;
  private retryMs = RETRY_INITIAL_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private keepaliveTime = -1;
  /** Labelled counters of this backend's HTTP/2 connections and calls. */
  readonly http2Series: SeriesCounters;
  private readonly listener = (
    _s: SubchannelInterface,
    _p: State,
    next: State,
    keepalive: number,
    error?: string,
  ): void => this.onRealState(next, keepalive, error);

  private constructor(
    private readonly real: Subchannel,
    private readonly settings: FriendsSettings,
    private readonly options: ChannelOptions,
  ) {
    this.realState = real.getConnectivityState();
    this.http2Series = seriesFor({ transport: 'grpc', role: 'client', target: real.getAddress(), tier: 'tcp' });
    if (this.realState === State.READY) this.http2Up();
  }

  static of(real: Subchannel, settings: FriendsSettings, options: ChannelOptions): Friendship {
    let friendship = friendships.get(real);
    if (!friendship) {
      friendship = new Friendship(real, settings, options);
      friendships.set(real, friendship);
    }
    return friendship;
  }

  /** The state the LB policy should see. */
  get state(): State {
    if (this.realState === State.READY && this.firstHelloPending) return State.CONNECTING;
    return this.realState;
  }

  /** The friend link calls may take now, if any. */
  get friend(): FriendTransport | undefined {
    return this.transport?.usable ? this.transport : undefined;
  }

  attach(observer: FriendshipObserver): void {
    if (this.observers.size === 0) {
      this.real.addConnectivityStateListener(this.listener);
      this.realState = this.real.getConnectivityState();
      if (this.realState === State.READY && !this.transport) this.startHello(true);
    }
    this.observers.add(observer);
  }

  detach(observer: FriendshipObserver): void {
    if (!this.observers.delete(observer) || this.observers.size > 0) return;
    this.real.removeConnectivityStateListener(this.listener);
    if (this.realState === State.READY) this.http2Series.connectionsActive--;
    this.generation++;
    this.firstHelloPending = false;
    this.stopRetry();
    this.retire();
    friendships.delete(this.real);
  }

  private onRealState(next: State, keepaliveTime: number, errorMessage?: string): void {
    const before = this.state;
    this.keepaliveTime = keepaliveTime;
    const wasReady = this.realState === State.READY;
    this.realState = next;
    if (next === State.READY && !wasReady) {
      this.http2Up();
      this.startHello(true);
    } else if (next !== State.READY && wasReady) {
      this.http2Series.connectionsActive--;
      // A new connection will bring a new friendship.
      this.generation++;
      this.firstHelloPending = false;
      this.stopRetry();
      this.retire();
    }
    this.notify(before, errorMessage);
  }

  private notify(before: State, errorMessage?: string): void {
    const after = this.state;
    if (after === before) return;
    for (const observer of [...this.observers])
      observer.friendshipStateChanged(before, after, this.keepaliveTime, errorMessage);
  }

  private enabled(): boolean {
    return (this.settings.memory || this.settings.unix) && !friendsDisabledByEnv();
  }

  private http2Up(): void {
    this.http2Series.connectionsOpened++;
    this.http2Series.connectionsActive++;
  }

  /** A connection stays on HTTP/2: counted, and told to diagnostics_channel subscribers. */
  private fellBack(reason: FallbackReason, detail: string): void {
    const target = this.real.getAddress();
    countFallback('grpc', 'client', target, reason);
    publishTier({ transport: 'grpc', role: 'client', target, tier: 'tcp', reason, detail });
  }

  private startHello(first: boolean): void {
    if (!this.enabled()) {
      this.fellBack('switched-off', 'friends off');
      return;
    }
    const generation = ++this.generation;
    this.firstHelloPending = first;
    void this.hello(generation).then(
      (transport) => this.decided(generation, transport),
      () => this.decided(generation, undefined),
    );
  }

  private async hello(generation: number): Promise<FriendTransport | undefined> {
    // grpc-js reports READY before it stores the new transport: ask once it has.
    await new Promise((resolve) => process.nextTick(resolve));
    if (generation !== this.generation) return undefined;
    const address = this.real.getAddress();
    let exchange: HelloExchange;
    try {
      exchange = new HelloExchange(this.real, address, this.settings.helloTimeoutMs);
    } catch (err) {
      log('%s: no hello (%s); HTTP/2', address, (err as Error).message);
      this.fellBack('handshake-failed', (err as Error).message);
      return undefined;
    }
    const attempt = new HelloAttempt<StreamFrame>({
      protocol: GRPC_PROTOCOL,
      memory: this.settings.memory && exchange.connection !== undefined,
      unix: this.settings.unix,
      memoryCopy: memoryCopies.none,
      unixCodec: compactStreamCodec,
      binding: exchange.connection,
      kernelIdentity: this.settings.kernelIdentity,
      unixTimeoutMs: this.settings.unixTimeoutMs,
    });
    let answer: HelloAnswerMessage | undefined;
    try {
      answer = await exchange.ask({
        v: 1,
        nonce: attempt.hello.nonce,
        endpoint: attempt.hello.endpoint ?? '',
        kernel: attempt.hello.kernel ?? '',
      });
    } catch (err) {
      attempt.cancel();
      // The message may carry the server's status details.
      log('%s: hello failed (%s); HTTP/2', address, safeLogText((err as Error).message));
      this.fellBack('handshake-failed', safeLogText((err as Error).message));
      return undefined;
    }
    const decision = await attempt.complete(answer ? answerFromMessage(answer) : undefined);
    if (decision.tier === 'tcp') {
      // The reason is the server's text, or names the path it sent.
      log('%s: HTTP/2 (%s)', address, safeLogText(decision.reason));
      this.fellBack(answer ? fallbackReason(decision.reason) : 'stock-peer', safeLogText(decision.reason));
      return undefined;
    }
    if (generation !== this.generation) {
      decision.link.destroy();
      return undefined;
    }
    log('%s: %s friend', address, decision.tier);
    const series = seriesFor({ transport: 'grpc', role: 'client', target: address, tier: decision.tier });
    decision.link.observe(series);
    decision.link.once('close', (error) => {
      if (error) publishLinkError({ transport: 'grpc', role: 'client', target: address, tier: decision.tier, error });
    });
    publishTier({ transport: 'grpc', role: 'client', target: address, tier: decision.tier, peer: decision.link.peer });
    return this.transportOn(decision.link, exchange, series);
  }

  private transportOn(link: Link<StreamFrame>, exchange: HelloExchange, series: SeriesCounters): FriendTransport {
    const session = new ClientLinkSession(link, exchange.secure ? 'https' : 'http');
    const transport = new FriendTransport(session, this.real.getAddress(), this.options, exchange.authContext, series);
    const lost = (): void => {
      if (this.transport !== transport) return;
      this.transport = undefined;
      transport.close();
      // The connection is still up: calls use HTTP/2 meanwhile, and we ask again later.
      if (this.realState === State.READY) this.scheduleRetry();
    };
    session.once('goaway', lost);
    session.once('close', lost);
    return transport;
  }

  private decided(generation: number, transport: FriendTransport | undefined): void {
    if (generation !== this.generation) {
      transport?.session.destroy();
      return;
    }
    const before = this.state;
    this.firstHelloPending = false;
    if (transport) {
      this.transport = transport;
      this.retryMs = RETRY_INITIAL_MS;
    }
    this.notify(before);
  }

  private scheduleRetry(): void {
    if (this.retryTimer || !this.enabled()) return;
    const jitter = 0.8 + Math.random() * 0.4;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.realState === State.READY && !this.transport) this.startHello(false);
    }, this.retryMs * jitter);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private stopRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** The link goes when its calls are done. */
  private retire(): void {
    const transport = this.transport;
    this.transport = undefined;
    transport?.close();
  }
}

function answerFromMessage(message: HelloAnswerMessage): Record<string, unknown> {
  return {
    v: message.v,
    tier: message.tier,
    ...(message.path ? { path: message.path } : {}),
    ...(message.ticket ? { ticket: message.ticket } : {}),
    ...(message.reason ? { reason: message.reason } : {}),
    ...(message.proof ? { proof: message.proof } : {}),
  };
}
