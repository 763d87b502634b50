/**
 * Transfer, three ways:
 *
 * - **Blind REFER** (RFC 3515): `Refer-To: <sip:203@pbx>` in a call: 202, then the transferee is
 *   offered to 203 (From: the transferee, `Referred-By`: the transferor). A Refer-To of trunk
 *   access code + number (`sip:90398722900@pbx`) sends the transferee out on a trunk with the
 *   trunk's rules (LCR, caller ID, channels, billing to the transferring station). NOTIFY with
 *   message/sipfrag reports `100 Trying`, `180 Ringing` and the final status to the transferor;
 *   on success the transferee is re-INVITEd with 203's SDP and the transferor gets BYE. On failure
 *   the transferee stays in the original call.
 * - **Attended REFER** (RFC 3891 Replaces in Refer-To): the REFER's partner and the partner of the
 *   dialog named by Replaces are connected to each other; the transferor's two dialogs end.
 * - **OfficeServ hang-up transfer** (manual, "Call Transfer"): a station holds a call, makes a
 *   second call and hangs up: the two remote parties are connected. Hanging up while the second
 *   call still rings hands that ringing call to the held party (blind transfer). Toggling between
 *   the two calls is plain hold/resume relaying; whichever call is active when the station hangs up
 *   is joined to the held one.
 */
import { withDirection } from '../sip/sdp';
import { routeCall } from '../state/routing';
import { parseReferTo } from '../sip/replaces';
import { reasonPhrase } from '../sip/status';
import type { IncomingDialogRequest } from '../engine/sip-port';
import type { CallEnv } from '../engine/call-env';
import { Call, type Leg } from '../engine/call-registry';
import { reoffer } from '../engine/hold-relay';
import {
  bridge,
  callerStatus,
  dial,
  endCall,
  reconnect,
  releaseLeg,
  writeRecord,
} from '../engine/call-setup';

/** NOTIFYs (Event: refer) to the transferor, one at a time so they arrive in order. */
function referNotifier(env: CallEnv, leg: Leg): (status: number, final: boolean) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return (status, final) => {
    chain = chain.then(async () => {
      if (!leg.dialog?.connected) return;
      const code = await leg.dialog.request('NOTIFY', {
        headers: {
          Event: 'refer',
          'Subscription-State': final ? 'terminated;reason=noresource' : 'active;expires=60',
          'Content-Type': 'message/sipfrag;version=2.0',
        },
        body: `SIP/2.0 ${status} ${reasonPhrase(status)}\r\n`,
      });
      if (code >= 300)
        env.log.info({ status: code, party: leg.party.number }, 'refer NOTIFY refused');
    });
    return chain;
  };
}

/** The other leg of a connected two-party call, if it is still in it. */
function partnerOf(call: Call | undefined, leg: Leg): Leg | undefined {
  if (!call?.connection) return undefined;
  const side = call.sideOf(leg);
  if (!side) return undefined;
  const p = call.leg(side === 'a' ? 'b' : 'a');
  return p && p.callRef === call.ref && p.dialog && !p.ended ? p : undefined;
}

/** The held party and the holder's leg of the call `station` holds, other than `except`. */
function heldByStation(
  env: CallEnv,
  station: string,
  except: Call['ref'],
): { call: Call; held: Leg; holder: Leg } | undefined {
  const candidates = env.registry.heldCalls(station).filter((h) => h.callRef !== except);
  const latest = candidates.sort((x, y) => y.heldAt - x.heldAt)[0];
  if (!latest) return undefined;
  const call = env.registry.call(latest.callRef);
  const held = env.registry.leg(latest.legId);
  const holder = env.registry.leg(latest.holderLegId);
  if (!call || !held?.dialog || held.ended || !holder) return undefined;
  return { call, held, holder };
}

/**
 * OfficeServ "blind transfer, unanswered recall": the transferred call rang out or was refused,
 * so the transferor's station rings with the party instead.
 */
function recallTransferor(env: CallEnv, call: Call, party: Leg, transferor: string): boolean {
  if (call.ended || party.ended || !party.dialog) return false;
  call.unanswered = undefined;
  for (const leg of [...call.attempts]) {
    releaseLeg(env, leg);
    call.attempts.delete(leg);
  }
  env.log.info(
    { callRef: call.ref, party: party.party.number, to: transferor },
    'transfer not answered: recall',
  );
  call.record.callee = transferor;
  const leg = dial(env, {
    call,
    station: transferor,
    from: party.party,
    sdp: withDirection(party.sdp, 'sendrecv'),
    onAnswered: (b) => {
      call.connect(b);
      call.clearTimers();
      void reconnect(env, call, { bHasA: true });
    },
    onFailed: (_leg, status) => endCall(env, call, { status: callerStatus(status) }),
  });
  call.setTimer('ringing', Math.round(env.config.features.ringingTimeout * 1000), () => {
    if (call.connection || call.ended) return;
    releaseLeg(env, leg);
    endCall(env, call, { status: 480, disposition: 'no-answer' });
  });
  return true;
}

/** Hands the ringing call `ringing` (placed by the transferor) to `party` as its caller. */
function handOver(env: CallEnv, ringing: Call, party: Leg, transferor: string): void {
  const old = ringing.aLeg;
  ringing.aLeg = party;
  party.callRef = ringing.ref;
  ringing.record.caller = party.party;
  ringing.record.transferredBy = transferor;
  if (old !== party) {
    if (old.invite && !old.ended) releaseLeg(env, old, 487);
    else env.registry.untrack(old);
  }
  ringing.unanswered = () => recallTransferor(env, ringing, party, transferor);
  // Until the station answers, the party hears ringback from the media server.
  env.hooks.waiting?.(party, 'ringback', `transferred by ${transferor} to a ringing station`);
  env.log.info(
    { callRef: ringing.ref, party: party.party.number, by: transferor },
    'ringing call handed over',
  );
}

/** Ends a call the transferor left (its record says transferred). */
function retire(env: CallEnv, call: Call, by?: Leg): void {
  endCall(env, call, { ...(by ? { by } : {}), note: 'transferred' });
}

/** OfficeServ: the station hung up a connected call while holding another one. */
function hangupTransfer(env: CallEnv, leg: Leg, call: Call | undefined): boolean {
  const station = leg.party.station;
  const other = partnerOf(call, leg);
  if (!station || !call || !other) return false;
  const held = heldByStation(env, station, call.ref);
  if (!held) return false;
  env.log.info({ station, a: held.held.party.number, b: other.party.number }, 'hang-up transfer');
  const joined = bridge(env, held.held, other, {
    kind: 'transfer',
    dialled: call.record.dialled,
    caller: held.held.party,
    startedAt: env.now(),
    callee: other.party.number,
    forwardedFrom: null,
    transferredBy: station,
  });
  retire(env, call, leg);
  retire(env, held.call);
  void reconnect(env, joined);
  return true;
}

/** OfficeServ blind transfer: the station hung up its second call while it rang. */
function cancelTransfer(env: CallEnv, leg: Leg, call: Call): boolean {
  const station = leg.party.station;
  if (!station || call.connection || call.aLeg !== leg) return false;
  const held = heldByStation(env, station, call.ref);
  if (!held) return false;
  handOver(env, call, held.held, station);
  retire(env, held.call);
  return true;
}

async function onRefer(
  env: CallEnv,
  leg: Leg,
  call: Call | undefined,
  req: IncomingDialogRequest,
): Promise<void> {
  const target = parseReferTo(req.header('Refer-To'));
  const transferee = partnerOf(call, leg);
  if (!target) {
    req.respond(400, { reason: 'Bad Refer-To' });
    return;
  }
  if (!call || !transferee) {
    req.respond(481);
    return;
  }
  req.respond(202);
  const notify = referNotifier(env, leg);
  void notify(100, false);
  const transferor = leg.party.number;
  env.log.info(
    {
      callRef: call.ref,
      by: transferor,
      transferee: transferee.party.number,
      to: target.user,
      attended: !!target.replaces,
    },
    'REFER',
  );

  if (target.replaces) {
    const r = target.replaces;
    const named = env.registry.findBySipIds(r.callId, r.toTag, r.fromTag);
    const other = named ? env.registry.call(named.callRef) : undefined;
    if (!named || !other || other === call) {
      await notify(481, true);
      return;
    }
    const party = partnerOf(other, named);
    if (party) {
      const joined = bridge(env, transferee, party, {
        kind: 'transfer',
        dialled: target.user,
        caller: transferee.party,
        startedAt: env.now(),
        callee: party.party.number,
        forwardedFrom: null,
        transferredBy: transferor,
      });
      const ok = await reconnect(env, joined);
      await notify(ok ? 200 : 480, true);
      retire(env, call);
      retire(env, other);
      return;
    }
    if (!other.connection && other.aLeg === named) {
      // The consultation call still rings: the transferee becomes its caller.
      handOver(env, other, transferee, transferor);
      await notify(200, true);
      retire(env, call);
      return;
    }
    await notify(503, true);
    return;
  }

  // Blind: the transferee calls the target, a station or (trunk access code + number) an
  // outside number through a trunk.
  const outside =
    env.stations.lookup(target.user) === undefined &&
    env.hooks.isOutside?.(target.user) === true &&
    env.hooks.transferOutside !== undefined;
  if (outside && !leg.party.station) {
    // Trunks are for stations only (the manual): an outside party may not send a call out.
    env.log.info(
      { callRef: call.ref, to: target.user },
      'transfer outside by a non-station refused',
    );
    await notify(403, true);
    return;
  }
  const route = outside
    ? undefined
    : routeCall({
        target: target.user,
        lookup: env.stations.lookup,
        ...(transferee.party.station ? { caller: transferee.party.station } : {}),
      });
  if (route?.kind === 'reject') {
    await notify(route.status, true);
    return;
  }
  // A station forwarded to voice mail rings itself for a transfer: a transferred call does not
  // reach a mailbox (as an unanswered transferred call does not) and comes back to the
  // transferor's side when refused.
  // The route never leaves on a trunk here (no isOutside given): outside numbers are above.
  if (route?.kind === 'outside') {
    await notify(404, true);
    return;
  }
  const next = new Call(transferee, {
    kind: 'transfer',
    dialled: target.user,
    caller: transferee.party,
    startedAt: env.now(),
    callee: route?.station ?? target.user,
    forwardedFrom: null,
    transferredBy: transferor,
    // An outside transfer is billed to the station that made it.
    ...(outside ? { account: leg.party.station ?? null } : {}),
  });
  env.registry.add(next);
  const giveBack = (status: number): void => {
    if (next.ended) return;
    next.ended = true;
    next.clearTimers();
    for (const l of [...next.attempts]) releaseLeg(env, l);
    env.registry.remove(next);
    writeRecord(env, next, { status });
    if (!call.ended && !transferee.ended) {
      transferee.callRef = call.ref;
      // Off the ringback, back to the original call's media (its hold, if any, is kept).
      if (transferee.waitingMedia) reoffer(env, call, transferee);
    } else void transferee.dialog?.bye();
    void notify(callerStatus(status), true);
  };
  const connected = async (): Promise<boolean> => {
    next.clearTimers();
    const ok = await reconnect(env, next, { bHasA: true });
    await notify(ok ? 200 : 480, true);
    retire(env, call);
    return ok;
  };
  if (!route) {
    env.hooks.transferOutside?.(next, target.user, withDirection(transferee.sdp, 'sendrecv'), {
      ringing: () => {
        void notify(180, false);
        env.hooks.waiting?.(
          transferee,
          'ringback',
          `transferred by ${transferor} to an outside number`,
        );
      },
      answered: (b) => {
        next.connect(b);
        return connected();
      },
      failed: ({ status }) => giveBack(status),
    });
  } else
    dial(env, {
      call: next,
      station: route.station,
      from: transferee.party,
      sdp: withDirection(transferee.sdp, 'sendrecv'),
      headers: { 'Referred-By': `<sip:${transferor}@${env.config.sip.domain}>` },
      onRinging: () => {
        void notify(180, false);
        env.hooks.waiting?.(
          transferee,
          'ringback',
          `transferred by ${transferor}, ${route.station} rings`,
        );
      },
      onAnswered: (b) => {
        next.connect(b);
        void connected();
      },
      onFailed: (_leg, status) => giveBack(status),
    });
  next.setTimer('ringing', Math.round(env.config.features.ringingTimeout * 1000), () => {
    if (!next.connection) giveBack(480);
  });
}

/** Installs the REFER handler and the hang-up transfer on the call runners. */
export function installTransfer(env: CallEnv): void {
  env.intercept.refer = (leg, call, req) => {
    onRefer(env, leg, call, req).catch((err: unknown) =>
      env.log.error({ err }, 'REFER handling failed'),
    );
  };
  env.intercept.hangup.push((leg, call) => hangupTransfer(env, leg, call));
  env.intercept.cancel.push((leg, call) => cancelTransfer(env, leg, call));
}
