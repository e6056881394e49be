/**
 * grpc-js's client call on one HTTP/2 stream (`Http2SubchannelCall`), which
 * friends run on a stream carried by a friend link: everything above the
 * stream (status, trailers, message framing and limits, cancellation,
 * disconnects) is grpc-js's code on every tier. What it asks of the objects
 * it is handed changed between minors (the transport's `getOptions()` from
 * 1.10.12, `getAuthContext()` from 1.14; the stream's `writableEnded` from
 * 1.14): read from the class itself, and each must be something friends'
 * transport, tracker and stream have.
 */
import type { Socket } from 'node:net';
import type { ClientHttp2Stream } from 'node:http2';
import type { ChannelOptions } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { SubchannelCall, SubchannelCallInterceptingListener } from '@grpc/grpc-js/build/src/subchannel-call.js';
import type { CallEventTracker } from '@grpc/grpc-js/build/src/transport.js';
import { ClientLinkStream } from '../h2/client-stream.js';
import { grpcModule, notAFunction, runtimeShape, type Shape } from './shape.js';
import { fieldsFromParameters, membersUsed, missingMembers } from './source-shape.js';

/** What Http2SubchannelCall may ask of its transport: friends' transport has each. */
export interface CallTransport {
  getOptions(): ChannelOptions;
  getPeerName(): string;
  getAuthContext(): AuthContext | undefined;
}
const TRANSPORT_MEMBERS: readonly (keyof CallTransport)[] = ['getOptions', 'getPeerName', 'getAuthContext'];
const TRACKER_MEMBERS: readonly (keyof CallEventTracker)[] = [
  'addMessageSent',
  'addMessageReceived',
  'onCallEnd',
  'onStreamEnd',
];
/** The constructor, as every grpc-js from 1.10 on builds it. */
const CONSTRUCTOR_FIELDS = ['http2Stream', 'callEventTracker', 'listener', 'transport', 'callId'] as const;

export type SubchannelCallWithDisconnect = SubchannelCall & { onDisconnect(): void };
type Http2SubchannelCallClass = new (
  stream: ClientHttp2Stream,
  tracker: CallEventTracker,
  listener: SubchannelCallInterceptingListener,
  transport: CallTransport,
  callId: number,
) => SubchannelCallWithDisconnect;

const callClass = (): Function | undefined => {
  const found = grpcModule<{ Http2SubchannelCall: Function }>('subchannel-call').Http2SubchannelCall;
  return typeof found === 'function' ? found : undefined;
};

/** The name a constructor parameter has in the class's source (its own accesses use it too). */
function parameterName(cls: Function, field: string): string | undefined {
  const at = fieldsFromParameters(cls).get(field);
  if (at === undefined) return undefined;
  const match = /\bconstructor\s*\(([^)]*)\)/.exec(Function.prototype.toString.call(cls));
  return match?.[1]!.split(',')[at]?.trim();
}

/** What the class uses of one of the objects it is handed, by its field and by its parameter. */
function usedOf(field: string): Set<string> {
  const cls = callClass()!;
  const param = parameterName(cls, field);
  return membersUsed(cls, [`this.${field}`, ...(param ? [param] : [])]);
}

/** A stream that never carries anything, to ask which members friends' streams have. */
function sampleStream(): object {
  return new ClientLinkStream({ objects: false, send: () => undefined, release: () => undefined }, 1);
}

function subset(field: string, provided: object, what: string): string | undefined {
  const used = usedOf(field);
  if (used.size === 0) return `uses nothing readable of its ${what}`;
  const missing = missingMembers(used, provided);
  return missing && `asks its ${what} for ${missing.join(', ')}`;
}

export const CALL_ON_FRIEND_STREAM = runtimeShape(
  'subchannel-call',
  'Http2SubchannelCall takes a friend stream, tracker and transport without throwing',
  'each call a friend transport starts: a throw → that connection leaves its link and the call goes over HTTP/2',
);

export const subchannelCallShapes: readonly Shape[] = [
  {
    seam: 'subchannel-call',
    name: 'build/src/subchannel-call.js exports class Http2SubchannelCall with onDisconnect()',
    differs: () => {
      const cls = callClass();
      if (!cls)
        return notAFunction(grpcModule<{ Http2SubchannelCall: unknown }>('subchannel-call').Http2SubchannelCall);
      return typeof (cls.prototype as { onDisconnect?: unknown }).onDisconnect === 'function'
        ? undefined
        : 'no onDisconnect()';
    },
  },
  {
    seam: 'subchannel-call',
    name: `Http2SubchannelCall is built as (${CONSTRUCTOR_FIELDS.join(', ')}) and keeps each in the field of that name`,
    differs: () => {
      const cls = callClass();
      if (!cls) return 'no Http2SubchannelCall';
      const fields = fieldsFromParameters(cls);
      const wrong = CONSTRUCTOR_FIELDS.filter((field, i) => fields.get(field) !== i);
      return wrong.length > 0 ? `not kept from their position: ${wrong.join(', ')}` : undefined;
    },
  },
  {
    seam: 'subchannel-call',
    name: `Http2SubchannelCall asks its transport only for ${TRANSPORT_MEMBERS.join(' / ')}`,
    differs: () =>
      callClass()
        ? subset('transport', Object.fromEntries(TRANSPORT_MEMBERS.map((m) => [m, true])), 'transport')
        : 'no Http2SubchannelCall',
  },
  {
    seam: 'subchannel-call',
    name: `Http2SubchannelCall tells its tracker only ${TRACKER_MEMBERS.join(' / ')}`,
    differs: () =>
      callClass()
        ? subset('callEventTracker', Object.fromEntries(TRACKER_MEMBERS.map((m) => [m, true])), 'tracker')
        : 'no Http2SubchannelCall',
  },
  {
    seam: 'subchannel-call',
    name: 'Http2SubchannelCall uses only what a friend stream has of its HTTP/2 stream',
    differs: () => (callClass() ? subset('http2Stream', sampleStream(), 'stream') : 'no Http2SubchannelCall'),
  },
  {
    seam: 'subchannel-call',
    name: "when calls ask their transport for getAuthContext(), Http2SubchannelCall#getAuthContext() gives the connection's",
    differs: () => {
      const cls = callClass();
      if (!cls || !usedOf('transport').has('getAuthContext')) return undefined;
      return typeof (cls.prototype as { getAuthContext?: unknown }).getAuthContext === 'function'
        ? undefined
        : 'asks the transport, but has no getAuthContext() itself';
    },
  },
  CALL_ON_FRIEND_STREAM,
];

/** Http2SubchannelCall, once its shapes held. */
export interface SubchannelCallSeam {
  readonly Http2SubchannelCall: Http2SubchannelCallClass;
  /** The auth context of a connection, from a call on it (undefined where calls never ask for one). */
  authContextOf(call: SubchannelCall): AuthContext | undefined;
  /** The socket a call's HTTP/2 stream travels on (its session's socket). */
  socketOf(call: SubchannelCall): Socket | undefined;
  /**
   * Bounds the messages one call reads at `maxBytes`, where the call reads
   * them through a decoder bounded by the channel's max_receive_message_length
   * (1.14); elsewhere the call stays as it is.
   */
  boundMessages(call: SubchannelCall, maxBytes: number): void;
}

export function subchannelCallSeam(): SubchannelCallSeam {
  const needsAuthContext = usedOf('transport').has('getAuthContext');
  return {
    Http2SubchannelCall: callClass() as Http2SubchannelCallClass,
    authContextOf: needsAuthContext
      ? (call) => (call as SubchannelCall & { getAuthContext(): AuthContext }).getAuthContext()
      : () => undefined,
    socketOf: (call) =>
      (call as unknown as { http2Stream?: ClientHttp2Stream }).http2Stream?.session?.socket as Socket | undefined,
    boundMessages: (call, maxBytes) => {
      const decoder = (call as unknown as { decoder?: { maxReadMessageLength?: unknown } }).decoder;
      if (typeof decoder?.maxReadMessageLength === 'number') decoder.maxReadMessageLength = maxBytes;
    },
  };
}
