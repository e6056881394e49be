import { Metadata, status as Status, type ServerInterceptingCallInterface } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { Deadline } from '@grpc/grpc-js/build/src/deadline.js';
import type { InterceptingServerListener } from '@grpc/grpc-js/build/src/server-interceptors.js';
import { microtask } from '@friends/core';
import { REFILL, WINDOW, type CallFrame } from './frames.js';
import { orca, type PartialStatusObject } from './grpc-internals.js';

export interface ServerCallOptions {
  /** The client asked for objects by reference (memory tier only). */
  byReference: boolean;
  /** -1 for no limit. */
  maxSendMessageSize: number;
  maxReceiveMessageSize: number;
}

export interface RegisteredHandler {
  path: string;
  type: 'unary' | 'clientStream' | 'serverStream' | 'bidi';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  func: (...args: any[]) => void;
  serialize: (value: unknown) => Buffer;
  deserialize: (bytes: Buffer) => unknown;
  /** What server interceptors are given as the method. */
  method: {
    path: string;
    requestStream: boolean;
    responseStream: boolean;
    requestDeserialize: (bytes: Buffer) => unknown;
    responseSerialize: (value: unknown) => Buffer;
  };
}

type Incoming = { bytes: Buffer; value?: unknown } | 'half';
const NO_BYTES = Buffer.alloc(0);

/**
 * The server end of one call between friends: grpc-js's own call surface
 * (ServerInterceptingCallInterface) on top of call frames, so user server
 * interceptors and the stock call objects work unchanged. Messages are read one
 * per `startRead()`, and each read grants the client one more message.
 */
export class FriendServerCall implements ServerInterceptingCallInterface {
  private listener: InterceptingServerListener | undefined;
  private readonly incoming: Incoming[] = [];
  private readPending = false;
  private consumed = 0;
  private halfClosed = false;
  private delivering = false;
  private flushing = false;
  private metadataSent = false;
  private done = false;
  /** Each side starts with a full window: no round trip before the first message. */
  private credit = WINDOW;
  private readonly outgoing: { bytes: Buffer; value: unknown; callback: () => void }[] = [];
  private pendingStatus: PartialStatusObject | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private metrics: InstanceType<typeof orca.PerRequestMetricRecorder> | undefined;

  constructor(
    private readonly send: (frame: CallFrame) => void,
    readonly id: number,
    private readonly handler: RegisteredHandler,
    private readonly metadata: Metadata,
    private readonly deadline: number,
    private readonly peer: string,
    private readonly options: ServerCallOptions,
    private readonly onDone: () => void,
  ) {
    if (deadline > 0) {
      this.deadlineTimer = setTimeout(() => this.cancelled(), Math.max(0, deadline - Date.now()));
      this.deadlineTimer.unref();
    }
    if (handler.method.requestStream) microtask(() => !this.done && this.send({ t: 'read', s: id, n: WINDOW }));
  }

  start(listener: InterceptingServerListener): void {
    this.listener = listener;
    listener.onReceiveMetadata(this.metadata);
  }

  startRead(): void {
    if (this.done) return;
    this.readPending = true;
    if (this.incoming.length > 0) this.deliverSoon();
  }

  sendMetadata(metadata: Metadata): void {
    if (this.done || this.metadataSent) return;
    this.metadataSent = true;
    this.send({ t: 'md', s: this.id, md: metadata.clone() });
  }

  sendMessage(message: unknown, callback: () => void): void {
    if (this.done) return;
    let bytes: Buffer = NO_BYTES;
    if (!this.options.byReference) {
      try {
        bytes = this.handler.serialize(message);
      } catch (err) {
        this.sendStatus({ code: Status.INTERNAL, details: `Error serializing response: ${(err as Error).message}` });
        return;
      }
      const max = this.options.maxSendMessageSize;
      if (max >= 0 && bytes.length > max) {
        this.sendStatus({
          code: Status.RESOURCE_EXHAUSTED,
          details: `Sent message larger than max (${bytes.length} vs. ${max})`,
        });
        return;
      }
    }
    // Nothing queued and room in the window: straight out, without the queue.
    if (!this.flushing && this.outgoing.length === 0 && this.credit > 0) this.transmit(bytes, message, callback);
    else {
      this.outgoing.push({ bytes, value: message, callback });
      this.flush();
    }
  }

  sendStatus(status: PartialStatusObject): void {
    if (this.done) return;
    this.pendingStatus = status;
    this.flush();
  }

  getPeer(): string {
    return this.peer;
  }

  getDeadline(): Deadline {
    return this.deadline > 0 ? new Date(this.deadline) : Infinity;
  }

  getHost(): string {
    return 'friends';
  }

  getAuthContext(): AuthContext {
    return {};
  }

  getConnectionInfo(): Record<string, never> {
    return {};
  }

  getMetricsRecorder(): never {
    this.metrics ??= new orca.PerRequestMetricRecorder();
    return this.metrics as never;
  }

  /** A frame for this call arrived from the client. */
  receive(frame: CallFrame): void {
    if (this.done) return;
    switch (frame.t) {
      case 'msg': {
        const max = this.options.maxReceiveMessageSize;
        if (max >= 0 && frame.b.length > max) {
          this.sendStatus({
            code: Status.RESOURCE_EXHAUSTED,
            details: `Received message larger than max (${frame.b.length} vs. ${max})`,
          });
          return;
        }
        this.incoming.push({ bytes: frame.b, value: frame.v });
        this.deliver();
        return;
      }
      case 'half':
        this.halfClosed = true;
        this.incoming.push('half');
        this.deliver();
        return;
      case 'read':
        this.credit += frame.n ?? 1;
        this.flush();
        return;
      case 'cancel':
        this.cancelled();
        return;
    }
  }

  /** The link under the call went away. */
  linkClosed(): void {
    this.cancelled();
  }

  /** Never from inside the caller's own startRead(): a hop later, unless a pass is running. */
  private deliverSoon(): void {
    if (this.delivering) return;
    this.delivering = true;
    microtask(this.deliverScheduled);
  }

  private readonly deliverScheduled = (): void => {
    this.delivering = false;
    this.deliver();
  };

  /**
   * Hands the listener one message (or the half-close) per read it asked for.
   * Frames arrive from the link, never from the caller's stack, so this runs
   * at once; reads asked for during the pass are served by the same pass.
   */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (!this.done && this.readPending && this.incoming.length > 0) {
        const next = this.incoming.shift()!;
        this.readPending = false;
        if (next === 'half') {
          this.listener?.onReceiveHalfClose();
          continue;
        }
        // Consumed messages make room in the window, acknowledged in batches.
        if (++this.consumed >= REFILL && !this.halfClosed) {
          this.send({ t: 'read', s: this.id, n: this.consumed });
          this.consumed = 0;
        }
        let message: unknown;
        try {
          message = this.options.byReference ? next.value : this.handler.deserialize(next.bytes);
        } catch (err) {
          this.sendStatus({ code: Status.INTERNAL, details: `Error deserializing request: ${(err as Error).message}` });
          return;
        }
        this.listener?.onReceiveMessage(message);
      }
    } finally {
      this.delivering = false;
    }
  }

  /**
   * Sends what the window allows, then the status once nothing is left. A
   * write's callback runs as its message goes out (a Writable takes its next
   * chunk from there); what it writes or ends meanwhile joins this same loop.
   */
  private flush(): void {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.outgoing.length > 0 && this.credit > 0 && !this.done) {
        const { bytes, value, callback } = this.outgoing.shift()!;
        this.transmit(bytes, value, callback);
      }
    } finally {
      this.flushing = false;
    }
    if (this.outgoing.length === 0 && this.pendingStatus && !this.done) {
      const { code = Status.UNKNOWN, details = '', metadata } = this.pendingStatus;
      this.ensureMetadata();
      this.send({ t: 'status', s: this.id, code, details, md: metadata ? metadata.clone() : new Metadata() });
      this.finish();
    }
  }

  /** One message out, against the window; its write completes as it goes. */
  private transmit(bytes: Buffer, value: unknown, callback: () => void): void {
    this.credit--;
    this.ensureMetadata();
    this.send(
      this.options.byReference ? { t: 'msg', s: this.id, b: bytes, v: value } : { t: 'msg', s: this.id, b: bytes },
    );
    callback();
  }

  private ensureMetadata(): void {
    if (this.metadataSent) return;
    this.metadataSent = true;
    this.send({ t: 'md', s: this.id, md: new Metadata() });
  }

  private cancelled(): void {
    if (this.done) return;
    this.finish();
    this.listener?.onCancel();
  }

  private finish(): void {
    this.done = true;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.outgoing.length = 0;
    this.onDone();
  }
}
