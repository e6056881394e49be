/**
 * grpc-js's load-balancing API (`grpc.experimental`), which the friends policy
 * is written against. It changed between minors:
 *
 *   1.10, 1.11  new Policy(helper, options);               updateAddressList(endpoints, config, attributes)
 *   1.12        new Policy(helper, credentials, options);  updateAddressList(endpoints, config, attributes)
 *   1.13        new Policy(helper);                        updateAddressList(endpoints, config, options)
 *   1.14        new Policy(helper);                        updateAddressList(StatusOr<endpoints>, config, options, resolutionNote): boolean
 *
 * and the helper's createSubchannel / updateState gained and lost trailing
 * arguments (credentialsOverride in 1.12, errorMessage from 1.13). The friends
 * policy passes every argument through to grpc-js's own child handler, so the
 * only thing it needs to know is where the channel options arrive: read once
 * from grpc-js's own `createLoadBalancer` and child handler, not from the
 * version number.
 */
import type { ChannelOptions, experimental } from '@grpc/grpc-js';
import type { ChannelControlHelper, LoadBalancer } from '@grpc/grpc-js/build/src/load-balancer.js';
import { grpcModule, grpcRoot, notAFunction, type Shape } from './shape.js';
import {
  describeList,
  membersUsed,
  methodParameters,
  missingMembers,
  parameterNames,
  sameList,
} from './source-shape.js';

/** Where grpc-js hands a policy its channel options. */
export type OptionsPlace = { from: 'constructor'; index: number } | { from: 'update'; index: 2 };

/** The constructor layouts grpc-js has used for policies, after the helper. */
const CONSTRUCTOR_LAYOUTS: readonly (readonly string[])[] = [[], ['options'], ['credentials', 'options']];

/** What grpc-js calls on a policy (the friends policy has each). */
export const POLICY_METHODS = ['updateAddressList', 'exitIdle', 'resetBackoff', 'destroy', 'getTypeName'] as const;

type Experimental = Partial<typeof experimental>;
/** Read from the loaded package, so that a grpc-js without it reads as a mismatch, not as an import error. */
const api = (): Experimental => (grpcRoot<{ experimental: Experimental }>().experimental ?? {}) as Experimental;
const createLoadBalancer = (): unknown =>
  grpcModule<{ createLoadBalancer: Function }>('load-balancer').createLoadBalancer;
const childHandler = (): Function | undefined =>
  typeof api().ChildLoadBalancerHandler === 'function' ? (api().ChildLoadBalancerHandler as Function) : undefined;

/** A policy's constructor parameters after `channelControlHelper`, as grpc-js builds every policy. */
function constructorLayout(): readonly string[] | undefined {
  const create = createLoadBalancer();
  if (typeof create !== 'function') return undefined;
  const params = parameterNames(create);
  if (!params || params[0] !== 'config' || params[1] !== 'channelControlHelper') return undefined;
  const rest = params.slice(2);
  return CONSTRUCTOR_LAYOUTS.find((layout) => sameList(rest, layout));
}

function optionsPlace(): OptionsPlace | undefined {
  const layout = constructorLayout();
  const update = childHandler() && methodParameters(childHandler()!.prototype, 'updateAddressList');
  if (!layout || !update) return undefined;
  const third = update[2];
  if (layout.includes('options')) {
    // Options come with the constructor; the third argument of an update is the resolver's attributes.
    return third === 'attributes' ? { from: 'constructor', index: 1 + layout.indexOf('options') } : undefined;
  }
  return third === 'options' ? { from: 'update', index: 2 } : undefined;
}

/** The parameter list of one of the helper methods grpc-js's child handler forwards. */
function helperParameters(method: 'createSubchannel' | 'updateState'): string[] | undefined {
  const handler = childHandler();
  if (!handler) return undefined;
  const match = new RegExp(`\\b${method}\\(([^)]*)\\)\\s*\\{`).exec(Function.prototype.toString.call(handler));
  return match ? match[1]!.split(',').map((name) => name.trim()) : undefined;
}

export const lbShapes: readonly Shape[] = [
  {
    seam: 'lb',
    name: 'experimental.registerLoadBalancerType(typeName, LoadBalancer, LoadBalancingConfig)',
    differs: () =>
      notAFunction(api().registerLoadBalancerType) ??
      (parameterNames(api().registerLoadBalancerType!)?.length === 3
        ? undefined
        : `parameters ${describeList(parameterNames(api().registerLoadBalancerType!))}`),
  },
  {
    seam: 'lb',
    name: 'experimental.selectLbConfigFromList(configs, fallbackToDefault)',
    differs: () =>
      notAFunction(api().selectLbConfigFromList) ??
      (parameterNames(api().selectLbConfigFromList!)?.length === 2
        ? undefined
        : `parameters ${describeList(parameterNames(api().selectLbConfigFromList!))}`),
  },
  {
    seam: 'lb',
    name: 'experimental.createChildChannelControlHelper(parent, overrides)',
    differs: () =>
      notAFunction(api().createChildChannelControlHelper) ??
      (parameterNames(api().createChildChannelControlHelper!)?.length === 2
        ? undefined
        : `parameters ${describeList(parameterNames(api().createChildChannelControlHelper!))}`),
  },
  {
    seam: 'lb',
    name: 'experimental.BaseSubchannelWrapper(child) keeps `child` and forwards state, listeners, refs and getRealSubchannel()',
    differs: () => {
      const wrapper = api().BaseSubchannelWrapper as Function | undefined;
      if (typeof wrapper !== 'function') return notAFunction(wrapper);
      if (!sameList(parameterNames(wrapper), ['child'])) return `constructor ${describeList(parameterNames(wrapper))}`;
      if (!/\bthis\.child\s*=\s*child\b/.test(Function.prototype.toString.call(wrapper)))
        return 'does not keep its child as `child`';
      const missing = missingMembers(
        [
          'getConnectivityState',
          'addConnectivityStateListener',
          'removeConnectivityStateListener',
          'ref',
          'unref',
          'getRealSubchannel',
          'realSubchannelEquals',
          'getAddress',
        ],
        wrapper.prototype as object,
      );
      return missing && `lacks ${missing.join(', ')}`;
    },
  },
  {
    seam: 'lb',
    name: 'a policy is built as new LoadBalancer(channelControlHelper[, credentials][, options]) (createLoadBalancer)',
    differs: () => {
      const create = createLoadBalancer();
      if (typeof create !== 'function') return `build/src/load-balancer.js createLoadBalancer: ${notAFunction(create)}`;
      return constructorLayout() ? undefined : `createLoadBalancer${describeList(parameterNames(create))}`;
    },
  },
  {
    seam: 'lb',
    name: 'experimental.ChildLoadBalancerHandler is built as a policy is, and calls on its child only what a policy has',
    differs: () => {
      const handler = childHandler();
      if (!handler) return notAFunction(api().ChildLoadBalancerHandler);
      const layout = constructorLayout();
      const params = parameterNames(handler);
      if (!layout || !sameList(params, ['channelControlHelper', ...layout]))
        return `constructor ${describeList(params)}`;
      const used = membersUsed(handler, [
        'this.currentChild',
        'this.pendingChild',
        'this.parent.currentChild',
        'this.parent.pendingChild',
        'childToUpdate',
        'newChild',
      ]);
      if (used.size === 0) return 'calls nothing readable on its child';
      const extra = [...used].filter((name) => !(POLICY_METHODS as readonly string[]).includes(name));
      return extra.length > 0 ? `calls ${extra.sort().join(', ')} on its child` : undefined;
    },
  },
  {
    seam: 'lb',
    name: 'updateAddressList(endpointList, lbConfig, attributes | options[, resolutionNote]), options there exactly when not given to the constructor',
    differs: () => {
      const handler = childHandler();
      const params = handler && methodParameters(handler.prototype, 'updateAddressList');
      if (!params) return 'ChildLoadBalancerHandler#updateAddressList unreadable';
      const known =
        params[0] === 'endpointList' &&
        params[1] === 'lbConfig' &&
        (params.length === 3 || (params.length === 4 && params[3] === 'resolutionNote'));
      if (!known) return `updateAddressList${describeList(params)}`;
      return optionsPlace()
        ? undefined
        : `updateAddressList${describeList(params)} with constructor ${describeList(constructorLayout() as string[] | undefined)}`;
    },
  },
  {
    seam: 'lb',
    name: "the child handler's helper takes createSubchannel(subchannelAddress, subchannelArgs, ...) and updateState(connectivityState, picker, ...)",
    differs: () => {
      const create = helperParameters('createSubchannel');
      const update = helperParameters('updateState');
      if (!create || create[0] !== 'subchannelAddress' || create[1] !== 'subchannelArgs')
        return `createSubchannel${describeList(create)}`;
      if (!update || update[0] !== 'connectivityState' || update[1] !== 'picker')
        return `updateState${describeList(update)}`;
      return undefined;
    },
  },
  {
    seam: 'lb',
    name: 'experimental.PickResultType: COMPLETE, QUEUE, TRANSIENT_FAILURE, DROP',
    differs: () => {
      const types = api().PickResultType as Record<string, unknown> | undefined;
      const missing = ['COMPLETE', 'QUEUE', 'TRANSIENT_FAILURE', 'DROP'].filter((t) => typeof types?.[t] !== 'number');
      return missing.length > 0 ? `lacks ${missing.join(', ')}` : undefined;
    },
  },
  {
    seam: 'lb',
    name: "the LB call ends a call picked DROP with the pick's status, whether or not it waits for ready",
    differs: () => {
      const call = grpcModule<{ LoadBalancingCall: Function }>('load-balancing-call').LoadBalancingCall;
      if (typeof call !== 'function')
        return `build/src/load-balancing-call.js LoadBalancingCall: ${notAFunction(call)}`;
      const source = Function.prototype.toString.call(call);
      const drop = /PickResultType\.DROP\s*:([\s\S]*?)\bbreak\b/.exec(source)?.[1];
      return drop && /pickResult\.status/.test(drop) && !/waitForReady/.test(drop)
        ? undefined
        : 'handles DROP otherwise';
    },
  },
  {
    seam: 'lb',
    name: "the LB call checks the pick's getConnectivityState() and makes its call with getRealSubchannel().createCall(...)",
    differs: () => {
      const call = grpcModule<{ LoadBalancingCall: Function }>('load-balancing-call').LoadBalancingCall;
      if (typeof call !== 'function')
        return `build/src/load-balancing-call.js LoadBalancingCall: ${notAFunction(call)}`;
      const source = Function.prototype.toString.call(call);
      if (!/\.getRealSubchannel\(\)\s*\.createCall\(/.test(source)) return 'no getRealSubchannel().createCall(...)';
      if (!membersUsed(call, ['pickResult.subchannel']).has('getConnectivityState'))
        return "does not read the pick's getConnectivityState()";
      return undefined;
    },
  },
];

type ChildHandlerClass = new (
  helper: ChannelControlHelper,
  ...rest: unknown[]
) => LoadBalancer & {
  updateAddressList(...args: unknown[]): unknown;
};

/** The LB API, once its shapes held. */
export interface LbSeam {
  readonly BaseSubchannelWrapper: typeof experimental.BaseSubchannelWrapper;
  readonly ChildLoadBalancerHandler: ChildHandlerClass;
  readonly createChildChannelControlHelper: typeof experimental.createChildChannelControlHelper;
  readonly selectLbConfigFromList: typeof experimental.selectLbConfigFromList;
  readonly registerLoadBalancerType: typeof experimental.registerLoadBalancerType;
  readonly PickResultType: typeof experimental.PickResultType;
  /** The channel options among a policy's constructor arguments, if grpc-js gives them there. */
  optionsFromConstructor(args: readonly unknown[]): ChannelOptions | undefined;
  /** The channel options among updateAddressList's arguments, if grpc-js gives them there. */
  optionsFromUpdate(args: readonly unknown[]): ChannelOptions | undefined;
}

/** The adapter; call only once every shape above held. */
export function lbSeam(): LbSeam {
  const place = optionsPlace()!;
  const pick = (args: readonly unknown[], index: number): ChannelOptions | undefined => {
    const value = args[index];
    return typeof value === 'object' && value !== null ? (value as ChannelOptions) : undefined;
  };
  const lb = api() as typeof experimental;
  return {
    BaseSubchannelWrapper: lb.BaseSubchannelWrapper,
    ChildLoadBalancerHandler: lb.ChildLoadBalancerHandler as unknown as ChildHandlerClass,
    createChildChannelControlHelper: lb.createChildChannelControlHelper,
    selectLbConfigFromList: lb.selectLbConfigFromList,
    registerLoadBalancerType: lb.registerLoadBalancerType,
    PickResultType: lb.PickResultType,
    optionsFromConstructor: place.from === 'constructor' ? (args) => pick(args, place.index) : () => undefined,
    optionsFromUpdate: place.from === 'update' ? (args) => pick(args, place.index) : () => undefined,
  };
}
