/**
 * Deferred delivery for in-process links. Microtasks are the cheapest way to be
 * asynchronous, but a request/response ping-pong made only of microtasks would
 * never let the event loop turn (timers and I/O would starve). So after a budget
 * of microtask hops without a loop turn, the next hop waits for `setImmediate`.
 */
const MICROTASK_BUDGET = 64;
let hopsThisTurn = 0;
let turnWatcherArmed = false;

function onLoopTurn(): void {
  hopsThisTurn = 0;
  turnWatcherArmed = false;
}

export function deferDelivery(fn: () => void): void {
  if (!turnWatcherArmed) {
    turnWatcherArmed = true;
    setImmediate(onLoopTurn);
  }
  if (++hopsThisTurn <= MICROTASK_BUDGET) queueMicrotask(fn);
  else setImmediate(fn);
}
