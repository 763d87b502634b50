import { PerformanceObserver, constants } from 'node:perf_hooks';

/** Garbage-collection pauses of one thread since `start` (or the last `take`). */
export interface GcPauseStats {
  /** Young-generation collections (scavenges). */
  scavenges: number;
  /** Every other kind (mark-compact, incremental marking steps, weak callbacks). */
  others: number;
  totalMs: number;
  maxMs: number;
}

/**
 * Counts the GC pauses of the thread it is created on (each isolate sees only its own): the
 * bench prints them per step to tell whether a late packet met a collection of the thread that
 * sends it. One observer callback per GC, nothing per packet.
 */
export class GcPauses {
  private stats: GcPauseStats = { scavenges: 0, others: 0, totalMs: 0, maxMs: 0 };
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

  /** The pauses since the previous `take` (or creation), and starts counting anew. */
  take(): GcPauseStats {
    const s = this.stats;
    this.stats = { scavenges: 0, others: 0, totalMs: 0, maxMs: 0 };
    return s;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
