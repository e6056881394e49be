import type { Link } from '@friends/core';
import type { CallFrame } from './frames.js';

/** Memory endpoints and links pair only within this call protocol. */
export const GRPC_PROTOCOL = 'grpc-calls/1';

type Accept = (serverEnd: Link<CallFrame>) => void;
type Table = Map<string, Accept>;

/**
 * FriendsGrpcServers of this process by the addresses they bound, so a client
 * whose target is one of them connects in memory without opening any socket.
 * Only loopback, wildcard and literal bound hosts are listed: a port bound in
 * this process cannot be served by another process at the same address.
 */
const KEY = Symbol.for('friends.grpc.local-servers.v1');
const table: Table = ((globalThis as Record<symbol, unknown>)[KEY] as Table | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[KEY] = table;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const WILDCARDS = new Set(['0.0.0.0', '[::]', '::', '']);

function splitHostPort(address: string): { host: string; port: string } | undefined {
  const match = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(address);
  return match ? { host: match[1]!.toLowerCase(), port: match[2]! } : undefined;
}

/** Strips the naming scheme grpc-js accepts in front of host:port. */
function bareTarget(target: string): string {
  return target.replace(/^(dns:(\/\/[^/]*\/)?|ipv4:|ipv6:)/, '').replace(/^\/+/, '');
}

export function registerLocalServer(requested: string, boundPort: number, accept: Accept): () => void {
  const address = splitHostPort(bareTarget(requested));
  if (!address || boundPort <= 0) return () => undefined;
  const hosts = WILDCARDS.has(address.host) || LOOPBACK_NAMES.includes(address.host) ? LOOPBACK_NAMES : [address.host];
  const keys = hosts.map((host) => `${host}:${boundPort}`);
  for (const key of keys) table.set(key, accept);
  return () => {
    for (const key of keys) if (table.get(key) === accept) table.delete(key);
  };
}

export function findLocalServer(target: string): Accept | undefined {
  const address = splitHostPort(bareTarget(target));
  return address ? table.get(`${address.host}:${address.port}`) : undefined;
}
