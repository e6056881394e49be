import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { Meter, Usage } from './usage.js';

interface Window {
  profiler: GCProfiler;
  cpu: NodeJS.CpuUsage;
  heapUsed: number;
}

/**
 * This process's usage over a window. The window's garbage collections are
 * recorded by a `v8.GCProfiler` started with it, so allocation = heap used at
 * the end - heap used at the start + bytes each collection freed. Checked
 * against known allocations (arrays, strings, large objects) to within a few
 * percent; its cost is one profiler start and stop per window, and a sample
 * of heap statistics per collection.
 */
export class ProcessMeter implements Meter {
  private window: Window | undefined;

  begin(): void {
    const profiler = new GCProfiler();
    profiler.start();
    this.window = { profiler, cpu: process.cpuUsage(), heapUsed: getHeapStatistics().used_heap_size };
  }

  end(): Promise<Usage> {
    return Promise.resolve(this.endNow());
  }

  /** `end()`, synchronously. */
  endNow(): Usage {
    const window = this.window;
    if (!window) throw new Error('ProcessMeter.end() without begin()');
    this.window = undefined;
    const heapUsed = getHeapStatistics().used_heap_size;
    const cpu = process.cpuUsage(window.cpu);
    const { statistics } = window.profiler.stop();
    let freed = 0;
    for (const gc of statistics)
      freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
    return {
      cpuUs: cpu.user + cpu.system,
      heapBytes: Math.max(0, heapUsed - window.heapUsed + freed),
      gcs: statistics.length,
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }
}
