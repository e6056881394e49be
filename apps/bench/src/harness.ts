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
  /** Opening and closing the CPU and RSS window that every piece runs in. */
  meterWindowUs: number;
  /**
   * CPU time the GC profiler adds to each garbage collection (median of
   * pairs of an allocating loop with and without it): why heap allocation is
   * measured in pieces of its own.
   */
  profilerUsPerGc: number;
}

const nothing: Request = () => Promise.resolve();

/** Allocates about 30 MB, so the young generation fills and is collected dozens of times. */
function allocate(): unknown[] {
  let last: unknown[] = [];
  for (let i = 0; i < 500_000; i++) last = new Array(8).fill(i);
  return last;
}

function cpuUs(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const spent = process.cpuUsage(start);
  return spent.user + spent.system;
}

export async function measureHarness(): Promise<HarnessCost> {
  const meter = new ProcessMeter();
  const histogram = latencyHistogram();
  await runSlice(nothing, 1, 100, histogram);
  meter.begin(true);
  const loop = await runSlice(nothing, 1, 200, histogram);
  const usage = meter.endNow();

  const records = 1_000_000;
  const recordStart = process.hrtime.bigint();
  for (let i = 0; i < records; i++) histogram.record(1_000 + (i & 1023));
  const recordNs = Number(process.hrtime.bigint() - recordStart) / records;

  const windows = 1_000;
  const windowStart = process.hrtime.bigint();
  for (let i = 0; i < windows; i++) {
    meter.begin(false);
    meter.endNow();
  }
  const meterWindowUs = Number(process.hrtime.bigint() - windowStart) / windows / 1e3;

  const extra: number[] = [];
  allocate();
  for (let i = 0; i < 10; i++) {
    const plain = cpuUs(allocate);
    meter.begin(true);
    const profiled = cpuUs(allocate);
    const { gcs } = meter.endNow();
    if (gcs) extra.push((profiled - plain) / gcs);
  }
  return {
    loopNs: loop.elapsedNs / loop.requests,
    loopHeapBytes: (usage.heapBytes ?? NaN) / loop.requests,
    recordNs,
    meterWindowUs,
    profilerUsPerGc: median(extra),
  };
}
