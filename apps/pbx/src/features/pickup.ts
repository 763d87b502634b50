/**
 * Call pickup on the wire. By feature code (directed 13 + station, group 14 + group, my-group) or
 * by an INVITE whose `Replaces` names the ringing dialog (busy-lamp pickup, RFC 3891; seed 002):
 * the ringing phone(s) get CANCEL, the picking phone's INVITE is answered, and the caller's INVITE
 * is answered, so the two are connected. Both INVITEs carry offers, so each phone's offer, cut to
 * the formats the other offered, serves as the other's answer.
 *
 * An INVITE with Replaces naming a connected dialog takes that dialog's place (RFC 3891 §3): the
 * partner is re-INVITEd with the new phone's SDP and the replaced phone gets BYE.
 */
import { answerFromOffer, withDirection } from '../sip/sdp';
import { statusOf, type IncomingInvite, type ReplacesHeader } from '../engine/sip-port';
import type { CallEnv } from '../engine/call-env';
import { Call, type Party } from '../engine/call-registry';
import {
  answerCaller,
  attachDialog,
  callerLeg,
  endCall,
  legEvent,
  releaseLeg,
  writeRecord,
} from '../engine/call-setup';

/** A ringing call to take, as the pickup handlers and Replaces matching name it. */
export interface PickupTarget {
  readonly callRef: Call['ref'];
  readonly legId: string;
}

/**
 * Connects the picking phone (its INVITE) to the caller of a ringing call. Returns false (and
 * answers the picker) when the call stopped ringing meanwhile or the phones share no codec.
 */
export async function pickUp(
  env: CallEnv,
  invite: IncomingInvite,
  picker: Party,
  target: PickupTarget,
): Promise<boolean> {
  const call = env.registry.call(target.callRef);
  if (!call || call.ended || call.connection || !call.aLeg.invite || call.aLeg.ended) {
    invite.reject(480);
    return false;
  }
  const toPicker = answerFromOffer(invite.sdp, call.aLeg.sdp);
  const toCaller = answerFromOffer(call.aLeg.sdp, invite.sdp);
  if (toPicker === undefined || toCaller === undefined) {
    env.log.info({ callRef: call.ref, picker: picker.number }, 'pickup: no common codec');
    invite.reject(488);
    return false;
  }
  const from = [...call.attempts].map((l) => l.party.number);
  const ringingAt =
    env.registry.leg(target.legId as Call['aLeg']['id'])?.party.number ?? from[0] ?? null;
  for (const leg of [...call.attempts]) {
    releaseLeg(env, leg);
    call.attempts.delete(leg);
  }
  const pk = callerLeg(env, invite, picker);
  pk.callRef = call.ref;
  env.registry.track(pk, 'outbound', call.record.caller);
  try {
    const dialog = await invite.answer(pk.stamp(toPicker));
    pk.invite = undefined;
    pk.sipIds = { callId: dialog.callId, localTag: dialog.remoteTag, remoteTag: dialog.localTag };
    attachDialog(env, pk, dialog);
    legEvent(env, pk, { type: 'answered' });
    env.registry.progress(pk, 'confirmed');
  } catch (err) {
    env.log.info({ status: statusOf(err) }, 'picker left before the answer');
    env.registry.untrack(pk);
    endCall(env, call, { status: 480 });
    return false;
  }
  env.log.info({ callRef: call.ref, picker: picker.number, from }, 'call picked up');
  call.record.callee = picker.number;
  call.record.pickedUpFrom = ringingAt;
  return answerCaller(env, call, pk, toCaller);
}

/**
 * An INVITE with `Replaces`: pickup of a ringing dialog, or taking the place of a connected one.
 * RFC 3891 §3: no match → 481; a confirmed dialog with `early-only` → 486. Returns the status
 * of a refusal made here (the caller records it), undefined once a call took over the INVITE.
 */
export async function handleReplaces(
  env: CallEnv,
  invite: IncomingInvite,
  caller: Party,
  r: ReplacesHeader,
): Promise<number | undefined> {
  const leg = env.registry.findBySipIds(r.callId, r.toTag, r.fromTag);
  const call = leg ? env.registry.call(leg.callRef) : undefined;
  const refuse = (status: number): number => {
    invite.reject(status);
    return status;
  };
  if (!leg || !call || leg.ended) {
    env.log.info({ replaces: r.callId }, 'Replaces names no dialog');
    return refuse(481);
  }
  if (leg.state.kind !== 'answered') {
    if (!call.attempts.has(leg)) return refuse(481);
    return (await pickUp(env, invite, caller, { callRef: call.ref, legId: leg.id }))
      ? undefined
      : 480;
  }
  if (r.earlyOnly) return refuse(486);
  await replaceConnected(env, invite, caller, call, leg);
  return undefined;
}

async function replaceConnected(
  env: CallEnv,
  invite: IncomingInvite,
  caller: Party,
  call: Call,
  replaced: NonNullable<Call['bLeg']>,
): Promise<void> {
  const side = call.sideOf(replaced);
  const partner = side ? call.leg(side === 'a' ? 'b' : 'a') : undefined;
  if (!partner?.dialog || partner.ended) {
    invite.reject(481);
    return;
  }
  const a = callerLeg(env, invite, caller);
  const next = new Call(a, {
    kind: 'transfer',
    dialled: invite.requestUser,
    caller,
    startedAt: env.now(),
    callee: partner.party.number,
    forwardedFrom: null,
  });
  env.registry.add(next);
  env.registry.track(a, 'outbound', partner.party);
  let answer: string;
  try {
    answer = await partner.dialog.reinvite(partner.stamp(withDirection(invite.sdp, 'sendrecv')));
  } catch (err) {
    endCall(env, next, { status: statusOf(err) === 491 ? 491 : 480 });
    return;
  }
  partner.sdp = answer;
  call.ended = true;
  call.clearTimers();
  env.registry.remove(call);
  releaseLeg(env, replaced);
  writeRecord(env, call, { note: `replaced by ${caller.number}` });
  await answerCaller(env, next, partner, answer);
}
