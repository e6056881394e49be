import { describePeer, type Link } from '@friends/core';
import type { CallChannel, FriendClientCall } from './client-call.js';
import { CallTable } from './call-table.js';
import type { CallFrame } from './frames.js';

/** The client side of one friend link: numbers calls and routes their frames. */
export class FriendConnection implements CallChannel {
  readonly peer: string;
  readonly kind: 'memory' | 'unix' | 'tcp';
  private nextId = 0;
  private readonly calls = new CallTable<FriendClientCall>();

  constructor(
    readonly link: Link<CallFrame>,
    onClose: () => void,
  ) {
    this.peer = describePeer(link.peer);
    this.kind = link.kind;
    link.on('message', (frame) => this.calls.get(frame.s)?.receive(frame));
    link.on('close', () => {
      onClose();
      for (const call of this.calls.drain()) call.connectionLost();
    });
  }

  get usable(): boolean {
    return !this.link.closed;
  }

  open(call: FriendClientCall): number {
    const id = ++this.nextId;
    this.calls.set(id, call);
    return id;
  }

  send(frame: CallFrame): void {
    this.link.send(frame);
  }

  release(id: number): void {
    this.calls.delete(id);
  }

  close(): void {
    this.link.close();
  }
}
