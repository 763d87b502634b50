/**
 * A small adaptive jitter buffer keyed on RTP timestamps (not sequence numbers: RFC 4733 event
 * packets share the sequence space, and a sender pauses audio while it sends events).
 *
 * Packets are held sorted by timestamp; every tick `pull()` plays out 160 samples at the playout
 * cursor, filling gaps with silence. The target delay follows the RFC 3550 interarrival jitter
 * estimate (three times the jitter) and grows one frame each time a packet arrives too late, within
 * [minFrames, maxFrames]. When the buffer holds more than target + 2 frames for a second it drops
 * one frame to shrink the delay back. Pure: arrival times are passed in.
 *
 * Allocation-free once warm (a scavenge per few hundred frames is what a busy engine's pacing
 * misses): `push` copies the samples into a slot of its own, slots come from a free list and go
 * back to it once played out or dropped, so a slot still queued is never overwritten; `pull`
 * writes into one output frame the buffer owns, valid until the next `pull`.
 */

export interface JitterBufferOptions {
  /** Samples per pulled frame (160 = 20 ms at 8 kHz). */
  frameSamples?: number;
  minFrames?: number;
  maxFrames?: number;
}

export type PushResult = 'queued' | 'late' | 'duplicate' | 'resync';

export interface JitterBufferStats {
  queued: number;
  late: number;
  duplicate: number;
  resyncs: number;
  shrinks: number;
  grows: number;
  /** Current target delay in frames. */
  targetFrames: number;
  /** Interarrival jitter estimate in samples (RFC 3550 A.8). */
  jitter: number;
}

/** A queued packet: `len` samples in `samples` (a reused slot, possibly longer). */
interface Held {
  ts: number;
  len: number;
  samples: Int16Array;
}

/** Signed distance a - b between two 32-bit RTP timestamps (wrap-safe). */
function tsDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class JitterBuffer {
  private readonly frame: number;
  private readonly minFrames: number;
  private readonly maxFrames: number;
  private readonly held: Held[] = [];
  /** Slots not queued: reused by the next `push` (grows to the most ever held at once). */
  private readonly free: Held[] = [];
  /** The frame `pull` plays into; allocated with the first slot (a channel that only sends never needs it). */
  private out: Int16Array | undefined;
  private playTs = 0;
  private started = false;
  private lateRun = 0;
  private extraFrames = 0;
  private stallFrames = 0;
  private overfullPulls = 0;
  private pullsSinceLate = 0;
  private prevArrival = 0;
  private prevTs = 0;
  readonly stats: JitterBufferStats;

  constructor(options: JitterBufferOptions = {}) {
    this.frame = options.frameSamples ?? 160;
    this.minFrames = options.minFrames ?? 1;
    this.maxFrames = Math.max(this.minFrames, options.maxFrames ?? 10);
    this.stats = {
      queued: 0,
      late: 0,
      duplicate: 0,
      resyncs: 0,
      shrinks: 0,
      grows: 0,
      targetFrames: this.minFrames,
      jitter: 0,
    };
  }

  /** Frames of delay aimed at now. */
  get targetFrames(): number {
    const fromJitter = Math.ceil((3 * this.stats.jitter) / this.frame);
    const t = Math.max(this.minFrames + this.extraFrames, this.minFrames + fromJitter);
    return Math.min(this.maxFrames, t);
  }

  /** Samples buffered ahead of the playout cursor. */
  get depthSamples(): number {
    const last = this.held[this.held.length - 1];
    return last ? Math.max(0, tsDiff(last.ts, this.playTs) + last.len) : 0;
  }

  /** Forget everything (new SSRC, new remote). */
  reset(): void {
    this.release(0);
    this.started = false;
    this.stats.jitter = 0;
    this.extraFrames = 0;
    this.stallFrames = 0;
  }

  /** Returns the queued slots from index `from` on to the free list. */
  private release(from: number): void {
    for (let i = from; i < this.held.length; i++) this.free.push(this.held[i] as Held);
    this.held.length = from;
  }

  /** A free slot holding a copy of `samples[0, len)`. */
  private slot(ts: number, samples: Int16Array, len: number): Held {
    this.out ??= new Int16Array(this.frame);
    let h = this.free.pop();
    if (!h) h = { ts, len, samples: new Int16Array(Math.max(len, this.frame)) };
    else if (h.samples.length < len) h.samples = new Int16Array(len);
    h.ts = ts;
    h.len = len;
    for (let i = 0; i < len; i++) h.samples[i] = samples[i] as number;
    return h;
  }

  /**
   * Adds decoded samples that start at RTP timestamp `ts`, arrived at `arrivalMs`: the first
   * `length` of `samples` (all of them by default), copied, so the caller may reuse its array.
   */
  push(ts: number, samples: Int16Array, arrivalMs: number, length = samples.length): PushResult {
    const len = Math.min(length, samples.length);
    if (len <= 0) return 'late';
    if (!this.started) return this.resync(ts, samples, len, arrivalMs, false);
    // RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si), in timestamp units.
    const d = (arrivalMs - this.prevArrival) * 8 - tsDiff(ts, this.prevTs);
    if (tsDiff(ts, this.prevTs) > 0) {
      this.stats.jitter += (Math.abs(d) - this.stats.jitter) / 16;
      this.prevArrival = arrivalMs;
      this.prevTs = ts;
    }
    const rel = tsDiff(ts, this.playTs);
    const maxAhead = (this.maxFrames + 2) * this.frame;
    if (rel + len <= 0) {
      // Far behind with nothing held: the sender's clock jumped back; follow it.
      if (this.held.length === 0 && (rel < -8000 || ++this.lateRun >= 3)) {
        return this.resync(ts, samples, len, arrivalMs, true);
      }
      this.stats.late++;
      this.pullsSinceLate = 0;
      if (this.extraFrames + this.minFrames < this.maxFrames) {
        this.extraFrames++;
        this.stallFrames++;
        this.stats.grows++;
      }
      return 'late';
    }
    this.lateRun = 0;
    if (rel > maxAhead && (this.held.length === 0 || rel > 8000)) {
      // A pause (silence suppression, events) or a new stream: restart the delay from here.
      return this.resync(ts, samples, len, arrivalMs, true);
    }
    let i = this.held.length;
    while (i > 0 && tsDiff((this.held[i - 1] as Held).ts, ts) > 0) i--;
    const prev = this.held[i - 1];
    if (prev && prev.ts === ts) {
      this.stats.duplicate++;
      return 'duplicate';
    }
    // Insert at i by hand: `splice` would allocate the (empty) array of removed elements.
    const h = this.slot(ts, samples, len);
    for (let k = this.held.length; k > i; k--) this.held[k] = this.held[k - 1] as Held;
    this.held[i] = h;
    this.stats.queued++;
    return 'queued';
  }

  private resync(
    ts: number,
    samples: Int16Array,
    len: number,
    arrivalMs: number,
    counted: boolean,
  ): PushResult {
    this.release(0);
    this.held.push(this.slot(ts, samples, len));
    this.started = true;
    this.lateRun = 0;
    this.playTs = (ts - this.targetFrames * this.frame) >>> 0;
    this.prevArrival = arrivalMs;
    this.prevTs = ts;
    this.stats.queued++;
    if (counted) this.stats.resyncs++;
    return counted ? 'resync' : 'queued';
  }

  /**
   * Plays out one frame: the samples at the cursor, or null when nothing covers it (the caller
   * hears silence). Call once per tick. The frame is the buffer's own and is rewritten by the
   * next `pull`: a sink that keeps it longer than the tick copies it.
   */
  pull(): Int16Array | null {
    this.stats.targetFrames = this.targetFrames;
    if (!this.started) return null;
    if (this.stallFrames > 0) {
      this.stallFrames--;
      return null;
    }
    const n = this.frame;
    const out = this.out;
    if (!out || this.held.length === 0) {
      this.playTs = (this.playTs + n) >>> 0;
      this.adapt();
      return null;
    }
    let any = false;
    let keep = 0;
    const count = this.held.length;
    for (let j = 0; j < count; j++) {
      const h = this.held[j] as Held;
      const rel = tsDiff(h.ts, this.playTs);
      const len = h.len;
      if (rel >= n) {
        this.held[keep++] = h;
        continue;
      }
      if (!any) {
        any = true;
        out.fill(0);
      }
      const from = Math.max(0, -rel);
      const to = Math.min(len, n - rel);
      for (let k = from; k < to; k++) out[rel + k] = h.samples[k] as number;
      if (rel + len > n) this.held[keep++] = h;
      else this.free.push(h);
    }
    this.held.length = keep;
    this.playTs = (this.playTs + n) >>> 0;
    this.adapt();
    return any ? out : null;
  }

  private adapt(): void {
    if (++this.pullsSinceLate >= 500 && this.extraFrames > 0) {
      // Ten seconds without a late packet: give one frame of delay back.
      this.extraFrames--;
      this.pullsSinceLate = 0;
    }
    const target = this.targetFrames * this.frame;
    if (this.depthSamples > target + 2 * this.frame) {
      if (++this.overfullPulls >= 50) {
        this.overfullPulls = 0;
        this.playTs = (this.playTs + this.frame) >>> 0;
        let keep = 0;
        for (const h of this.held) {
          if (tsDiff(h.ts, this.playTs) + h.len > 0) this.held[keep++] = h;
          else this.free.push(h);
        }
        this.held.length = keep;
        this.stats.shrinks++;
      }
    } else {
      this.overfullPulls = 0;
    }
  }
}
