/** What @friends/nest and @friends/grpc share. Not a public API: it changes without notice. */
export { ErrorCodes, FriendsError, frameTooLarge, isFriendsError, type ErrorCode } from './errors.js';
export { TIERS, describePeer, networkTransport, type PeerAddress, type Tier } from './tier.js';
export { friendsDisabledByEnv } from './env.js';
export { LOG_TEXT_MAX, safeLogText, WarningThrottle, type WarningThrottleOptions } from './log-text.js';
export { metrics, metricsSnapshot, type TierCounters } from './metrics.js';
export type { Link, LinkEvents } from './links/link.js';
export {
  MemoryLink,
  createMemoryLinkPair,
  memoryCopies,
  type CopyMode,
  type MemoryCopy,
  type MemoryEnd,
  type MemoryLinkOptions,
} from './links/memory-link.js';
export { jsonCopy, jsonCopyWithin, TooLong } from './links/json-copy.js';
export { microtask } from './links/schedule.js';
export { SocketLink, SOCKET_LINK_DEFAULTS, type SocketLinkOptions } from './links/socket-link.js';
export {
  mapFrames,
  type DecoderLimits,
  type FrameSplitter,
  type MessageCodec,
  type MessageDecoder,
} from './codec/codec.js';
export { StockFrameDecoder, encodeStockFrame, parseJsonFrame, stockJsonCodec } from './codec/stock-framing.js';
export {
  COMPACT_HEADER_SIZE,
  CompactFrameDecoder,
  encodeCompactFrame,
  splitFirstCompactFrame,
  type CompactFrame,
} from './codec/compact-framing.js';
export {
  isSocketPathShape,
  parseAnswer,
  parseHello,
  SOCKET_NAME,
  AUTH_FRAME,
  AUTH_OK_FRAME,
  type HelloAnswer,
  type HelloRequest,
} from './handshake/hello.js';
export { kernelIdentity, kernelProof, resolveKernelIdentity, unixAnswerProof } from './handshake/host-identity.js';
export { TicketBook, type RedeemedTicket } from './handshake/tickets.js';
export {
  canonicalAddress,
  clientEnd,
  connectionTuple,
  isSameConnection,
  type ConnectionTuple,
} from './handshake/binding.js';
export { openPendingEndpoint, claimPendingEndpoint, pendingEndpointCount } from './handshake/registry.js';
export { FriendsAcceptor, type AcceptorOptions } from './handshake/acceptor.js';
export { HelloAttempt, type ConnectorOptions, type TierDecision } from './handshake/connector.js';
export {
  MAX_UNIX_PATH,
  bindablePath,
  chooseSocketDir,
  defaultSocketDir,
  listenUnix,
  prepareSocketDir,
  removeSocketFile,
  removeStaleSockets,
  socketFileName,
} from './socket-dir.js';
export {
  FALLBACK_REASONS,
  channels,
  countFallback,
  fallbackReason,
  friendsStats,
  publishLinkError,
  publishTier,
  seriesFor,
  type FallbackCount,
  type FallbackReason,
  type FriendsTransport,
  type LinkErrorMessage,
  type SeriesCounters,
  type SeriesLabels,
  type TierMessage,
} from './observe.js';
export { FRIENDS_TIER_ATTRIBUTE, tierAttributes, type TierAttributes } from './tracing.js';
export { optionalPeer } from './optional-peer.js';
