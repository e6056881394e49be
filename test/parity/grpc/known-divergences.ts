import type { TargetName } from '../../support/target-names.js';

/**
 * Every (scenario, placement) pair whose trace differs from stock today, with
 * the reason in one line. The suite fails for a differing pair not listed
 * here, and for a listed pair that no longer differs: remove its entry when
 * the fix lands. A pair that would hang is listed too; every run is bounded
 * in time, so it shows up as 'timed out' in its trace.
 */
export interface KnownDivergence {
  scenario: string;
  placements: readonly TargetName[];
  reason: string;
}

/**
 * Not a scenario: after a placement's last scenario, once every client closed
 * and every server stopped, no connection or socket file may be left (stock
 * leaves none). Listed here like a scenario when a placement does leave some.
 */
export const LEFTOVERS_CHECK = 'placement/nothing-left-open-after-the-last-scenario';

export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [];
