/**
 * @friends/core: what an application sees of friends whichever transport it
 * uses: the tiers, the counters and diagnostics channels that keep bypassed
 * traffic visible, and the coded errors. The transports are @friends/nest and
 * @friends/grpc; `@friends/core/prometheus` exports the counters to
 * prom-client. (`@friends/core/internal` is what those packages share: not a
 * public API, it changes without notice.)
 */
export { ErrorCodes, FriendsError, isFriendsError, type ErrorCode } from './errors.js';
export { TIERS, networkTransport, type PeerAddress, type Tier } from './tier.js';
export { friendsDisabledByEnv } from './env.js';
export { defaultSocketDir } from './socket-dir.js';
export { metricsSnapshot, type TierCounters } from './metrics.js';
export {
  FALLBACK_REASONS,
  channels,
  friendsStats,
  type FallbackCount,
  type FallbackReason,
  type FriendsTransport,
  type LinkErrorMessage,
  type SeriesCounters,
  type SeriesLabels,
  type TierMessage,
} from './observe.js';
export { FRIENDS_TIER_ATTRIBUTE, tierAttributes, type TierAttributes } from './tracing.js';
