import { FRAME_SAMPLES } from './frames';
import { digitToEvent, eventToDigit } from './rtp-packet';
import type { TelephoneEvent } from './rtp-packet';
import type { DtmfEvent } from './types';

/**
 * RFC 4733 receive side: one DtmfEvent per digit. Events are keyed by their RTP timestamp (2.5.1.2:
 * all packets of one event share it), so the three end-packet retransmissions and any late
 * update of an event already reported are ignored. A digit whose end packets were all lost is
 * reported when the next event starts or after `staleMs` without an update.
 */
export class DtmfReceiver {
  private current: { ts: number; digit: string; duration: number; lastMs: number } | undefined;
  private lastReportedTs: number | undefined;

  constructor(private readonly staleMs = 1000) {}

  /** Feeds one event packet; returns the digit(s) completed by it. */
  receive(rtpTimestamp: number, e: TelephoneEvent, nowMs: number): DtmfEvent[] {
    const digit = eventToDigit(e.event);
    if (digit === undefined || rtpTimestamp === this.lastReportedTs) return [];
    const out: DtmfEvent[] = [];
    if (this.current && this.current.ts !== rtpTimestamp) out.push(...this.flush());
    if (e.end) {
      this.current = undefined;
      this.lastReportedTs = rtpTimestamp;
      out.push({ digit, durationSamples: e.duration, source: 'RTP' });
    } else {
      this.current = { ts: rtpTimestamp, digit, duration: e.duration, lastMs: nowMs };
    }
    return out;
  }

  /** Reports a digit whose end never came, once it is stale. Call now and then. */
  poll(nowMs: number): DtmfEvent[] {
    return this.current && nowMs - this.current.lastMs >= this.staleMs ? this.flush() : [];
  }

  private flush(): DtmfEvent[] {
    const c = this.current;
    if (!c) return [];
    this.current = undefined;
    this.lastReportedTs = c.ts;
    return [{ digit: c.digit, durationSamples: c.duration, source: 'RTP' }];
  }
}

/** One packet the sender wants on the wire this tick. */
export interface DtmfPacket {
  marker: boolean;
  /** RTP timestamp of the event start (same for every packet of the event). */
  timestamp: number;
  event: TelephoneEvent;
}

type Step =
  { kind: 'digit'; event: number; durationSamples: number } | { kind: 'pause'; frames: number };

/** Frames of normal audio between two digits. */
const GAP_FRAMES = 3;
/** RFC 4733 2.5.1.4: the end packet is sent three times. */
const END_REPEATS = 3;
/** Volume field: -10 dBm0, what most phones send. */
const VOLUME = 10;

/**
 * RFC 4733 send side, one step per 20 ms tick: each digit is a run of event packets sharing the
 * start timestamp, the first with the marker bit, the duration growing by one frame per packet,
 * then three end packets with the final duration. `w` and `W` pause 0.5 s and 1 s.
 */
export class DtmfSender {
  private steps: { step: Step; done?: () => void }[] = [];
  private active:
    { event: number; total: number; startTs: number; sent: number; ends: number } | undefined;
  private pauseLeft = 0;

  get busy(): boolean {
    return this.active !== undefined || this.pauseLeft > 0 || this.steps.length > 0;
  }

  /** Queues digits; `done` runs after the last one. Unknown characters are skipped. */
  enqueue(digits: string, msPerDigit: number, done: () => void): void {
    const durationSamples = Math.max(FRAME_SAMPLES, Math.round((msPerDigit * 8000) / 1000));
    const steps: Step[] = [];
    for (const ch of digits) {
      if (ch === 'w') steps.push({ kind: 'pause', frames: 25 });
      else if (ch === 'W') steps.push({ kind: 'pause', frames: 50 });
      else {
        const event = digitToEvent(ch);
        if (event !== undefined) steps.push({ kind: 'digit', event, durationSamples });
      }
    }
    if (steps.length === 0) {
      done();
      return;
    }
    steps.forEach((step, i) =>
      this.steps.push({ step, done: i === steps.length - 1 ? done : undefined }),
    );
  }

  /** Queues one received event for forwarding (bridges). */
  enqueueEvent(digit: string, durationSamples: number): void {
    const event = digitToEvent(digit);
    if (event === undefined) return;
    this.steps.push({
      step: { kind: 'digit', event, durationSamples: Math.max(FRAME_SAMPLES, durationSamples) },
    });
  }

  /**
   * Advances one tick at RTP timestamp `ts`. Returns the event packet to send instead of audio,
   * or undefined when audio goes out this tick.
   */
  tick(ts: number): DtmfPacket | undefined {
    if (this.pauseLeft > 0) {
      this.pauseLeft--;
      return undefined;
    }
    if (!this.active) {
      const next = this.steps.shift();
      if (!next) return undefined;
      if (next.step.kind === 'pause') {
        this.pauseLeft = next.step.frames - 1;
        next.done?.();
        return undefined;
      }
      this.active = {
        event: next.step.event,
        total: next.step.durationSamples,
        startTs: ts,
        sent: 0,
        ends: 0,
      };
      this.onActiveDone = next.done;
    }
    const a = this.active;
    if (a.sent < a.total) {
      a.sent = Math.min(a.total, a.sent + FRAME_SAMPLES);
      return {
        marker: a.sent === Math.min(a.total, FRAME_SAMPLES),
        timestamp: a.startTs,
        event: { event: a.event, end: false, volume: VOLUME, duration: a.sent },
      };
    }
    a.ends++;
    if (a.ends >= END_REPEATS) {
      this.active = undefined;
      this.pauseLeft = GAP_FRAMES;
      const done = this.onActiveDone;
      this.onActiveDone = undefined;
      done?.();
    }
    return {
      marker: false,
      timestamp: a.startTs,
      event: { event: a.event, end: true, volume: VOLUME, duration: a.total },
    };
  }

  private onActiveDone: (() => void) | undefined;

  /** Drops everything queued and runs the completion callbacks (session closing). */
  clear(): void {
    const dones = this.steps.map((s) => s.done);
    const active = this.onActiveDone;
    this.steps = [];
    this.active = undefined;
    this.onActiveDone = undefined;
    this.pauseLeft = 0;
    active?.();
    for (const d of dones) d?.();
  }
}

/** DTMF row and column frequencies (ITU-T Q.23) for events 0-15. */
const DTMF_FREQS: readonly (readonly [number, number])[] = [
  [941, 1336],
  [697, 1209],
  [697, 1336],
  [697, 1477],
  [770, 1209],
  [770, 1336],
  [770, 1477],
  [852, 1209],
  [852, 1336],
  [852, 1477],
  [941, 1209],
  [941, 1477],
  [697, 1633],
  [770, 1633],
  [852, 1633],
  [941, 1633],
];

/**
 * One frame of an in-band DTMF tone, for far ends that did not negotiate telephone-event:
 * `offset` = samples of this digit already played, so the phase runs on across frames.
 */
export function dtmfToneFrame(event: number, offset: number): Int16Array {
  const out = new Int16Array(FRAME_SAMPLES);
  const f = DTMF_FREQS[event];
  if (!f) return out;
  // Each frequency at about -10 dBFS (the Q.24 range for the pair is well inside this).
  const amp = 7000;
  for (let i = 0; i < FRAME_SAMPLES; i++) {
    const n = offset + i;
    out[i] = Math.round(
      amp * (Math.sin((2 * Math.PI * f[0] * n) / 8000) + Math.sin((2 * Math.PI * f[1] * n) / 8000)),
    );
  }
  return out;
}
