/**
 * Final answers of server transactions that have nothing left to do but answer retransmissions of
 * their request (RFC 3261 §17.2.2 Completed / timer J, and the reliable-transport case where the
 * timers are zero). Only the serialized response, its destination and the matching key are kept,
 * not the parsed request or the transaction object.
 *
 * They are kept off the JS heap, in one ring of bytes with a hash index in a typed array: at
 * thousands of answers a second, one JS object (and two strings) per answer held for 32 s was
 * most of the SIP thread's live heap; every one was copied twice by the young-generation GC,
 * promoted, marked by each full GC, and V8 sized the heap to a multiple of it. Here an answer
 * costs its bytes once and no GC work.
 *
 * Every entry lives the same time, so ring order is expiry order: entries expire from the tail
 * in O(1) each, and when the ring's bytes or `maxEntries` are used up the oldest is evicted early
 * (a retransmission that late then opens a new transaction, which is what a peer would see after
 * timer J anyway). With a clock, expired entries are also freed by a timer (within a second of
 * their expiry), not only when the next answer is added.
 *
 * Record layout (8-byte aligned, never split across the ring's end):
 *   u32 length | u32 key hash | f64 until (ms; -1 marks padding) | f64 previous record of the same
 *   hash bucket (logical offset, -1 none) | u16 key bytes | u16 destination bytes | u32 answer
 *   bytes | key (UTF-8) | destination (UTF-8) | answer (bytes as sent)
 * Logical offsets grow forever (safe to 2^53); the physical one is `logical % capacity`. A
 * bucket chain runs from newer to older records, so it ends at the first offset below the tail.
 */
import type { Destination } from '../transport/types';
import type { Clock, ClockTimer } from './clock';

export interface CachedAnswer {
  bytes: Buffer;
  dest: Destination;
}

const HEADER = 32;
/** `until` of a padding record (real ones are clock times, never negative). */
const PAD = -1;
/**
 * Ring bytes per entry of the entry bound when the caller names no byte bound: a REGISTER's 200
 * with its key and header is 500–600 bytes, so the entry bound is the one normally reached.
 */
export const ANSWER_CACHE_BYTES_PER_ENTRY = 640;

/** Ceiling of the ring (a Buffer's own limit is higher; no sane bound needs more). */
const MAX_RING = 1024 * 1024 * 1024;

const align8 = (n: number): number => (n + 7) & ~7;

/** FNV-1a over the UTF-16 code units (exported for the tests' collision case). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const destText = (d: Destination): string =>
  d.connectionId === undefined
    ? `${d.protocol} ${d.port} ${d.address}`
    : `${d.protocol} ${d.port} ${d.address} ${d.connectionId}`;

function parseDest(text: string): Destination {
  const [protocol, port, address, connectionId] = text.split(' ');
  const dest: Destination = {
    protocol: protocol as Destination['protocol'],
    address: address!,
    port: Number(port),
  };
  if (connectionId !== undefined) dest.connectionId = connectionId;
  return dest;
}

export class AnswerCache {
  /** Entries evicted before they expired because the ring or the entry bound was full. */
  evicted = 0;
  private readonly ring: Buffer;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly capacity: number;
  /** Newest record (logical offset) per hash bucket, -1 none. */
  private readonly buckets: Float64Array;
  private readonly mask: number;
  /** Logical offset of the next record to write, and of the oldest kept. */
  private head = 0;
  private tail = 0;
  private count = 0;
  private sweep: ClockTimer | undefined;
  /** How late after its expiry an entry may be freed, so one timer serves many entries. */
  private readonly slackMs: number;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock?: Clock,
    maxBytes: number = maxEntries * ANSWER_CACHE_BYTES_PER_ENTRY,
  ) {
    this.slackMs = Math.max(1, Math.min(1000, ttlMs));
    this.capacity = Math.min(MAX_RING, Math.max(4096, align8(maxBytes)));
    // Not zero-filled: untouched pages of a big ring cost no memory until answers reach them.
    this.ring = Buffer.allocUnsafeSlow(this.capacity);
    this.u32 = new Uint32Array(this.ring.buffer, this.ring.byteOffset, this.capacity / 4);
    this.f64 = new Float64Array(this.ring.buffer, this.ring.byteOffset, this.capacity / 8);
    // About one bucket per entry the ring can hold at ~256 bytes each, at most one per entry.
    const want = Math.max(16, Math.min(Math.max(1, maxEntries), this.capacity / 256));
    let n = 16;
    while (n < want) n *= 2;
    this.buckets = new Float64Array(n).fill(-1);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of the ring the kept answers take (records with their keys, padding included). */
  get bytes(): number {
    return this.head - this.tail;
  }

  /** The answer for `key` if it has not expired. */
  get(key: string, now: number): CachedAnswer | undefined {
    if (this.count === 0) return undefined;
    const h = hashKey(key);
    let at = this.buckets[h & this.mask]!;
    while (at >= this.tail) {
      const p = at % this.capacity;
      if (this.u32[p / 4 + 1] === h && this.f64[p / 8 + 1]! > now) {
        const keyLen = this.ring.readUInt16LE(p + 24);
        const destLen = this.ring.readUInt16LE(p + 26);
        const start = p + HEADER;
        if (this.ring.toString('utf8', start, start + keyLen) === key) {
          const textLen = this.u32[p / 4 + 7]!;
          const body = start + keyLen + destLen;
          return {
            // A copy: the slot may be overwritten while the send is still queued.
            bytes: Buffer.from(this.ring.subarray(body, body + textLen)),
            dest: parseDest(this.ring.toString('utf8', start + keyLen, body)),
          };
        }
      }
      at = this.f64[p / 8 + 2]!;
    }
    return undefined;
  }

  /**
   * Remembers the answer to `key` for the TTL: `bytes` as sent, or as latin1 text (one char per
   * byte). An answer too big for the ring is not kept.
   */
  add(key: string, bytes: Buffer | string, dest: Destination, now: number): void {
    this.expire(now);
    if (this.maxEntries <= 0) return;
    const where = destText(dest);
    const keyLen = Buffer.byteLength(key, 'utf8');
    const destLen = Buffer.byteLength(where, 'utf8');
    const textLen = bytes.length;
    const len = align8(HEADER + keyLen + destLen + textLen);
    if (keyLen > 0xffff || destLen > 0xffff || len > this.capacity / 4) return;
    while (this.count >= this.maxEntries) this.dropTail(now);
    // A record never straddles the end: the rest of the lap is padding (or, under HEADER bytes,
    // simply skipped).
    let p = this.head % this.capacity;
    if (p + len > this.capacity) {
      const rest = this.capacity - p;
      this.makeRoom(rest, now);
      if (rest >= HEADER) {
        this.u32[p / 4] = rest;
        this.f64[p / 8 + 1] = PAD;
      }
      this.head += rest;
      p = 0;
    }
    this.makeRoom(len, now);
    const h = hashKey(key);
    const bucket = h & this.mask;
    this.u32[p / 4] = len;
    this.u32[p / 4 + 1] = h;
    this.f64[p / 8 + 1] = now + this.ttlMs;
    this.f64[p / 8 + 2] = this.buckets[bucket]!;
    this.ring.writeUInt16LE(keyLen, p + 24);
    this.ring.writeUInt16LE(destLen, p + 26);
    this.u32[p / 4 + 7] = textLen;
    let at = p + HEADER;
    at += this.ring.write(key, at, keyLen, 'utf8');
    at += this.ring.write(where, at, destLen, 'utf8');
    if (typeof bytes === 'string') this.ring.write(bytes, at, textLen, 'latin1');
    else bytes.copy(this.ring, at);
    this.buckets[bucket] = this.head;
    this.head += len;
    this.count++;
    this.arm(now);
  }

  /** Forgets expired entries (on every add, and from the timer when there is a clock). */
  expire(now: number): void {
    while (this.tail < this.head) {
      this.tail = this.recordStart(this.tail);
      if (this.tail >= this.head) break;
      const p = this.tail % this.capacity;
      const until = this.f64[p / 8 + 1]!;
      if (until > now) break;
      if (until !== PAD) this.count--;
      this.tail += this.u32[p / 4]!;
    }
  }

  clear(): void {
    this.disarm();
    this.buckets.fill(-1);
    this.tail = this.head;
    this.count = 0;
  }

  /** Frees the oldest records until `len` bytes fit in front of the tail. */
  private makeRoom(len: number, now: number): void {
    while (this.head + len - this.tail > this.capacity) this.dropTail(now);
  }

  /** Forgets the oldest record (padding included), counting a live one as evicted. */
  private dropTail(now: number): void {
    this.tail = this.recordStart(this.tail);
    if (this.tail >= this.head) return;
    const p = this.tail % this.capacity;
    const until = this.f64[p / 8 + 1]!;
    if (until !== PAD) {
      this.count--;
      if (until > now) this.evicted++;
    }
    this.tail += this.u32[p / 4]!;
  }

  /** Starts the expiry timer for the oldest entry, unless one is running. */
  private arm(now: number): void {
    if (!this.clock || this.sweep !== undefined || this.count === 0) return;
    const clock = this.clock;
    const delay = Math.max(0, this.oldestUntil() - now) + this.slackMs;
    this.sweep = clock.setTimeout(() => {
      this.sweep = undefined;
      const at = clock.now();
      this.expire(at);
      this.arm(at);
    }, delay);
    // Freeing memory is no reason to keep the process alive.
    (this.sweep as { unref?: () => void }).unref?.();
  }

  /** Expiry of the oldest live record (the tail may be padding). */
  private oldestUntil(): number {
    for (let at = this.recordStart(this.tail); at < this.head;) {
      const p = at % this.capacity;
      const until = this.f64[p / 8 + 1]!;
      if (until !== PAD) return until;
      at = this.recordStart(at + this.u32[p / 4]!);
    }
    return 0;
  }

  /**
   * `at`, or the start of the next lap when fewer than HEADER bytes are left of this one: add()
   * writes no record there, not even padding.
   */
  private recordStart(at: number): number {
    const rest = this.capacity - (at % this.capacity);
    return rest < HEADER ? at + rest : at;
  }

  private disarm(): void {
    if (this.sweep === undefined) return;
    this.clock?.clearTimeout(this.sweep);
    this.sweep = undefined;
  }
}
