import { PerformanceObserver, constants } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** Garbage-collection pauses of one thread since `start` (or the last `take`). */
export interface GcPauseStats {
  /** Young-generation collections (scavenges). */
  scavenges: number;
  /** Every other kind (mark-compact, incremental marking steps, weak callbacks). */
  others: number;
  totalMs: number;
  maxMs: number;
  /**
   * Bytes this thread's isolate allocated on its JS heap in the window: the growth of the used
   * heap between collections, summed (V8's `GCProfiler` gives the used heap before and after each
   * one). A load-independent figure: the same work allocates the same bytes on a busy machine.
   * Counted from the first `take` on (0 in the window that ends with it): the profiler keeps a
   * record per collection until it is stopped, so it runs only once someone reads it.
   */
  allocatedBytes: number;
}

interface GcProfile {
  statistics: {
    beforeGC: { heapStatistics: { usedHeapSize: number } };
    afterGC: { heapStatistics: { usedHeapSize: number } };
  }[];
}

/**
 * Counts the GC pauses of the thread it is created on (each isolate sees only its own): the
 * bench prints them per step to tell whether a late packet met a collection of the thread that
 * sends it. One observer callback per GC, nothing per packet.
 */
export class GcPauses {
  private stats = GcPauses.empty();
  private profiler: GCProfiler | undefined;
  private usedAtStart = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.stats.scavenges++;
      else this.stats.others++;
      this.stats.totalMs += e.duration;
      if (e.duration > this.stats.maxMs) this.stats.maxMs = e.duration;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private static empty(): GcPauseStats {
    return { scavenges: 0, others: 0, totalMs: 0, maxMs: 0, allocatedBytes: 0 };
  }

  /** The pauses since the previous `take` (or creation), and starts counting anew. */
  take(): GcPauseStats {
    const s = this.stats;
    this.stats = GcPauses.empty();
    const profile = this.profiler?.stop() as GcProfile | undefined;
    const now = getHeapStatistics().used_heap_size;
    if (profile) {
      let prev = this.usedAtStart;
      let allocated = 0;
      for (const g of profile.statistics) {
        allocated += Math.max(0, g.beforeGC.heapStatistics.usedHeapSize - prev);
        prev = g.afterGC.heapStatistics.usedHeapSize;
      }
      s.allocatedBytes = allocated + Math.max(0, now - prev);
    }
    this.profiler = new GCProfiler();
    this.profiler.start();
    this.usedAtStart = now;
    return s;
  }

  stop(): void {
    this.observer.disconnect();
    this.profiler?.stop();
    this.profiler = undefined;
  }
}
