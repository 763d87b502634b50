/**
 * The media port of the call engine: what call control needs from a media server, in our own
 * words (music on hold, tones, conference mixers). `media/fsmrf-media-port.ts` implements it on
 * drachtio-fsmrf, against the embedded media server or a real FreeSWITCH; nothing under engine/
 * or features/ imports drachtio-fsmrf (STYLE.md §1), and unit tests drive features through a fake.
 *
 * A media server may be down or restarting at any moment: `available` says whether one is
 * connected now, and every operation rejects with {@link MediaUnavailableError} (carrying the
 * reason for the log) while none is. Features that need media fall back or refuse, saying why.
 */

/** Something an endpoint can play. */
export type MediaSource =
  /** A sound file (absolute path, or a name relative to the media server's sounds directory). */
  | { readonly file: string }
  /**
   * A FreeSWITCH `tone_stream://` or `silence_stream://` description, e.g.
   * `tone_stream://%(1000,4000,440,480)` (US ringback), passed through as is.
   */
  | { readonly stream: string };

export interface PlayOptions {
  /** Repeat until stopped (music on hold, ringback). */
  readonly loop?: boolean;
}

/** How a playback ended. */
export interface PlayResult {
  /** True when it was stopped (`stop()`, destroy, hang-up) before it finished. */
  readonly stopped: boolean;
}

/** How a recording ends besides hang-up. */
export interface RecordOptions {
  /** Longest recording (seconds). */
  readonly maxSeconds: number;
  /** DTMF digits that end the recording (e.g. `#`); none when empty. */
  readonly terminators?: string;
}

/** How a recording ended. */
export interface RecordResult {
  /** Milliseconds recorded as the media server reports them; undefined after a hang-up. */
  readonly ms: number | undefined;
  /** The terminator digit that ended it, if one did. */
  readonly terminator: string | undefined;
  /** True when the channel ended (hang-up, destroy) during the recording. */
  readonly hungUp: boolean;
}

/** A member joined or left a conference (from the mixer's own events). */
export interface ConferenceMemberEvent {
  readonly action: 'add' | 'del';
  readonly conference: string;
  /** The mixer's member id (the conference's control leg is member 1). */
  readonly memberId: number;
  /** The endpoint that joined or left, when it is one of ours. */
  readonly endpointId?: string;
}

export interface ConferenceMember {
  readonly conference: string;
  readonly memberId: number;
}

/**
 * One media-server channel, i.e. one RTP session a phone can be connected to. `localSdp` is what
 * to give the phone: the answer to the phone's offer (`answerOffer`), or an offer the phone must
 * answer (`createOffer`, then `modify(answer)`).
 */
export interface MediaEndpoint {
  /** The media server's channel id (for logs and member events). */
  readonly id: string;
  /** The endpoint's current SDP (offer or answer, see above). */
  readonly localSdp: string;
  /** True once destroyed or hung up by the media server. */
  readonly ended: boolean;
  /**
   * Gives the endpoint the phone's SDP: the answer to an offer made by `createOffer`, or a new
   * offer (the phone re-INVITEd). Resolves with the endpoint's SDP after it (an answer to a new
   * offer); rejects when the media server refuses it.
   */
  modify(sdp: string): Promise<string>;
  /**
   * Plays `source` to the phone. Resolves when it finished or was stopped (a looped playback
   * only then); rejects when the media server cannot play it (file not found, not playable).
   */
  play(source: MediaSource, options?: PlayOptions): Promise<PlayResult>;
  /** Stops whatever is playing (no-op when nothing is). */
  stop(): Promise<void>;
  /**
   * Records what the phone sends into `file` (a path the media server can write; WAV) until a
   * terminator digit, the time limit or the end of the channel. The file is complete (closed)
   * when this resolves, also after a hang-up.
   */
  record(file: string, options: RecordOptions): Promise<RecordResult>;
  /** Listens for each DTMF digit the phone sends in the media (RFC 4733). */
  onDigit(listener: (digit: string) => void): void;
  /** Joins the named conference (mixer); it must exist (`createConference`). */
  join(conference: string): Promise<ConferenceMember>;
  /** Leaves the conference it joined (the endpoint stays up, silent). */
  leave(): Promise<void>;
  /** Hangs up the channel on the media server; safe to call twice. */
  destroy(): Promise<void>;
  /** The channel ended (destroy, or the media server hung it up or went away). */
  onEnded(listener: (reason: string | undefined) => void): void;
}

export interface ConferenceOptions {
  /** Most members (not counting the mixer's own control leg). */
  readonly maxMembers?: number;
}

/** A named mixer on the media server: each member hears every other member, not itself. */
export interface MediaConference {
  readonly name: string;
  /** Members now, not counting the control leg. */
  size(): Promise<number>;
  onMember(listener: (event: ConferenceMemberEvent) => void): void;
  /** Plays to every member (e.g. a join tone). */
  play(source: MediaSource): Promise<void>;
  /** Ends the conference: the mixer hangs up every member still in it. */
  destroy(): Promise<void>;
  /** The conference ended (destroyed, or its media server went away). */
  onEnded(listener: () => void): void;
}

/** The media operations call control uses. */
export interface MediaPort {
  /** True while a media server is connected and ready. */
  readonly available: boolean;
  /** Why media is not available now (for log lines); undefined while it is. */
  readonly unavailableReason: string | undefined;
  /** Listens for availability changes (connected, lost). */
  onAvailability(listener: (available: boolean) => void): void;
  /**
   * An endpoint answering the phone's `offerSdp`; its `localSdp` is the answer (SRTP with its own
   * SDES key when the offer is RTP/SAVP).
   */
  answerOffer(offerSdp: string): Promise<MediaEndpoint>;
  /**
   * An endpoint that makes an offer (`localSdp`) for a phone (for re-INVITEing a connected phone
   * onto the media server); complete it with `modify(phoneAnswer)`. `srtp`: offer RTP/SAVP with
   * an SDES key (a phone that uses SRTP would refuse plain RTP).
   */
  createOffer(options?: { srtp?: boolean }): Promise<MediaEndpoint>;
  /** Creates a named conference; rejects when one with that name exists. */
  createConference(name: string, options?: ConferenceOptions): Promise<MediaConference>;
}

/** No media server is connected (down, restarting, or not configured). */
export class MediaUnavailableError extends Error {
  override name = 'MediaUnavailableError';
  constructor(readonly reason: string) {
    super(`media server unavailable: ${reason}`);
  }
}

/** A media port with no media server at all (unit tests, `media.mode` none). */
export function noMedia(reason: string): MediaPort {
  const fail = (): Promise<never> => Promise.reject(new MediaUnavailableError(reason));
  return {
    available: false,
    unavailableReason: reason,
    onAvailability: () => undefined,
    answerOffer: fail,
    createOffer: fail,
    createConference: fail,
  };
}
