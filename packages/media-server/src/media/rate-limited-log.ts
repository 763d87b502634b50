import type { Logger } from '../logger';

/**
 * Counts dropped input by reason and logs at most one warn line per reason per interval, with
 * the count since the last line: a flood of garbage costs a counter increment, not a log write.
 */
export class DropCounter {
  private readonly counts = new Map<
    string,
    { total: number; sinceLog: number; lastLogMs: number }
  >();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  drop(reason: string, fields?: Record<string, unknown>): void {
    let c = this.counts.get(reason);
    if (!c) {
      c = { total: 0, sinceLog: 0, lastLogMs: -Infinity };
      this.counts.set(reason, c);
    }
    c.total++;
    c.sinceLog++;
    const t = this.now();
    if (t - c.lastLogMs >= this.intervalMs) {
      this.log.warn(
        { ...fields, reason, dropped: c.sinceLog, total: c.total },
        'media input dropped',
      );
      c.sinceLog = 0;
      c.lastLogMs = t;
    }
  }

  /** Totals by reason, for tests and stats. */
  totals(): Record<string, number> {
    return Object.fromEntries([...this.counts].map(([k, v]) => [k, v.total]));
  }
}
