/**
 * What @friends/nest and @friends/grpc share: the public API, and the pieces
 * below it. Not a public API itself: it changes without notice.
 */
export * from './index.js';
export { frameTooLarge } from './errors.js';
export { describePeer } from './tier.js';
export { LOG_TEXT_MAX, safeLogText, WarningThrottle, type WarningThrottleOptions } from './log-text.js';
export { metrics } from './metrics.js';
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
  listenUnix,
  prepareSocketDir,
  removeSocketFile,
  removeStaleSockets,
  socketFileName,
} from './socket-dir.js';
export { countFallback, fallbackReason, publishLinkError, publishTier, seriesFor } from './observe.js';
export { optionalPeer } from './optional-peer.js';
