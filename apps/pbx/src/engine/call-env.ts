/**
 * What every call runner gets: configuration, SIP, the live stations and calls, call records and
 * the hooks other modules plug into. Built once by the composition root (call-control.ts).
 */
import type { InviteAuthenticator } from './invite-auth';
import type { Logger } from 'pino';
import type { PbxConfig } from '@pbx/config';
import type { InviteTarget, RegistrationLookup } from './registration-lookup';
import type {
  CallSipPort,
  IncomingDialogRequest,
  IncomingInvite,
  IncomingReinvite,
} from './sip-port';
import type { MediaPort } from './media-port';
import type { LiveStations } from './live-stations';
import type { Call, CallRegistry, Leg, Party } from './call-registry';
import type { CdrWriter } from './cdr-writer';

/** A party was put on hold or taken off hold: where music on hold will start and stop. */
export interface HoldChange {
  readonly call: Call;
  /** The party that hears hold (or stops hearing it). */
  readonly held: Leg;
  readonly holder: Leg;
  readonly onHold: boolean;
  /** The holding station's tone source: `system` means the PBX plays music on hold. */
  readonly toneSource: 'system' | 'phone' | undefined;
}

/**
 * What the caller of an outside call hears of it. For a dialled or forwarded call the caller's
 * INVITE is progressed, answered or refused; a blind transfer to an outside number re-INVITEs the
 * transferee instead (features/transfer.ts).
 */
export interface OutsideCallerSide {
  ringing(status: number, early: string | undefined): void;
  /** The far end answered; resolves with whether the caller is connected to it. */
  answered(b: Leg): Promise<boolean>;
  failed(cause: { status: number; note?: string; disposition?: 'rejected' }): void;
}

/**
 * Why a call to a station goes to its mailbox: it found no one (the conditions a mailbox can be
 * set to take), or the station forwards to voice mail (`forward`, taken whenever the mailbox is
 * on), or a ring group nobody answered overflows there (`group`).
 */
export type UnreachedCause = 'no-answer' | 'busy' | 'dnd' | 'unregistered' | 'forward' | 'group';

/** The voice-mail module as call routing sees it (installed only with voice mail). */
export interface VoicemailHook {
  /** True when the station's mailbox takes calls that found no one for `cause` now. */
  takes(station: string, cause: UnreachedCause): boolean;
  /** True when the station has a mailbox that is on (a forward to voice mail may be set). */
  hasMailbox(station: string): boolean;
  /** Takes the unanswered call over: answers the caller and records a message for `station`. */
  deposit(call: Call, station: string, cause: UnreachedCause): void;
  /** A station dialled the access code: answers it with the mailbox menu; false when it cannot. */
  access(invite: IncomingInvite, caller: Party & { station: string }): boolean;
}

export interface CallHooks {
  /** Voice mail: unreached calls and the access code. */
  voicemail?: VoicemailHook;
  /** A party was held or resumed (music on hold, hold recall). */
  onHoldChanged?(change: HoldChange): void;
  /** A call's record is about to be written: billing rates trunk calls here. */
  onRecord?(call: Call): void;
  /** True for an outside number (trunk access code + digits) a forward may point at. */
  isOutside?(number: string): boolean;
  /**
   * A forwarded call leaves on a trunk (the trunk module): `diversion` is the Diversion header
   * value to pass on (RFC 5806, newest first).
   */
  forwardOutside?(call: Call, number: string, diversion: string): void;
  /**
   * A blind transfer to an outside number leaves on a trunk (the trunk module): `call` is the
   * transferee's new call (its A leg the transferee, billed to `call.record.account`), `sdp` the
   * offer to send, `side` what the transfer does with progress, answer and failure.
   */
  transferOutside?(call: Call, number: string, sdp: string, side: OutsideCallerSide): void;
  /**
   * No offer/answer exchange is under way in `call` any more (a relayed hold or resume has been
   * answered): the moment to send a party our own re-INVITE (music on hold).
   */
  onMediaIdle?(call: Call): void;
  /**
   * A party waits with nobody on the other end: parked (`music` until retrieved or recalled) or
   * transferred to a station that rings (`ringback` until it answers). Any SDP the PBX sends the
   * party afterwards ends it (Leg.stamp).
   */
  waiting?(leg: Leg, sound: 'music' | 'ringback', why: string): void;
}

/**
 * Chances for feature modules to act before the default behaviour. Each returns true when it
 * took over.
 */
export interface CallInterceptors {
  /** A party hung up (BYE) a connected leg, or a caller cancelled: transfer on hang-up, park. */
  readonly hangup: Array<(leg: Leg, call: Call | undefined) => boolean>;
  /** A caller cancelled its unanswered call. */
  readonly cancel: Array<(leg: Leg, call: Call) => boolean>;
  /**
   * A re-INVITE on a leg whose SDP another feature owns (a conference party on the media
   * server): answered there instead of being relayed to a partner.
   */
  readonly reinvite: Array<(leg: Leg, r: IncomingReinvite) => boolean>;
  /** An in-dialog REFER (transfer). */
  refer?: (leg: Leg, call: Call | undefined, req: IncomingDialogRequest) => void;
}

export interface CallEnv {
  /** The live configuration (replaced in place on `pbx config set`). */
  readonly config: PbxConfig;
  readonly log: Logger;
  readonly now: () => number;
  readonly sip: CallSipPort;
  /** The media server (music on hold, tones, conference mixers); may be unavailable. */
  readonly media: MediaPort;
  readonly stations: LiveStations;
  readonly registry: CallRegistry;
  readonly cdr: CdrWriter;
  readonly hooks: CallHooks;
  readonly intercept: CallInterceptors;
  /** The registrar's live bindings. */
  readonly registrations: RegistrationLookup;
  /** Digest challenge of INVITEs from stations with `challengeInvites` on (absent: none). */
  readonly inviteAuth?: InviteAuthenticator;
  /** Where to send an INVITE to the station now; undefined when it is not registered. */
  locate(station: string): InviteTarget | undefined;
}
