import type { Attributes } from '@opentelemetry/api';
import { networkTransport, type Tier } from './tier.js';

/** The attribute naming the friends tier itself (memory, unix, tcp). */
export const FRIENDS_TIER_ATTRIBUTE = 'friends.tier';

/**
 * What a span of a call records about the way it went: the semantic
 * conventions' `network.transport` (`inproc` for memory, `unix`, `tcp`) and
 * `friends.tier`.
 */
export function tierAttributes(tier: Tier): Attributes {
  return { 'network.transport': networkTransport(tier), [FRIENDS_TIER_ATTRIBUTE]: tier };
}
