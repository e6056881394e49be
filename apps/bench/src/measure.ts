import { lastValueFrom } from 'rxjs';
import type { EchoClient } from './clients.js';
import { ECHO_PATTERN } from './echo-module.js';
import { LatencyHistogram } from './histogram.js';

/** 56 characters in `{"s":…}` make a 64-byte JSON payload. */
export const PAYLOAD_BYTES = 64;
export const PAYLOAD = { s: 'x'.repeat(PAYLOAD_BYTES - '{"s":""}'.length) };

export interface SliceResult {
  requests: number;
  elapsedNs: number;
}

/**
 * `concurrency` loops, each sending one echo and awaiting its answer, until
 * `durationMs` has passed. Throughput is counted over the whole slice,
 * including the requests still in flight at the deadline.
 */
export async function runSlice(
  client: EchoClient,
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
      await lastValueFrom(client.send(ECHO_PATTERN, PAYLOAD));
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

/** One round trip, checked: the echo must come back equal. */
export async function checkEcho(client: EchoClient): Promise<void> {
  const answer = await lastValueFrom(client.send<typeof PAYLOAD>(ECHO_PATTERN, PAYLOAD));
  if (answer?.s !== PAYLOAD.s) throw new Error(`echo came back different: ${JSON.stringify(answer)}`);
}
