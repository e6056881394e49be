import { Channel, type ChannelCredentials, type ChannelOptions, type ClientOptions } from '@grpc/grpc-js';
import {
  countFallback,
  friendsDisabledByEnv,
  publishTier,
  resolveKernelIdentity,
  seriesFor,
  type SeriesCounters,
} from '@friends/core/internal';
import { FRIENDS_POLICY, registerFriendsPolicy } from './client/balancer.js';
import { rememberCallSpan } from './client/call-spans.js';
import { grpcVerdict, UNSUPPORTED_GRPC } from './seams/guard.js';

export interface FriendsClientOptions {
  /** Fast tiers. Default both on; `false` (or `FRIENDS=off`) leaves the channel exactly as grpc-js makes it. */
  friends?: boolean | { memory?: boolean; unix?: boolean };
  /** Longest wait for a backend's Hello before its calls go over HTTP/2. Default 5,000 ms. */
  helloTimeout?: number;
  /**
   * Names this machine's kernel for the unix tier, in place of Linux's boot id: only servers that
   * hold the same value are reached over unix. For machines that share a boot id but not a
   * filesystem (hosts modelled with network namespaces on one kernel), or that have none. A secret,
   * as the boot id is; it travels in the channel's service config, which stays in this process.
   */
  kernelIdentity?: string;
  /** Longest wait for the unix socket to connect and admit this client before its calls go over HTTP/2. Default 2,000 ms. */
  admissionTimeout?: number;
}

/**
 * Client options for any grpc-js client constructor:
 *
 *   new EchoClient(target, credentials, friends())
 *   new EchoClient(target, credentials, { ...friends(), interceptors: [mine], 'grpc.service_config': config })
 *
 * The channel is grpc-js's own, with the service config's load-balancing
 * policy (pick_first by default) wrapped in one that decides, per backend
 * connection, whether its calls go in memory, over a unix socket or over
 * HTTP/2. Everything above the connection (interceptors, call credentials,
 * deadlines, retries, the service config, limits) is grpc-js's, on every tier.
 *
 * On a grpc-js whose shapes friends does not know (see seams/guard.ts; one
 * process warning says which), the channel is grpc-js's own, with its
 * options untouched; it is reported as `tcp` with reason `unsupported-grpc`,
 * and its calls are counted there.
 */
export function friends(options: FriendsClientOptions = {}): ClientOptions {
  if (options.kernelIdentity !== undefined) resolveKernelIdentity(options.kernelIdentity);
  const settings = {
    ...tiers(options.friends),
    helloTimeoutMs: options.helloTimeout ?? 5_000,
    ...(options.kernelIdentity !== undefined ? { kernelIdentity: options.kernelIdentity } : {}),
    unixTimeoutMs: options.admissionTimeout ?? 2_000,
  };
  return {
    channelFactoryOverride: (target: string, credentials: ChannelCredentials, channelOptions: ClientOptions) => {
      const friendly = friendsChannelOptions(channelOptions, settings);
      if (friendly !== channelOptions) return new FriendsChannel(target, credentials, friendly);
      if (friendsOn(settings) && !grpcVerdict().supported) {
        countFallback('grpc', 'client', target, UNSUPPORTED_GRPC);
        publishTier({ transport: 'grpc', role: 'client', target, tier: 'tcp', reason: UNSUPPORTED_GRPC });
        return new CountedChannel(target, credentials, channelOptions);
      }
      // Friends off, or a service config that does not parse: grpc-js's channel, untouched.
      return new Channel(target, credentials, channelOptions);
    },
  };
}

/** grpc-js's channel, which also lets an OpenTelemetry client span learn its call's tier (see call-spans.ts). */
class FriendsChannel extends Channel {
  override createCall(...args: Parameters<Channel['createCall']>): ReturnType<Channel['createCall']> {
    rememberCallSpan();
    return super.createCall(...args);
  }
}

/** grpc-js's channel, its calls counted as calls on the standard wire (friends stepped aside). */
class CountedChannel extends Channel {
  private readonly series: SeriesCounters;

  constructor(...args: ConstructorParameters<typeof Channel>) {
    super(...args);
    this.series = seriesFor({ transport: 'grpc', role: 'client', target: args[0], tier: 'tcp' });
  }

  override createCall(...args: Parameters<Channel['createCall']>): ReturnType<Channel['createCall']> {
    const call = super.createCall(...args);
    this.series.calls++;
    return call;
  }
}

/**
 * The channel options of a friends channel: the user's, with the service
 * config's `loadBalancingConfig` list handed to the friends policy as its
 * child. Friends off (by option or FRIENDS=off at channel creation), a
 * grpc-js friends step aside from, or a service config that does not parse,
 * leaves them untouched (grpc-js then reports the bad config as it would anyway).
 */
export function friendsChannelOptions(
  options: ChannelOptions,
  settings: { memory: boolean; unix: boolean; helloTimeoutMs: number; unixTimeoutMs?: number; kernelIdentity?: string },
): ChannelOptions {
  if (!friendsOn(settings)) return options;
  let config: Record<string, unknown> = {};
  const raw = options['grpc.service_config'];
  if (raw !== undefined) {
    try {
      config = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return options;
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config)) return options;
  }
  const childPolicy = Array.isArray(config.loadBalancingConfig) ? config.loadBalancingConfig : [];
  const verdict = grpcVerdict();
  if (!verdict.supported) return options;
  registerFriendsPolicy(verdict.seams);
  return {
    ...options,
    'grpc.service_config': JSON.stringify({
      ...config,
      loadBalancingConfig: [{ [FRIENDS_POLICY]: { ...settings, childPolicy } }],
    }),
  };
}

function friendsOn(settings: { memory: boolean; unix: boolean }): boolean {
  return (settings.memory || settings.unix) && !friendsDisabledByEnv();
}

function tiers(option: FriendsClientOptions['friends']): { memory: boolean; unix: boolean } {
  if (option === false) return { memory: false, unix: false };
  if (option === undefined || option === true) return { memory: true, unix: true };
  return { memory: option.memory ?? true, unix: option.unix ?? true };
}
