/** Timers that never hold the process open: the harness must not count as a leak. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Lets the events a transport schedules after a call's status (stream 'end',
 * 'close', write callbacks) happen: a few event-loop turns around a short timer.
 */
export async function settle(): Promise<void> {
  await immediate();
  await immediate();
  await sleep(3);
  await immediate();
  await immediate();
}
