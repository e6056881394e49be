import type { InterceptingListener, Metadata } from '@grpc/grpc-js';
import type { MessageContext } from '@grpc/grpc-js/build/src/call-interface.js';
import type { InterceptingCallInterface } from '@grpc/grpc-js/build/src/client-interceptors.js';
import { status as Status } from '@grpc/grpc-js';

type Operation = (call: InterceptingCallInterface) => void;

/**
 * A call made while its target's route is being decided: operations wait, in
 * order, and replay on the real call once there is one. Nothing is lost or
 * done twice.
 */
export class DeferredCall implements InterceptingCallInterface {
  private call: InterceptingCallInterface | undefined;
  private readonly waiting: Operation[] = [];
  private cancelled: { code: Status; details: string } | undefined;

  resolve(call: InterceptingCallInterface): void {
    this.call = call;
    for (const operation of this.waiting.splice(0)) operation(call);
  }

  private run(operation: Operation): void {
    if (this.call) operation(this.call);
    else this.waiting.push(operation);
  }

  start(metadata: Metadata, listener?: InterceptingListener): void {
    this.run((call) => call.start(metadata, listener));
  }

  sendMessageWithContext(context: MessageContext, message: unknown): void {
    this.run((call) => call.sendMessageWithContext(context, message));
  }

  sendMessage(message: unknown): void {
    this.run((call) => call.sendMessage(message));
  }

  halfClose(): void {
    this.run((call) => call.halfClose());
  }

  startRead(): void {
    this.run((call) => call.startRead());
  }

  cancelWithStatus(code: Status, details: string): void {
    this.cancelled ??= { code, details };
    this.run((call) => call.cancelWithStatus(code, details));
  }

  getPeer(): string {
    return this.call?.getPeer() ?? '';
  }

  getAuthContext(): ReturnType<InterceptingCallInterface['getAuthContext']> {
    return this.call?.getAuthContext() ?? {};
  }
}
