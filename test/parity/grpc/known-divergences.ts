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
}

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

const PLACEMENT = {
  M: 'memory',
  U: 'unix',
  T: 'tcp',
  SF: 'stock client -> friends server',
  FS: 'friends client -> stock server',
} as const satisfies Record<string, TargetName>;

/** What the traces show differs, one line each. */
const CAUSES = {
  HEADERS:
    'initial metadata lacks the HTTP/2 headers stock shows (content-type, date), and a trailers-only answer gives no metadata event',
  HOST: "the handler's getHost() is 'friends', not the :authority",
  LEAK: 'a closed client keeps its unix socket open',
  HANDSHAKE: 'the friends handshake is visible (server interceptors, call credentials)',
  CREDCODE: "a failing credentials generator gives UNAVAILABLE, not stock's code",
  CREDMETHOD: 'credentials get method_name without the service path',
  AUTHCTX: 'client getAuthContext() is {} where stock gives null (no transport)',
  PEEREARLY: "client getPeer() is '' before the call is sent (stock: the target)",
  DELIVERED: 'the handler runs for a call stock never delivers',
  HANG: 'hangs (bounded by the run timeout)',
  CLOSED: 'a call on a closed client does not throw',
  PROVIDERS: 'interceptor_providers next to friends() throws',
  MYINTERCEPTOR: "{ interceptors: [mine], ...friends() } drops the application's interceptor",
  TRANSFORMER: "friends() replaces the application's callInvocationTransformer",
  FORCESHUTDOWN: 'forceShutdown gives UNAVAILABLE, not CANCELLED',
  BADLINK: 'a non-finite deadline drops the unix connection (UNAVAILABLE)',
  MUTATION: 'metadata changed right after the call started reaches the server',
  ALS: "callbacks run in another caller's AsyncLocalStorage store",
  LEFTOVER_TCP: 'an HTTP/2 connection stays open after every client closed',
  BACKPRESSURE: "write() never returns false, so the writer sees no 'drain' (no backpressure as stock shows it)",
  WRITEORDER: "a failed write's callback and the 'error' event come in another order",
  THROWS_LATER: "'Channel has been shut down' is thrown later, unhandled, instead of by the call",
} as const;

type Cause = keyof typeof CAUSES;

/** One entry per placement: the reason is the pair's causes. */
function at(scenario: string, causes: Partial<Record<keyof typeof PLACEMENT, Cause[]>>): KnownDivergence[] {
  return Object.entries(causes).map(([placement, list]) => ({
    scenario,
    placements: [PLACEMENT[placement as keyof typeof PLACEMENT]],
    reason: list.map((cause) => CAUSES[cause]).join('; '),
  }));
}

export const KNOWN_DIVERGENCES: readonly KnownDivergence[] = [];
