import { roundTrips, type Workload } from '../workload.js';
import { STREAM_MESSAGES } from './echo-service.js';

export const UNARY_PREFIX = 'unary ';

export const STREAM_WORKLOAD: Workload = {
  key: 'stream',
  label: `stream of ${STREAM_MESSAGES.toLocaleString('en-US')}`,
  concurrency: 1,
  items: STREAM_MESSAGES,
  unit: 'msg/s',
  latencyUnit: 'ms',
  minPieceMs: 500,
};

/** Unary round trips at each concurrency, then the server stream. */
export function grpcWorkloads(concurrencies: readonly number[]): Workload[] {
  return [...roundTrips(concurrencies, UNARY_PREFIX), STREAM_WORKLOAD];
}
