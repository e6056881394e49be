/**
 * grpc-js's real subchannel (one backend connection), as a friendship watches
 * it and sends its hello on it: its connectivity state and listeners, its
 * address, and `createCall` straight on its HTTP/2 transport. The same from
 * 1.10 to 1.14, but for `createCall`'s trailing `callId` (1.14).
 */
import { connectivityState as State } from '@grpc/grpc-js';
import { grpcModule, notAFunction, runtimeShape, type Shape } from './shape.js';
import { describeList, methodParameters, missingMembers } from './source-shape.js';

const subchannelClass = (): Function | undefined => {
  const found = grpcModule<{ Subchannel: Function }>('subchannel').Subchannel;
  return typeof found === 'function' ? found : undefined;
};

/** The methods of the real subchannel a friendship uses. */
const SUBCHANNEL_METHODS = [
  'getConnectivityState',
  'addConnectivityStateListener',
  'removeConnectivityStateListener',
  'getAddress',
  'getRealSubchannel',
  'createCall',
] as const;

/** grpc-js tells listeners `(subchannel, previousState, newState, keepaliveTime, errorMessage)`. */
const LISTENER_CALL = /\(\s*this\s*,\s*\w+\s*,\s*\w+\s*,\s*this\.keepaliveTime\s*,\s*\w+\s*\)/;

export const READY_BEFORE_TRANSPORT = runtimeShape(
  'subchannel',
  'a subchannel reports READY before it stores its transport, and takes calls from the next tick on',
  'each hello: the subchannel is still READY but createCall() fails → that connection stays on HTTP/2',
);

export const STATE_LISTENER_ARGUMENTS = runtimeShape(
  'subchannel',
  'a state listener gets (subchannel, previousState, newState, keepaliveTime, errorMessage)',
  'each state change a friendship hears: other arguments → that connection stays on HTTP/2',
);

export const subchannelShapes: readonly Shape[] = [
  {
    seam: 'subchannel',
    name: `build/src/subchannel.js Subchannel with ${SUBCHANNEL_METHODS.join(', ')}`,
    differs: () => {
      const cls = subchannelClass();
      if (!cls) return notAFunction(grpcModule<{ Subchannel: unknown }>('subchannel').Subchannel);
      const missing = missingMembers(SUBCHANNEL_METHODS, cls.prototype as object);
      return missing && `lacks ${missing.join(', ')}`;
    },
  },
  {
    seam: 'subchannel',
    name: 'Subchannel#createCall(metadata, host, method, listener[, callId])',
    differs: () => {
      const params = subchannelClass() && methodParameters(subchannelClass()!.prototype, 'createCall');
      const known =
        params !== undefined &&
        ['metadata', 'host', 'method', 'listener'].every((name, i) => params[i] === name) &&
        (params.length === 4 || (params.length === 5 && params[4] === 'callId'));
      return known ? undefined : `createCall${describeList(params)}`;
    },
  },
  {
    seam: 'subchannel',
    name: 'Subchannel tells state listeners (this, previousState, newState, this.keepaliveTime, errorMessage)',
    differs: () => {
      const cls = subchannelClass();
      if (!cls) return 'no Subchannel';
      return LISTENER_CALL.test(Function.prototype.toString.call(cls)) ? undefined : 'no such listener call';
    },
  },
  READY_BEFORE_TRANSPORT,
  STATE_LISTENER_ARGUMENTS,
];

/**
 * Whether a listener's arguments are as grpc-js has always passed them. The
 * state itself is read from the subchannel: a listener that moves the
 * subchannel again from inside the loop makes later listeners hear a state
 * that is already gone.
 */
export function listenerArgumentsKnown(args: readonly unknown[]): boolean {
  const next = args[2];
  return (
    typeof next === 'number' &&
    (State as unknown as Record<number, unknown>)[next] !== undefined &&
    (args.length < 4 || typeof args[3] === 'number')
  );
}

/**
 * Waits until a subchannel that just said READY can take calls: grpc-js
 * stores the transport right after telling listeners.
 */
export function afterReadyReported(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}
