/**
 * The contract between the media engine (src/media/: RTP, G.711, jitter buffer, pacing, WAV,
 * tones, bridge, mixer) and the channel/Event Socket layer (src/esl/, src/channel/).
 *
 * Audio inside the engine is always linear 16-bit PCM, 8 kHz mono, in frames of 160 samples
 * (20 ms). Codecs exist only at the RTP edge. One shared ticker drives every session every 20 ms
 * off a monotonic clock: on each tick a session pulls one frame from its source (or the mixer),
 * encodes it and sends it; received packets go through the jitter buffer and are pulled one frame
 * per tick into the session's sinks.
 *
 * The engine owns this file. It may add members; it must not change or remove one without
 * writing the change into packages/media-server/INTERFACE-NOTES.md.
 */

import type { Logger } from '../logger';

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface AudioCodec {
  name: 'PCMU' | 'PCMA';
  payloadType: number;
  clockRate: 8000;
}

/** Where and how to send: from the SDP answer/offer of the far end. May change on re-INVITE. */
export interface RemoteMedia {
  address: string;
  port: number;
  codec: AudioCodec;
  /** RFC 4733 payload type negotiated, if any. */
  telephoneEventPayloadType?: number;
  /** Direction as seen from our side (our SDP's a= line). sendonly = we send, do not expect. */
  direction: MediaDirection;
  /**
   * Symmetric RTP (default true): latch to the source of the received RTP and send there. false =
   * always send to `address:port` and accept RTP from any port of `address` (FreeSWITCH's
   * `disable_rtp_auto_adjust`; the bench uses it to send and receive from different processes).
   */
  symmetric?: boolean;
  /** SRTP (SDES, AES_CM_128_HMAC_SHA1_80) when the SDP negotiated it; plain RTP otherwise. */
  srtp?: SrtpKeys;
}

/** SDES master key and salt of each direction, base64 as in `a=crypto` `inline:` (30 bytes). */
export interface SrtpKeys {
  /** What we encrypt with (our `a=crypto`). */
  localKey: string;
  /** What the far end encrypts with (its `a=crypto`). */
  remoteKey: string;
}

/**
 * One 20 ms frame of 160 samples, 8 kHz, or null when the source has ended. The frame is the
 * source's and valid until its next `readFrame` (sources reuse one frame rather than allocate one
 * per 20 ms); a caller that keeps it longer copies it, and never writes to it.
 */
export interface AudioSource {
  readFrame(): Int16Array | null;
  close(): void;
}

/**
 * Gets a frame per tick. The frame belongs to whoever wrote it (a jitter buffer, a mixer, a
 * source) and is rewritten next tick: a sink copies what it keeps (recorders do) and never
 * writes to it.
 */
export interface AudioSink {
  writeFrame(frame: Int16Array): void;
}

export interface DtmfEvent {
  digit: string; // 0-9 * # A-D
  durationSamples: number;
  source: 'RTP';
}

/** Result of playing one source on a session (or to a conference). */
export interface PlaybackResult {
  reason: 'done' | 'break' | 'hangup';
  ms: number;
  samples: number;
}

export interface RecordingResult {
  ms: number;
  samples: number;
}

/** A UDP port pair (RTP even, RTCP = RTP + 1) bound on the engine's address from its range. */
export interface RtpSession {
  readonly localAddress: string;
  readonly localPort: number;
  /** Set or replace the far end (re-INVITE, hold). Symmetric RTP: after packets arrive, send to
   *  where they come from. */
  setRemote(remote: RemoteMedia): void;
  /** Play a source to the far end until it ends, is broken (`stopPlayback`) or the session closes. */
  play(source: AudioSource): Promise<PlaybackResult>;
  /** Stops the current playback (its promise resolves with reason 'break'). */
  stopPlayback(): void;
  /** Receive-side taps: every decoded frame heard from the far end (silence while none arrives).
   *  `tap` (added): 'write' = every frame we send (silence while nothing goes out), 'both' = the
   *  two summed, for record_session. Default 'read'. */
  addSink(sink: AudioSink, tap?: 'read' | 'write' | 'both'): void;
  removeSink(sink: AudioSink): void;
  /** Send RFC 4733 events; `w`/`W` pause 0.5 s / 1 s. Resolves when sent. */
  sendDtmf(digits: string, msPerDigit?: number): Promise<void>;
  /** Mute what we receive (`read`) or what we send (`write`). */
  setMute(which: 'read' | 'write', on: boolean): void;
  on(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  /** `close`: the session closed (its own `close()`, the engine's close, or the engine dying). */
  on(event: 'close', listener: () => void): this;
  off(event: 'dtmf', listener: (e: DtmfEvent) => void): this;
  off(event: 'close', listener: () => void): this;
  /** Releases the ports and timers; pending play() resolves with 'hangup'. Idempotent. */
  close(): void;
}

export interface MixerMemberOptions {
  mute?: boolean;
  deaf?: boolean;
}

export interface MixerMember {
  readonly session: RtpSession;
  setMute(on: boolean): void;
  setDeaf(on: boolean): void;
}

/** N-party mixer: each member hears the sum of the others (not itself); muted members are not
 *  mixed in; deaf members hear nothing. Plays and records the whole conference. */
export interface ConferenceMixer {
  addMember(session: RtpSession, options?: MixerMemberOptions): MixerMember;
  removeMember(member: MixerMember): void;
  /** Play a source into the conference (all members hear it), or to one member. */
  play(source: AudioSource, to?: MixerMember): Promise<PlaybackResult>;
  stopPlayback(): void;
  /** Record the mix of all members to a WAV file. */
  startRecording(path: string): Promise<void>;
  stopRecording(path: string): Promise<RecordingResult | undefined>;
  readonly size: number;
  close(): void;
}

/** A two-way bridge: each session's received audio is sent by the other, and DTMF forwarded. */
export interface SessionBridge {
  close(): void;
}

export interface MediaEngine {
  openSession(): Promise<RtpSession>;
  createMixer(): ConferenceMixer;
  bridge(a: RtpSession, b: RtpSession): SessionBridge;
  /**
   * Opens a playback source. `spec` is an absolute WAV path (PCM 16-bit mono, 8 or 16 kHz),
   * `silence_stream://<ms>[,<level>]` (-1 endless), or `tone_stream://%(on,off,f1[,f2]);…[;loops=n]`.
   * Rejects with MediaFileError (code 'not-found' | 'unsupported') for a bad file.
   */
  openSource(spec: string, options?: SourceOptions): Promise<AudioSource>;
  /** A sink writing 8 kHz 16-bit mono WAV; `close()` finalises the header. */
  openRecorder(
    path: string,
    options?: RecorderOptions,
  ): Promise<AudioSink & { close(): Promise<RecordingResult> }>;
  /** Ports in use now, sessions open, ticks late: for tests and bench. */
  stats(): { sessions: number; portsInUse: number; lateTicks: number };
  close(): Promise<void>;
}

/** How a source plays (added with the media thread: both apply inside the engine). */
export interface SourceOptions {
  /** Endless: start over at the end (endless_playback, music on hold). */
  loop?: boolean;
  /** Frames (20 ms) skipped at the start: `file@@<sample>` seeks. */
  skipFrames?: number;
}

/** Options of a recorder (added with the media thread: the check runs on every frame). */
export interface RecorderOptions {
  /**
   * `onSilence` is called once when `frames` consecutive frames written had a mean absolute
   * sample value below `threshold` (the `record` application's silence_thresh / silence_hits).
   */
  silence?: { threshold: number; frames: number; onSilence: () => void };
}

export class MediaFileError extends Error {
  override name = 'MediaFileError';
  constructor(
    readonly code: 'not-found' | 'unsupported',
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(
      `${code === 'not-found' ? 'file not found' : 'not a playable WAV file'}: ${path}`,
      options,
    );
  }
}

export interface MediaEngineOptions {
  /** Address RTP binds on and advertises in SDP (127.0.0.1 in tests). */
  address: string;
  rtpPortMin: number;
  rtpPortMax: number;
  logger?: Logger;
  /**
   * Sub-ticks per 20 ms frame (default 10): sessions are spread over them so one tick never sends
   * every packet in one burst. 1 = every session at the frame boundary.
   */
  tickSlots?: number;
}
