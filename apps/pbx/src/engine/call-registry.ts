/**
 * The live calls. A `Call` is our B2BUA object (one `CallRef`) with an `aLeg` and, once
 * connected, a `bLeg`; while it rings it has b-leg attempts. A `Leg` is one SIP dialog with one
 * phone. Legs move between calls (pickup, park, transfer), so a leg only knows its current call.
 *
 * The registry also reports every leg that involves a station to the station reducer (legAdded,
 * legProgress, legRemoved), which is what busy, BLF and pickup read.
 */
import { randomUUID } from 'node:crypto';
import {
  callRef as brandCallRef,
  legId as brandLegId,
  type CallRef,
  type LegId,
} from '../state/ids';
import { startLeg, type LegState } from '../state/call-leg';
import {
  initialMedia,
  isHolding,
  type MediaDirectionState,
  type Side,
} from '../state/media-direction';
import type { StationLeg } from '../state/station-state';
import type { CallStore, HeldCall } from '../state/features';
import type { ForwardReason } from '@pbx/store';
import { SdpOrigin } from '../sip/sdp';
import type { IncomingInvite, IncomingReinvite, OutgoingInvite, SipDialog } from './sip-port';
import type { LiveStations } from './live-stations';

export type { CallRef, LegId };

/**
 * `<prefix>-<random UUID>` as one flat string. Node builds a UUID by joining its hex pairs, and
 * V8 keeps such a join as a tree of some twenty pieces (about 500 bytes) until something reads
 * the characters; a live call keeps several ids (its ref, its legs', the station reducer's
 * copies), so they are flattened once here (about 70 bytes each).
 */
function freshId(prefix: string): string {
  const id = `${prefix}-${randomUUID()}`;
  id.charCodeAt(0);
  return id;
}

/** Who is on the other end of a leg. */
export interface Party {
  /** The number shown for the party (a station number, or the caller's From user). */
  readonly number: string;
  readonly displayName?: string;
  /** Set when the party is one of our stations. */
  readonly station?: string;
  /** The trunk the party called in on (its number is the caller ID from the provider). */
  readonly trunk?: string;
}

/** What a leg on a media-server endpoint holds on to (engine/waiting-media.ts). */
export interface WaitingMediaHandle {
  /** Hangs up the endpoint; called once the phone has been sent other media. */
  release(): void;
  /**
   * The waiting phone re-INVITEd with a new offer (another port, a hold): the endpoint takes it.
   * Resolves with the endpoint's answer, or undefined when there is no endpoint (yet).
   */
  offer?(sdp: string): Promise<string | undefined>;
}

/**
 * One SIP dialog with one phone. `uas`: the phone called us (its INVITE); `uac`: we called it.
 */
export class Leg {
  readonly id: LegId;
  /** The SDP the phone sent last (offer or answer): what the other party is given. */
  sdp: string;
  state: LegState;
  dialog: SipDialog | undefined;
  /** The phone's INVITE while unanswered (uas legs). */
  invite: IncomingInvite | undefined;
  /** Our INVITE while unanswered (uac legs). */
  outgoing: OutgoingInvite | undefined;
  /** The phone's re-INVITE waiting for the answer we relay from its partner (hold-relay.ts). */
  waitingReinvite: IncomingReinvite | undefined;
  /**
   * Work waiting for this leg's dialog: a partner's re-INVITE that arrived while our 200 to this
   * phone was still unconfirmed (hold-relay.ts). Run once the dialog is attached or the leg ends.
   */
  readonly whenConfirmed: Array<() => void> = [];
  /**
   * The CSeq of the offerless re-INVITE whose ACK must carry the answer. Only that ACK counts:
   * the ACK of an earlier INVITE (late, retransmitted, or overtaken by the re-INVITE) has no
   * answer in it and must not end the exchange.
   */
  answerDueInAckOf: number | undefined;
  /**
   * The dialog as the phone sees it, for dialog-info and Replaces. Replaced whole when it
   * changes, never changed in place: the station reducer keeps the object it was given.
   */
  sipIds: { readonly callId: string; readonly localTag?: string; readonly remoteTag?: string };
  /** Our origin line towards this phone. */
  private readonly origin = new SdpOrigin();
  /** The SDP we last sent this phone. */
  lastSent = '';
  /** Set while the leg is reported to its station. */
  tracked = false;
  /**
   * Set while the phone's media goes to a media-server endpoint (music on hold, park, ringback:
   * waiting-media.ts). Sending the phone any other SDP (`stamp`) or ending the leg lets it go.
   */
  waitingMedia: WaitingMediaHandle | undefined;

  constructor(
    public callRef: CallRef,
    readonly role: 'uas' | 'uac',
    readonly party: Party,
    now: number,
    sdp = '',
  ) {
    this.id = brandLegId(freshId('leg'));
    this.sdp = sdp;
    this.state = startLeg(now, { noAnswerMs: null })[0];
    this.sipIds = { callId: '' };
  }

  /** `sdp` as we send it to this phone (our origin line), remembered as the last sent. */
  stamp(sdp: string): string {
    this.letGoOfWaitingMedia();
    this.lastSent = this.origin.stamp(sdp);
    return this.lastSent;
  }

  /** `sdp` of the media-server endpoint behind `handle`, as we send it to this phone. */
  stampWaiting(sdp: string, handle: WaitingMediaHandle): string {
    if (this.waitingMedia !== handle) this.letGoOfWaitingMedia();
    this.waitingMedia = handle;
    this.lastSent = this.origin.stamp(sdp);
    return this.lastSent;
  }

  /** The phone leaves its media-server endpoint (it is sent other media, or the leg ended). */
  letGoOfWaitingMedia(): void {
    const handle = this.waitingMedia;
    this.waitingMedia = undefined;
    handle?.release();
  }

  get ended(): boolean {
    return this.state.kind === 'ended';
  }
}

/** Side-specific data of a connected two-party call. */
export interface Connection {
  media: MediaDirectionState;
  /** When each side put the other on hold (for park and conference: the latest held call). */
  heldAt: { a?: number; b?: number };
}

/** The facts of one call attempt, for its call record. */
export interface CallInfo {
  kind:
    | 'station'
    | 'group'
    | 'pickup'
    | 'park'
    | 'retrieve'
    | 'transfer'
    | 'trunk'
    | 'conference'
    | 'voicemail';
  dialled: string;
  caller: Party;
  startedAt: number;
  /** The station (or group) being called now. */
  callee: string | null;
  /** The station whose forward sent the call to `callee` (newest Diversion), and why. */
  forwardedFrom: string | null;
  forwardReason?: ForwardReason | null;
  pickedUpFrom?: string | null;
  transferredBy?: string | null;
  note?: string;
  /** The trunk of an outside call (the one in use, or the last one tried). */
  trunk?: string | null;
  /** The account billed (a station, or an auth code's account). */
  account?: string | null;
  /** The rated price in micro-units (trunk calls that were rated). */
  charge?: number | null;
  answeredAt: number | null;
  /** The final status the caller got. */
  status: number | null;
}

/** A call through the B2BUA. */
export class Call {
  readonly ref: CallRef;
  bLeg: Leg | undefined;
  /** b-legs ringing (one for a station call, several for a ring group). */
  readonly attempts = new Set<Leg>();
  connection: Connection | undefined;
  ended = false;
  /**
   * Called instead of ending the call when ringing fails or times out; returns true when it
   * took over (the recall of an unanswered blind transfer).
   */
  unanswered: ((status: number) => boolean) | undefined;
  /** What the call record says about the attempt. */
  readonly record: CallInfo;
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    public aLeg: Leg,
    record: Omit<CallInfo, 'answeredAt' | 'status'>,
    ref?: CallRef,
  ) {
    this.ref = ref ?? brandCallRef(freshId('call'));
    this.record = { ...record, answeredAt: null, status: null };
    aLeg.callRef = this.ref;
  }

  /** Starts (or restarts) the named timer; all of them stop when the call ends. */
  setTimer(name: string, ms: number, fn: () => void): void {
    this.clearTimer(name);
    const t = setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, ms);
    t.unref?.();
    this.timers.set(name, t);
  }

  clearTimer(name: string): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }

  clearTimers(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The leg on `side`. */
  leg(side: Side): Leg | undefined {
    return side === 'a' ? this.aLeg : this.bLeg;
  }

  /** Which side a leg is on, if it is connected in this call. */
  sideOf(leg: Leg): Side | undefined {
    if (leg === this.aLeg) return 'a';
    if (leg === this.bLeg) return 'b';
    return undefined;
  }

  /** Marks the call connected between aLeg and `b`, both sides sending and receiving. */
  connect(b: Leg): void {
    this.bLeg = b;
    b.callRef = this.ref;
    this.attempts.delete(b);
    this.connection = { media: initialMedia(), heldAt: {} };
  }
}

/** Live calls and legs, and the station bookkeeping of legs. */
export class CallRegistry implements CallStore {
  private readonly calls = new Map<CallRef, Call>();
  private readonly legs = new Map<LegId, Leg>();
  /**
   * The tracked legs of each station, so the held-call questions asked at every hang-up look at
   * that station's calls instead of every live call.
   */
  private readonly legsByStation = new Map<string, Set<Leg>>();
  private readonly listeners: Array<(ref: CallRef) => void> = [];

  constructor(
    private readonly stations: LiveStations,
    private readonly now: () => number,
  ) {}

  /**
   * Tells `listener` the call whose set of legs or leg states changed (added, ringing, answered,
   * ended): the live-call view of the HTTP API follows this. Listeners must not throw.
   */
  onChange(listener: (ref: CallRef) => void): void {
    this.listeners.push(listener);
  }

  private changed(ref: CallRef): void {
    for (const l of this.listeners) l(ref);
  }

  add(call: Call): void {
    this.calls.set(call.ref, call);
    this.changed(call.ref);
  }

  remove(call: Call): void {
    this.calls.delete(call.ref);
    this.changed(call.ref);
  }

  call(ref: CallRef): Call | undefined {
    return this.calls.get(ref);
  }

  leg(id: LegId): Leg | undefined {
    return this.legs.get(id);
  }

  all(): Call[] {
    return [...this.calls.values()];
  }

  get size(): number {
    return this.calls.size;
  }

  /** Starts reporting `leg` to its station (if it has one). `inbound`: the station is called. */
  track(leg: Leg, direction: StationLeg['direction'], peer: Party): void {
    this.legs.set(leg.id, leg);
    this.changed(leg.callRef);
    const station = leg.party.station;
    if (station) {
      let set = this.legsByStation.get(station);
      if (!set) this.legsByStation.set(station, (set = new Set()));
      set.add(leg);
    }
    if (!station || leg.tracked) return;
    leg.tracked = true;
    this.stations.apply(station, {
      type: 'legAdded',
      leg: {
        legId: leg.id,
        callRef: leg.callRef,
        direction,
        state: 'trying',
        since: this.now(),
        peer: {
          number: peer.number,
          ...(peer.displayName ? { displayName: peer.displayName } : {}),
        },
        // Shared, not copied: a leg's ids are replaced whole, never changed in place.
        dialog: leg.sipIds,
      },
    });
  }

  /** Reports ringing or connected, with the dialog ids the phone now knows. */
  progress(leg: Leg, state: 'early' | 'confirmed'): void {
    this.changed(leg.callRef);
    const station = leg.party.station;
    if (!station || !leg.tracked) return;
    this.stations.apply(station, {
      type: 'legProgress',
      legId: leg.id,
      state,
      dialog: leg.sipIds,
    });
  }

  /** Stops reporting the leg (it ended, or it left the station). */
  untrack(leg: Leg): void {
    this.legs.delete(leg.id);
    this.changed(leg.callRef);
    const station = leg.party.station;
    const set = station ? this.legsByStation.get(station) : undefined;
    if (set?.delete(leg) && set.size === 0) this.legsByStation.delete(station!);
    if (!station || !leg.tracked) return;
    leg.tracked = false;
    this.stations.apply(station, { type: 'legRemoved', legId: leg.id });
  }

  /** The leg whose dialog (as the phone sees it) has this Call-ID and tags, in either order. */
  findBySipIds(callId: string, tagA: string, tagB: string): Leg | undefined {
    for (const leg of this.legs.values()) {
      const d = leg.sipIds;
      if (d.callId !== callId) continue;
      if (
        (d.localTag === tagA && d.remoteTag === tagB) ||
        (d.localTag === tagB && d.remoteTag === tagA)
      )
        return leg;
    }
    return undefined;
  }

  /** CallStore: calls in which `station` holds the other party. */
  async heldBy(station: string): Promise<readonly HeldCall[]> {
    return this.heldCalls(station);
  }

  heldCalls(station: string): HeldCall[] {
    return this.callsOf(station, true);
  }

  /** CallStore: connected calls in which `station` talks (does not hold). */
  async talkingWith(station: string): Promise<readonly HeldCall[]> {
    return this.callsOf(station, false);
  }

  /** `station`'s connected two-party calls in which it holds (or does not hold) the other party. */
  private callsOf(station: string, holding: boolean): HeldCall[] {
    const out: HeldCall[] = [];
    // The calls of the station's legs, in the order the calls were added (as a scan of every
    // call would list them).
    const mine = new Set<Call>();
    for (const leg of this.legsByStation.get(station) ?? []) {
      const call = this.calls.get(leg.callRef);
      if (call) mine.add(call);
    }
    const ordered = mine.size > 1 ? [...this.calls.values()].filter((c) => mine.has(c)) : [...mine];
    for (const call of ordered) {
      const conn = call.connection;
      if (!conn || call.ended || !call.bLeg) continue;
      for (const side of ['a', 'b'] as const) {
        const holder = call.leg(side);
        const held = call.leg(side === 'a' ? 'b' : 'a');
        if (!holder || !held || holder.party.station !== station) continue;
        if (holder.callRef !== call.ref || held.callRef !== call.ref) continue;
        if (isHolding(conn.media, side) !== holding) continue;
        out.push({
          callRef: call.ref,
          legId: held.id,
          holderLegId: holder.id,
          party: held.party.number,
          heldAt: (holding ? conn.heldAt[side] : call.record.answeredAt) ?? 0,
        });
      }
    }
    return out;
  }
}
