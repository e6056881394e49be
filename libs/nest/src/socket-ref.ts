import type { Socket } from 'node:net';
import { SocketLink, type Link } from '@friends/core/internal';
import { NetSocketClosedException } from '@nestjs/microservices/errors/net-socket-closed.exception.js';
import type { NestPacket } from './wire.js';

type Listener = (...args: unknown[]) => void;

/** Events a connection reports on every tier; anything else is a socket's own event. */
const LINK_EVENTS = new Set(['message', 'close', 'drain']);

/**
 * What `FriendsContext.getSocketRef()` returns: the surface of the stock
 * transport's JsonSocket (`TcpContext.getSocketRef()`) over a connection of
 * any tier. `netSocket` is the TCP (or TLS) socket on tcp, the unix socket on
 * unix, and null in memory, where there is no socket.
 */
export class FriendsSocketRef {
  constructor(readonly link: Link<NestPacket>) {}

  get netSocket(): Socket | null {
    return this.link instanceof SocketLink ? this.link.socket : null;
  }

  get isClosed(): boolean {
    return this.link.closed;
  }

  /** Writes one packet on the connection, bypassing the serializer, as JsonSocket does. */
  sendMessage(message: unknown, callback?: (err?: Error) => void): void {
    if (this.link.closed) {
      callback?.(new NetSocketClosedException());
      return;
    }
    this.link.send(message as NestPacket);
    if (callback) process.nextTick(callback);
  }

  /** 'message', 'close' (with `hadError`) and 'drain' on every tier; other events from the socket, if any. */
  on(event: string, listener: Listener): this {
    this.subscribe(event, listener, false);
    return this;
  }

  once(event: string, listener: Listener): this {
    this.subscribe(event, listener, true);
    return this;
  }

  /** Ends the connection gracefully. */
  end(): this {
    this.link.close();
    return this;
  }

  private subscribe(event: string, listener: Listener, once: boolean): void {
    if (LINK_EVENTS.has(event)) {
      const relay = event === 'close' ? (err: unknown) => listener(err !== undefined) : listener;
      if (once) this.link.once(event as 'message', relay as never);
      else this.link.on(event as 'message', relay as never);
      return;
    }
    const socket = this.netSocket;
    if (!socket) return;
    if (once) socket.once(event, listener);
    else socket.on(event, listener);
  }
}
