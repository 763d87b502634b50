/**
 * A call from a station to a station, as a B2BUA with SDP passed through (media flows phone to
 * phone). Routing decides DND/busy/unregistered/forward; this runner rings the station with the
 * caller's name and number, relays 180/183, answers the caller with the callee's SDP, and handles
 * CANCEL, the no-answer forward and the ringing timeout.
 */
import { routeCall, type Route } from '../state/routing';
import type { IncomingInvite } from '../routing/sip-types';
import type { CallEnv } from './call-env';
import { Call, Leg, type Party } from './call-registry';
import { answerCaller, dial, endCall, legEvent, progressCaller, stationParty } from './call-setup';
import { armNoAnswer, diversionHeaders, lastDiversion } from './call-forward';
import type { CdrDisposition } from './cdr-writer';

/** The status the caller gets when the called phone refuses. */
export function callerStatus(status: number): number {
  if (status === 486 || status === 600) return 486;
  if (status === 408 || status === 487) return 480;
  if (status >= 400 && status < 700) return status;
  return 500;
}

const REJECT_DISPOSITION: Record<Extract<Route, { kind: 'reject' }>['cause'], CdrDisposition> = {
  'not-found': 'rejected',
  dnd: 'busy',
  busy: 'busy',
  unregistered: 'rejected',
  'no-answer': 'no-answer',
};

/** The caller's leg of a new call: the phone's INVITE, reported to the calling station. */
export function callerLeg(env: CallEnv, invite: IncomingInvite, caller: Party): Leg {
  const leg = new Leg('' as Leg['callRef'], 'uas', caller, env.now(), invite.sdp);
  leg.invite = invite;
  leg.sipIds = { callId: invite.callId, localTag: invite.fromTag };
  return leg;
}

/** Starts ringing the caller's chosen call; CANCEL and the ringing timeout end it. */
export function watchCaller(env: CallEnv, call: Call): void {
  const invite = call.aLeg.invite;
  invite?.onCancel(() => {
    if (call.ended || call.aLeg.invite !== invite) return;
    legEvent(env, call.aLeg, { type: 'cancelled' });
    for (const take of env.intercept.cancel) if (take(call.aLeg, call)) return;
    env.log.info({ callRef: call.ref }, 'caller cancelled');
    endCall(env, call, { by: call.aLeg, status: 487 });
  });
  const timeoutMs = Math.round(env.config.features.ringingTimeout * 1000);
  call.setTimer('ringing', timeoutMs, () => {
    if (call.ended || call.connection) return;
    env.log.info({ callRef: call.ref, timeoutMs }, 'ringing timeout');
    if (call.unanswered?.(480)) return;
    endCall(env, call, { status: 480, disposition: 'no-answer' });
  });
}

/** A station dialled a station number. */
export function startStationCall(env: CallEnv, invite: IncomingInvite, caller: Party, target: string): Call {
  const now = env.now();
  const a = callerLeg(env, invite, caller);
  const call = new Call(a, { kind: 'station', dialled: invite.requestUser, caller, startedAt: now, callee: target, forwardedFrom: null });
  env.registry.add(call);
  env.registry.track(a, 'outbound', stationParty(env, target));
  watchCaller(env, call);
  const route = routeCall({ target, lookup: env.stations.lookup, ...(caller.station ? { caller: caller.station } : {}) });
  follow(env, call, route);
  return call;
}

/** Rings where the route says, or ends the call with the route's status. */
export function follow(env: CallEnv, call: Call, route: Route): void {
  if (call.ended) return;
  Object.assign(call.record, lastDiversion(route.diversions));
  call.record.callee = route.station;
  if (route.kind === 'reject') {
    env.log.info({ callRef: call.ref, station: route.station, cause: route.cause, status: route.status, chain: route.visited }, 'call refused');
    endCall(env, call, { status: route.status, disposition: REJECT_DISPOSITION[route.cause], note: route.cause });
    return;
  }
  env.log.info({ callRef: call.ref, station: route.station, chain: route.visited }, 'ringing');
  const leg = dial(env, {
    call,
    station: route.station,
    from: call.record.caller,
    sdp: call.aLeg.sdp,
    headers: diversionHeaders(route.diversions, env.config.sip.domain),
    onRinging: (_leg, status, sdp) => void progressCaller(env, call, status, sdp),
    onAnswered: (b) => void answerCaller(env, call, b),
    onFailed: (_leg, status) => {
      if (call.ended || call.connection) return;
      env.log.info({ callRef: call.ref, station: route.station, status }, 'callee refused');
      if (call.unanswered?.(status)) return;
      endCall(env, call, { status: callerStatus(status) });
    },
  });
  armNoAnswer(env, call, route, leg, (next) => follow(env, call, next));
}
