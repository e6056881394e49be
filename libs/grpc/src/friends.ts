import type { CallProperties, ClientOptions, Interceptor } from '@grpc/grpc-js';
import { propagate as Propagate, type Channel, type Deadline } from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import type {
  InterceptingCallInterface,
  InterceptorOptions,
  NextCall,
} from '@grpc/grpc-js/build/src/client-interceptors.js';
import { friendsDisabledByEnv } from '@friends/core';
import { FriendClientCall, type ClientCallOptions } from './client-call.js';
import { DeferredCall } from './deferred-call.js';
import { Router, type Route } from './router.js';

export interface FriendsClientOptions {
  /** Fast tiers. Default both on; `false` (or `FRIENDS=off`) keeps every call on HTTP/2. */
  friends?: boolean | { memory?: boolean; unix?: boolean };
  /** Longest wait for the handshake before staying on HTTP/2. Default 5,000 ms. */
  helloTimeout?: number;
  /** As the channel options of the same name: -1 for no limit. Defaults -1 and 4 MiB, as grpc-js. */
  maxSendMessageLength?: number;
  maxReceiveMessageLength?: number;
  /**
   * 'none': on the memory tier, messages are handed over as the objects
   * themselves, skipping the serialize/deserialize round trip (and its size
   * checks). Only for callers that never mutate a message after sending it, and
   * whose loader options do not matter. Default: the method's own round trip.
   */
  copy?: 'serialize' | 'none';
}

const CHANNEL = Symbol('friends.channel');
const DEFAULT_MAX_RECEIVE = 4 * 1024 * 1024;

/**
 * Client options for any grpc-js client constructor:
 *
 *   new EchoClient(target, credentials, friends())
 *
 * Every call goes in memory, over a unix socket or over standard HTTP/2, as
 * negotiated once per target. User interceptors run on every tier (ours is
 * always the innermost), including per-call interceptors.
 */
export function friends(options: FriendsClientOptions = {}): ClientOptions & { friendsRouter?: Router } {
  const tiers = resolve(options.friends);
  // Off means off: plain options, nothing between the caller and grpc-js.
  if ((!tiers.memory && !tiers.unix) || friendsDisabledByEnv()) {
    const plain = {};
    Object.defineProperty(plain, 'friendsRouter', { value: undefined, enumerable: false });
    return plain as ClientOptions & { friendsRouter?: Router };
  }
  const router = new Router({ ...tiers, helloTimeoutMs: options.helloTimeout ?? 5_000 });
  // It returns the call itself, without an InterceptingCall around it: grpc-js needs
  // only the call interface from an interceptor, and the wrapper would cost every
  // call a requester pass and listener objects for nothing.
  const route = (callOptions: InterceptorOptions, nextCall: NextCall): InterceptingCallInterface => {
    const channel = (callOptions as InterceptorOptions & { [CHANNEL]?: Channel })[CHANNEL];
    if (!channel) return nextCall(callOptions);
    const target = router.targetOf(channel);
    const callFor = (route: Route): InterceptingCallInterface =>
      route
        ? new FriendClientCall(route, callOptions.method_definition, clientCallOptions(callOptions, options))
        : nextCall(callOptions);
    const known = router.peek(target);
    if (known !== undefined) return callFor(known);
    const deferred = new DeferredCall();
    router.decide(channel).then(
      (decided) => deferred.resolve(callFor(decided)),
      () => deferred.resolve(callFor(null)),
    );
    return deferred;
  };
  const interceptor = route as unknown as Interceptor;
  const clientOptions = {
    interceptors: [interceptor],
    // The only hook that sees the channel; also keeps per-call interceptors from dropping ours.
    callInvocationTransformer: (properties: CallProperties<unknown, unknown>) => {
      const callOptions = { ...properties.callOptions, [CHANNEL]: properties.channel } as typeof properties.callOptions;
      const perCall = callOptions.interceptors;
      if (perCall && perCall.length > 0 && !perCall.includes(interceptor))
        callOptions.interceptors = [...perCall, interceptor];
      return { ...properties, callOptions };
    },
  };
  // Not enumerable: Nest spreads these options into channel options, where it has no business.
  Object.defineProperty(clientOptions, 'friendsRouter', { value: router, enumerable: false });
  return clientOptions as ClientOptions & { friendsRouter?: Router };
}

function toMillis(deadline: Deadline | undefined): number {
  if (deadline === undefined || deadline === Infinity) return 0;
  return deadline instanceof Date ? deadline.getTime() : deadline;
}

function resolve(option: FriendsClientOptions['friends']): { memory: boolean; unix: boolean } {
  if (option === false) return { memory: false, unix: false };
  if (option === undefined || option === true) return { memory: true, unix: true };
  return { memory: option.memory ?? true, unix: option.unix ?? true };
}

function clientCallOptions(callOptions: InterceptorOptions, options: FriendsClientOptions): ClientCallOptions {
  const credentials = callOptions.credentials;
  const path = callOptions.method_definition.path;
  // Propagation from a parent server call, as grpc-js's channel does it.
  const parent = callOptions.parent as (ServerSurfaceCall & { getDeadline(): Deadline }) | undefined;
  const flags = callOptions.propagate_flags ?? Propagate.DEFAULTS;
  let deadline = toMillis(callOptions.deadline);
  if (parent && flags & Propagate.DEADLINE) {
    const inherited = toMillis(parent.getDeadline());
    if (inherited > 0 && (deadline === 0 || inherited < deadline)) deadline = inherited;
  }
  return {
    cancelWith: parent && flags & Propagate.CANCELLATION ? parent : undefined,
    byReference: options.copy === 'none',
    deadline,
    maxSendMessageSize: options.maxSendMessageLength ?? -1,
    maxReceiveMessageSize: options.maxReceiveMessageLength ?? DEFAULT_MAX_RECEIVE,
    extraMetadata: credentials
      ? () =>
          credentials.generateMetadata({
            service_url: `https://friends/${path.split('/')[1] ?? ''}`,
            method_name: path.split('/')[2] ?? '',
          })
      : undefined,
  };
}
