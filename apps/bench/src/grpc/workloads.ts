import type { BenchOptions } from '../options.js';
import { messageWorkload, selectWorkloads, unaryWorkloads, type Workload } from '../workload.js';

export const STREAM_MESSAGES = 1_000;
export const BIDI_MESSAGES = 100;
export const MESSAGE_BYTES = 64;

/** Unary calls of every size and concurrency, a server stream and a ping-pong bidirectional stream. */
export function grpcWorkloads(options: BenchOptions): Workload[] {
  return selectWorkloads(
    [
      ...unaryWorkloads(options.sizes, options.concurrencies),
      messageWorkload(
        'stream',
        `server stream of ${STREAM_MESSAGES.toLocaleString('en-US')}`,
        STREAM_MESSAGES,
        MESSAGE_BYTES,
      ),
      messageWorkload('bidi', `bidi ping-pong ×${BIDI_MESSAGES}`, BIDI_MESSAGES, MESSAGE_BYTES),
    ],
    options.workloads,
  );
}
