import { Metadata, status as Status } from '@grpc/grpc-js';
import type { AuthContext } from '@grpc/grpc-js/build/src/auth-context.js';
import type { MessageContext } from '@grpc/grpc-js/build/src/call-interface.js';
import type { SubchannelCall, SubchannelCallInterceptingListener } from '@grpc/grpc-js/build/src/subchannel-call.js';

/** The framed messages that answer one framed request message. */
export type Answer = (request: Buffer) => readonly Buffer[];

/**
 * A subchannel call answered at once, in memory: each framed message the
 * client sends is answered with `answer(message)`, and the call ends OK once
 * the client has half-closed and read every answer. It keeps the contract of
 * grpc-js's own HTTP/2 call: one message per read, status after the last
 * message, write callbacks and answers on a later tick, never from inside the
 * method that caused them.
 */
export class CannedCall implements SubchannelCall {
  private readonly unread: Buffer[] = [];
  private readRequested = false;
  private halfClosed = false;
  private headersSent = false;
  private ended = false;
  private scheduled = false;
  private readonly flush = (): void => {
    this.scheduled = false;
    this.deliver();
  };

  constructor(
    private readonly listener: SubchannelCallInterceptingListener,
    private readonly answer: Answer,
    private readonly callNumber: number,
  ) {}

  sendMessageWithContext(context: MessageContext, message: Buffer): void {
    for (const reply of this.answer(message)) this.unread.push(reply);
    if (context.callback) process.nextTick(context.callback);
    this.schedule();
  }

  startRead(): void {
    this.readRequested = true;
    this.schedule();
  }

  halfClose(): void {
    this.halfClosed = true;
    this.schedule();
  }

  cancelWithStatus(code: Status, details: string): void {
    if (this.ended) return;
    this.ended = true;
    process.nextTick(() => this.listener.onReceiveStatus({ code, details, metadata: new Metadata() }));
  }

  getPeer(): string {
    return 'canned';
  }

  getCallNumber(): number {
    return this.callNumber;
  }

  getDeadlineInfo(): string[] {
    return [];
  }

  getAuthContext(): AuthContext {
    return {};
  }

  private schedule(): void {
    if (this.scheduled || this.ended) return;
    this.scheduled = true;
    process.nextTick(this.flush);
  }

  private deliver(): void {
    if (this.ended) return;
    if (!this.headersSent) {
      this.headersSent = true;
      this.listener.onReceiveMetadata(new Metadata());
    }
    if (this.readRequested && this.unread.length > 0) {
      this.readRequested = false;
      this.listener.onReceiveMessage(this.unread.shift());
    }
    if (this.halfClosed && this.unread.length === 0) {
      this.ended = true;
      this.listener.onReceiveStatus({ code: Status.OK, details: 'OK', metadata: new Metadata() });
    }
  }
}
