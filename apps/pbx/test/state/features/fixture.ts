import { callRef, legId } from '../../../src/state/ids';
import {
  MemoryCallStore,
  MemoryConferenceStore,
  MemoryParkStore,
  StationStateMap,
  type FeatureContext,
  type HeldCall,
} from '../../../src/state/features';
import type { StationLeg } from '../../../src/state/station-state';

/** An office with stations 201-206 (pickup group 1, except 205 and 206 in group 2). */
export function office(now = 1_000) {
  const stations = new StationStateMap();
  for (const n of ['201', '202', '203', '204']) stations.add(n, { pickupGroup: '1' });
  for (const n of ['205', '206']) stations.add(n, { pickupGroup: '2' });
  const calls = new MemoryCallStore();
  const parks = new MemoryParkStore(60_000);
  const conferences = new MemoryConferenceStore();
  const ctx = (caller: string): FeatureContext => ({
    caller: { station: caller },
    stations,
    calls,
    parks,
    conferences,
    now,
    parkRecallMs: 60_000,
  });
  return { stations, calls, parks, conferences, ctx };
}

/** Makes `callee` ring with a call from `caller` (or be in `state`). */
export function ring(
  stations: StationStateMap,
  callee: string,
  caller: string,
  since: number,
  state: StationLeg['state'] = 'early',
): StationLeg {
  const leg: StationLeg = {
    legId: legId(`b-${caller}-${callee}-${since}`),
    callRef: callRef(`call-${caller}-${callee}-${since}`),
    direction: 'inbound',
    state,
    since,
    peer: { number: caller },
    dialog: {
      callId: `cid-${since}@127.0.0.1`,
      localTag: `to-${since}`,
      remoteTag: `from-${since}`,
    },
  };
  stations.apply(callee, { type: 'legAdded', leg });
  return leg;
}

export function held(holder: string, party: string, heldAt: number): HeldCall {
  return {
    callRef: callRef(`call-${holder}-${party}`),
    legId: legId(`leg-${party}`),
    holderLegId: legId(`leg-${holder}`),
    party,
    heldAt,
  };
}
