import { networkTransport, type Tier } from './tier.js';

/** The attribute naming the friends tier itself (memory, unix, tcp). */
export const FRIENDS_TIER_ATTRIBUTE = 'friends.tier';

/** Span attributes of a call's tier (an OpenTelemetry `Attributes` object). */
export type TierAttributes = {
  'network.transport': 'inproc' | 'unix' | 'tcp';
  [FRIENDS_TIER_ATTRIBUTE]: Tier;
};

/**
 * What a span of a call records about the way it went: the semantic
 * conventions' `network.transport` (`inproc` for memory, `unix`, `tcp`) and
 * `friends.tier`.
 */
export function tierAttributes(tier: Tier): TierAttributes {
  return { 'network.transport': networkTransport(tier), [FRIENDS_TIER_ATTRIBUTE]: tier };
}
