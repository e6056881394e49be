import * as grpc from '@grpc/grpc-js';
import { friends } from '@friends/grpc';
import {
  EchoClient,
  PAYLOAD_BYTES,
  STREAM_MESSAGE_BYTES,
  type EchoStub,
  type Payload,
  type StreamRequest,
} from './echo-service.js';

/** A stock grpc-js client, or one built with `friends()`. */
export type GrpcClientKind = 'stock' | 'friends';

/** Which way a call went, from the client's `call.getPeer()`. */
export type GrpcPath = 'memory' | 'unix' | 'http2';

export function pathOf(peer: string): GrpcPath {
  if (peer.startsWith('memory:')) return 'memory';
  if (peer.startsWith('unix:')) return 'unix';
  return 'http2';
}

const REQUEST: Payload = { data: Buffer.alloc(PAYLOAD_BYTES, 0x61) };

/*
 * grpc-js shares one connection among channels with the same target and
 * options; each variant gets its own, as a separate service's client would.
 */
const OWN_CONNECTION = { 'grpc.use_local_subchannel_pool': 1 };

/** One generated echo client, with the requests the benchmark makes. */
export class GrpcEchoClient {
  private readonly stub: EchoStub;
  private readonly closeFriends: () => void;

  constructor(kind: GrpcClientKind, target: string) {
    const credentials = grpc.credentials.createInsecure();
    if (kind === 'stock') {
      this.stub = new EchoClient(target, credentials, OWN_CONNECTION);
      this.closeFriends = () => undefined;
    } else {
      const options = friends();
      this.stub = new EchoClient(target, credentials, { ...options, ...OWN_CONNECTION });
      this.closeFriends = () => options.friendsRouter?.close();
    }
  }

  /** The measured unary request. */
  readonly unary = (): Promise<Payload> =>
    new Promise((resolve, reject) => {
      this.stub.Echo(REQUEST, (err, reply) => (err ? reject(err) : resolve(reply!)));
    });

  /** A server stream read to its end; resolves with the number of messages. */
  stream(count: number): Promise<number> {
    return this.streamWithPeer(count).then(({ received }) => received);
  }

  /** One unary call, with the peer its call reported. */
  unaryWithPeer(): Promise<{ reply: Payload; peer: string }> {
    return new Promise((resolve, reject) => {
      const call = this.stub.Echo(REQUEST, (err, reply) =>
        err ? reject(err) : resolve({ reply: reply!, peer: call.getPeer() }),
      );
    });
  }

  streamWithPeer(count: number): Promise<{ received: number; peer: string }> {
    return new Promise((resolve, reject) => {
      let received = 0;
      const request: StreamRequest = { count, size: STREAM_MESSAGE_BYTES };
      const call = this.stub.ServerStream(request);
      call.on('data', () => {
        received++;
      });
      call.on('error', reject);
      call.on('end', () => resolve({ received, peer: call.getPeer() }));
    });
  }

  close(): void {
    this.closeFriends();
    this.stub.close();
  }
}

/** The payload the unary call must echo. */
export function isEcho(reply: Payload): boolean {
  return Buffer.isBuffer(reply.data) && reply.data.equals(REQUEST.data);
}
