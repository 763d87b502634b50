/**
 * Final answers of server transactions that have nothing left to do but answer retransmissions of
 * their request (RFC 3261 §17.2.2 Completed / timer J, and the reliable-transport case where the
 * timers are zero). Only the serialized response, its destination and the matching key are kept,
 * not the parsed request or the transaction object: a few hundred bytes instead of kilobytes.
 *
 * Every entry lives the same time, so insertion order is expiry order: a queue of keys expires
 * them from the front in O(1) per entry, and at `max` entries the oldest is evicted early (a
 * retransmission that late then opens a new transaction, which is what a peer would see after
 * timer J anyway). With a clock, expired entries are also freed by a timer (within a second of
 * their expiry), not only when the next answer is added: after a burst the memory comes back
 * even if no request follows.
 */
import { ownString } from '../message/retained';
import type { Destination } from '../transport/types';
import type { Clock, ClockTimer } from './clock';

export interface CachedAnswer {
  bytes: Buffer;
  dest: Destination;
}

/**
 * Kept as a latin1 string (one byte per byte, exact round trip) rather than the Buffer: a small
 * Buffer is a slice of an 8 KiB pool slab and would pin the whole slab, with whatever transient
 * data shares it, for 64·T1.
 */
interface Entry {
  key: string;
  text: string;
  dest: Destination;
  until: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  /** The entries in insertion order, which is expiry order. */
  private queue: Array<Entry | undefined> = [];
  private head = 0;
  /** Entries evicted before they expired because the cache was full. */
  evicted = 0;
  private sweep: ClockTimer | undefined;
  /** How late after its expiry an entry may be freed, so one timer serves many entries. */
  private readonly slackMs: number;

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
    private readonly clock?: Clock,
  ) {
    this.slackMs = Math.max(1, Math.min(1000, ttlMs));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The answer for `key` if it has not expired. */
  get(key: string, now: number): CachedAnswer | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.until <= now) return undefined;
    return { bytes: Buffer.from(hit.text, 'latin1'), dest: hit.dest };
  }

  /**
   * Remembers the answer to `key` for the TTL. `bytes` as sent, or already as latin1 text. The
   * key is copied (a key built from a request's headers would keep the request's text).
   */
  add(key: string, bytes: Buffer | string, dest: Destination, now: number): void {
    this.expire(now);
    if (this.max <= 0) return;
    while (this.entries.size >= this.max && this.head < this.queue.length) {
      this.dropHead();
      this.evicted++;
    }
    const until = now + this.ttlMs;
    const own = ownString(key);
    const text = typeof bytes === 'string' ? bytes : bytes.toString('latin1');
    const entry: Entry = { key: own, text, dest, until };
    this.entries.set(own, entry);
    this.queue.push(entry);
    this.arm(now);
  }

  /** Forgets expired entries (on every add, and from the timer when there is a clock). */
  expire(now: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.until <= now) this.dropHead();
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.disarm();
    this.entries.clear();
    this.queue = [];
    this.head = 0;
  }

  /** Starts the expiry timer for the oldest entry, unless one is running. */
  private arm(now: number): void {
    if (!this.clock || this.sweep !== undefined || this.head >= this.queue.length) return;
    const clock = this.clock;
    const delay = Math.max(0, this.queue[this.head]!.until - now) + this.slackMs;
    this.sweep = clock.setTimeout(() => {
      this.sweep = undefined;
      const at = clock.now();
      this.expire(at);
      this.arm(at);
    }, delay);
    // Freeing memory is no reason to keep the process alive.
    (this.sweep as { unref?: () => void }).unref?.();
  }

  private disarm(): void {
    if (this.sweep === undefined) return;
    this.clock?.clearTimeout(this.sweep);
    this.sweep = undefined;
  }

  private dropHead(): void {
    const entry = this.queue[this.head]!;
    // The slot is cleared so a dead entry's text is not kept until the queue is compacted.
    this.queue[this.head] = undefined;
    this.head++;
    // A key answered again later has a newer entry: only the entry this slot stands for goes.
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
  }
}
