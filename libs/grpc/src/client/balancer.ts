import { connectivityState as State, type ChannelOptions } from '@grpc/grpc-js';
import type {
  ChannelControlHelper,
  LoadBalancer,
  TypedLoadBalancingConfig,
} from '@grpc/grpc-js/build/src/load-balancer.js';
import type { Picker, PickArgs, PickResult } from '@grpc/grpc-js/build/src/picker.js';
import type { StatusObject } from '@grpc/grpc-js/build/src/call-interface.js';
import type { LoadBalancingConfig } from '@grpc/grpc-js/build/src/service-config.js';
import type { SubchannelAddress } from '@grpc/grpc-js/build/src/subchannel-address.js';
import type { ConnectivityStateListener, SubchannelInterface } from '@grpc/grpc-js/build/src/subchannel-interface.js';
import type { Subchannel } from '@grpc/grpc-js/build/src/subchannel.js';
import type { SeriesCounters } from '@friends/core/internal';
import type { GrpcSeams } from '../seams/guard.js';
import { markCallTier } from './call-spans.js';
import { Friendship, type FriendsSettings, type FriendshipObserver } from './friendship.js';
import type { FriendTransport } from './friend-transport.js';

/** The name friends registers its load-balancing policy under. */
export const FRIENDS_POLICY = 'friends';

const DEFAULT_SETTINGS: FriendsSettings = { memory: true, unix: true, helloTimeoutMs: 5_000, unixTimeoutMs: 2_000 };

let registered = false;

/**
 * Registers the friends policy with grpc-js: at friends' first use, once the
 * installed grpc-js passed the guard (never at import).
 */
export function registerFriendsPolicy(seams: GrpcSeams): void {
  if (registered) return;
  const { FriendsLoadBalancer, FriendsLoadBalancingConfig } = friendsPolicy(seams);
  seams.lb.registerLoadBalancerType(FRIENDS_POLICY, FriendsLoadBalancer, FriendsLoadBalancingConfig);
  registered = true;
}

/** The helper as grpc-js calls it: its own arguments first, then whatever this minor adds. */
type LooseHelper = {
  createSubchannel(address: SubchannelAddress, args: ChannelOptions, ...more: unknown[]): SubchannelInterface;
  updateState(state: State, picker: Picker, ...more: unknown[]): void;
};

/** The policy's classes, built on the LB API the guard found. */
function friendsPolicy(seams: GrpcSeams) {
  const { lb } = seams;

  /**
   * A subchannel as the child policy sees it: the real one, except that its
   * state waits for the first Hello on each new connection, and a pick of it
   * may be answered by a friend link instead of HTTP/2.
   */
  class FriendSubchannel extends lb.BaseSubchannelWrapper implements FriendshipObserver {
    private readonly listeners = new Set<ConnectivityStateListener>();
    private friendship: Friendship | undefined;
    private refs = 0;
    private target: { transport: FriendTransport; pick: SubchannelInterface } | undefined;
    private http2: { real: SubchannelInterface; pick: SubchannelInterface } | undefined;

    constructor(
      child: SubchannelInterface,
      private readonly settings: FriendsSettings,
      private readonly options: ChannelOptions,
      private readonly balancer: FriendsLoadBalancer,
    ) {
      super(child);
    }

    override ref(): void {
      if (this.refs++ === 0) {
        this.friendship = Friendship.of(
          this.child.getRealSubchannel() as Subchannel,
          this.settings,
          this.options,
          seams,
        );
        this.friendship.attach(this);
      }
      super.ref();
    }

    override unref(): void {
      super.unref();
      if (--this.refs === 0) {
        this.friendship?.detach(this);
        this.friendship = undefined;
      }
    }

    override getConnectivityState(): State {
      return this.friendship?.state ?? this.child.getConnectivityState();
    }

    override addConnectivityStateListener(listener: ConnectivityStateListener): void {
      this.listeners.add(listener);
    }

    override removeConnectivityStateListener(listener: ConnectivityStateListener): void {
      this.listeners.delete(listener);
    }

    friendshipStateChanged(previous: State, next: State, keepaliveTime: number, errorMessage?: string): void {
      for (const listener of [...this.listeners]) listener(this, previous, next, keepaliveTime, errorMessage);
    }

    heldCallsFailed(status: StatusObject): void {
      this.balancer.failWaitingCalls(status);
    }

    /** What the LB call should use for a pick of this subchannel. */
    picked(): SubchannelInterface {
      const friendship = this.friendship;
      const transport = friendship?.friend;
      if (!transport) {
        if (!friendship) return this.child;
        const real = this.child.getRealSubchannel();
        if (this.http2?.real !== real) this.http2 = { real, pick: http2Pick(this.child, real, friendship.http2Series) };
        return this.http2.pick;
      }
      if (this.target?.transport !== transport) this.target = { transport, pick: friendPick(this.child, transport) };
      return this.target.pick;
    }
  }

  class FriendsPicker implements Picker {
    constructor(private readonly child: Picker) {}

    pick(args: PickArgs): PickResult {
      const result = this.child.pick(args);
      if (!(result.subchannel instanceof FriendSubchannel)) return result;
      return { ...result, subchannel: result.subchannel.picked() };
    }
  }

  class FriendsLoadBalancingConfig implements TypedLoadBalancingConfig {
    constructor(
      readonly settings: FriendsSettings,
      readonly child: TypedLoadBalancingConfig,
      private readonly childJson: LoadBalancingConfig[],
    ) {}

    getLoadBalancerName(): string {
      return FRIENDS_POLICY;
    }

    toJsonObject(): object {
      return { [FRIENDS_POLICY]: { ...this.settings, childPolicy: this.childJson } };
    }

    static createFromJson(obj: unknown): FriendsLoadBalancingConfig {
      const raw = (typeof obj === 'object' && obj !== null ? obj : {}) as Record<string, unknown>;
      const childJson = Array.isArray(raw.childPolicy) ? (raw.childPolicy as LoadBalancingConfig[]) : [];
      // As grpc-js with no usable policy listed: its default.
      const child = lb.selectLbConfigFromList(childJson, true);
      if (!child) throw new Error('friends: no usable child load-balancing policy');
      const settings: FriendsSettings = {
        memory: raw.memory !== false,
        unix: raw.unix !== false,
        helloTimeoutMs:
          typeof raw.helloTimeoutMs === 'number' && raw.helloTimeoutMs > 0
            ? raw.helloTimeoutMs
            : DEFAULT_SETTINGS.helloTimeoutMs,
        unixTimeoutMs:
          typeof raw.unixTimeoutMs === 'number' && raw.unixTimeoutMs > 0
            ? raw.unixTimeoutMs
            : DEFAULT_SETTINGS.unixTimeoutMs,
      };
      if (typeof raw.kernelIdentity === 'string' && raw.kernelIdentity.length > 0)
        settings.kernelIdentity = raw.kernelIdentity;
      return new FriendsLoadBalancingConfig(settings, child, childJson);
    }
  }

  /**
   * grpc-js's load balancing, whatever the channel's service config asks for
   * (pick_first by default), with a friend decision per backend address under
   * it: the child policy gets wrapped subchannels, and its picks are routed to
   * a friend link where one is up. Every argument grpc-js passes (their number
   * differs between minors) goes on to grpc-js's own child handler.
   */
  class FriendsLoadBalancer implements LoadBalancer {
    private readonly child: InstanceType<typeof lb.ChildLoadBalancerHandler>;
    private readonly parent: LooseHelper;
    private settings = DEFAULT_SETTINGS;
    private options: ChannelOptions;
    /** What the channel was last told: the child policy's state and picker. */
    private latest: { state: State; picker: Picker; more: unknown[] } | undefined;

    constructor(helper: ChannelControlHelper, ...rest: unknown[]) {
      const parent = helper as unknown as LooseHelper;
      this.parent = parent;
      this.options = lb.optionsFromConstructor([helper, ...rest]) ?? {};
      const overrides: LooseHelper = {
        createSubchannel: (address, args, ...more) =>
          new FriendSubchannel(parent.createSubchannel(address, args, ...more), this.settings, this.options, this),
        updateState: (state, picker, ...more) => {
          this.latest = { state, picker, more };
          parent.updateState(state, new FriendsPicker(picker), ...more);
        },
      };
      this.child = new lb.ChildLoadBalancerHandler(
        lb.createChildChannelControlHelper(helper, overrides as unknown as Partial<ChannelControlHelper>),
        ...rest,
      );
    }

    updateAddressList(...args: unknown[]): boolean {
      const config = args[1];
      if (!(config instanceof FriendsLoadBalancingConfig)) return false;
      this.settings = config.settings;
      this.options = lb.optionsFromUpdate(args) ?? this.options;
      const forwarded = args.slice();
      forwarded[1] = config.child;
      return this.child.updateAddressList(...forwarded) as boolean;
    }

    exitIdle(): void {
      this.child.exitIdle();
    }

    resetBackoff(): void {
      this.child.resetBackoff();
    }

    destroy(): void {
      this.latest = undefined;
      this.child.destroy();
    }

    getTypeName(): string {
      return FRIENDS_POLICY;
    }

    /**
     * Ends every call waiting for a pick with `status`, as the channel re-picks
     * its queued calls whenever it is given a picker; then gives it back the
     * child's picker. Calls made afterwards pick as usual.
     */
    failWaitingCalls(status: StatusObject): void {
      const latest = this.latest;
      if (!latest) return;
      const dropped: PickResult = {
        pickResultType: lb.PickResultType.DROP,
        subchannel: null,
        status,
        onCallStarted: null,
        onCallEnded: null,
      };
      this.parent.updateState(latest.state, { pick: () => dropped }, ...latest.more);
      this.parent.updateState(latest.state, new FriendsPicker(latest.picker), ...latest.more);
    }
  }

  return { FriendsLoadBalancer, FriendsLoadBalancingConfig };
}

/**
 * What grpc-js's LB call talks to when a pick goes to a friend: the real
 * subchannel's call credentials and identity, and the friend transport in
 * place of the real subchannel's HTTP/2 one. While the link is unusable it is
 * not READY, and the LB call picks again (and gets HTTP/2).
 */
function friendPick(real: SubchannelInterface, transport: FriendTransport): SubchannelInterface {
  return Object.assign(Object.create(real) as SubchannelInterface, {
    getConnectivityState: () => (transport.usable ? State.READY : State.TRANSIENT_FAILURE),
    getRealSubchannel: () => transport,
  });
}

/** A pick that stays on HTTP/2: the real subchannel, with its calls counted in `series`. */
function http2Pick(child: SubchannelInterface, real: SubchannelInterface, series: SeriesCounters): SubchannelInterface {
  const counted = Object.assign(Object.create(real) as Subchannel, {
    createCall: (...args: Parameters<Subchannel['createCall']>) => {
      markCallTier(args[0], 'tcp');
      const call = (real as Subchannel).createCall(...args);
      series.calls++;
      return call;
    },
  });
  return Object.assign(Object.create(child) as SubchannelInterface, { getRealSubchannel: () => counted });
}
