import { Metadata, status as Status } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { Subchannel } from '@grpc/grpc-js/build/src/subchannel.js';
import type { SubchannelCall } from '@grpc/grpc-js/build/src/subchannel-call.js';
import type { StatusObject } from '@grpc/grpc-js/build/src/call-interface.js';
import { constants } from 'node:http2';
import { TLSSocket } from 'node:tls';
import { connectionTuple, ErrorCodes, FriendsError, type ConnectionTuple } from '@friends/core/internal';
import {
  MAX_HELLO_BYTES,
  frameMessage,
  helloMethod,
  unframeMessage,
  type HelloAnswerMessage,
  type HelloRequestMessage,
} from '../handshake.js';
import type { SubchannelCallSeam } from '../seams/subchannel-call.js';

/**
 * One Hello on one backend connection, sent straight on the connected
 * subchannel: the same connection and TLS session as the calls, but not a call
 * of the channel (no interceptors, no call credentials, no retries), so the
 * application never sees it.
 */
export class HelloExchange {
  /** The connection the hello travels on, as this side sees it (undefined off TCP). */
  readonly connection: ConnectionTuple | undefined;
  readonly secure: boolean;
  private readonly call: SubchannelCall;
  private answer: Buffer | undefined;
  private settle!: (answer: HelloAnswerMessage | undefined, err?: Error) => void;
  private readonly settled: Promise<HelloAnswerMessage | undefined>;

  /** The connection's auth context, as grpc-js's transport reports it to calls (where calls ask for one). */
  readonly authContext: AuthContext | undefined;
  /**
   * How the hello ended when its connection, not the server, ended it: no
   * response came, and this side did not give up. Any call sent on the
   * connection then would have ended so.
   */
  connectionFailure: StatusObject | undefined;
  private responded = false;
  private gaveUp = false;

  constructor(
    real: Subchannel,
    authority: string,
    private readonly timeoutMs: number,
    seam: SubchannelCallSeam,
  ) {
    this.settled = new Promise((resolve, reject) => {
      this.settle = (answer, err) => (err ? reject(err) : resolve(answer));
    });
    // Abandoned hellos settle with nobody waiting.
    this.settled.catch(() => undefined);
    const metadata = new Metadata();
    metadata.set('grpc-timeout', `${Math.max(1, Math.ceil(timeoutMs))}m`);
    this.call = real.createCall(metadata, authority, helloMethod.path, {
      onReceiveMetadata: () => {
        this.responded = true;
      },
      onReceiveMessage: (framed: Buffer) => {
        // Where grpc-js's decoder has no bound to set (before 1.14), the same check, once read.
        if (framed.length - 5 > MAX_HELLO_BYTES)
          this.call.cancelWithStatus(
            Status.RESOURCE_EXHAUSTED,
            `Received message larger than max (${framed.length - 5} vs ${MAX_HELLO_BYTES})`,
          );
        else this.answer ??= framed;
      },
      onReceiveStatus: (status) => {
        const refused = (status as { rstCode?: number }).rstCode === constants.NGHTTP2_REFUSED_STREAM;
        if (status.code !== Status.OK && !this.responded && !this.gaveUp && !refused)
          this.connectionFailure = { code: status.code, details: status.details, metadata: status.metadata };
        if (status.code === Status.OK && this.answer) {
          try {
            this.settle(helloMethod.responseDeserialize(unframeMessage(this.answer)));
          } catch (err) {
            this.settle(undefined, err as Error);
          }
        } else if (status.code === Status.UNIMPLEMENTED) {
          this.settle(undefined);
        } else {
          this.settle(
            undefined,
            new FriendsError(ErrorCodes.HANDSHAKE_PROTOCOL, `Hello failed: ${status.code} ${status.details}`),
          );
        }
      },
    });
    // The hello's own bound, not the channel's: an application limit below a hello answer's
    // size is meant for its calls and must not keep the connection off its tier.
    seam.boundMessages(this.call, MAX_HELLO_BYTES);
    const socket = seam.socketOf(this.call);
    this.connection = socket ? connectionTuple(socket) : undefined;
    this.secure = socket instanceof TLSSocket;
    this.authContext = seam.authContextOf(this.call);
  }

  /** Sends the hello. Resolves with the answer, or undefined when the server does not speak friends. */
  ask(request: HelloRequestMessage): Promise<HelloAnswerMessage | undefined> {
    const timer = setTimeout(() => {
      this.gaveUp = true;
      this.call.cancelWithStatus(Status.DEADLINE_EXCEEDED, 'Hello timed out');
    }, this.timeoutMs);
    timer.unref();
    this.call.startRead();
    this.call.sendMessageWithContext({}, frameMessage(helloMethod.requestSerialize(request)));
    this.call.halfClose();
    return this.settled.finally(() => clearTimeout(timer));
  }

  /** Gives up before asking (the connection changed meanwhile). */
  abandon(): void {
    this.gaveUp = true;
    this.call.cancelWithStatus(Status.CANCELLED, 'Hello abandoned');
  }
}
