import { networkTransport, type Link, type Tier } from '@friends/core/internal';
import { BaseRpcContext } from '@nestjs/microservices';
import type { FriendsSocketRef } from './socket-ref.js';
import type { NestPacket } from './wire.js';

type FriendsContextArgs = [socketRef: FriendsSocketRef, pattern: string, metadata: Record<string, unknown> | undefined];

/**
 * The RPC context of a FriendsServer handler (`@Ctx() ctx: FriendsContext`).
 * It has the stock TcpContext's surface and argument order (socket ref,
 * pattern, metadata), so handlers typed for TcpContext run unchanged.
 */
export class FriendsContext extends BaseRpcContext<FriendsContextArgs> {
  /** The connection, with the stock JsonSocket's surface; see FriendsSocketRef for what `netSocket` is per tier. */
  getSocketRef(): FriendsSocketRef {
    return this.args[0];
  }

  /** The connection the packet came on. */
  getLink(): Link<NestPacket> {
    return this.args[0].link;
  }

  getPattern(): string {
    return this.args[1];
  }

  /** The metadata the client attached to the packet, if any. */
  getMetadata(): Record<string, unknown> | undefined {
    return this.args[2];
  }

  /** Which tier the connection took: 'memory', 'unix' or 'tcp'. */
  getTier(): Tier {
    return this.args[0].link.kind;
  }

  /** OpenTelemetry attributes of the connection. */
  getTransportAttributes(): { 'network.transport': 'inproc' | 'unix' | 'tcp' } {
    return { 'network.transport': networkTransport(this.args[0].link.kind) };
  }
}
