/** What one process spent during a measured window. */
export interface Usage {
  /** CPU time of every thread of the process (user + system), from `process.cpuUsage()`. */
  cpuUs: number;
  /**
   * Bytes allocated on the V8 heap, in a window that asked for it: the growth
   * of its used size, plus what each garbage collection in the window freed
   * (`v8.GCProfiler`). Buffer and ArrayBuffer contents live outside that heap
   * and are not counted.
   */
  heapBytes?: number;
  /** Garbage collections in the window, when the heap was followed. */
  gcs?: number;
  /** Resident set size at the end of the window. */
  rssBytes: number;
  /** The process's resident set high-water mark so far (`process.resourceUsage().maxRSS`). */
  maxRssBytes: number;
}

/** Several windows of one process, added up (RSS: the largest). */
export function addUsage(a: Usage | undefined, b: Usage): Usage {
  if (!a) return { ...b };
  const sum = (x: number | undefined, y: number | undefined): number | undefined =>
    x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0);
  const heapBytes = sum(a.heapBytes, b.heapBytes);
  const gcs = sum(a.gcs, b.gcs);
  return {
    cpuUs: a.cpuUs + b.cpuUs,
    ...(heapBytes === undefined ? {} : { heapBytes }),
    ...(gcs === undefined ? {} : { gcs }),
    rssBytes: Math.max(a.rssBytes, b.rssBytes),
    maxRssBytes: Math.max(a.maxRssBytes, b.maxRssBytes),
  };
}

/** A process whose usage can be taken over a window: this one, or a server child over IPC. */
export interface Meter {
  /**
   * Starts a window; the process takes its first sample as soon as it sees
   * this. `heap`: also follow the V8 heap, which costs time at every garbage
   * collection (so the benchmark does it in windows whose rate it does not count).
   */
  begin(heap: boolean): void;
  /** Ends the window begun last. */
  end(): Promise<Usage>;
}
