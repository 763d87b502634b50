/**
 * A small adaptive jitter buffer keyed on RTP timestamps (not sequence numbers: RFC 4733 event
 * packets share the sequence space, and a sender pauses audio while it sends events).
 *
 * Packets are held sorted by timestamp; every tick `pull()` plays out 160 samples at the playout
 * cursor, filling gaps with silence. The target delay follows the RFC 3550 interarrival jitter
 * estimate (three times the jitter) and grows one frame each time a packet arrives too late, within
 * [minFrames, maxFrames]. When the buffer holds more than target + 2 frames for a second it drops
 * one frame to shrink the delay back. Pure: arrival times are passed in.
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

interface Held {
  ts: number;
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
  private held: Held[] = [];
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
    return last ? Math.max(0, tsDiff(last.ts, this.playTs) + last.samples.length) : 0;
  }

  /** Forget everything (new SSRC, new remote). */
  reset(): void {
    this.held = [];
    this.started = false;
    this.stats.jitter = 0;
    this.extraFrames = 0;
    this.stallFrames = 0;
  }

  /** Adds decoded samples that start at RTP timestamp `ts`, arrived at `arrivalMs`. */
  push(ts: number, samples: Int16Array, arrivalMs: number): PushResult {
    if (samples.length === 0) return 'late';
    if (!this.started) return this.resync(ts, samples, arrivalMs, false);
    // RFC 3550 A.8: D = (Rj - Ri) - (Sj - Si), in timestamp units.
    const d = (arrivalMs - this.prevArrival) * 8 - tsDiff(ts, this.prevTs);
    if (tsDiff(ts, this.prevTs) > 0) {
      this.stats.jitter += (Math.abs(d) - this.stats.jitter) / 16;
      this.prevArrival = arrivalMs;
      this.prevTs = ts;
    }
    const rel = tsDiff(ts, this.playTs);
    const maxAhead = (this.maxFrames + 2) * this.frame;
    if (rel + samples.length <= 0) {
      // Far behind with nothing held: the sender's clock jumped back; follow it.
      if (this.held.length === 0 && (rel < -8000 || ++this.lateRun >= 3)) {
        return this.resync(ts, samples, arrivalMs, true);
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
      return this.resync(ts, samples, arrivalMs, true);
    }
    let i = this.held.length;
    while (i > 0 && tsDiff((this.held[i - 1] as Held).ts, ts) > 0) i--;
    const prev = this.held[i - 1];
    if (prev && prev.ts === ts) {
      this.stats.duplicate++;
      return 'duplicate';
    }
    this.held.splice(i, 0, { ts, samples });
    this.stats.queued++;
    return 'queued';
  }

  private resync(ts: number, samples: Int16Array, arrivalMs: number, counted: boolean): PushResult {
    this.held = [{ ts, samples }];
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
   * hears silence). Call once per tick.
   */
  pull(): Int16Array | null {
    this.stats.targetFrames = this.targetFrames;
    if (!this.started) return null;
    if (this.stallFrames > 0) {
      this.stallFrames--;
      return null;
    }
    const n = this.frame;
    let out: Int16Array | null = null;
    let keep = 0;
    for (const h of this.held) {
      const rel = tsDiff(h.ts, this.playTs);
      const len = h.samples.length;
      if (rel >= n) {
        this.held[keep++] = h;
        continue;
      }
      if (rel === 0 && len === n && out === null) {
        out = h.samples;
      } else {
        out ??= new Int16Array(n);
        const from = Math.max(0, -rel);
        const to = Math.min(len, n - rel);
        if (to > from) out.set(h.samples.subarray(from, to), rel + from);
      }
      if (rel + len > n) this.held[keep++] = h;
    }
    this.held.length = keep;
    this.playTs = (this.playTs + n) >>> 0;
    this.adapt();
    return out;
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
        this.held = this.held.filter((h) => tsDiff(h.ts, this.playTs) + h.samples.length > 0);
        this.stats.shrinks++;
      }
    } else {
      this.overfullPulls = 0;
    }
  }
}
