import { createRequire } from 'node:module';
import type { Tier } from '@friends/core';
import type { TargetName } from '../../support/target-names.js';

/**
 * Every (scenario, placement) pair whose trace differs from stock today, with
 * its reason in one line. The suite fails for a differing pair not listed
 * here, and for a listed pair that no longer differs: remove its entry when
 * the fix lands. A pair that would hang is listed too: every run is bounded in
 * time (2 s unless the scenario says otherwise) and shows up as 'timed out' in
 * its trace. Property scenarios (property.spec.ts) are listed the same way.
 *
 * The reasons are the causes the first differences of each pair show (up to
 * three differing trace entries), as far as a trace tells: fixing one cause
 * may reveal another behind it. PARITY_REPORT=<file.md> writes the table.
 */
export interface KnownDivergence {
  scenario: string;
  placements: readonly TargetName[];
  reason: string;
  /** Where the installed grpc-js behaves so (default: every version). */
  applies?: () => boolean;
  /**
   * It differs in some runs only: a race the placement loses now and then.
   * Either outcome passes (the report shows which); keep such entries rare.
   */
  intermittent?: true;
}

/** Whether an entry holds for the installed grpc-js. */
export function applies(entry: { applies?: () => boolean }): boolean {
  return entry.applies?.() ?? true;
}

const require = createRequire(import.meta.url);
const GRPC_JS_VERSION = (require('@grpc/grpc-js/package.json') as { version: string }).version;
/** Seen on grpc-js 1.10.0; 1.14 does not show it (the minors between are not checked here). */
const onGrpcJs110 = (): boolean => GRPC_JS_VERSION.startsWith('1.10.');
/** grpc-js 1.10 to 1.12 take a connection as ready at its socket's 'connect', before anything was written. */
const readyAtConnect = (): boolean => /^1\.1[0-2]\./.test(GRPC_JS_VERSION);

/**
 * Not a scenario: after a placement's last scenario, once every client closed
 * and every server stopped, no connection or socket file may be left (stock
 * leaves none). Listed here like a scenario when a placement does leave some.
 */
export const LEFTOVERS_CHECK = 'placement/nothing-left-open-after-the-last-scenario';

/**
 * Pairs that today throw asynchronously from inside the library (an uncaught
 * exception or an unhandled rejection), which would end the test process:
 * they run in a process of their own, where what was thrown becomes the last
 * entry of the client trace. Each must also be listed below.
 */
export const ISOLATED: readonly { scenario: string; placements: readonly TargetName[] }[] = [];

const PASSED_DEADLINE_FORMS = ['zero', 'date-zero', 'minus-infinity', 'expired-date', 'expired-number'];

/**
 * An entry is `{ scenario: 'area/name', placements: ['memory'], reason: 'what differs, in one line' }`.
 */
export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [
  {
    scenario: 'deadline/in-30-days',
    placements: ['unix'],
    reason:
      "grpc-js 1.10's server arms the overflowing deadline's 1 ms timer at the call's headers; over unix the request message often comes in a later read, after that timer ended the call, so the handler never runs",
    applies: onGrpcJs110,
    intermittent: true,
  },
  ...PASSED_DEADLINE_FORMS.map((form): KnownDivergence => ({
    scenario: `deadline/${form}-on-a-connected-channel`,
    placements: ['friends client -> stock server'],
    reason:
      "on grpc-js 1.10 to 1.12 stock's call is its connection's first stream, sent with the preface and its reset right behind (the handler's peer 'unknown'); a friends client's follows its hello there, and Node holds the reset behind the hello's writes (peer known); sent once the connection is idle, the server's order races, as with stock's own later calls",
    applies: readyAtConnect,
  })),
];

/**
 * Pairs whose calls take another tier than their placement's (their traces
 * equal stock's: only the counters tell), with the tiers they take and why.
 * The tier check holds them to those tiers, and fails once they take their
 * placement's: remove the entry then.
 */
export interface KnownTierFallback {
  scenario: string;
  placements: readonly TargetName[];
  tiers: { client: Tier | null; server: Tier | null };
  reason: string;
  /** Where the installed grpc-js behaves so (default: every version). */
  applies?: () => boolean;
}

/** Empty: every run takes its placement's tier. */
export const KNOWN_TIER_FALLBACKS: readonly KnownTierFallback[] = [];
