import type { LatencyHistogram } from './histogram.js';

/** One unit of measured work: a round trip, or a whole stream. */
export type Request = () => Promise<unknown>;

export interface SliceResult {
  requests: number;
  elapsedNs: number;
}

/**
 * `concurrency` loops, each making one request and awaiting it, until
 * `durationMs` has passed. Throughput is counted over the whole slice,
 * including the requests still in flight at the deadline.
 */
export async function runSlice(
  request: Request,
  concurrency: number,
  durationMs: number,
  histogram: LatencyHistogram,
): Promise<SliceResult> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(durationMs * 1e6));
  let requests = 0;
  const loop = async (): Promise<void> => {
    let now = process.hrtime.bigint();
    while (now < deadline) {
      const sent = now;
      await request();
      now = process.hrtime.bigint();
      histogram.record(Number(now - sent));
      requests++;
    }
  };
  const loops: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) loops.push(loop());
  await Promise.all(loops);
  return { requests, elapsedNs: Number(process.hrtime.bigint() - start) };
}
