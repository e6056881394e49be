import { Metadata, status as Status, type InterceptingListener, type StatusObject } from '@grpc/grpc-js';
import type { MessageContext } from '@grpc/grpc-js/build/src/call-interface.js';
import type { InterceptingCallInterface } from '@grpc/grpc-js/build/src/client-interceptors.js';
import type { ClientMethodDefinition } from '@grpc/grpc-js/build/src/make-client.js';
import { microtask } from '@friends/core';
import { REFILL, WINDOW, type CallFrame } from './frames.js';

export interface ClientCallOptions {
  /** Absolute deadline in ms since the epoch, 0 for none. */
  deadline: number;
  maxSendMessageSize: number;
  maxReceiveMessageSize: number;
  /** Metadata to add before the call starts (call credentials); may reject. */
  extraMetadata?: () => Promise<Metadata | undefined>;
  /** Memory tier only: messages are passed as objects, without the serialize round trip. */
  byReference?: boolean;
  /** A parent server call whose cancellation this call follows (Propagate.CANCELLATION). */
  cancelWith?: { on(event: 'cancelled', listener: () => void): unknown };
}

/** The half of a friend connection a call talks to. */
export interface CallChannel {
  readonly peer: string;
  readonly kind: 'memory' | 'unix' | 'tcp';
  open(call: FriendClientCall): number;
  send(frame: CallFrame): void;
  release(id: number): void;
}

type Incoming =
  | { kind: 'md'; md: Metadata }
  | { kind: 'msg'; bytes: Buffer; value?: unknown }
  | { kind: 'status'; status: StatusObject };
const NO_BYTES = Buffer.alloc(0);

/**
 * The client end of one call between friends, standing where grpc-js's bottom
 * call would: it serializes, enforces deadline and sizes, and delivers one
 * message per `startRead()` with the status after every message.
 */
export class FriendClientCall implements InterceptingCallInterface {
  private listener: InterceptingListener | undefined;
  private id = 0;
  /** Set in the constructor: see there. */
  private credit: number;
  private readonly outgoing: { bytes: Buffer; value: unknown; callback: (() => void) | undefined }[] = [];
  private halfClosePending = false;
  private readonly incoming: Incoming[] = [];
  private readsWanted = 0;
  private consumed = 0;
  private delivering = false;
  private flushing = false;
  private receivedMessage = false;
  private done = false;
  private started = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly byReference: boolean;

  constructor(
    private readonly channel: CallChannel,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly method: ClientMethodDefinition<any, any>,
    private readonly options: ClientCallOptions,
  ) {
    this.byReference = options.byReference === true && channel.kind === 'memory';
    // One request message (unary, server streaming): send it at once, no round trip.
    // A request stream waits for the server's first grant, which it sends once the call
    // is set up: handlers that buffer early messages (Nest's @GrpcStreamMethod) then see
    // them in order, as they do over HTTP/2.
    this.credit = method.requestStream ? 0 : WINDOW;
  }

  start(metadata: Metadata, listener?: InterceptingListener): void {
    this.listener = listener;
    const { deadline, cancelWith } = this.options;
    cancelWith?.on('cancelled', () => this.cancelWithStatus(Status.CANCELLED, 'Cancelled by parent call'));
    if (deadline > 0) {
      this.deadlineTimer = setTimeout(
        () => this.cancelWithStatus(Status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
        Math.max(0, deadline - Date.now()),
      );
      this.deadlineTimer.unref?.();
    }
    const extra = this.options.extraMetadata;
    if (!extra) return this.begin(metadata);
    extra().then(
      (added) => {
        const md = metadata.clone();
        if (added) md.merge(added);
        this.begin(md);
      },
      (err: Error) =>
        this.finish({
          code: Status.UNAVAILABLE,
          details: `Getting metadata from plugin failed with error: ${err.message}`,
          metadata: new Metadata(),
        }),
    );
  }

  private begin(md: Metadata): void {
    if (this.done) return;
    this.id = this.channel.open(this);
    this.started = true;
    this.channel.send({
      t: 'start',
      s: this.id,
      path: this.method.path,
      md,
      deadline: this.options.deadline,
      byReference: this.byReference,
    });
    // Unary responses are read by the call itself, as grpc-js's unary bottom call does.
    if (!this.method.responseStream) this.startRead();
    this.flush();
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    if (this.done) return;
    let bytes: Buffer = NO_BYTES;
    if (!this.byReference) {
      try {
        bytes = this.method.requestSerialize(message);
      } catch (err) {
        this.cancelWithStatus(Status.INTERNAL, `Request message serialization failure: ${(err as Error).message}`);
        return;
      }
      const max = this.options.maxSendMessageSize;
      if (max >= 0 && bytes.length > max) {
        this.cancelWithStatus(Status.RESOURCE_EXHAUSTED, `Sent message larger than max (${bytes.length} vs. ${max})`);
        return;
      }
    }
    // Nothing queued and room in the window: straight out, without the queue.
    if (this.started && !this.flushing && this.outgoing.length === 0 && this.credit > 0) {
      this.transmit(bytes, message, context.callback);
    } else {
      this.outgoing.push({ bytes, value: message, callback: context.callback });
      this.flush();
    }
  }

  sendMessage(message: unknown): void {
    this.sendMessageWithContext({}, message);
  }

  halfClose(): void {
    this.halfClosePending = true;
    this.flush();
  }

  startRead(): void {
    if (this.done) return;
    this.readsWanted++;
    if (this.incoming.some((item) => item.kind === 'msg')) this.deliverSoon();
  }

  cancelWithStatus(code: Status, details: string): void {
    if (this.done) return;
    if (this.started) this.channel.send({ t: 'cancel', s: this.id });
    this.finish({ code, details, metadata: new Metadata() });
  }

  getPeer(): string {
    return this.channel.peer;
  }

  getAuthContext(): Record<string, never> {
    return {};
  }

  /** A frame for this call arrived from the server. */
  receive(frame: CallFrame): void {
    if (this.done) return;
    switch (frame.t) {
      case 'read':
        this.credit += frame.n ?? 1;
        this.flush();
        return;
      case 'md':
        this.incoming.push({ kind: 'md', md: frame.md });
        break;
      case 'msg': {
        const max = this.options.maxReceiveMessageSize;
        if (max >= 0 && frame.b.length > max) {
          this.cancelWithStatus(
            Status.RESOURCE_EXHAUSTED,
            `Received message larger than max (${frame.b.length} vs. ${max})`,
          );
          return;
        }
        this.incoming.push({ kind: 'msg', bytes: frame.b, value: frame.v });
        break;
      }
      case 'status':
        this.incoming.push({
          kind: 'status',
          status: { code: frame.code, details: frame.details, metadata: frame.md },
        });
        break;
      default:
        return;
    }
    this.deliver();
  }

  /** The connection under the call dropped. */
  connectionLost(): void {
    this.finish({ code: Status.UNAVAILABLE, details: 'Connection dropped', metadata: new Metadata() });
  }

  /** Sends what the window allows; a write's callback runs as its message goes out. */
  private flush(): void {
    if (!this.started || this.done || this.flushing) return;
    this.flushing = true;
    try {
      while (this.outgoing.length > 0 && this.credit > 0 && !this.done) {
        const { bytes, value, callback } = this.outgoing.shift()!;
        this.transmit(bytes, value, callback);
      }
    } finally {
      this.flushing = false;
    }
    if (this.halfClosePending && this.outgoing.length === 0 && !this.done) {
      this.halfClosePending = false;
      this.channel.send({ t: 'half', s: this.id });
    }
  }

  /** One message out, against the window; its write completes as it goes. */
  private transmit(bytes: Buffer, value: unknown, callback: (() => void) | undefined): void {
    this.credit--;
    this.channel.send(
      this.byReference ? { t: 'msg', s: this.id, b: bytes, v: value } : { t: 'msg', s: this.id, b: bytes },
    );
    callback?.();
  }

  /**
   * Delivers metadata, then one message per wanted read, then the status after
   * the last message. A read the caller asks for is answered a hop later; a
   * frame from the link (never on the caller's stack) is delivered at once.
   * Reads asked for during a pass are served by the same pass.
   */
  private deliverSoon(): void {
    if (this.delivering) return;
    this.delivering = true;
    microtask(this.deliverScheduled);
  }

  private readonly deliverScheduled = (): void => {
    this.delivering = false;
    this.deliver();
  };

  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (!this.done && this.incoming.length > 0) {
        const next = this.incoming[0]!;
        if (next.kind === 'msg') {
          if (this.readsWanted === 0) return;
          this.readsWanted--;
          this.incoming.shift();
          // Consumed messages make room in the window, acknowledged in batches.
          if (++this.consumed >= REFILL) {
            this.channel.send({ t: 'read', s: this.id, n: this.consumed });
            this.consumed = 0;
          }
          let message: unknown;
          try {
            message = this.byReference ? next.value : this.method.responseDeserialize(next.bytes);
          } catch (err) {
            this.cancelWithStatus(Status.INTERNAL, `Failed to parse server response: ${(err as Error).message}`);
            return;
          }
          this.receivedMessage = true;
          this.listener?.onReceiveMessage(message);
          continue;
        }
        this.incoming.shift();
        if (next.kind === 'md') this.listener?.onReceiveMetadata(next.md);
        else this.finish(next.status);
      }
    } finally {
      this.delivering = false;
    }
  }

  private finish(status: StatusObject): void {
    if (this.done) return;
    this.done = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.started) this.channel.release(this.id);
    this.outgoing.length = 0;
    const listener = this.listener;
    if (!listener) return;
    // Never from inside the caller's own cancel(): reported a tick later.
    process.nextTick(() => {
      // As grpc-js's unary bottom call: a status without a response is preceded by a null message.
      if (!this.method.responseStream && !this.receivedMessage) listener.onReceiveMessage(null);
      listener.onReceiveStatus(status);
    });
  }
}
