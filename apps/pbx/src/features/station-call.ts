/**
 * A call from a station to a station, with call forward, as a B2BUA with SDP passed through
 * (media flows phone to phone). Routing (state/routing.ts) decides DND/busy/unregistered and
 * follows forward all / busy / unreachable at once; this runner rings the station with the
 * caller's name and number and the `Diversion` headers of the forwards (RFC 5806), relays
 * 180/183, answers the caller with the callee's SDP, and continues the forward chain when the
 * no-answer timer fires. The forward settings themselves are set by the 600-604 feature codes
 * (state/features/call-forward.ts) or `pbx ext set`.
 */
import {
  formatDiversion,
  routeCall,
  routeNoAnswer,
  type Diversion,
  type Route,
} from '../state/routing';
import type { IncomingInvite } from '../engine/sip-port';
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg, type Party } from '../engine/call-registry';
import {
  answerCaller,
  callerLeg,
  callerStatus,
  dial,
  endCall,
  progressCaller,
  releaseLeg,
  stationParty,
  toVoicemail,
  watchCaller,
} from '../engine/call-setup';
import type { CdrDisposition } from '../engine/cdr-writer';

const REJECT_DISPOSITION: Record<Extract<Route, { kind: 'reject' }>['cause'], CdrDisposition> = {
  'not-found': 'rejected',
  dnd: 'busy',
  busy: 'busy',
  unregistered: 'rejected',
  'no-answer': 'no-answer',
};

/**
 * The `Diversion` header of a forwarded INVITE: one value per forward, most recent first
 * (RFC 5806 §4), each naming the station that forwarded and why.
 */
export function diversionHeaders(
  diversions: readonly Diversion[],
  domain: string,
): Record<string, string> {
  if (diversions.length === 0) return {};
  return { Diversion: diversions.map((d) => formatDiversion(d, domain)).join(', ') };
}

/** The station whose forward sent the call on last (the newest diversion), for the call record. */
export function lastDiversion(diversions: readonly Diversion[]): {
  forwardedFrom: string | null;
  forwardReason: Diversion['reason'] | null;
} {
  const d = diversions[0];
  return d
    ? { forwardedFrom: d.from, forwardReason: d.reason }
    : { forwardedFrom: null, forwardReason: null };
}

/** A station dialled a station number. */
export function startStationCall(
  env: CallEnv,
  invite: IncomingInvite,
  caller: Party,
  target: string,
): Call {
  const now = env.now();
  const a = callerLeg(env, invite, caller);
  const call = new Call(a, {
    kind: 'station',
    dialled: invite.requestUser,
    caller,
    startedAt: now,
    callee: target,
    forwardedFrom: null,
  });
  env.registry.add(call);
  env.registry.track(a, 'outbound', stationParty(env, target));
  watchCaller(env, call);
  const route = routeCall({
    target,
    lookup: env.stations.lookup,
    ...(caller.station ? { caller: caller.station } : {}),
    ...(env.hooks.isOutside ? { isOutside: env.hooks.isOutside } : {}),
  });
  follow(env, call, route);
  return call;
}

/** Rings where the route says, or ends the call with the route's status. */
function follow(env: CallEnv, call: Call, route: Route): void {
  if (call.ended) return;
  Object.assign(call.record, lastDiversion(route.diversions));
  if (route.kind === 'outside') {
    const diversion = diversionHeaders(route.diversions, env.config.sip.domain)['Diversion'] ?? '';
    env.log.info(
      { callRef: call.ref, to: route.number, chain: route.visited },
      'forwarded outside',
    );
    if (env.hooks.forwardOutside) env.hooks.forwardOutside(call, route.number, diversion);
    else endCall(env, call, { status: 404, disposition: 'rejected', note: 'no trunk' });
    return;
  }
  call.record.callee = route.station;
  if (route.kind === 'voicemail') {
    if (toVoicemail(env, call, route.station, 'forward')) return;
    // The mailbox was turned off (or the media server is down) after the forward was set.
    const status = route.reason === 'user-busy' ? 486 : 480;
    env.log.warn(
      { callRef: call.ref, station: route.station, status, chain: route.visited },
      'forward to voice mail: the mailbox cannot take the call',
    );
    endCall(env, call, {
      status,
      disposition: status === 486 ? 'busy' : 'no-answer',
      note: 'forward to voice mail: mailbox unavailable',
    });
    return;
  }
  if (
    route.kind === 'reject' &&
    route.cause !== 'not-found' &&
    toVoicemail(env, call, route.station, route.cause)
  )
    return;
  if (route.kind === 'reject') {
    env.log.info(
      {
        callRef: call.ref,
        station: route.station,
        cause: route.cause,
        status: route.status,
        chain: route.visited,
      },
      'call refused',
    );
    endCall(env, call, {
      status: route.status,
      disposition: REJECT_DISPOSITION[route.cause],
      note: route.cause,
    });
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
      // The phone itself said busy or declined (its own DND): the mailbox may take the call.
      if (
        (status === 486 || status === 600 || status === 603) &&
        toVoicemail(env, call, route.station, 'busy')
      )
        return;
      endCall(env, call, { status: callerStatus(status) });
    },
  });
  armNoAnswer(env, call, route, leg);
}

/**
 * Arms call forward no answer for a ringing leg: after the station's no-answer time the leg is
 * cancelled and the call continues along the chain (`follow` rings the next station or rejects).
 */
function armNoAnswer(
  env: CallEnv,
  call: Call,
  route: Extract<Route, { kind: 'ring' }>,
  leg: Leg,
): void {
  const noAnswer = route.noAnswer ?? voicemailNoAnswer(env, route.station);
  if (!noAnswer) return;
  call.setTimer('noAnswer', noAnswer.afterMs, () => {
    if (call.ended || call.connection || leg.ended) return;
    env.log.info(
      { callRef: call.ref, station: route.station, to: noAnswer.forwardTo },
      'no answer: forwarding',
    );
    releaseLeg(env, leg);
    call.attempts.delete(leg);
    follow(
      env,
      call,
      routeNoAnswer(route, env.stations.lookup, undefined, env.hooks.isOutside?.bind(env.hooks)),
    );
  });
}

/**
 * A station without a no-answer forward whose mailbox takes unanswered calls: the same timer
 * (the station's no-answer time), after which the chain ends in `no-answer` and so in voice mail.
 */
function voicemailNoAnswer(
  env: CallEnv,
  station: string,
): { afterMs: number; forwardTo: string } | null {
  if (!env.hooks.voicemail?.takes(station, 'no-answer')) return null;
  const view = env.stations.lookup(station);
  return view ? { afterMs: view.noAnswerMs, forwardTo: 'voicemail' } : null;
}
