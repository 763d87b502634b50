import type { ParkedCall } from '../park-slots';
import { refuse, type FeatureHandler, type HeldCall } from './types';

/** The call a station most recently put on hold. */
export function latestHeld(calls: readonly HeldCall[]): HeldCall | undefined {
  return calls.reduce<HeldCall | undefined>(
    (best, c) => (best === undefined || c.heldAt > best.heldAt ? c : best),
    undefined,
  );
}

/**
 * 11 + station (HOLD): parks the caller's held call in that station's slot. The runner then ends
 * the parker's leg; the parked party stays on hold until 12 + station or the recall timer.
 */
export const park: FeatureHandler<'park'> = {
  feature: 'park',
  needs: 'media',
  async run(ctx, arg) {
    const station = ctx.caller.station;
    if (arg === undefined || arg === '')
      return refuse('missing-argument', 'park needs a station number');
    if (!(await ctx.stations.get(arg))) return refuse('unknown-station', `${arg} is not a station`);
    const held = latestHeld(await ctx.calls.heldBy(station));
    if (!held) return refuse('no-held-call', `${station} has no call on hold to park`);
    const inSlot = await ctx.parks.get(arg);
    if (inSlot)
      return refuse(
        'slot-in-use',
        `park slot ${arg} already holds ${inSlot.party}, parked by ${inSlot.parkedBy}`,
      );
    const parked: ParkedCall = {
      slot: arg,
      callRef: held.callRef,
      legId: held.legId,
      party: held.party,
      parkedBy: station,
      parkedAt: ctx.now,
    };
    await ctx.parks.park(parked);
    return {
      reply: 480,
      effect: 'parked',
      parked,
      holderLegId: held.holderLegId,
      recallMs: ctx.parkRecallMs,
    };
  },
};

/** 12 + station (HOLDPK): connects the caller to the call parked in that station's slot. */
export const parkRetrieve: FeatureHandler<'parkRetrieve'> = {
  feature: 'parkRetrieve',
  needs: 'none',
  async run(ctx, arg) {
    if (arg === undefined || arg === '')
      return refuse('missing-argument', 'park retrieve needs a station number');
    const parked = await ctx.parks.take(arg);
    if (!parked) return refuse('slot-empty', `nothing is parked at ${arg}`);
    return { reply: 'connect', effect: 'retrieved', parked };
  },
};
