/**
 * Click to call (issue 10, third-party call control after RFC 3725): a station user asks the
 * PBX, from the web console or the API, to call a number for them. The PBX first rings the
 * user's own phone with the target as the caller ID (so the display says what is coming); when
 * the user answers, it calls the target with the user's SDP, and once the target answers it
 * re-INVITEs the user with the target's SDP, so the media flows phone to phone.
 *
 * The result is an ordinary call of the engine: the user is its caller (A leg, the call record
 * says outgoing for the user), the target its B leg; hold, transfer and hang-up from either
 * side or from the API work as for a dialled call. A station target is routed like a dialled
 * one (forwards, DND, busy); an outside number (trunk access code + digits) leaves on a trunk
 * through the same hook a blind transfer uses.
 */
import { withDirection } from '../sip/sdp';
import { formatDiversion, routeCall, type Route } from '../state/routing';
import type { CallEnv } from '../engine/call-env';
import { Call, Leg, type Party } from '../engine/call-registry';
import { callerStatus, dial, endCall, reconnect, stationParty } from '../engine/call-setup';
import type { CdrDisposition } from '../engine/cdr-writer';

export interface ClickToCallRequest {
  /** The user's station: its phone rings first. */
  readonly station: string;
  /** A station number, or trunk access code + digits. */
  readonly target: string;
  /** What the user's display shows for an outside target (a contact's name). */
  readonly targetName?: string;
}

/** Why the PBX will not place the call (checked before any phone rings). */
export interface ClickToCallRefusal {
  readonly refused: 'not-found' | 'own-number' | 'not-registered' | 'dnd' | 'busy' | 'target';
  readonly message: string;
}

const DISPOSITION: Record<Extract<Route, { kind: 'reject' }>['cause'], CdrDisposition> = {
  'not-found': 'rejected',
  dnd: 'busy',
  busy: 'busy',
  unregistered: 'rejected',
  'no-answer': 'no-answer',
};

/**
 * The offer the user's phone gets while nobody is on the other end yet: our SIP address (or
 * none) and the discard port, sendrecv so its answer is a full one that can be offered to the
 * target. Replaced by the target's SDP as soon as the target answers.
 */
export function placeholderOffer(host: string): string {
  const addr = host && host !== '0.0.0.0' && !host.includes(':') ? host : '0.0.0.0';
  return [
    'v=0',
    `o=- 0 0 IN IP4 ${addr}`,
    's=-',
    `c=IN IP4 ${addr}`,
    't=0 0',
    'm=audio 9 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=sendrecv',
    '',
  ].join('\r\n');
}

function isOutside(env: CallEnv, target: string): boolean {
  return (
    env.stations.lookup(target) === undefined &&
    env.hooks.isOutside?.(target) === true &&
    env.hooks.transferOutside !== undefined
  );
}

/** The checks made before the user's phone rings; undefined when the call may be placed. */
export function refuseClickToCall(
  env: CallEnv,
  req: ClickToCallRequest,
): ClickToCallRefusal | undefined {
  const { station, target } = req;
  const row = env.stations.row(station);
  if (!row) return { refused: 'not-found', message: `station ${station} does not exist` };
  if (target === station)
    return { refused: 'own-number', message: 'a phone cannot be called for itself' };
  if (!env.locate(station))
    return { refused: 'not-registered', message: `your phone (${station}) is not registered` };
  const live = env.stations.peek(station);
  if (live?.settings.dnd ?? row.dnd)
    return { refused: 'dnd', message: `your phone (${station}) is in do not disturb` };
  if (live && live.legs.length > 0)
    return { refused: 'busy', message: `your phone (${station}) is busy` };
  if (isOutside(env, target)) return undefined;
  if (env.stations.lookup(target) === undefined)
    return { refused: 'not-found', message: `no station or outside number ${target}` };
  const route = routeCall({
    target,
    lookup: env.stations.lookup,
    caller: station,
    ...(env.hooks.isOutside ? { isOutside: env.hooks.isOutside.bind(env.hooks) } : {}),
  });
  if (route.kind === 'reject')
    return { refused: 'target', message: `${target} cannot be called now (${route.cause})` };
  return undefined;
}

/**
 * Places a click-to-call call; the caller checked {@link refuseClickToCall} first. Everything
 * after this (the user not answering, the target refusing) ends the call with its record and
 * shows on the live-call events, like any other call.
 */
export function startClickToCall(env: CallEnv, req: ClickToCallRequest): Call {
  const { station, target } = req;
  const now = env.now();
  const user = stationParty(env, station);
  const outside = isOutside(env, target);
  const shown: Party = outside
    ? { number: target, ...(req.targetName ? { displayName: req.targetName } : {}) }
    : stationParty(env, target);
  // The Call needs its A leg at once; the user's leg replaces this stand-in as soon as dial()
  // has made it (before anything of it goes on the wire).
  const standIn = new Leg('' as Leg['callRef'], 'uac', user, now);
  const call = new Call(standIn, {
    kind: outside ? 'trunk' : 'station',
    dialled: target,
    caller: user,
    startedAt: now,
    callee: target,
    forwardedFrom: null,
    note: 'click to call',
    ...(outside ? { account: station } : {}),
  });
  env.registry.add(call);
  env.log.info({ callRef: call.ref, station, target }, 'click to call: ringing the user');
  const userLeg = dial(env, {
    call,
    station,
    from: shown,
    sdp: placeholderOffer(env.config.sip.host),
    onAnswered: (leg) => {
      if (call.ended) return;
      call.clearTimer('ringing');
      callTarget(env, call, leg, outside);
    },
    onFailed: (_leg, status) => {
      if (call.ended) return;
      env.log.info({ callRef: call.ref, station, status }, 'click to call: user did not answer');
      const unanswered = status === 408 || status === 480 || status === 487;
      endCall(env, call, {
        status: callerStatus(status),
        ...(unanswered ? { disposition: 'no-answer' as const } : {}),
        note: 'your phone did not answer',
      });
    },
  });
  call.attempts.delete(userLeg);
  call.aLeg = userLeg;
  ringingTimer(env, call, 'your phone did not answer');
  return call;
}

function ringingTimer(env: CallEnv, call: Call, note: string): void {
  call.setTimer('ringing', Math.round(env.config.features.ringingTimeout * 1000), () => {
    if (call.ended || call.connection) return;
    env.log.info({ callRef: call.ref, note }, 'click to call: ringing timeout');
    endCall(env, call, { status: 480, disposition: 'no-answer', note });
  });
}

/** The user answered: call the target with the user's SDP. */
function callTarget(env: CallEnv, call: Call, userLeg: Leg, outside: boolean): void {
  const sdp = withDirection(userLeg.sdp, 'sendrecv');
  const target = call.record.dialled;
  const connected = async (b: Leg): Promise<boolean> => {
    if (call.ended) return false;
    call.connect(b);
    call.clearTimers();
    // The target was INVITEd with the user's SDP: only the user needs the target's.
    return reconnect(env, call, { bHasA: true });
  };
  const waiting = (why: string): void => env.hooks.waiting?.(userLeg, 'ringback', why);
  ringingTimer(env, call, `${target} did not answer`);
  if (outside) {
    env.hooks.transferOutside?.(call, target, sdp, {
      ringing: () => waiting(`click to call: ${target} rings`),
      answered: connected,
      failed: ({ status, note }) =>
        endCall(env, call, { status, ...(note ? { note } : {}), disposition: 'rejected' }),
    });
    return;
  }
  const route = routeCall({
    target,
    lookup: env.stations.lookup,
    caller: call.record.caller.station ?? '',
    ...(env.hooks.isOutside ? { isOutside: env.hooks.isOutside.bind(env.hooks) } : {}),
  });
  if (route.kind === 'reject') {
    endCall(env, call, {
      status: route.status,
      disposition: DISPOSITION[route.cause],
      note: route.cause,
    });
    return;
  }
  const diversions = route.diversions;
  if (route.kind === 'outside') {
    call.record.account = call.record.caller.station ?? null;
    env.hooks.transferOutside?.(call, route.number, sdp, {
      ringing: () => waiting(`click to call: forwarded to ${route.number}`),
      answered: connected,
      failed: ({ status }) => endCall(env, call, { status, disposition: 'rejected' }),
    });
    return;
  }
  call.record.callee = route.station;
  if (diversions[0]) {
    call.record.forwardedFrom = diversions[0].from;
    call.record.forwardReason = diversions[0].reason;
  }
  env.log.info({ callRef: call.ref, target: route.station }, 'click to call: ringing the target');
  dial(env, {
    call,
    station: route.station,
    from: call.record.caller,
    sdp,
    // RFC 5806: one value per forward, newest first (as station-call.ts writes them).
    headers: diversions.length
      ? {
          Diversion: diversions.map((d) => formatDiversion(d, env.config.sip.domain)).join(', '),
        }
      : {},
    onRinging: () => waiting(`click to call: ${route.station} rings`),
    onAnswered: (b) => void connected(b),
    onFailed: (_leg, status) => {
      if (call.ended || call.connection) return;
      env.log.info({ callRef: call.ref, status }, 'click to call: target refused');
      endCall(env, call, { status: callerStatus(status), note: `${target} refused` });
    },
  });
}
