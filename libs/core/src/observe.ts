import { channel } from 'node:diagnostics_channel';
import type { PeerAddress, Tier } from './tier.js';

/** Which library a connection belongs to. */
export type FriendsTransport = 'nest' | 'grpc';

/**
 * Why a connection stayed on the standard wire:
 * - `switched-off`: friends off on this side (option or `FRIENDS=off`), or every tier the peer offered is off here;
 * - `stock-peer`: the peer does not speak friends (a stock server, or no answer to the hello);
 * - `other-kernel`: the peer is on another machine (or cannot prove it is on this one);
 * - `refused`: the peer speaks friends but offered the standard wire (its tiers off, no socket, TLS policy…);
 * - `socket-unreachable`: the unix answer could not be followed (no such socket, permissions, timeout, bad proof);
 * - `handshake-failed`: the hello failed or timed out;
 * - `unsupported-grpc`: the installed @grpc/grpc-js differs from what @friends/grpc builds on, which steps aside
 *   (a process warning `FRIENDS_ERR_UNSUPPORTED_GRPC_VERSION` names the version and what differs).
 */
export type FallbackReason =
  | 'switched-off'
  | 'stock-peer'
  | 'other-kernel'
  | 'refused'
  | 'socket-unreachable'
  | 'handshake-failed'
  | 'unsupported-grpc';

export const FALLBACK_REASONS: readonly FallbackReason[] = [
  'switched-off',
  'stock-peer',
  'other-kernel',
  'refused',
  'socket-unreachable',
  'handshake-failed',
  'unsupported-grpc',
];

/** Published on `friends:connection:tier` whenever a connection's tier is decided, on either side. */
export interface TierMessage {
  transport: FriendsTransport;
  role: 'client' | 'server';
  /** Client: what it dialled (`host:port`, or the gRPC backend address). Server: the address it listens on. */
  target: string;
  tier: Tier;
  /** The other end, when known. */
  peer?: PeerAddress;
  /** Set when `tier` is 'tcp' on a side that asked for more. */
  reason?: FallbackReason;
  /** Human-readable detail of `reason` (already sanitised for logs). */
  detail?: string;
}

/** Published on `friends:link:error` when a friend link ends with an error. */
export interface LinkErrorMessage {
  transport: FriendsTransport;
  role: 'client' | 'server';
  target: string;
  tier: Tier;
  error: Error;
}

/**
 * `node:diagnostics_channel` channels, as undici publishes its own: any tool
 * can `subscribe('friends:connection:tier', fn)` without a dependency on this
 * package. Publishing costs nothing while nobody listens.
 */
export const channels = {
  tier: channel('friends:connection:tier'),
  /** Only the decisions that stayed on the standard wire although more was asked for (`reason` set). */
  fallback: channel('friends:connection:fallback'),
  linkError: channel('friends:link:error'),
} as const;

export function publishTier(message: TierMessage): void {
  if (channels.tier.hasSubscribers) channels.tier.publish(message);
  if (message.reason !== undefined && channels.fallback.hasSubscribers) channels.fallback.publish(message);
}

export function publishLinkError(message: LinkErrorMessage): void {
  if (channels.linkError.hasSubscribers) channels.linkError.publish(message);
}

/** The labels of one series of friends counters. */
export interface SeriesLabels {
  transport: FriendsTransport;
  role: 'client' | 'server';
  /** Client: what it dialled. Server: the address it listens on. Bounded by configuration, never by peers. */
  target: string;
  tier: Tier;
}

/** Counters of one label set. Messages and bytes are counted where friends carries them (see docs/OPERATIONS.md). */
export interface SeriesCounters extends SeriesLabels {
  connectionsOpened: number;
  connectionsActive: number;
  calls: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  errors: number;
}

export interface FallbackCount {
  transport: FriendsTransport;
  role: 'client' | 'server';
  target: string;
  reason: FallbackReason;
  count: number;
}

/** Label sets beyond this many share one overflow series, so a misuse cannot grow memory without bound. */
const MAX_SERIES = 1_000;
const OVERFLOW_TARGET = 'other';

const series = new Map<string, SeriesCounters>();
const fallbacks = new Map<string, FallbackCount>();

function boundedTarget(map: Map<string, unknown>, key: string, target: string): string {
  return map.has(key) || map.size < MAX_SERIES ? target : OVERFLOW_TARGET;
}

/** The live counters of one label set, created on first use. */
export function seriesFor(labels: SeriesLabels): SeriesCounters {
  let key = `${labels.transport}\0${labels.role}\0${labels.tier}\0${labels.target}`;
  let found = series.get(key);
  if (found) return found;
  const target = boundedTarget(series, key, labels.target);
  if (target !== labels.target) {
    key = `${labels.transport}\0${labels.role}\0${labels.tier}\0${target}`;
    found = series.get(key);
    if (found) return found;
  }
  const created: SeriesCounters = {
    transport: labels.transport,
    role: labels.role,
    target,
    tier: labels.tier,
    connectionsOpened: 0,
    connectionsActive: 0,
    calls: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    errors: 0,
  };
  series.set(key, created);
  return created;
}

/** Counts one connection that stayed on the standard wire, by reason. */
export function countFallback(
  transport: FriendsTransport,
  role: 'client' | 'server',
  target: string,
  reason: FallbackReason,
): void {
  let key = `${transport}\0${role}\0${reason}\0${target}`;
  let entry = fallbacks.get(key);
  if (!entry) {
    const bounded = boundedTarget(fallbacks, key, target);
    key = `${transport}\0${role}\0${reason}\0${bounded}`;
    entry = fallbacks.get(key);
    if (!entry) fallbacks.set(key, (entry = { transport, role, target: bounded, reason, count: 0 }));
  }
  entry.count++;
}

/** A copy of every labelled counter of this process. */
export function friendsStats(): { series: SeriesCounters[]; fallbacks: FallbackCount[] } {
  return {
    series: [...series.values()].map((s) => ({ ...s })),
    fallbacks: [...fallbacks.values()].map((f) => ({ ...f })),
  };
}

/** The category of a tier decision's reason (the connector's and the acceptor's texts). */
export function fallbackReason(reason: string): FallbackReason {
  if (reason === 'peer does not speak friends') return 'stock-peer';
  if (reason === 'other kernel' || reason === 'unix answer without proof of this kernel') return 'other-kernel';
  if (reason.startsWith('unix:')) return 'socket-unreachable';
  return 'refused';
}
