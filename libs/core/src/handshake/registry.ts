import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Link } from '../links/link.js';
import type { MemoryCopy } from '../links/memory-link.js';
import { isSameConnection, type ConnectionTuple } from './binding.js';

/**
 * In-process rendezvous for the memory tier. A client opens a pending endpoint
 * and names it in its hello; the server that receives that hello (over a real
 * connection) claims it and hands back one end of a memory link. Only code in
 * this process can open an endpoint, so a remote peer cannot obtain the memory
 * tier by naming one. The table lives on `globalThis` so that two copies of this
 * package in one process still find each other.
 */
export interface PendingEndpoint {
  readonly id: string;
  readonly protocol: string;
  /** How the client copies what it sends. */
  readonly copy: MemoryCopy;
  /** Longest message the client accepts (JSON characters). */
  readonly maxMessageLength: number | undefined;
  /** The client's async context when it opened the endpoint: its end of the link delivers there. */
  readonly context: AsyncResource;
  /** The client's connection the hello travels on, as the client sees it; a claim must come through it. */
  readonly binding: ConnectionTuple | undefined;
  /** The client's end, once a server claimed the endpoint. */
  link: Link<unknown> | undefined;
  cancel(): void;
}

type Table = Map<string, PendingEndpoint>;
const KEY = Symbol.for('friends.memory-registry.v1');
const table: Table = ((globalThis as Record<symbol, unknown>)[KEY] as Table | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[KEY] = table;

export function openPendingEndpoint(
  protocol: string,
  copy: MemoryCopy,
  options: { maxMessageLength?: number; binding?: ConnectionTuple } = {},
): PendingEndpoint {
  const endpoint: PendingEndpoint = {
    id: randomBytes(16).toString('hex'),
    protocol,
    copy,
    maxMessageLength: options.maxMessageLength,
    context: new AsyncResource('FriendsMemoryLink'),
    binding: options.binding,
    link: undefined,
    cancel() {
      table.delete(endpoint.id);
      endpoint.link?.destroy();
      endpoint.link = undefined;
    },
  };
  table.set(endpoint.id, endpoint);
  return endpoint;
}

/**
 * Claims a pending endpoint: `connect` builds the link pair, the client's end is
 * parked on the endpoint and the server's end returned. Undefined when there is
 * no such endpoint (never opened, already claimed, cancelled, other protocol),
 * or when the endpoint is bound to a connection and `seenFrom` (the connection
 * the hello arrived on, as the server sees it) is not that connection.
 */
export function claimPendingEndpoint<L extends Link<unknown>>(
  id: string,
  protocol: string,
  connect: (endpoint: PendingEndpoint) => [client: L, server: L],
  seenFrom?: ConnectionTuple,
): L | undefined {
  const endpoint = table.get(id);
  if (!endpoint || endpoint.protocol !== protocol || endpoint.link) return undefined;
  if (endpoint.binding && !(seenFrom && isSameConnection(endpoint.binding, seenFrom))) return undefined;
  table.delete(id);
  const [client, server] = connect(endpoint);
  endpoint.link = client;
  return server;
}

export function pendingEndpointCount(): number {
  return table.size;
}
