import { CallCredentials, connectivityState, experimental, type ClientOptions, type Metadata } from '@grpc/grpc-js';
import type {
  ChannelControlHelper,
  LoadBalancer,
  TypedLoadBalancingConfig,
} from '@grpc/grpc-js/build/src/load-balancer.js';
import type { Picker, PickResult } from '@grpc/grpc-js/build/src/picker.js';
import type { SubchannelCallInterceptingListener } from '@grpc/grpc-js/build/src/subchannel-call.js';
import type { SubchannelInterface } from '@grpc/grpc-js/build/src/subchannel-interface.js';
import { CannedCall, type Answer } from './canned-call.js';
import { echoService, type StreamRequest } from './echo-service.js';

const POLICY = 'friends_bench_canned';
/** A literal address: resolved without DNS; no connection is ever made to it. */
export const CANNED_TARGET = '127.0.0.1:9';

/** The gRPC length prefix: uncompressed, `length` bytes. */
function frame(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(5 + message.length);
  framed.writeUInt8(0, 0);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, 5);
  return framed;
}

const streamMessages = new Map<number, Buffer>();

/** How the canned service answers each method: echoes, or the stream a StreamRequest asks for. */
function answerFor(method: string): Answer {
  if (method !== echoService.ServerStream!.path) return (request) => [request];
  return (request) => {
    const { count, size } = echoService.ServerStream!.requestDeserialize(request.subarray(5)) as StreamRequest;
    let message = streamMessages.get(size);
    if (!message) {
      message = frame(echoService.ServerStream!.responseSerialize({ data: Buffer.alloc(size, 0x62) }));
      streamMessages.set(size, message);
    }
    return new Array<Buffer>(count).fill(message);
  };
}

let callNumbers = 0;

/** What grpc-js's load-balancing call uses of a picked subchannel, and a call factory in place of HTTP/2. */
const cannedSubchannel = {
  getConnectivityState: () => connectivityState.READY,
  getCallCredentials: () => CallCredentials.createEmpty(),
  getRealSubchannel: () => ({
    createCall: (_metadata: Metadata, _host: string, method: string, listener: SubchannelCallInterceptingListener) =>
      new CannedCall(listener, answerFor(method), --callNumbers),
  }),
  getAddress: () => 'canned',
  ref: () => undefined,
  unref: () => undefined,
  isHealthy: () => true,
  realSubchannelEquals: (other: unknown) => other === cannedSubchannel,
} as unknown as SubchannelInterface;

const picker: Picker = {
  pick: (): PickResult => ({
    pickResultType: experimental.PickResultType.COMPLETE,
    subchannel: cannedSubchannel,
    status: null,
    onCallStarted: null,
    onCallEnded: null,
  }),
};

/** A policy that is READY at once and picks the canned subchannel for every call. */
class CannedBalancer implements LoadBalancer {
  constructor(private readonly helper: ChannelControlHelper) {}
  updateAddressList(): boolean {
    this.helper.updateState(connectivityState.READY, picker, null);
    return true;
  }
  exitIdle(): void {}
  resetBackoff(): void {}
  destroy(): void {}
  getTypeName(): string {
    return POLICY;
  }
}

class CannedConfig implements TypedLoadBalancingConfig {
  getLoadBalancerName(): string {
    return POLICY;
  }
  toJsonObject(): object {
    return { [POLICY]: {} };
  }
  static createFromJson(): CannedConfig {
    return new CannedConfig();
  }
}

let registered = false;

/**
 * Client options for a channel whose every call is answered at once in
 * memory, below grpc-js's whole client stack (channel, resolving, retrying
 * and load-balancing calls, filters, interceptors): no server, no transport.
 * The least any design that keeps grpc-js's client layers can cost.
 */
export function cannedOptions(): ClientOptions {
  if (!registered) {
    experimental.registerLoadBalancerType(POLICY, CannedBalancer, CannedConfig);
    registered = true;
  }
  return { 'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ [POLICY]: {} }] }) };
}
