import type { FeatureId } from '@pbx/dialplan';
import type { CallRef, LegId } from '../ids';
import type { ParkedCall } from '../park-slots';
import type { ForwardSetting, StationEvent, StationState } from '../station-state';

/**
 * The live stations as feature handlers see them. Every change goes through the station reducer
 * (`dispatch`), so the implementation persists settings and notifies busy lamps from its effects.
 */
export interface StationStore {
  get(number: string): Promise<StationState | undefined>;
  list(): Promise<readonly StationState[]>;
  dispatch(number: string, event: StationEvent): Promise<StationState>;
}

/** A call that `station` has put on hold, naming the held party's leg. */
export interface HeldCall {
  readonly callRef: CallRef;
  /** The held party's leg (the one that stays when the holder leaves). */
  readonly legId: LegId;
  /** The holder's own leg of that call. */
  readonly holderLegId: LegId;
  /** The held party's number. */
  readonly party: string;
  /** When the call was put on hold: the most recent one is parked or conferenced. */
  readonly heldAt: number;
}

/** The calls in progress, as far as features ask about them. */
export interface CallStore {
  /** Calls in which `station` holds the other party, in any order. */
  heldBy(station: string): Promise<readonly HeldCall[]>;
  /**
   * Connected calls in which `station` talks (does not hold), in any order; `heldAt` is when
   * the call was answered. A phone that dials 46 without holding first conferences one of these.
   */
  talkingWith(station: string): Promise<readonly HeldCall[]>;
}

/** The park slots. `park` into an occupied slot is a bug: check with `get` first. */
export interface ParkStore {
  get(slot: string): Promise<ParkedCall | undefined>;
  park(call: ParkedCall): Promise<void>;
  take(slot: string): Promise<ParkedCall | undefined>;
}

/**
 * A conference as the 46 handler sees it: an ad-hoc conference being built by its owner (the
 * manual's five-party limit), or a dial-in room. The runner keeps the conference itself
 * (state/conference.ts).
 */
export interface ConferenceRoom {
  /** The owner's station (46) or the room number. */
  readonly owner: string;
  /** Parties other than the owner (46), or everyone in a room. */
  readonly members: number;
  /** True once the owner dialled 46 twice in a row and everyone was connected. */
  readonly started: boolean;
}

export interface ConferenceStore {
  get(owner: string): Promise<ConferenceRoom | undefined>;
}

/** Everything a feature handler may read or change. */
export interface FeatureContext {
  /** The station that dialled the code (the runner has checked it is a registered station). */
  readonly caller: { readonly station: string };
  readonly stations: StationStore;
  readonly calls: CallStore;
  readonly parks: ParkStore;
  readonly conferences: ConferenceStore;
  readonly now: number;
  /** Park recall time for new parks. */
  readonly parkRecallMs: number;
  /** The digits dialled (a conference room number is the whole of them). */
  readonly dialled?: string;
  /** Parties allowed in a conference, the owner included (default: the manual's five). */
  readonly conferenceMaxParties?: number;
  /** True for trunk access code + outside number (a forward may go there); absent: no trunks. */
  readonly isOutside?: (number: string) => boolean;
  /** The number plan's voice-mail access code: as a forward destination, the caller's mailbox. */
  readonly voicemailCode?: string;
  /** True when the station's mailbox is on (absent: no voice mail installed). */
  readonly hasMailbox?: (station: string) => boolean;
}

/** Why a feature code changed nothing. */
export type FeatureNote =
  | 'missing-argument'
  | 'bad-argument'
  | 'unknown-station'
  | 'forward-to-self'
  | 'no-held-call'
  | 'slot-in-use'
  | 'slot-empty'
  | 'nothing-ringing'
  | 'no-pickup-group'
  | 'conference-full'
  | 'no-voicemail'
  | 'mailbox-off';

/** A call ringing at a station that a pickup can take. */
export interface RingingCall {
  readonly callRef: CallRef;
  /** The ringing leg (to the station) that the runner cancels. */
  readonly legId: LegId;
  readonly station: string;
  /** The caller who will be connected to the picking station. */
  readonly caller: string;
  readonly since: number;
}

/**
 * What a feature code did. A closed union: the runner handles each `effect`.
 *
 * `reply: 480` is the OfficeServ answer to every feature code, success or not. Pickup and park
 * retrieve that find a call answer `connect` instead: the dialling phone's INVITE is answered
 * and joined to that call, as the manual's pickup and park diagrams show.
 */
export type FeatureResult =
  | {
      readonly reply: 480;
      readonly effect: 'none';
      readonly note: FeatureNote;
      readonly detail: string;
    }
  | {
      readonly reply: 480;
      readonly effect: 'forward-set';
      readonly station: string;
      readonly forward: ForwardSetting;
    }
  | { readonly reply: 480; readonly effect: 'forward-cleared'; readonly station: string }
  | {
      readonly reply: 480;
      readonly effect: 'dnd-set';
      readonly station: string;
      readonly on: boolean;
    }
  | {
      readonly reply: 480;
      readonly effect: 'parked';
      readonly parked: ParkedCall;
      readonly holderLegId: LegId;
      readonly recallMs: number;
    }
  | {
      readonly reply: 480;
      readonly effect: 'conference-joined';
      readonly owner: string;
      /** The party joining; `holderLegId` is the owner's dialog of that call. */
      readonly member: HeldCall;
      /** The owner's phone did not hold the call: its leg joins the mixer at once. */
      readonly ownerTalking: boolean;
      /** Parties after the join, the owner included. */
      readonly size: number;
    }
  | { readonly reply: 480; readonly effect: 'conference-started'; readonly room: ConferenceRoom }
  | { readonly reply: 'connect'; readonly effect: 'room-joined'; readonly room: string }
  | { readonly reply: 'connect'; readonly effect: 'retrieved'; readonly parked: ParkedCall }
  | { readonly reply: 'connect'; readonly effect: 'picked-up'; readonly call: RingingCall };

/** Whether the runner must answer the call or anchor media before `run` (jambonz preconditions). */
export type FeatureNeeds = 'none' | 'media';

/** One feature code's behaviour. `arg` is the classified argument (`205` of `601205`). */
export interface FeatureHandler<F extends FeatureId = FeatureId> {
  readonly feature: F;
  readonly needs: FeatureNeeds;
  run(ctx: FeatureContext, arg: string | undefined): Promise<FeatureResult>;
}

/** A refusal: nothing changed, with the reason and a sentence for the log. */
export function refuse(note: FeatureNote, detail: string): FeatureResult {
  return { reply: 480, effect: 'none', note, detail };
}
