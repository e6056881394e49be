import { latencyHistogram, runSlice, type Request } from './measure.js';
import { ProcessMeter } from './meter/process-meter.js';
import { median } from './tally.js';

/** What the measuring itself costs, taken at the start of every run. */
export interface HarnessCost {
  /** One iteration of the request loop around a request that does nothing (c=1): time, and V8 heap allocated. */
  loopNs: number;
  loopHeapBytes: number;
  /** One `record()` on the latency histogram. */
  recordNs: number;
  /** Starting and ending a metered window in this process (between pieces, not inside them). */
  meterWindowUs: number;
  /**
   * Throughput of an allocating request while a window is metered, over
   * without: the GC profiler's cost inside a piece (1 = none).
   */
  meteredOverUnmetered: number;
}

const nothing: Request = () => Promise.resolve();
/** Allocates about 1 KB a call, so the young generation fills and collects often. */
const allocating: Request = () => Promise.resolve(new Array(120).fill(0));

export async function measureHarness(): Promise<HarnessCost> {
  const meter = new ProcessMeter();
  const histogram = latencyHistogram();
  await runSlice(nothing, 1, 100, histogram);
  meter.begin();
  const loop = await runSlice(nothing, 1, 200, histogram);
  const usage = meter.endNow();

  const records = 1_000_000;
  const recordStart = process.hrtime.bigint();
  for (let i = 0; i < records; i++) histogram.record(1_000 + (i & 1023));
  const recordNs = Number(process.hrtime.bigint() - recordStart) / records;

  const windows = 200;
  const windowStart = process.hrtime.bigint();
  for (let i = 0; i < windows; i++) {
    meter.begin();
    meter.endNow();
  }
  const meterWindowUs = Number(process.hrtime.bigint() - windowStart) / windows / 1e3;

  const ratios: number[] = [];
  for (let i = 0; i < 4; i++) {
    meter.begin();
    const metered = await runSlice(allocating, 1, 100, histogram);
    meter.endNow();
    const plain = await runSlice(allocating, 1, 100, histogram);
    ratios.push(metered.requests / metered.elapsedNs / (plain.requests / plain.elapsedNs));
  }
  return {
    loopNs: loop.elapsedNs / loop.requests,
    loopHeapBytes: usage.heapBytes / loop.requests,
    recordNs,
    meterWindowUs,
    meteredOverUnmetered: median(ratios),
  };
}
