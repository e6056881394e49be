import { FriendsContext } from '../friends-context.js';
import type { FriendsSocketRef } from '../socket-ref.js';
import type { NestHost } from './shapes.js';

/** Makes the context a handler gets for one packet. */
export type ContextFactory = (ref: FriendsSocketRef, pattern: string, metadata: unknown) => FriendsContext;

const withMetadata: ContextFactory = (ref, pattern, metadata) =>
  new FriendsContext([ref, pattern, metadata as Record<string, unknown> | undefined]);

const withoutMetadata: ContextFactory = (ref, pattern) => new FriendsContext([ref, pattern]);

/**
 * The installed major's TcpContext arguments: `[socket, pattern, metadata]` on
 * Nest 12, `[socket, pattern]` on Nest 11, whose server drops packet metadata.
 */
export function contextFactory(host: NestHost): ContextFactory {
  return host.contextMetadata ? withMetadata : withoutMetadata;
}
