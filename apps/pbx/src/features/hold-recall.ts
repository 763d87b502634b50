/**
 * Hold recall (the interoperability checklist's "Hold recall" row): a call left on hold longer
 * than `features.holdRecallTime` (default 60 s; 0 turns it off) alerts the station that holds it.
 *
 * On the wire, chosen for desk phones, which show a new incoming call best: once the time is up
 * and the held dialog is the holding station's only dialog, the PBX sends that station a new
 * INVITE from the held party (`From: "Name" <sip:203@…>`, the held party's SDP, and
 * `Alert-Info: <urn:alert:service:recall:hold>` from RFC 7462 so phones that know it ring
 * differently). Answering connects the held party to the new dialog (re-INVITE with its SDP) and
 * ends the old held dialog (BYE). Unanswered after `features.ringingTimeout`, or refused, the
 * INVITE is cancelled, the call stays on hold and the timer starts again. Resuming the held call
 * cancels a recall that rings. A station busy in another call is alerted once that call ends.
 */
import { withDirection } from '../sip/sdp';
import { isOnHold, type Side } from '../state/media-direction';
import type { CallEnv, HoldChange } from '../engine/call-env';
import type { Call, Leg } from '../engine/call-registry';
import { bridge, dial, endCall, reconnect, releaseLeg } from '../engine/call-setup';

/** RFC 7462 §4.2.3: the alert URN of a call recalled from hold. */
export const HOLD_RECALL_ALERT = '<urn:alert:service:recall:hold>';

/** How often a busy holder is looked at again (ms). */
const BUSY_RECHECK_MS = 2_000;

const timerName = (holderSide: Side): string => `hold-recall-${holderSide}`;

/** The hold-recall reaction to hold changes (installed as `hooks.onHoldChanged`). */
export function holdRecall(env: CallEnv): (change: HoldChange) => void {
  /** Recall INVITEs ringing now, by call. */
  const ringing = new Map<Call, Leg>();

  const cancelRinging = (call: Call): void => {
    const leg = ringing.get(call);
    if (!leg) return;
    ringing.delete(call);
    call.clearTimer('hold-recall-ringing');
    call.attempts.delete(leg);
    if (!leg.ended) releaseLeg(env, leg);
  };

  const arm = (call: Call, held: Leg, holder: Leg, ms: number): void => {
    const side = call.sideOf(holder);
    if (!side || ms <= 0) return;
    call.setTimer(timerName(side), ms, () => recall(call, held, holder));
  };

  const stillHeld = (call: Call, held: Leg, holder: Leg): boolean => {
    const side = call.sideOf(held);
    return (
      !call.ended &&
      !!call.connection &&
      !!side &&
      call.sideOf(holder) !== undefined &&
      held.callRef === call.ref &&
      holder.callRef === call.ref &&
      !held.ended &&
      !holder.ended &&
      isOnHold(call.connection.media, side)
    );
  };

  const recall = (call: Call, held: Leg, holder: Leg): void => {
    if (!stillHeld(call, held, holder) || ringing.has(call)) return;
    const station = holder.party.station;
    if (!station) return;
    const legs = env.stations.peek(station)?.legs ?? [];
    if (legs.some((l) => l.legId !== holder.id)) {
      // Busy in another call: a second incoming call now would be call waiting, which OfficeServ
      // SIP stations do not have. Look again shortly.
      arm(call, held, holder, BUSY_RECHECK_MS);
      return;
    }
    env.log.info(
      { callRef: call.ref, station, held: held.party.number },
      'hold recall: ringing the holding station',
    );
    const again = (): void => {
      ringing.delete(call);
      call.clearTimer('hold-recall-ringing');
      if (stillHeld(call, held, holder))
        arm(call, held, holder, Math.round(env.config.features.holdRecallTime * 1000));
    };
    const leg = dial(env, {
      call,
      station,
      from: held.party,
      sdp: withDirection(held.sdp, 'sendrecv'),
      headers: { 'Alert-Info': HOLD_RECALL_ALERT },
      onAnswered: (b) => {
        ringing.delete(call);
        call.clearTimer('hold-recall-ringing');
        if (!stillHeld(call, held, holder)) {
          releaseLeg(env, b);
          return;
        }
        const joined = bridge(env, held, b, {
          kind: 'retrieve',
          dialled: station,
          caller: held.party,
          startedAt: env.now(),
          callee: station,
          forwardedFrom: null,
          note: 'hold recall',
        });
        // The old held dialog ends; the held party is pointed at the answering dialog.
        endCall(env, call, { note: 'hold recall answered' });
        env.log.info({ callRef: joined.ref, station }, 'hold recall answered');
        void reconnect(env, joined, { bHasA: true });
      },
      onFailed: (_leg, status) => {
        env.log.info({ callRef: call.ref, station, status }, 'hold recall not answered');
        again();
      },
    });
    ringing.set(call, leg);
    call.setTimer(
      'hold-recall-ringing',
      Math.round(env.config.features.ringingTimeout * 1000),
      () => {
        if (ringing.get(call) !== leg) return;
        env.log.info({ callRef: call.ref, station }, 'hold recall not answered in time');
        call.attempts.delete(leg);
        releaseLeg(env, leg);
        again();
      },
    );
  };

  return ({ call, held, holder, onHold }) => {
    const side = call.sideOf(holder);
    if (!side) return;
    if (!onHold) {
      call.clearTimer(timerName(side));
      cancelRinging(call);
      return;
    }
    arm(call, held, holder, Math.round(env.config.features.holdRecallTime * 1000));
  };
}
