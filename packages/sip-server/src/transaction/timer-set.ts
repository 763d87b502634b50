import type { Clock, ClockTimer } from './clock';
import type { TimerName } from './state-table';

/** One timer place: which timer runs in it, its handle, and its expiry callback (made once). */
interface Slot {
  name: TimerName | undefined;
  handle: ClockTimer;
  expired: () => void;
}

/**
 * The running timers of one transaction, keyed by letter, on an injected clock. A transaction
 * runs one to three timers at a time and starts a few in its life: they live in a short list of
 * places whose expiry callbacks are made once and reused (a freed place takes the next timer), not
 * in a Map with a closure per start, since every request's transaction makes one of these.
 */
export class TimerSet {
  private readonly slots: Slot[] = [];
  private running = 0;

  constructor(
    private readonly clock: Clock,
    private readonly fire: (timer: TimerName) => void,
  ) {}

  start(timer: TimerName, ms: number): void {
    this.cancel(timer);
    let slot: Slot | undefined;
    for (const s of this.slots) {
      if (s.name === undefined) {
        slot = s;
        break;
      }
    }
    if (slot === undefined) {
      const s: Slot = { name: undefined, handle: undefined, expired: () => this.expired(s) };
      this.slots.push(s);
      slot = s;
    }
    slot.name = timer;
    slot.handle = this.clock.setTimeout(slot.expired, ms);
    this.running++;
  }

  cancel(timer: TimerName): void {
    for (const s of this.slots) {
      if (s.name !== timer) continue;
      this.clock.clearTimeout(s.handle);
      this.free(s);
      return;
    }
  }

  clear(): void {
    for (const s of this.slots) {
      if (s.name === undefined) continue;
      this.clock.clearTimeout(s.handle);
      this.free(s);
    }
  }

  get size(): number {
    return this.running;
  }

  has(timer: TimerName): boolean {
    for (const s of this.slots) if (s.name === timer) return true;
    return false;
  }

  private expired(s: Slot): void {
    const name = s.name;
    if (name === undefined) return;
    this.free(s);
    this.fire(name);
  }

  private free(s: Slot): void {
    s.name = undefined;
    s.handle = undefined;
    this.running--;
  }
}
