import { GCProfiler, getHeapStatistics } from 'node:v8';
import type { Meter, Usage } from './usage.js';

interface Window {
  cpu: NodeJS.CpuUsage;
  heap: { profiler: GCProfiler; usedAtStart: number } | undefined;
}

/**
 * This process's usage over a window: CPU time and RSS (a couple of system
 * calls at each end), and, when asked, V8 heap allocation. For that, the
 * window's garbage collections are recorded by a `v8.GCProfiler` started with
 * it, so allocation = heap used at the end − heap used at the start + bytes
 * each collection freed. Checked against known allocations (arrays, strings,
 * large objects) to within a few percent. The profiler samples heap
 * statistics at every collection, which made a scavenge cost about 60–140 µs
 * more on the 2-vCPU machine it was written on: enough to slow a variant
 * that collects hundreds of times a second by several percent.
 */
export class ProcessMeter implements Meter {
  private window: Window | undefined;

  begin(heap: boolean): void {
    let followed: Window['heap'];
    if (heap) {
      const profiler = new GCProfiler();
      profiler.start();
      followed = { profiler, usedAtStart: getHeapStatistics().used_heap_size };
    }
    this.window = { cpu: process.cpuUsage(), heap: followed };
  }

  end(): Promise<Usage> {
    return Promise.resolve(this.endNow());
  }

  /** `end()`, synchronously. */
  endNow(): Usage {
    const window = this.window;
    if (!window) throw new Error('ProcessMeter.end() without begin()');
    this.window = undefined;
    const cpu = process.cpuUsage(window.cpu);
    const usage: Usage = {
      cpuUs: cpu.user + cpu.system,
      rssBytes: process.memoryUsage.rss(),
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    if (window.heap) {
      const used = getHeapStatistics().used_heap_size;
      const { statistics } = window.heap.profiler.stop();
      let freed = 0;
      for (const gc of statistics)
        freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
      usage.heapBytes = Math.max(0, used - window.heap.usedAtStart + freed);
      usage.gcs = statistics.length;
    }
    return usage;
  }
}
