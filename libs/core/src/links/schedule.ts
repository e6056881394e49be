/**
 * Deferred work for in-process paths.
 *
 * `microtask(fn)` is queueMicrotask without its per-call cost: Node's
 * queueMicrotask allocates an AsyncResource and a bound function for every
 * callback, about three times the cost of a reaction on a settled promise.
 * An exception from `fn` is rethrown as an uncaught exception, as it would be
 * from queueMicrotask (a bare promise reaction would turn it into an unhandled
 * rejection instead).
 */
const settled = Promise.resolve();

function rethrow(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

export function microtask(fn: () => void): void {
  void settled.then(() => guarded(fn));
}

/** Runs `fn`; what it throws becomes an uncaught exception (for callbacks run from a promise reaction). */
export function guarded(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    rethrow(err);
  }
}

/*
 * Microtasks are the cheapest way to be asynchronous, but a request/response
 * ping-pong made only of microtasks would never let the event loop turn
 * (timers and I/O would starve). So after a budget of microtask hops without a
 * loop turn, the next hop waits for `setImmediate`.
 */
const MICROTASK_BUDGET = 64;
let hopsThisTurn = 0;
let turnWatcherArmed = false;

function onLoopTurn(): void {
  hopsThisTurn = 0;
  turnWatcherArmed = false;
}

/** `fn` must not throw (wrap it with `guarded`): it may run as a bare promise reaction. */
export function deferDelivery(fn: () => void): void {
  if (!turnWatcherArmed) {
    turnWatcherArmed = true;
    setImmediate(onLoopTurn);
  }
  if (++hopsThisTurn <= MICROTASK_BUDGET) void settled.then(fn);
  else setImmediate(fn);
}
