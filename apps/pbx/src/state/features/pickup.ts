import type { StationLeg, StationState } from '../station-state';
import {
  refuse,
  type FeatureContext,
  type FeatureHandler,
  type FeatureResult,
  type RingingCall,
} from './types';

/** The calls ringing at a station (inbound, 180/183 received, not answered), oldest first. */
export function ringingCalls(s: StationState): RingingCall[] {
  return s.legs
    .filter((l) => l.direction === 'inbound' && l.state === 'early')
    .map((l) => ({
      callRef: l.callRef,
      legId: l.legId,
      station: s.number,
      caller: l.peer.number,
      since: l.since,
    }))
    .sort((x, y) => x.since - y.since);
}

/**
 * The call to pick among stations: the one ringing longest. A call the picker placed itself is
 * never picked (it would connect the picker to itself).
 */
export function chooseRinging(
  stations: readonly StationState[],
  picker: string,
): RingingCall | undefined {
  return stations
    .filter((s) => s.number !== picker)
    .flatMap(ringingCalls)
    .filter((c) => c.caller !== picker)
    .sort((x, y) => x.since - y.since)[0];
}

function picked(call: RingingCall | undefined, none: string): FeatureResult {
  return call ? { reply: 'connect', effect: 'picked-up', call } : refuse('nothing-ringing', none);
}

/** 13 + station: picks up the call ringing at that station. */
export const pickupDirected: FeatureHandler<'pickup.directed'> = {
  feature: 'pickup.directed',
  needs: 'none',
  async run(ctx, arg) {
    if (arg === undefined || arg === '')
      return refuse('missing-argument', 'directed pickup needs a station number');
    const target = await ctx.stations.get(arg);
    if (!target) return refuse('unknown-station', `${arg} is not a station`);
    return picked(chooseRinging([target], ctx.caller.station), `no call is ringing at ${arg}`);
  },
};

async function pickupInGroup(ctx: FeatureContext, group: string): Promise<FeatureResult> {
  const members = (await ctx.stations.list()).filter((s) => s.settings.pickupGroup === group);
  return picked(
    chooseRinging(members, ctx.caller.station),
    `no call is ringing in pickup group ${group}`,
  );
}

/** 14 + group: picks up a call ringing at any member of that pickup group. */
export const pickupGroup: FeatureHandler<'pickup.group'> = {
  feature: 'pickup.group',
  needs: 'none',
  async run(ctx, arg) {
    if (arg === undefined || arg === '')
      return refuse('missing-argument', 'group pickup needs a pickup group number');
    return pickupInGroup(ctx, arg);
  },
};

/** My-group pickup (MYGPICK): picks up a call ringing in the caller's own pickup group. */
export const pickupMyGroup: FeatureHandler<'pickup.myGroup'> = {
  feature: 'pickup.myGroup',
  needs: 'none',
  async run(ctx) {
    const me = await ctx.stations.get(ctx.caller.station);
    const group = me?.settings.pickupGroup ?? null;
    if (group === null)
      return refuse('no-pickup-group', `${ctx.caller.station} is in no pickup group`);
    return pickupInGroup(ctx, group);
  },
};

/** The dialog named by an INVITE's `Replaces` header (RFC 3891). */
export interface ReplacesTarget {
  readonly callId: string;
  readonly toTag: string;
  readonly fromTag: string;
  readonly earlyOnly?: boolean;
}

/**
 * Finds the leg an INVITE with `Replaces` names, for busy-lamp pickup (seed 002) and attended
 * transfer. RFC 3891 §3 compares to-tag with the local tag and from-tag with the remote tag; the
 * dialog-info we publish is from the watched station's side, and phones differ in which tag they
 * copy where (the Snom in seed 002 puts the remote tag in to-tag), so both orders are accepted.
 * With `earlyOnly` (RFC 3891 §3), a confirmed dialog does not match.
 */
export function findReplacedLeg(
  stations: readonly StationState[],
  r: ReplacesTarget,
): { station: StationState; leg: StationLeg } | undefined {
  for (const station of stations) {
    for (const leg of station.legs) {
      const d = leg.dialog;
      if (d.callId !== r.callId) continue;
      const straight = d.localTag === r.toTag && d.remoteTag === r.fromTag;
      const crossed = d.localTag === r.fromTag && d.remoteTag === r.toTag;
      if (!straight && !crossed) continue;
      if (r.earlyOnly && leg.state === 'confirmed') return undefined;
      return { station, leg };
    }
  }
  return undefined;
}
