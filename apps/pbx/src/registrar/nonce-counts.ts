/**
 * The highest nonce count seen per digest nonce, for the most recently used `max` nonces, in
 * typed arrays: no JS object, string or Map entry per nonce. At thousands of registrations a
 * second every nonce lives until it is pushed out (16 s at 4,000/s for 65,536 of them), so one
 * object and string each were ~10 MB of the main thread's old generation and a steady stream of
 * promoted garbage; here the table is ~2.5 MB, allocated once.
 *
 * A nonce is identified by its 64 random bits (issued by us from the CSPRNG; only nonces whose MAC
 * checked are tracked). Lookup is an open-addressed table with linear probing, removal by backward
 * shift; recency is a doubly linked list over the entry indices.
 */

const NONE = -1;

export interface Evicted {
  issuedAt: number;
}

export class NonceCounts {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly nc: Float64Array;
  private readonly issued: Float64Array;
  /** Recency list: `older[i]` / `newer[i]` are entry indices or NONE. */
  private readonly older: Int32Array;
  private readonly newer: Int32Array;
  /** Hash slots: entry index + 1, 0 empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private count = 0;
  private oldest = NONE;
  private newest = NONE;

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
    this.hi = new Uint32Array(max);
    this.lo = new Uint32Array(max);
    this.nc = new Float64Array(max);
    this.issued = new Float64Array(max);
    this.older = new Int32Array(max);
    this.newer = new Int32Array(max);
    let n = 4;
    while (n < max * 2) n *= 2;
    this.slots = new Int32Array(n);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /** The entry of (hi, lo), made the most recently used; NONE when not tracked. */
  find(hi: number, lo: number): number {
    const i = this.indexOf(hi, lo);
    if (i !== NONE) this.touch(i);
    return i;
  }

  countOf(i: number): number {
    return this.nc[i]!;
  }

  setCount(i: number, nc: number): void {
    this.nc[i] = nc;
  }

  /**
   * Tracks a new nonce as the most recently used (the caller checked it is not tracked); when
   * full, the least recently used one is forgotten and returned.
   */
  add(hi: number, lo: number, nc: number, issuedAt: number): Evicted | undefined {
    let i: number;
    let evicted: Evicted | undefined;
    if (this.count < this.max) i = this.count++;
    else {
      i = this.oldest;
      evicted = { issuedAt: this.issued[i]! };
      this.unlink(i);
      this.removeSlot(i);
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.nc[i] = nc;
    this.issued[i] = issuedAt;
    let s = this.home(hi, lo);
    while (this.slots[s] !== 0) s = (s + 1) & this.mask;
    this.slots[s] = i + 1;
    this.linkNewest(i);
    return evicted;
  }

  private home(hi: number, lo: number): number {
    return (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
  }

  private indexOf(hi: number, lo: number): number {
    let s = this.home(hi, lo);
    for (;;) {
      const v = this.slots[s]!;
      if (v === 0) return NONE;
      const i = v - 1;
      if (this.lo[i] === lo && this.hi[i] === hi) return i;
      s = (s + 1) & this.mask;
    }
  }

  /** Empties entry i's slot and shifts later entries of its probe run back (no tombstones). */
  private removeSlot(i: number): void {
    let s = this.home(this.hi[i]!, this.lo[i]!);
    while (this.slots[s] !== i + 1) s = (s + 1) & this.mask;
    let hole = s;
    let j = (s + 1) & this.mask;
    for (;;) {
      const v = this.slots[j]!;
      if (v === 0) break;
      const k = this.home(this.hi[v - 1]!, this.lo[v - 1]!);
      // The entry at j may move into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? k > hole && k <= j : k > hole || k <= j;
      if (!inRange) {
        this.slots[hole] = v;
        hole = j;
      }
      j = (j + 1) & this.mask;
    }
    this.slots[hole] = 0;
  }

  private touch(i: number): void {
    if (this.newest === i) return;
    this.unlink(i);
    this.linkNewest(i);
  }

  private unlink(i: number): void {
    const o = this.older[i]!;
    const n = this.newer[i]!;
    if (o !== NONE) this.newer[o] = n;
    else this.oldest = n;
    if (n !== NONE) this.older[n] = o;
    else this.newest = o;
  }

  private linkNewest(i: number): void {
    this.older[i] = this.newest;
    this.newer[i] = NONE;
    if (this.newest !== NONE) this.newer[this.newest] = i;
    else this.oldest = i;
    this.newest = i;
  }
}
