/**
 * Conference on the wire, on the media server's mixer (state/conference.ts decides, this runner
 * carries it out). The manual's 46 flow: the owner holds a call and dials 46 (`480`); the held
 * party leaves the owner's call and is re-INVITEd onto a mixer endpoint at once; the owner's side
 * of that call stays up, held, as the owner's *held leg*. When the owner's next call is answered
 * the previous held leg is cleared (BYE). 46 again with nothing newly held starts the conference:
 * every party is re-INVITEd onto the mixer (again, for those already on it), the owner's held leg
 * too, and the owner's own resume re-INVITE is answered by its mixer endpoint. A room number
 * (`conference.room`) answers the caller from a mixer endpoint of that room.
 *
 * Each leg in a conference sits in a call of its own (`kind: 'conference'`, no partner), so the
 * engine's hold relay, transfer and park leave it alone; its re-INVITEs come here (the `reinvite`
 * interceptor) and its BYE too (the `hangup` interceptor).
 */
import { withDirection, sdpDirection } from '../sip/sdp';
import {
  canAdd,
  hasLeg,
  newConference,
  nextConference,
  type ConferenceEffect,
  type ConferenceEvent,
  type ConferenceState,
} from '../state/conference';
import type { LegId } from '../state/ids';
import { assertNever } from '../state/errors';
import type { ConferenceRoom, ConferenceStore, HeldCall } from '../state/features';
import { answerDirection } from '../state/media-direction';
import { statusOf, type IncomingInvite, type IncomingReinvite } from '../engine/sip-port';
import type { MediaConference, MediaEndpoint } from '../engine/media-port';
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg, type Party } from '../engine/call-registry';
import {
  attachDialog,
  bridge,
  callerLeg,
  endCall,
  legEvent,
  reconnect,
  releaseLeg,
  writeRecord,
} from '../engine/call-setup';
import { isSrtpSdp } from '../sip/srtp';

/** One live conference: the reducer's state plus its mixer and endpoints. */
interface LiveConference {
  state: ConferenceState;
  readonly name: string;
  mixer: Promise<MediaConference> | undefined;
  readonly endpoints: Map<LegId, MediaEndpoint>;
  /** Legs whose offer/answer with us is in progress (a phone's re-INVITE meanwhile gets 491). */
  readonly busy: Set<LegId>;
  /** Effects run one at a time, in order. */
  queue: Promise<void>;
  /** The owner's legs already connected when the last member was added. */
  readonly known: Set<LegId>;
}

/** How long a runner waits for a call's own hold re-INVITE to finish before taking it over. */
const SETTLE_MS = 2_000;
/** Our re-INVITE met one of the phone's (491): tries, and the wait before each retry. */
const GLARE_TRIES = 4;
const GLARE_WAIT_MS = 400;

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref?.());

/** The conferences of the PBX: ad-hoc ones by owner station, rooms by number. */
export class ConferenceRuntime implements ConferenceStore {
  private readonly byId = new Map<string, LiveConference>();
  private readonly byLeg = new Map<LegId, LiveConference>();
  /** Offers waiting for a mixer answer: a room caller's INVITE, an owner's resume re-INVITE. */
  private readonly pending = new Map<LegId, IncomingInvite | IncomingReinvite>();
  private seq = 0;
  /** add()s not yet handed to their conference (waiting for the call to settle), by owner. */
  private readonly adding = new Map<string, Set<Promise<void>>>();
  /** Set by stop(): endpoints ending now are the shutdown, not a lost media server. */
  private stopping = false;

  constructor(private readonly env: CallEnv) {
    // Before transfer's hang-up interceptor: a conference leg is never "held" for a transfer.
    env.intercept.hangup.unshift((leg) => this.onHangup(leg));
    env.intercept.reinvite.push((leg, r) => this.onReinvite(leg, r));
    env.stations.onStationEffect((station, effect) => {
      if (effect.type === 'presenceChanged') this.onOwnerLegs(station);
    });
  }

  /** ConferenceStore: the 46 handler's view. */
  async get(id: string): Promise<ConferenceRoom | undefined> {
    const c = this.byId.get(id);
    if (!c) return undefined;
    const members = c.state.parties.filter((p) => p.role === 'member').length;
    return { owner: id, members, started: c.state.phase === 'started' };
  }

  /** Conferences in progress (for tests and status). */
  list(): ConferenceState[] {
    return [...this.byId.values()].map((c) => c.state);
  }

  /**
   * Resolves once every step asked of conference `id` so far is done (re-INVITEs answered),
   * including a 46 already answered 480 whose member is still being handed over (add() first
   * lets the call settle): the 480 goes out before that, so a caller that waits for the 480 and
   * then for idle() sees the member in the conference.
   */
  async idle(id: string): Promise<void> {
    for (;;) {
      const adds = this.adding.get(id);
      if (adds) {
        await Promise.allSettled([...adds]);
        continue;
      }
      const c = this.byId.get(id);
      if (!c) return;
      const q = c.queue;
      await q;
      if (c.queue === q && !this.adding.has(id)) return;
    }
  }

  /** Ends every conference (PBX stopping). */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.byId.values()];
    for (const c of all) this.forget(c);
    await Promise.all(all.map(async (c) => (await c.mixer?.catch(() => undefined))?.destroy()));
  }

  /** 46 found a call to conference: the held party joins the owner's mixer. */
  async add(owner: string, member: HeldCall, ownerTalking: boolean): Promise<void> {
    const adding = this.addMember(owner, member, ownerTalking);
    const set = this.adding.get(owner) ?? new Set<Promise<void>>();
    this.adding.set(owner, set);
    set.add(adding);
    try {
      await adding;
    } finally {
      set.delete(adding);
      if (set.size === 0 && this.adding.get(owner) === set) this.adding.delete(owner);
    }
  }

  private async addMember(owner: string, member: HeldCall, ownerTalking: boolean): Promise<void> {
    const { env } = this;
    if (!env.media.available) {
      env.log.warn(
        { station: owner, reason: env.media.unavailableReason },
        'conference needs the media server: the call stays as it is',
      );
      return;
    }
    const call = env.registry.call(member.callRef);
    const m = env.registry.leg(member.legId);
    const o = env.registry.leg(member.holderLegId);
    if (!call || !m?.dialog || !o?.dialog || m.ended || o.ended) return;
    await settle(call);
    if (call.ended || m.ended || o.ended) return;
    const max = env.config.features.conferenceMaxParties;
    let c = this.byId.get(owner);
    if (c && !canAdd(c.state, max)) return;
    c ??= this.open(owner, 'adhoc', max);
    // The held party's call ends here (its record says so); each leg waits in a call of its own.
    call.ended = true;
    call.clearTimers();
    env.registry.remove(call);
    writeRecord(env, call, { note: `conference of ${owner}` });
    this.hold(m, owner, call.record.dialled);
    this.hold(o, owner, call.record.dialled);
    this.dispatch(c, {
      type: 'add',
      member: { legId: m.id, party: m.party.number },
      ownerLeg: { legId: o.id, party: o.party.number },
      ownerTalking,
    });
    for (const l of env.stations.peek(owner)?.legs ?? [])
      if (l.state === 'confirmed') c.known.add(l.legId);
    env.log.info(
      { station: owner, member: m.party.number, parties: c.state.parties.length },
      'conference: member added',
    );
  }

  /** 46 twice in a row: everyone onto the mixer. */
  start(owner: string): void {
    const c = this.byId.get(owner);
    if (!c) return;
    this.env.log.info({ station: owner }, 'conference started');
    this.dispatch(c, { type: 'start' });
  }

  /** A station dialled a room number: its INVITE is answered from the room's mixer. */
  joinRoom(invite: IncomingInvite, caller: Party, room: string): boolean {
    const { env } = this;
    if (!env.media.available) {
      env.log.warn(
        { room, reason: env.media.unavailableReason },
        'conference room needs the media server',
      );
      return false;
    }
    const c =
      this.byId.get(room) ?? this.open(room, 'room', env.config.features.conferenceMaxParties);
    const leg = callerLeg(env, invite, caller);
    const call = new Call(leg, {
      kind: 'conference',
      dialled: invite.requestUser,
      caller,
      startedAt: env.now(),
      callee: room,
      forwardedFrom: null,
    });
    env.registry.add(call);
    env.registry.track(leg, 'outbound', { number: room });
    this.pending.set(leg.id, invite);
    this.dispatch(c, { type: 'dialIn', legId: leg.id, party: caller.number });
    return true;
  }

  private open(id: string, kind: ConferenceState['kind'], max: number): LiveConference {
    const c: LiveConference = {
      state: newConference(id, kind, max),
      name: `pbx-${kind}-${id}-${++this.seq}`,
      mixer: undefined,
      endpoints: new Map(),
      busy: new Set(),
      queue: Promise.resolve(),
      known: new Set(),
    };
    this.byId.set(id, c);
    return c;
  }

  /** Puts a leg into a partnerless call of its own, recorded as its time in the conference. */
  private hold(leg: Leg, id: string, dialled: string): void {
    const call = new Call(leg, {
      kind: 'conference',
      dialled,
      caller: leg.party,
      startedAt: this.env.now(),
      callee: id,
      forwardedFrom: null,
    });
    call.record.answeredAt = this.env.now();
    this.env.registry.add(call);
  }

  private dispatch(c: LiveConference, e: ConferenceEvent): void {
    const [next, effects] = nextConference(c.state, e);
    c.state = next;
    for (const p of next.parties) this.byLeg.set(p.legId, c);
    if (next.ownerLeg) this.byLeg.set(next.ownerLeg, c);
    for (const eff of effects) {
      c.queue = c.queue
        .then(() => this.run(c, eff))
        .catch((err: unknown) =>
          this.env.log.error({ err, effect: eff.type }, 'conference step failed'),
        );
    }
  }

  private forget(c: LiveConference): void {
    if (this.byId.get(c.state.id) === c) this.byId.delete(c.state.id);
    for (const [legId, owner] of this.byLeg) if (owner === c) this.byLeg.delete(legId);
  }

  private async run(c: LiveConference, eff: ConferenceEffect): Promise<void> {
    const { env } = this;
    switch (eff.type) {
      case 'toMixer':
        await this.toMixer(c, eff.legId, eff.refresh);
        return;
      case 'answerOnMixer':
        await this.answerOnMixer(c, eff.legId);
        return;
      case 'refuse': {
        const offer = this.pending.get(eff.legId);
        this.pending.delete(eff.legId);
        const leg = env.registry.leg(eff.legId);
        const call = leg ? env.registry.call(leg.callRef) : undefined;
        if (call) endCall(env, call, { status: 480, note: 'conference full' });
        offer?.reject(480);
        return;
      }
      case 'release': {
        await this.dropEndpoint(c, eff.legId);
        this.byLeg.delete(eff.legId);
        const leg = env.registry.leg(eff.legId);
        const call = leg ? env.registry.call(leg.callRef) : undefined;
        if (call) endCall(env, call, { note: 'left the conference' });
        else if (leg) releaseLeg(env, leg);
        return;
      }
      case 'dropEndpoint':
        await this.dropEndpoint(c, eff.legId);
        return;
      case 'connectDirect':
        await this.connectDirect(eff.a, eff.b);
        for (const id of [eff.a, eff.b]) this.byLeg.delete(id);
        return;
      case 'ended': {
        this.forget(c);
        const mixer = await c.mixer?.catch(() => undefined);
        await mixer
          ?.destroy()
          .catch((err: unknown) => env.log.warn({ err }, 'mixer destroy failed'));
        env.log.info({ conference: c.state.id }, 'conference ended');
        return;
      }
      default:
        assertNever(eff);
    }
  }

  private mixer(c: LiveConference): Promise<MediaConference> {
    c.mixer ??= this.env.media.createConference(c.name, { maxMembers: c.state.maxParties });
    return c.mixer;
  }

  /** A mixer endpoint for the leg, joined; re-INVITEs the phone onto it. */
  private async toMixer(c: LiveConference, legId: LegId, refresh: boolean): Promise<void> {
    const { env } = this;
    const leg = env.registry.leg(legId);
    if (!leg?.dialog || leg.ended || !hasLeg(c.state, legId)) return;
    const resume = this.pending.get(legId);
    if (resume && !('requestUser' in resume)) {
      // The owner resumed its held leg first: its own re-INVITE is answered from the mixer.
      await this.answerOnMixer(c, legId);
      return;
    }
    c.busy.add(legId);
    try {
      const had = c.endpoints.get(legId);
      if (refresh && had && !had.ended) {
        // Already on the mixer: the manual's redundant resume, the same SDP again.
        leg.sdp = await reinviteWithRetry(leg, withDirection(had.localSdp, 'sendrecv'));
      } else {
        await this.dropEndpoint(c, legId);
        await this.mixer(c);
        const ep = await env.media.createOffer({ srtp: isSrtpSdp(leg.sdp) });
        c.endpoints.set(legId, ep);
        this.watch(c, legId, ep);
        const answer = await reinviteWithRetry(leg, withDirection(ep.localSdp, 'sendrecv'));
        leg.sdp = answer;
        await ep.modify(answer);
        await ep.join(c.name);
      }
      env.log.info({ conference: c.state.id, party: leg.party.number }, 'conference: on the mixer');
    } catch (err) {
      env.log.warn(
        { err, conference: c.state.id, party: leg.party.number, status: statusOf(err) },
        'conference: could not put the party on the mixer',
      );
      c.busy.delete(legId);
      this.dispatch(c, { type: 'left', legId });
      const call = env.registry.call(leg.callRef);
      if (call) endCall(env, call, { status: 480, note: 'conference media failed' });
      return;
    }
    c.busy.delete(legId);
  }

  /** Answers the leg's waiting offer (room INVITE or owner's resume) from a mixer endpoint. */
  private async answerOnMixer(c: LiveConference, legId: LegId): Promise<void> {
    const { env } = this;
    const offer = this.pending.get(legId);
    this.pending.delete(legId);
    const leg = env.registry.leg(legId);
    if (!offer || !leg || leg.ended) {
      if (leg) this.dispatch(c, { type: 'left', legId });
      return;
    }
    c.busy.add(legId);
    try {
      await this.dropEndpoint(c, legId);
      await this.mixer(c);
      const ep = await env.media.answerOffer(offer.sdp);
      c.endpoints.set(legId, ep);
      this.watch(c, legId, ep);
      await ep.join(c.name);
      const answer = leg.stamp(ep.localSdp);
      if ('requestUser' in offer) {
        const dialog = await offer.answer(answer);
        leg.invite = undefined;
        leg.sipIds = {
          callId: dialog.callId,
          localTag: dialog.remoteTag,
          remoteTag: dialog.localTag,
        };
        attachDialog(env, leg, dialog);
        legEvent(env, leg, { type: 'answered' });
        const call = env.registry.call(leg.callRef);
        if (call) {
          call.record.answeredAt = env.now();
          call.record.status = 200;
        }
        env.registry.progress(leg, 'confirmed');
      } else {
        leg.sdp = offer.sdp;
        offer.accept(answer);
      }
      env.log.info({ conference: c.state.id, party: leg.party.number }, 'conference: joined');
    } catch (err) {
      env.log.warn({ err, conference: c.state.id }, 'conference: could not answer from the mixer');
      c.busy.delete(legId);
      this.dispatch(c, { type: 'left', legId });
      if ('requestUser' in offer) offer.reject(480);
      else offer.reject(500);
      const call = env.registry.call(leg.callRef);
      if (call) endCall(env, call, { status: 480, note: 'conference media failed' });
      return;
    }
    c.busy.delete(legId);
  }

  /** The media server hung an endpoint up on its own (it went away): the party leaves. */
  private watch(c: LiveConference, legId: LegId, ep: MediaEndpoint): void {
    ep.onEnded((reason) => {
      if (this.stopping || c.endpoints.get(legId) !== ep || c.state.phase === 'ended') return;
      c.endpoints.delete(legId);
      this.env.log.warn({ conference: c.state.id, reason }, 'conference: mixer endpoint lost');
      this.byLeg.delete(legId);
      this.dispatch(c, { type: 'left', legId });
      const leg = this.env.registry.leg(legId);
      const call = leg ? this.env.registry.call(leg.callRef) : undefined;
      if (call) endCall(this.env, call, { note: 'conference media lost' });
    });
  }

  private async dropEndpoint(c: LiveConference, legId: LegId): Promise<void> {
    const ep = c.endpoints.get(legId);
    c.endpoints.delete(legId);
    await ep?.destroy().catch(() => undefined);
  }

  /** The last two parties of an ad-hoc conference: a plain call between them again. */
  private async connectDirect(a: LegId, b: LegId): Promise<void> {
    const { env } = this;
    const x = env.registry.leg(a);
    const y = env.registry.leg(b);
    const old = [x, y].map((l) => (l ? env.registry.call(l.callRef) : undefined));
    if (!x?.dialog || !y?.dialog || x.ended || y.ended) {
      for (const call of old) if (call) endCall(env, call, { note: 'conference ended' });
      return;
    }
    const joined = bridge(env, x, y, {
      kind: 'conference',
      dialled: '',
      caller: x.party,
      startedAt: env.now(),
      callee: y.party.number,
      forwardedFrom: null,
    });
    for (const call of old) if (call) endCall(env, call, { note: 'conference ended' });
    env.log.info({ a: x.party.number, b: y.party.number }, 'conference down to two: connected');
    await reconnect(env, joined);
  }

  private onHangup(leg: Leg): boolean {
    const c = this.byLeg.get(leg.id);
    if (!c) return false;
    this.byLeg.delete(leg.id);
    this.pending.delete(leg.id);
    const call = this.env.registry.call(leg.callRef);
    if (call) endCall(this.env, call, { by: leg, note: 'left the conference' });
    else this.env.registry.untrack(leg);
    this.env.log.info(
      { conference: c.state.id, party: leg.party.number },
      'conference: party left',
    );
    this.dispatch(c, { type: 'left', legId: leg.id });
    return true;
  }

  private onReinvite(leg: Leg, r: IncomingReinvite): boolean {
    const c = this.byLeg.get(leg.id);
    if (!c) return false;
    if (c.busy.has(leg.id)) {
      r.reject(491);
      return true;
    }
    const ep = c.endpoints.get(leg.id);
    if (!ep) {
      // The owner's held leg, not on the mixer yet.
      const resuming =
        r.sdp !== '' && sdpDirection(r.sdp) !== 'sendonly' && sdpDirection(r.sdp) !== 'inactive';
      if (c.state.ownerLeg === leg.id && resuming) {
        this.pending.set(leg.id, r);
        this.dispatch(c, { type: 'ownerResumed' });
        return true;
      }
      if (r.sdp) leg.sdp = r.sdp;
      if (!leg.lastSent) r.reject(488);
      else
        r.accept(
          leg.stamp(
            withDirection(leg.lastSent, answerDirection(r.sdp ? sdpDirection(r.sdp) : 'sendrecv')),
          ),
        );
      return true;
    }
    c.busy.add(leg.id);
    const done = (): void => void c.busy.delete(leg.id);
    if (!r.sdp) {
      // An offerless re-INVITE: our 200 offers the mixer's SDP again.
      r.accept(leg.stamp(ep.localSdp));
      done();
      return true;
    }
    ep.modify(r.sdp).then(
      (answer) => {
        leg.sdp = r.sdp;
        r.accept(leg.stamp(answer));
        done();
      },
      (err: unknown) => {
        this.env.log.warn(
          { err, party: leg.party.number },
          'conference: re-INVITE refused by the mixer',
        );
        r.reject(488);
        done();
      },
    );
    return true;
  }

  /** The owner's next call was answered: its previous held leg is cleared (the manual). */
  private onOwnerLegs(station: string): void {
    const c = this.byId.get(station);
    if (!c || c.state.kind !== 'adhoc' || c.state.phase === 'ended') return;
    const legs = this.env.stations.peek(station)?.legs ?? [];
    const fresh = legs.filter(
      (l) => l.state === 'confirmed' && !c.known.has(l.legId) && !hasLeg(c.state, l.legId),
    );
    if (fresh.length === 0) return;
    for (const l of fresh) c.known.add(l.legId);
    const ownerOnMixer = c.state.parties.some((p) => p.role === 'owner');
    if (c.state.ownerLeg === null && !ownerOnMixer) return;
    this.env.log.info({ station }, "conference: owner's next call connected, held leg cleared");
    this.dispatch(c, { type: 'ownerCallConnected' });
  }
}

/** Waits (bounded) until no re-INVITE of the call is half done, so it can be taken apart. */
async function settle(call: Call): Promise<void> {
  const deadline = Date.now() + SETTLE_MS;
  while (call.connection?.media.pending && !call.ended && Date.now() < deadline) await sleep(20);
}

/** A re-INVITE to the leg's phone, retried after 491 (its own re-INVITE crossed ours). */
async function reinviteWithRetry(leg: Leg, sdp: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    if (!leg.dialog || leg.ended) throw new Error('leg gone');
    try {
      return await leg.dialog.reinvite(leg.stamp(sdp));
    } catch (err) {
      if (statusOf(err) !== 491 || attempt >= GLARE_TRIES) throw err;
      await sleep(GLARE_WAIT_MS * attempt);
    }
  }
}
