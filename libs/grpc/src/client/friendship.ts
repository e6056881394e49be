import { constants } from 'node:http2';
import { connectivityState as State, status as Status, type ChannelOptions } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js/build/src/call-interface.js';
import type { Subchannel } from '@grpc/grpc-js/build/src/subchannel.js';
import type { ConnectivityStateListener } from '@grpc/grpc-js/build/src/subchannel-interface.js';
import type { SubchannelCall } from '@grpc/grpc-js/build/src/subchannel-call.js';
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
import { compactStreamCodec, type FrameBatch } from '../h2/frames.js';
import type { HelloAnswerMessage } from '../handshake.js';
import { GRPC_PROTOCOL } from '../protocol.js';
import { shapeMismatch, UNSUPPORTED_GRPC, type GrpcSeams } from '../seams/guard.js';
import type { Shape } from '../seams/shape.js';
import { CALL_ON_FRIEND_STREAM } from '../seams/subchannel-call.js';
import {
  afterReadyReported,
  listenerArgumentsKnown,
  READY_BEFORE_TRANSPORT,
  STATE_LISTENER_ARGUMENTS,
} from '../seams/subchannel.js';
import { markCallTier } from './call-spans.js';
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
  /**
   * The connection went away while calls waited for its first hello: calls
   * that were waiting should end as they would have on that connection.
   */
  heldCallsFailed(status: StatusObject): void;
}

const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 120_000;

const friendships = new WeakMap<Subchannel, Friendship>();

/** A friend link that came up: installed as the connection's transport once still current. */
interface Arrival {
  transport: FriendTransport;
  tier: 'memory' | 'unix';
  peer: Link<FrameBatch>['peer'];
}

/**
 * Whether, and how, one backend connection (a grpc-js subchannel) has a
 * friend. Each time the subchannel's HTTP/2 connection becomes READY, a Hello
 * on it decides; until then the LB policy sees CONNECTING, so calls wait in
 * grpc-js's own pick queue (its deadlines and cancellation apply). A friend
 * link that is lost while the connection stays up leaves calls on HTTP/2 and
 * is asked for again with backoff; a connection that goes away takes its link
 * with it. A grpc-js shape that turns out different where it happens (see
 * seams/) leaves the connection on HTTP/2 for good. Shared by every wrapper of
 * the subchannel.
 */
export class Friendship {
  private readonly observers = new Set<FriendshipObserver>();
  private realState: State;
  private firstHelloPending = false;
  private generation = 0;
  /** The hello whose connection went away while calls waited for it. */
  private lostUnderFirstHello: number | undefined;
  private transport: FriendTransport | undefined;
  private retryMs = RETRY_INITIAL_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private keepaliveTime = -1;
  /** Set once grpc-js did something friends does not know here: this connection stays on HTTP/2. */
  private steppedAside = false;
  /** Labelled counters of this backend's HTTP/2 connections and calls. */
  readonly http2Series: SeriesCounters;
  private readonly listener = (...args: unknown[]): void => {
    if (!this.steppedAside && !listenerArgumentsKnown(args))
      this.stepAside(STATE_LISTENER_ARGUMENTS, `a listener got ${args.length} arguments`);
    const keepalive = typeof args[3] === 'number' ? args[3] : this.keepaliveTime;
    this.onRealState(this.real.getConnectivityState(), keepalive, typeof args[4] === 'string' ? args[4] : undefined);
  };

  private constructor(
    private readonly real: Subchannel,
    private readonly settings: FriendsSettings,
    private readonly options: ChannelOptions,
    private readonly seams: GrpcSeams,
  ) {
    this.realState = real.getConnectivityState();
    this.http2Series = seriesFor({ transport: 'grpc', role: 'client', target: real.getAddress(), tier: 'tcp' });
    if (this.realState === State.READY) this.http2Up();
  }

  static of(real: Subchannel, settings: FriendsSettings, options: ChannelOptions, seams: GrpcSeams): Friendship {
    let friendship = friendships.get(real);
    if (!friendship) {
      friendship = new Friendship(real, settings, options, seams);
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
      this.real.addConnectivityStateListener(this.listener as unknown as ConnectivityStateListener);
      this.realState = this.real.getConnectivityState();
      if (this.realState === State.READY && !this.transport) this.startHello(true);
    }
    this.observers.add(observer);
  }

  detach(observer: FriendshipObserver): void {
    if (!this.observers.delete(observer) || this.observers.size > 0) return;
    this.real.removeConnectivityStateListener(this.listener as unknown as ConnectivityStateListener);
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
      if (this.firstHelloPending) this.lostUnderFirstHello = this.generation;
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

  /**
   * A grpc-js shape differs where it happens: the process hears of it (once),
   * and this connection leaves its link and stays on HTTP/2 from now on.
   */
  private stepAside(shape: Shape, detail: string): void {
    shapeMismatch(shape, detail);
    if (this.steppedAside) return;
    const before = this.state;
    this.steppedAside = true;
    this.generation++;
    this.firstHelloPending = false;
    this.stopRetry();
    this.retire();
    this.fellBack(UNSUPPORTED_GRPC, `${shape.seam}: ${shape.name}: ${detail}`);
    this.notify(before);
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
    if (this.steppedAside) {
      this.fellBack(UNSUPPORTED_GRPC, 'grpc-js differed on an earlier connection');
      return;
    }
    if (!this.enabled()) {
      this.fellBack('switched-off', 'friends off');
      return;
    }
    const generation = ++this.generation;
    this.firstHelloPending = first;
    void this.hello(generation, first).then(
      (arrival) => this.decided(generation, arrival),
      () => this.decided(generation, undefined),
    );
  }

  private async hello(generation: number, first: boolean): Promise<Arrival | undefined> {
    await afterReadyReported();
    if (generation !== this.generation || this.real.getConnectivityState() !== State.READY) return undefined;
    const address = this.real.getAddress();
    let exchange: HelloExchange;
    try {
      exchange = new HelloExchange(this.real, address, this.settings.helloTimeoutMs, this.seams.call);
    } catch (err) {
      // Still READY, and no transport to call on: grpc-js stores it later than friends knows.
      if (this.real.getConnectivityState() === State.READY)
        this.stepAside(READY_BEFORE_TRANSPORT, (err as Error).message);
      else {
        log('%s: no hello (%s); HTTP/2', address, (err as Error).message);
        this.fellBack('handshake-failed', (err as Error).message);
      }
      return undefined;
    }
    const attempt = new HelloAttempt<FrameBatch>({
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
      const held = generation === this.generation ? this.firstHelloPending : this.lostUnderFirstHello === generation;
      if (first && held && exchange.connectionFailure) this.heldCallsFailed(exchange.connectionFailure);
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
    const series = seriesFor({ transport: 'grpc', role: 'client', target: address, tier: decision.tier });
    decision.link.observe(series);
    decision.link.once('close', (error) => {
      if (error) publishLinkError({ transport: 'grpc', role: 'client', target: address, tier: decision.tier, error });
    });
    try {
      return {
        transport: this.transportOn(decision.link, exchange, series),
        tier: decision.tier,
        peer: decision.link.peer,
      };
    } catch (err) {
      decision.link.destroy();
      throw err;
    }
  }

  private transportOn(link: Link<FrameBatch>, exchange: HelloExchange, series: SeriesCounters): FriendTransport {
    const session = new ClientLinkSession(
      link,
      exchange.secure ? 'https' : 'http',
      this.seams.session.maxSendHeaderBlock,
      this.seams.session.idleWhenReady,
    );
    const transport: FriendTransport = new FriendTransport(
      session,
      this.real.getAddress(),
      this.options,
      exchange.authContext,
      series,
      this.seams.call.Http2SubchannelCall,
      (err, ...call): SubchannelCall => this.brokenCall(transport, err, ...call),
    );
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

  /**
   * grpc-js's call class did not take a friend stream: the connection leaves
   * its link, and this call (already picked for it) goes over HTTP/2.
   */
  private brokenCall(
    transport: FriendTransport,
    err: Error,
    ...call: Parameters<Subchannel['createCall']>
  ): SubchannelCall {
    if (this.transport === transport) this.stepAside(CALL_ON_FRIEND_STREAM, err.message);
    markCallTier(call[0], 'tcp');
    const created = this.real.createCall(...call);
    this.http2Series.calls++;
    return created;
  }

  private decided(generation: number, arrival: Arrival | undefined): void {
    if (generation !== this.generation) {
      arrival?.transport.session.destroy();
      return;
    }
    const before = this.state;
    this.firstHelloPending = false;
    if (arrival) {
      this.transport = arrival.transport;
      this.retryMs = RETRY_INITIAL_MS;
      // Told once calls can take it, never before.
      const address = this.real.getAddress();
      log('%s: %s friend', address, arrival.tier);
      publishTier({ transport: 'grpc', role: 'client', target: address, tier: arrival.tier, peer: arrival.peer });
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

  /**
   * Over HTTP/2, calls would have been sent on the connection as soon as it
   * was READY and ended with it; the hello did, and says how. Calls held for
   * it end the same way (a refused stream would have been retried: not that).
   */
  private heldCallsFailed(status: StatusObject | undefined): void {
    this.lostUnderFirstHello = undefined;
    if (
      !status ||
      status.code === Status.OK ||
      (status as { rstCode?: number }).rstCode === constants.NGHTTP2_REFUSED_STREAM
    )
      return;
    const { code, details, metadata } = status;
    for (const observer of [...this.observers]) observer.heldCallsFailed({ code, details, metadata });
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
