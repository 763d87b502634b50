/**
 * Call park (OfficeServ system hold), on the wire. A station holds its call and dials 11 +
 * station: it gets 480 and its held dialog is ended; the held party's dialog stays up, parked
 * (it hears the hold music from the media server: `hooks.waiting`). 12 + station from any station retrieves it: the
 * parked party is re-INVITEd with the retriever's SDP and the retriever's INVITE is answered with
 * the parked party's answer. Unretrieved, the call recalls (rings) the parking station after the
 * park recall time.
 */
import { withDirection } from '../sip/sdp';
import {
  emptySlots,
  nextParkSlots,
  type ParkEffect,
  type ParkEvent,
  type ParkedCall,
  type ParkSlots,
} from '../state/park-slots';
import type { ParkStore } from '../state/features';
import { statusOf, type IncomingInvite } from '../engine/sip-port';
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg, type Party } from '../engine/call-registry';
import {
  answerCaller,
  callerLeg,
  dial,
  endCall,
  releaseLeg,
  writeRecord,
} from '../engine/call-setup';

/** The park slots over the park reducer, with the recall timers. */
export class ParkRuntime implements ParkStore {
  private slots: ParkSlots = emptySlots();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: Array<(slot: string) => void> = [];

  constructor(private readonly env: CallEnv) {
    env.intercept.hangup.push((leg) => this.onHangup(leg));
  }

  async get(slot: string): Promise<ParkedCall | undefined> {
    return this.slots.get(slot);
  }

  async park(call: ParkedCall): Promise<void> {
    this.apply({
      type: 'park',
      call,
      recallMs: Math.round(this.env.config.features.parkRecallTime * 1000),
    });
  }

  async take(slot: string): Promise<ParkedCall | undefined> {
    const call = this.slots.get(slot);
    if (call) this.apply({ type: 'retrieve', slot });
    return call;
  }

  list(): ParkedCall[] {
    return [...this.slots.values()];
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Tells `listener` the slot of every park, retrieve, recall or hang-up (busy lamps). */
  onSlotChanged(listener: (slot: string) => void): void {
    this.listeners.push(listener);
  }

  apply(e: ParkEvent): void {
    const before = this.slots;
    const [next, effects] = nextParkSlots(this.slots, e);
    this.slots = next;
    for (const eff of effects) this.run(eff);
    if (next !== before) {
      for (const slot of new Set([...before.keys(), ...next.keys()]))
        if (before.get(slot) !== next.get(slot)) for (const l of this.listeners) l(slot);
    }
  }

  private run(eff: ParkEffect): void {
    switch (eff.type) {
      case 'startTimer': {
        const t = setTimeout(() => {
          this.timers.delete(eff.slot);
          this.apply({ type: 'timer.recall', slot: eff.slot });
        }, eff.ms);
        t.unref?.();
        this.timers.set(eff.slot, t);
        return;
      }
      case 'cancelTimer': {
        const t = this.timers.get(eff.slot);
        if (t) clearTimeout(t);
        this.timers.delete(eff.slot);
        return;
      }
      case 'recall':
        recall(this.env, this, eff.call);
        return;
    }
  }

  /** A parked party hung up: free its slot (the call ends as usual). */
  private onHangup(leg: Leg): boolean {
    if ([...this.slots.values()].some((p) => p.legId === leg.id))
      this.apply({ type: 'parkedHungUp', legId: leg.id });
    return false;
  }
}

/**
 * After a successful 11 + station: ends the parker's held dialog and leaves the parked party in a
 * call of its own (no partner) until retrieve or recall.
 */
export function parkCall(env: CallEnv, parked: ParkedCall, holderLegId: Leg['id']): void {
  const held = env.registry.leg(parked.legId);
  const holder = env.registry.leg(holderLegId);
  const call = env.registry.call(parked.callRef);
  if (!held || !call) return;
  if (holder) releaseLeg(env, holder);
  // The held party's call record ends here; the parked wait is a call of its own.
  call.ended = true;
  call.clearTimers();
  env.registry.remove(call);
  writeRecord(env, call, { note: `parked at ${parked.slot}` });
  const waiting = new Call(held, {
    kind: 'park',
    dialled: parked.slot,
    caller: held.party,
    startedAt: env.now(),
    callee: parked.slot,
    forwardedFrom: null,
  });
  waiting.record.answeredAt = env.now();
  env.registry.add(waiting);
  env.log.info(
    { callRef: waiting.ref, slot: parked.slot, party: parked.party, by: parked.parkedBy },
    'call parked',
  );
  // The parked party hears the hold music until it is retrieved or recalled.
  env.hooks.waiting?.(held, 'music', `parked at ${parked.slot}`);
}

/**
 * 12 + station found a parked call: the retriever's INVITE is connected to the parked party.
 */
export async function retrieveCall(
  env: CallEnv,
  parks: ParkRuntime,
  invite: IncomingInvite,
  retriever: Party,
  parked: ParkedCall,
): Promise<void> {
  const held = env.registry.leg(parked.legId);
  const waiting = held ? env.registry.call(held.callRef) : undefined;
  if (!held?.dialog || held.ended || !waiting) {
    invite.reject(480);
    return;
  }
  const a = callerLeg(env, invite, retriever);
  const call = new Call(a, {
    kind: 'retrieve',
    dialled: invite.requestUser,
    caller: retriever,
    startedAt: env.now(),
    callee: held.party.number,
    forwardedFrom: null,
  });
  env.registry.add(call);
  env.registry.track(a, 'outbound', held.party);
  let answer: string;
  try {
    answer = await held.dialog.reinvite(held.stamp(withDirection(invite.sdp, 'sendrecv')));
  } catch (err) {
    env.log.info({ slot: parked.slot, status: statusOf(err) }, 'parked party refused the retrieve');
    endCall(env, call, { status: 480 });
    if (!held.ended) {
      await parks.park({ ...parked, parkedAt: env.now() });
      env.hooks.waiting?.(held, 'music', `parked again at ${parked.slot}`);
    }
    return;
  }
  held.sdp = answer;
  waiting.ended = true;
  env.registry.remove(waiting);
  writeRecord(env, waiting, { note: `retrieved by ${retriever.number}` });
  env.log.info(
    { callRef: call.ref, slot: parked.slot, by: retriever.number },
    'parked call retrieved',
  );
  await answerCaller(env, call, held, answer);
}

/** The recall time expired: ring the parking station with the parked party. */
function recall(env: CallEnv, parks: ParkRuntime, parked: ParkedCall): void {
  const held = env.registry.leg(parked.legId);
  const waiting = held ? env.registry.call(held.callRef) : undefined;
  if (!held?.dialog || held.ended || !waiting) return;
  env.log.info({ slot: parked.slot, station: parked.parkedBy }, 'park recall');
  const again = (): void => void parks.park({ ...parked, parkedAt: env.now() });
  const leg = dial(env, {
    call: waiting,
    station: parked.parkedBy,
    from: held.party,
    sdp: withDirection(held.sdp, 'sendrecv'),
    onAnswered: (b) => {
      void (async () => {
        if (held.ended || waiting.ended || !held.dialog) {
          releaseLeg(env, b);
          return;
        }
        waiting.clearTimer('recall');
        waiting.connect(b);
        try {
          held.sdp = await held.dialog.reinvite(held.stamp(withDirection(b.sdp, 'sendrecv')));
        } catch (err) {
          env.log.info({ status: statusOf(err) }, 'parked party refused the recall');
          endCall(env, waiting, { status: 480 });
        }
      })();
    },
    onFailed: (_leg, status) => {
      waiting.clearTimer('recall');
      if (held.ended || waiting.ended) return;
      env.log.info({ slot: parked.slot, status }, 'recall not answered: parked again');
      again();
    },
  });
  waiting.setTimer('recall', Math.round(env.config.features.ringingTimeout * 1000), () => {
    if (held.ended || waiting.ended || waiting.connection) return;
    releaseLeg(env, leg);
    waiting.attempts.delete(leg);
    again();
  });
}
