import type { Logger } from '../logger';
import { MediaStateError } from './errors';
import { FRAME_SAMPLES, SILENCE, clamp16 } from './frames';
import type { FeedOwner } from './rtp-session';
import { MediaSession } from './rtp-session';
import type { Ticker, TickClient } from './ticker';
import type {
  AudioSink,
  AudioSource,
  ConferenceMixer,
  MixerMember,
  MixerMemberOptions,
  PlaybackResult,
  RecordingResult,
  RtpSession,
} from './types';
import type { WavRecorder } from './wav';

interface Playing {
  source: AudioSource;
  samples: number;
  resolve: (r: PlaybackResult) => void;
}

class Member implements MixerMember {
  input: Int16Array | null = null;
  playback: Playing | undefined;
  readonly sink: AudioSink = { writeFrame: (f) => (this.input = f) };
  /**
   * This member's mixed frame, rewritten every frame: the session encodes it (and its write taps
   * copy it) in the send phase of the same frame, so nothing holds it longer, and the mixer
   * allocates nothing per member per frame (less young-generation garbage, fewer scavenges).
   */
  readonly out = new Int16Array(FRAME_SAMPLES);
  onClose: () => void = () => undefined;

  constructor(
    readonly session: MediaSession,
    public mute: boolean,
    public deaf: boolean,
  ) {}

  setMute(on: boolean): void {
    this.mute = on;
  }

  setDeaf(on: boolean): void {
    this.deaf = on;
  }
}

function finish(p: Playing, reason: PlaybackResult['reason']): void {
  p.source.close();
  p.resolve({ reason, samples: p.samples, ms: Math.round(p.samples / 8) });
}

/** Reads one frame of a playback, or finishes it ('done') and returns null. */
function readPlaying(p: Playing): Int16Array | null {
  const f = p.source.readFrame();
  if (f) p.samples += FRAME_SAMPLES;
  return f;
}

/**
 * The N-party mixer, run in the ticker's mix phase (after every member's receive phase, before
 * its send phase). Per frame it sums the unmuted members' audio and the conference playback once
 * into an Int32 accumulator, then gives each member the sum minus its own contribution plus its
 * private playback, clamped to 16 bits: O(N) per frame, not O(N²). Members that contribute
 * nothing and have no private playback share one output frame. The recording is the whole sum.
 */
export class Mixer implements ConferenceMixer, TickClient, FeedOwner {
  readonly kind = 'mixer';
  private readonly members: Member[] = [];
  private playback: Playing | undefined;
  private readonly recorders = new Map<string, WavRecorder>();
  private readonly acc = new Int32Array(FRAME_SAMPLES);
  /**
   * The whole clamped sum, what members without audio of their own hear and the recording gets:
   * rewritten every frame like each member's `out` (sessions encode it in the same frame's send
   * phase, recorders copy it), so a mix allocates nothing.
   */
  private readonly sharedOut = new Int16Array(FRAME_SAMPLES);
  private closed = false;

  constructor(
    private readonly ticker: Ticker,
    private readonly openRecorder: (path: string) => Promise<WavRecorder>,
    private readonly log: Logger,
  ) {
    ticker.add(this);
  }

  get size(): number {
    return this.members.length;
  }

  addMember(session: RtpSession, options: MixerMemberOptions = {}): MixerMember {
    if (this.closed) throw new MediaStateError('mixer is closed');
    if (!(session instanceof MediaSession))
      throw new MediaStateError('not a session of this engine');
    if (session.isClosed) throw new MediaStateError('session is closed');
    if (session.feedOwner)
      throw new MediaStateError(`session is already in a ${session.feedOwner.kind}`);
    const m = new Member(session, options.mute === true, options.deaf === true);
    session.feedOwner = this;
    session.addSink(m.sink);
    // Members run in the mixer's sub-tick: receive, mix and send of one frame back to back.
    this.ticker.colocate(session, this);
    m.onClose = () => this.removeMember(m);
    session.on('close', m.onClose);
    this.members.push(m);
    return m;
  }

  removeMember(member: MixerMember): void {
    const i = this.members.indexOf(member as Member);
    if (i < 0) return;
    const m = this.members[i] as Member;
    this.members.splice(i, 1);
    m.session.removeSink(m.sink);
    m.session.off('close', m.onClose);
    if (m.session.feedOwner === this) {
      m.session.feedOwner = undefined;
      m.session.feed = null;
    }
    if (m.playback) finish(m.playback, 'hangup');
    m.playback = undefined;
  }

  play(source: AudioSource, to?: MixerMember): Promise<PlaybackResult> {
    const target = to === undefined ? undefined : this.members.find((m) => m === to);
    if (this.closed || (to !== undefined && !target)) {
      source.close();
      return Promise.resolve({ reason: 'hangup', ms: 0, samples: 0 });
    }
    return new Promise((resolve) => {
      const p: Playing = { source, samples: 0, resolve };
      if (target) {
        if (target.playback) finish(target.playback, 'break');
        target.playback = p;
      } else {
        if (this.playback) finish(this.playback, 'break');
        this.playback = p;
      }
    });
  }

  /** Stops the conference playback and every member's private one. */
  stopPlayback(): void {
    if (this.playback) finish(this.playback, 'break');
    this.playback = undefined;
    for (const m of this.members) {
      if (m.playback) finish(m.playback, 'break');
      m.playback = undefined;
    }
  }

  async startRecording(path: string): Promise<void> {
    if (this.closed) throw new MediaStateError('mixer is closed');
    if (this.recorders.has(path)) return;
    const r = await this.openRecorder(path);
    if (this.closed) {
      await r.close();
      throw new MediaStateError('mixer is closed');
    }
    this.recorders.set(path, r);
  }

  async stopRecording(path: string): Promise<RecordingResult | undefined> {
    const r = this.recorders.get(path);
    if (!r) return undefined;
    this.recorders.delete(path);
    return r.close();
  }

  mix(): void {
    const acc = this.acc;
    acc.fill(0);
    let any = false;
    for (const m of this.members) {
      if (m.mute || !m.input || m.input === SILENCE) continue;
      accumulate(acc, m.input);
      any = true;
    }
    if (this.playback) {
      const f = readPlaying(this.playback);
      if (f) {
        accumulate(acc, f);
        any = true;
      } else {
        finish(this.playback, 'done');
        this.playback = undefined;
      }
    }
    // The whole sum, clamped at most once per frame and only when something needs it.
    let shared: Int16Array | null = null;
    if (this.recorders.size > 0) {
      shared = this.clampedSum(any);
      for (const r of this.recorders.values()) r.writeFrame(shared);
    }
    for (const m of this.members) {
      const own = m.mute || !m.input || m.input === SILENCE ? null : m.input;
      m.input = null;
      let priv: Int16Array | null = null;
      if (m.playback) {
        priv = readPlaying(m.playback);
        if (!priv) {
          finish(m.playback, 'done');
          m.playback = undefined;
        }
      }
      if (m.deaf) {
        m.session.feed = SILENCE;
        continue;
      }
      if (!own && !priv) {
        shared ??= this.clampedSum(any);
        m.session.feed = shared;
        continue;
      }
      m.session.feed = mixMinusOwn(acc, own, priv, m.out);
    }
  }

  /** The accumulator clamped into `sharedOut`, or SILENCE when nothing was summed. */
  private clampedSum(any: boolean): Int16Array {
    if (!any) return SILENCE;
    const out = this.sharedOut;
    for (let i = 0; i < FRAME_SAMPLES; i++) out[i] = clamp16(this.acc[i] as number);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker.delete(this);
    for (const m of [...this.members]) this.removeMember(m);
    if (this.playback) finish(this.playback, 'hangup');
    this.playback = undefined;
    for (const [path, r] of this.recorders) {
      r.close().catch((err: unknown) =>
        this.log.warn({ err, path }, 'conference recording failed'),
      );
    }
    this.recorders.clear();
  }
}

/** Adds a 16-bit frame into the Int32 accumulator (no clamping: 65536 members fit). */
export function accumulate(acc: Int32Array, frame: Int16Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (frame[i] as number);
}

/** One member's output: the sum minus its own contribution plus its private audio, clamped. */
export function mixMinusOwn(
  acc: Int32Array,
  own: Int16Array | null,
  priv: Int16Array | null,
  out: Int16Array = new Int16Array(acc.length),
): Int16Array {
  for (let i = 0; i < acc.length; i++) {
    let v = acc[i] as number;
    if (own) v -= own[i] as number;
    if (priv) v += priv[i] as number;
    out[i] = clamp16(v);
  }
  return out;
}
