/**
 * An INVITE from a provider: accepted only from a trunk's addresses (the router asks here only
 * for INVITEs that are not from a registered station). The called number (Request-URI user, else
 * To user) is looked up in the DIDs: its station or ring group is called through the ordinary
 * station and group runners, so forwards, DND, busy and unreachable apply as for internal calls;
 * a DID without target, or an unknown DID when `trunks.unknownDid` is `operator`, rings
 * `trunks.operator`; otherwise 404. The caller is shown with its caller ID, with the station's
 * Insert Trunk Port in front when its type is INCOMING (engine/call-setup.ts).
 */
import type { CallEnv } from '../engine/call-env';
import type { CallFeatures } from '../engine/call-features';
import type { Party } from '../engine/call-registry';
import type { NumberPlanSource } from '../engine/number-plan';
import type { IncomingInvite } from '../engine/sip-port';
import type { TrunkDirectory } from './directory';
import { channelsInUse } from './outgoing-call';

export interface IncomingDeps {
  readonly env: CallEnv;
  readonly directory: TrunkDirectory;
  readonly plan: NumberPlanSource;
  readonly features: Pick<CallFeatures, 'stationCall' | 'groupCall'>;
}

export function incomingTrunkCall(deps: IncomingDeps, invite: IncomingInvite): boolean {
  const { env, directory } = deps;
  const trunk = directory.fromAddress(invite.source.address);
  if (!trunk) return false;
  const log = env.log.child({ trunk: trunk.name, callId: invite.callId });
  const cid = invite.from.user ?? '';
  const caller: Party = {
    number: /^\+?[0-9*#]{1,32}$/.test(cid) ? cid : 'anonymous',
    ...(invite.from.displayName ? { displayName: invite.from.displayName } : {}),
    trunk: trunk.name,
  };
  const refuse = (status: number, note: string): true => {
    invite.reject(status);
    const now = env.now();
    env.cdr.record({
      callRef: `refused-${invite.callId}`,
      callerTel: caller.number,
      callerName: caller.displayName ?? '',
      dialled: invite.requestUser,
      startAt: now,
      at: now,
      disposition: status === 486 ? 'busy' : 'rejected',
      hangupSide: 'system',
      sipStatus: status,
      note,
      trunk: trunk.name,
    });
    return true;
  };
  const called = invite.requestUser || invite.to.user || '';
  const entry = [called, invite.to.user ?? '']
    .map((n) => directory.did(n))
    .find((d) => d !== undefined && d.trunk === trunk.name);
  const operator = env.config.trunks.operator;
  let target = entry?.target ?? '';
  if (!entry) {
    if (env.config.trunks.unknownDid !== 'operator' || operator === '') {
      log.info({ did: called }, 'incoming trunk call to an unknown DID refused');
      return refuse(404, `unknown DID ${called}`);
    }
    target = operator;
  }
  if (target === '') target = operator;
  if (target === '') {
    log.info({ did: called }, 'DID without target and no operator');
    return refuse(480, `DID ${called} has no target and no operator is set`);
  }
  if (!invite.sdp) {
    // @NOTE a delayed offer would need the offer from the station's 200 relayed in ours and the
    // answer from the provider's ACK relayed in an ACK to the station; the engine relays offers
    // only in INVITEs, so such a call is refused (RFC 3261 13.3.1.4 allows 488 for it).
    log.warn(
      { did: called, caller: caller.number },
      'incoming trunk call without SDP (delayed offer) refused with 488: the provider must offer in the INVITE',
    );
    return refuse(488, 'INVITE without SDP (delayed offer) not supported');
  }
  if (trunk.maxChannels > 0 && channelsInUse(env, trunk.name) >= trunk.maxChannels) {
    log.info({ max: trunk.maxChannels }, 'trunk at its maximum channels: incoming call refused');
    return refuse(486, `trunk ${trunk.name} at its maximum channels`);
  }
  log.info({ did: called, target, caller: caller.number }, 'incoming trunk call');
  const group = deps.plan.group(target);
  if (group) deps.features.groupCall(invite, caller, group);
  else if (env.stations.has(target)) deps.features.stationCall(invite, caller, target);
  else return refuse(404, `DID ${called}: target ${target} is no station or group`);
  return true;
}
