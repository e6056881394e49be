import type { BenchOptions } from '../options.js';
import { messageWorkload, selectWorkloads, unaryWorkloads, type Workload } from '../workload.js';

export const STREAM_MESSAGES = 1_000;
export const EVENTS_PER_BURST = 100;
export const MESSAGE_BYTES = 64;

/** Round trips of every size and concurrency, a streamed answer, and bursts of events. */
export function nestWorkloads(options: BenchOptions): Workload[] {
  return selectWorkloads(
    [
      ...unaryWorkloads(options.sizes, options.concurrencies),
      messageWorkload('stream', `stream of ${STREAM_MESSAGES.toLocaleString('en-US')}`, STREAM_MESSAGES, MESSAGE_BYTES),
      messageWorkload('events', `${EVENTS_PER_BURST} events + flush`, EVENTS_PER_BURST, MESSAGE_BYTES),
    ],
    options.workloads,
  );
}
