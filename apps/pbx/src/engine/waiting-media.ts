/**
 * What a party waiting on the PBX hears from the media server: hold music (held by a station
 * whose tone source is `system`, or parked) and ringback (a transferred party waiting on a
 * ringing station).
 *
 * On the wire: the waiting party's dialog is re-INVITEd with the offer of a new media-server
 * endpoint (`MediaPort.createOffer`); its answer completes the endpoint, which then plays in a
 * loop. Any other SDP the PBX later sends that phone (a resume relayed from the holder, a
 * retrieve, a reconnect) goes through `Leg.stamp`, which lets the endpoint go: it is hung up once
 * the phone has left it. With no media server connected the party hears what it heard before
 * (silence, or the holder's own hold tone) and the log says why.
 */
import { isOnHold, other } from '../state/media-direction';
import { withDirection } from '../sip/sdp';
import { isSrtpSdp } from '../sip/srtp';
import { statusOf } from './sip-port';
import type { MediaEndpoint, MediaSource } from './media-port';
import { MediaUnavailableError } from './media-port';
import type { CallEnv } from './call-env';
import type { Call, Leg, WaitingMediaHandle } from './call-registry';

export type WaitingSound = 'music' | 'ringback';

/** Name of the generated tune in the media server's sounds directory (media/hold-tune.ts). */
export const DEFAULT_HOLD_MUSIC = 'hold-music.wav';

/** Ringback as the PBX plays it: 440+480 Hz, 2 s on, 4 s off (the North American cadence). */
export const RINGBACK: MediaSource = { stream: 'tone_stream://%(2000,4000,440,480)' };

function musicOf(env: CallEnv): MediaSource {
  return { file: env.config.media.holdMusic ?? DEFAULT_HOLD_MUSIC };
}

/** One party on one media-server endpoint. */
class WaitingSession implements WaitingMediaHandle {
  released = false;
  private endpoint: MediaEndpoint | undefined;
  /** Bumped on every new playback: an older one ending is no news. */
  private playing = 0;

  constructor(
    private readonly env: CallEnv,
    private readonly leg: Leg,
    public sound: WaitingSound,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    const ep = this.endpoint;
    this.endpoint = undefined;
    if (ep) {
      ep.destroy().catch((err: unknown) =>
        this.env.log.debug({ err, channel: ep.id }, 'waiting media endpoint destroy'),
      );
      this.env.log.info(
        { party: this.leg.party.number, sound: this.sound },
        'waiting party left the media server',
      );
    }
  }

  async start(why: string): Promise<void> {
    const { env, leg } = this;
    try {
      const ep = await env.media.createOffer({ srtp: isSrtpSdp(leg.sdp) });
      if (this.released || leg.ended || !leg.dialog) {
        await ep.destroy();
        return;
      }
      this.endpoint = ep;
      ep.onEnded((reason) => {
        if (this.released || this.endpoint !== ep) return;
        env.log.warn({ party: leg.party.number, reason }, 'media server ended the waiting media');
        if (leg.waitingMedia === this) leg.waitingMedia = undefined;
        this.released = true;
      });
      const answer = await leg.dialog.reinvite(
        leg.stampWaiting(withDirection(ep.localSdp, 'sendrecv'), this),
      );
      if (this.released) return;
      await ep.modify(answer);
      if (this.released) return;
      env.log.info(
        { party: leg.party.number, sound: this.sound, why, channel: ep.id },
        'waiting party on the media server',
      );
      this.play();
    } catch (err) {
      const reason =
        err instanceof MediaUnavailableError ? err.reason : `${statusOf(err)} ${String(err)}`;
      env.log.warn(
        { party: leg.party.number, sound: this.sound, why, reason },
        'no music or ringback for the waiting party',
      );
      if (leg.waitingMedia === this) leg.waitingMedia = undefined;
      this.release();
    }
  }

  async offer(sdp: string): Promise<string | undefined> {
    const ep = this.endpoint;
    if (!ep || this.released) return undefined;
    return ep.modify(sdp);
  }

  /** Plays the current sound in a loop, falling back to the generated tune if the file fails. */
  private play(source = this.sound === 'music' ? musicOf(this.env) : RINGBACK): void {
    const ep = this.endpoint;
    if (!ep || this.released) return;
    const turn = ++this.playing;
    const startedAt = this.env.now();
    const fallBack = (why: string): void => {
      const isDefault = 'file' in source && source.file === DEFAULT_HOLD_MUSIC;
      this.env.log.warn(
        { party: this.leg.party.number, source, why },
        isDefault
          ? 'hold music cannot be played'
          : 'hold music cannot be played: using the generated tune',
      );
      if (!isDefault && this.sound === 'music') this.play({ file: DEFAULT_HOLD_MUSIC });
    };
    ep.play(source, { loop: true }).then(
      (result) => {
        if (turn !== this.playing || this.released || result.stopped) return;
        // A loop only ends by itself when the file could not be played at all.
        if (this.env.now() - startedAt < 1_000) fallBack('the playback ended at once');
      },
      (err: unknown) => {
        if (turn !== this.playing || this.released) return;
        fallBack(String(err));
      },
    );
  }

  /** Switches what the party hears (hold music ↔ ringback) on the same endpoint. */
  switchTo(sound: WaitingSound): void {
    if (this.sound === sound) return;
    this.sound = sound;
    const ep = this.endpoint;
    if (!ep) return; // Still starting: it will play the new sound.
    this.playing += 1;
    ep.stop().then(
      () => this.play(),
      (err: unknown) => this.env.log.warn({ err }, 'could not stop the waiting media'),
    );
  }
}

/**
 * Puts `leg`'s party on the media server hearing `sound`, unless it already is (then only the
 * sound changes). `why` is for the log.
 */
export function hearWhileWaiting(env: CallEnv, leg: Leg, sound: WaitingSound, why: string): void {
  if (!leg.dialog || leg.ended) return;
  const current = leg.waitingMedia;
  if (current instanceof WaitingSession && !current.released) {
    current.switchTo(sound);
    return;
  }
  if (!env.media.available) {
    env.log.info(
      { party: leg.party.number, sound, why, reason: env.media.unavailableReason },
      `no ${sound === 'music' ? 'hold music' : 'ringback'}: media server unavailable`,
    );
    return;
  }
  const session = new WaitingSession(env, leg, sound);
  leg.waitingMedia = session;
  void session.start(why);
}

/** True when the leg's party is on the media server hearing `sound` (or about to). */
export function isHearing(leg: Leg, sound?: WaitingSound): boolean {
  const w = leg.waitingMedia;
  return w instanceof WaitingSession && !w.released && (sound === undefined || w.sound === sound);
}

/**
 * Music on hold for a connected call, once no offer/answer is under way: every party held by a
 * station whose tone source is `system` hears the hold music. (Resume takes it off by itself:
 * the relayed resume is other SDP for the held phone.) Tone source `phone`: nothing to do; the
 * holder's phone sends its own hold tone over the relayed media.
 */
export function musicOnHold(env: CallEnv, call: Call): void {
  const conn = call.connection;
  if (!conn || conn.media.pending || call.ended) return;
  for (const side of ['a', 'b'] as const) {
    const held = call.leg(side);
    const holder = call.leg(other(side));
    if (!held || !holder || held.callRef !== call.ref || holder.callRef !== call.ref) continue;
    if (!isOnHold(conn.media, side) || isHearing(held)) continue;
    const station = holder.party.station;
    if (!station || env.stations.row(station)?.toneSource !== 'system') continue;
    hearWhileWaiting(env, held, 'music', `held by ${holder.party.number}`);
  }
}
