import type { Clock, ClockTimer } from './clock';
import type { TimerName } from './state-table';

/** The running timers of one transaction, keyed by letter, on an injected clock. */
export class TimerSet {
  private readonly timers = new Map<TimerName, ClockTimer>();

  constructor(
    private readonly clock: Clock,
    private readonly fire: (timer: TimerName) => void,
  ) {}

  start(timer: TimerName, ms: number): void {
    this.cancel(timer);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      this.fire(timer);
    }, ms);
    this.timers.set(timer, handle);
  }

  cancel(timer: TimerName): void {
    const handle = this.timers.get(timer);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.timers.delete(timer);
  }

  clear(): void {
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }

  has(timer: TimerName): boolean {
    return this.timers.has(timer);
  }
}
