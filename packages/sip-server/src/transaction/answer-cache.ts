/**
 * Final answers of server transactions that have nothing left to do but answer retransmissions of
 * their request (RFC 3261 §17.2.2 Completed / timer J, and the reliable-transport case where the
 * timers are zero). Only the serialized response, its destination and the matching key are kept,
 * not the parsed request or the transaction object: a few hundred bytes instead of kilobytes.
 *
 * Every entry lives the same time, so insertion order is expiry order: a queue of keys expires
 * them from the front in O(1) per entry, and at `max` entries the oldest is evicted early (a
 * retransmission that late then opens a new transaction, which is what a peer would see after
 * timer J anyway).
 */
import type { Destination } from '../transport/types';

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
  text: string;
  dest: Destination;
  until: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private queue: Array<{ key: string; until: number }> = [];
  private head = 0;
  /** Entries evicted before they expired because the cache was full. */
  evicted = 0;

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The answer for `key` if it has not expired. */
  get(key: string, now: number): CachedAnswer | undefined {
    const hit = this.entries.get(key);
    if (!hit || hit.until <= now) return undefined;
    return { bytes: Buffer.from(hit.text, 'latin1'), dest: hit.dest };
  }

  add(key: string, bytes: Buffer, dest: Destination, now: number): void {
    this.expire(now);
    if (this.max <= 0) return;
    while (this.entries.size >= this.max && this.head < this.queue.length) {
      this.dropHead();
      this.evicted++;
    }
    const until = now + this.ttlMs;
    this.entries.set(key, { text: bytes.toString('latin1'), dest, until });
    this.queue.push({ key, until });
  }

  /** Forgets expired entries (called on every add; callers may call it from a timer too). */
  expire(now: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.until <= now) this.dropHead();
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  clear(): void {
    this.entries.clear();
    this.queue = [];
    this.head = 0;
  }

  private dropHead(): void {
    const { key, until } = this.queue[this.head]!;
    this.head++;
    // A key answered again later has a newer entry: only the entry this slot stands for goes.
    if (this.entries.get(key)?.until === until) this.entries.delete(key);
  }
}
