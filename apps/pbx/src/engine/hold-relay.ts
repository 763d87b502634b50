/**
 * Hold and resume: re-INVITEs relayed between the two parties of a connected call, through the
 * media-direction reducer (state/media-direction.ts), which keeps each party's own hold and
 * answers a re-INVITE without SDP locally. `holdChanged` effects go to the music-on-hold hook.
 *
 * A leg whose partner is gone (a parked party) gets its re-INVITEs answered with what we last
 * sent it.
 */
import {
  nextMedia,
  other,
  type MediaEffect,
  type MediaEvent,
  type Side,
} from '../state/media-direction';
import { sdpDirection, withDirection } from '../sip/sdp';
import { statusOf, type IncomingReinvite } from './sip-port';
import { assertNever } from '../state/errors';
import type { CallEnv } from './call-env';
import type { Call, Leg } from './call-registry';

/** The SDP to give `to`: its partner's last SDP, with `direction`. */
function partnerSdp(
  call: Call,
  to: Side,
  direction: Parameters<typeof withDirection>[1],
): string | undefined {
  const from = call.leg(other(to));
  const target = call.leg(to);
  if (!from || !target || !from.sdp) return undefined;
  return target.stamp(withDirection(from.sdp, direction));
}

export function onReinvite(env: CallEnv, leg: Leg, r: IncomingReinvite): void {
  // A leg on the media server (a conference party) is answered by its feature, not relayed.
  for (const take of env.intercept.reinvite) if (take(leg, r)) return;
  const call = env.registry.call(leg.callRef);
  const side = call?.sideOf(leg);
  const partner = call && side ? call.leg(other(side)) : undefined;
  if (call?.connection && partner && !partner.dialog && partner.invite && !partner.ended) {
    // The phone re-INVITEs (holds) right after our ACK while our 200 to its partner is still
    // unconfirmed: relay it once the partner's dialog is up instead of swallowing the hold.
    partner.whenConfirmed.push(() => onReinvite(env, leg, r));
    return;
  }
  if (!call || !side || !call.connection || !partner?.dialog || partner.ended) {
    // Nobody to relay to (parked, or the call is being rearranged): keep the session as it is.
    if (r.sdp) leg.sdp = r.sdp;
    const waiting = leg.waitingMedia;
    if (r.sdp && waiting?.offer) {
      // On the media server (park music): its endpoint must learn the phone's new address.
      answerFromWaitingMedia(env, leg, r, waiting.offer(r.sdp));
      return;
    }
    answerWithLastSent(leg, r);
    return;
  }
  const hadPending = call.connection.media.pending !== null;
  if (!hadPending) {
    leg.waitingReinvite = r;
    if (r.sdp) leg.sdp = r.sdp;
    else leg.answerDueInAckOf = r.cseq;
  }
  apply(
    env,
    call,
    { type: 'offer', from: side, direction: r.sdp ? sdpDirection(r.sdp) : null },
    hadPending ? r : undefined,
  );
}

function answerWithLastSent(leg: Leg, r: IncomingReinvite): void {
  const last = leg.lastSent;
  if (last) r.accept(last);
  else r.reject(488);
}

function answerFromWaitingMedia(
  env: CallEnv,
  leg: Leg,
  r: IncomingReinvite,
  answer: Promise<string | undefined>,
): void {
  const waiting = leg.waitingMedia;
  answer.then(
    (sdp) => {
      if (sdp !== undefined && waiting && leg.waitingMedia === waiting)
        r.accept(leg.stampWaiting(sdp, waiting));
      else answerWithLastSent(leg, r);
    },
    (err: unknown) => {
      env.log.warn({ err, party: leg.party.number }, 'media server refused the new offer');
      r.reject(488);
    },
  );
}

export function onAck(env: CallEnv, leg: Leg, sdp: string | undefined, cseq: number): void {
  const call = env.registry.call(leg.callRef);
  const side = call?.sideOf(leg);
  const pending = call?.connection?.media.pending;
  if (!call || !side || !pending || pending.kind !== 'offerless' || pending.from !== side) return;
  if (leg.answerDueInAckOf !== cseq) return;
  leg.answerDueInAckOf = undefined;
  if (!sdp) {
    // RFC 3264 §5: an ACK without the answer we asked for; the session stays as it was.
    apply(env, call, { type: 'offerRejected', from: side, status: 488 });
    return;
  }
  leg.sdp = sdp;
  apply(env, call, { type: 'answer', from: side, direction: sdpDirection(sdp) });
}

/**
 * Sends `leg` its partner's media again (our own re-INVITE, with the direction each party's hold
 * asks for): a party coming back from the media server to its call.
 */
export function reoffer(env: CallEnv, call: Call, leg: Leg): void {
  const side = call.sideOf(leg);
  const conn = call.connection;
  if (!side || !conn || call.ended) return;
  if (conn.media.pending) {
    env.log.info(
      { callRef: call.ref, party: leg.party.number },
      're-offer skipped: exchange under way',
    );
    return;
  }
  apply(env, call, { type: 'reoffer', to: side });
}

/**
 * Runs the media reducer for `call` and carries out its effects. `current` is a re-INVITE that
 * arrived while another exchange was pending (it gets the reducer's 491/500).
 */
export function apply(env: CallEnv, call: Call, e: MediaEvent, current?: IncomingReinvite): void {
  const conn = call.connection;
  if (!conn) return;
  const [next, effects] = nextMedia(conn.media, e);
  conn.media = next;
  for (const eff of effects) run(env, call, eff, current);
  if (call.connection === conn && !conn.media.pending && !call.ended) {
    try {
      env.hooks.onMediaIdle?.(call);
    } catch (err) {
      env.log.error({ err }, 'media idle hook failed');
    }
  }
}

function respond(
  leg: Leg | undefined,
  current: IncomingReinvite | undefined,
): IncomingReinvite | undefined {
  if (current) return current;
  if (!leg) return undefined;
  const r = leg.waitingReinvite;
  leg.waitingReinvite = undefined;
  return r;
}

/** The call timer of a pending retry of our re-INVITE to `side` after glare. */
const retryTimer = (side: Side): string => `media-retry-${side}`;

function run(
  env: CallEnv,
  call: Call,
  eff: MediaEffect,
  current: IncomingReinvite | undefined,
): void {
  // An offer to a side, or an answer to its own, tells it what it needs: no retry is due then.
  if (eff.type === 'sendOffer' || eff.type === 'sendAnswer' || eff.type === 'offerInAnswer')
    call.clearTimer(retryTimer(eff.to));
  switch (eff.type) {
    case 'sendOffer': {
      const target = call.leg(eff.to);
      const body = partnerSdp(call, eff.to, eff.direction);
      if (!target?.dialog || body === undefined) {
        apply(env, call, { type: 'offerRejected', from: eff.to, status: 500 });
        return;
      }
      target.dialog.reinvite(body).then(
        (answer) => {
          if (call.sideOf(target) !== eff.to) return;
          target.sdp = answer;
          apply(env, call, { type: 'answer', from: eff.to, direction: sdpDirection(answer) });
        },
        (err: unknown) => {
          if (call.sideOf(target) !== eff.to) return;
          const status = statusOf(err);
          env.log.info({ callRef: call.ref, status, to: target.party.number }, 're-INVITE refused');
          apply(env, call, {
            type: 'offerRejected',
            from: eff.to,
            status: status === 481 ? 500 : status,
          });
        },
      );
      return;
    }
    case 'sendAnswer':
    case 'offerInAnswer': {
      const target = call.leg(eff.to);
      const r = respond(target, eff.type === 'offerInAnswer' ? current : undefined);
      const body = partnerSdp(call, eff.to, eff.direction);
      if (!r) return;
      if (body === undefined) r.reject(500);
      else r.accept(body);
      return;
    }
    case 'reject': {
      const r = respond(call.leg(eff.to), current);
      r?.reject(eff.status);
      return;
    }
    case 'holdChanged': {
      const held = call.leg(eff.side);
      const holder = call.leg(other(eff.side));
      if (!held || !holder || !call.connection) return;
      const holderSide = other(eff.side);
      if (eff.onHold) call.connection.heldAt[holderSide] = env.now();
      else delete call.connection.heldAt[holderSide];
      const station = holder.party.station;
      const toneSource = station ? env.stations.row(station)?.toneSource : undefined;
      env.log.info(
        { callRef: call.ref, held: held.party.number, onHold: eff.onHold },
        eff.onHold ? 'call held' : 'call resumed',
      );
      try {
        env.hooks.onHoldChanged?.({ call, held, holder, onHold: eff.onHold, toneSource });
      } catch (err) {
        env.log.error({ err }, 'hold hook failed');
      }
      return;
    }
    case 'retryOffer': {
      // RFC 3261 14.1: 2.1-4 s on the dialog whose Call-ID we made (the b-leg: we called it),
      // 0-2 s on the other, so the two ends of a glare pick different moments.
      const ms = eff.to === 'b' ? 2_100 + Math.random() * 1_900 : Math.random() * 2_000;
      env.log.info(
        { callRef: call.ref, to: call.leg(eff.to)?.party.number, ms: Math.round(ms) },
        'our re-INVITE met one from the phone (491): retrying',
      );
      call.setTimer(retryTimer(eff.to), ms, () => {
        const conn = call.connection;
        if (!conn || call.ended) return;
        // Another exchange is under way: try again after it.
        if (conn.media.pending) run(env, call, eff, undefined);
        else apply(env, call, { type: 'reoffer', to: eff.to });
      });
      return;
    }
    default:
      assertNever(eff);
  }
}
