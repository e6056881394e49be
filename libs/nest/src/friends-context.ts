import { networkTransport, type Link, type Tier } from '@friends/core';
import { BaseRpcContext } from '@nestjs/microservices';
import type { NestPacket } from './wire.js';

type FriendsContextArgs = [link: Link<NestPacket>, pattern: string, metadata: Record<string, unknown> | undefined];

/**
 * The RPC context of a FriendsServer handler (`@Ctx() ctx: FriendsContext`).
 * Argument order matches the stock TcpContext: connection, pattern, metadata.
 */
export class FriendsContext extends BaseRpcContext<FriendsContextArgs> {
  /** The connection the packet came on. */
  getLink(): Link<NestPacket> {
    return this.args[0];
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
    return this.args[0].kind;
  }

  /** OpenTelemetry attributes of the connection. */
  getTransportAttributes(): { 'network.transport': 'inproc' | 'unix' | 'tcp' } {
    return { 'network.transport': networkTransport(this.args[0].kind) };
  }
}
