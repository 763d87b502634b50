/**
 * What is left of transactions that have their final response and only wait out a last RFC timer:
 * client transactions in RFC 6026 Accepted (2xx retransmissions and forked 2xx still go up, timer
 * M = 64·T1), an INVITE's in Completed after a non-2xx over UDP (each retransmission of it is
 * ACKed again, timer D), a non-INVITE's in Completed over UDP (retransmissions absorbed, timer
 * K = T4), and INVITE server transactions in Accepted once the ACK came (INVITE and ACK
 * retransmissions absorbed, timer L = 64·T1).
 *
 * Each is a key, an expiry time and a value (what to do with a late match), instead of the
 * transaction object with its timer set, a Node timer, its destination and its state: at a
 * thousand calls a second the INVITE client transactions alone were 32,000 objects held 32 s,
 * every one copied by the young-generation GC, promoted and marked by each full collection.
 *
 * Entries of one lane (one RFC timer) come due in about the order they came, so each lane has a
 * FIFO of keys and expiry times, swept by one timer (within a second of an expiry, so one timer
 * serves many). An entry that comes due before one added earlier in its lane (an INVITE whose ACK
 * came later, timer L counting from the 2xx) is freed with the ones before it, and counted until
 * then. A lookup ignores an entry past its expiry, so what a peer sees follows the RFC timer
 * exactly, whenever the memory is freed.
 */
import { ChurnMap } from '../churn-map';
import type { Clock, ClockTimer } from './clock';

interface Entry<T> {
  until: number;
  value: T;
}

/** Keys in the order they were retired, with their expiry times (a packed array of numbers). */
interface Queue {
  keys: string[];
  until: number[];
  head: number;
}

/** How late after its expiry an entry may be freed, so one timer serves many entries. */
const SWEEP_SLACK_MS = 1000;

export class RetiredKeys<T> {
  private readonly table = new ChurnMap<Entry<T>>();
  /** One queue per lane (the RFC timer the entries wait out: a few per table). */
  private readonly queues = new Map<number, Queue>();
  private sweep: ClockTimer | undefined;
  /** When the sweep is due (Infinity: none scheduled). */
  private sweepAt = Infinity;

  constructor(private readonly clock: Clock) {}

  /**
   * Keeps `key` with `value` for `ms` from `now`, in the FIFO of `lane` (by default `ms`: entries
   * of one fixed timer). A caller whose times vary per entry names the timer as the lane, so the
   * lanes stay few.
   */
  add(key: string, ms: number, value: T, now: number, lane: number = ms): void {
    const until = now + ms;
    this.table.set(key, { until, value });
    let q = this.queues.get(lane);
    if (!q) this.queues.set(lane, (q = { keys: [], until: [], head: 0 }));
    q.keys.push(key);
    q.until.push(until);
    // A shorter lifetime than the one the sweep waits for comes due first.
    if (until + SWEEP_SLACK_MS < this.sweepAt) this.schedule(now);
  }

  /** The value of `key`, if that key is retired and not yet expired. */
  get(key: string, now: number): T | undefined {
    const e = this.table.get(key);
    return e !== undefined && e.until > now ? e.value : undefined;
  }

  /** Entries held, expired ones the sweep has not freed yet included. */
  get held(): number {
    return this.table.size;
  }

  /** Queued expiry records (one per entry added and not yet swept). */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.keys.length - q.head;
    return n;
  }

  /**
   * Entries held after freeing those due at `now`: exact for a lane of one fixed time; one due
   * before the head of its lane counts until that head is due.
   */
  count(now: number): number {
    this.expire(now);
    return this.table.size;
  }

  /** Forgets every entry and stops the sweep. */
  clear(): void {
    this.table.clear();
    this.queues.clear();
    this.cancelSweep();
  }

  private cancelSweep(): void {
    if (this.sweep !== undefined) this.clock.clearTimeout(this.sweep);
    this.sweep = undefined;
    this.sweepAt = Infinity;
  }

  private expire(now: number): void {
    for (const q of this.queues.values()) {
      const { keys, until } = q;
      let i = q.head;
      // An entry due before the head waits for it (see the class comment).
      while (i < keys.length && until[i]! <= now) {
        const key = keys[i]!;
        const e = this.table.get(key);
        // A key retired again later (a reused branch) has a later expiry of its own.
        if (e !== undefined && e.until <= now) this.table.delete(key);
        i++;
      }
      if (i === keys.length) {
        keys.length = 0;
        until.length = 0;
        q.head = 0;
      } else if (i > 1024 && i * 2 > keys.length) {
        keys.splice(0, i);
        until.splice(0, i);
        q.head = 0;
      } else q.head = i;
    }
  }

  /** (Re)starts the sweep for the head entry due first. */
  private schedule(now: number): void {
    this.cancelSweep();
    let oldest = Infinity;
    for (const q of this.queues.values())
      if (q.head < q.until.length) oldest = Math.min(oldest, q.until[q.head]!);
    if (oldest === Infinity) return;
    this.sweepAt = Math.max(now, oldest) + SWEEP_SLACK_MS;
    this.sweep = this.clock.setTimeout(() => {
      this.sweep = undefined;
      this.sweepAt = Infinity;
      const at = this.clock.now();
      this.expire(at);
      this.schedule(at);
    }, this.sweepAt - now);
    (this.sweep as { unref?: () => void }).unref?.();
  }
}
