import type { Logger } from '../logger';

/**
 * Lets through at most one warning per key per interval and counts the rest, so a flood of bad
 * packets costs one log line a second, not one per packet.
 */
export class LogLimiter {
  private readonly windows = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const t = this.now();
    const w = this.windows.get(key);
    if (w && t < w.until) {
      w.suppressed++;
      return;
    }
    const suppressed = w?.suppressed ?? 0;
    this.windows.set(key, { until: t + this.intervalMs, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }
}
